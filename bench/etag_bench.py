"""What conditional GET costs and saves: the directory's version read, the triggers that keep it, a 304 beside a 200.

    .venv/bin/python bench/etag_bench.py

Migrates (once, then reuses) the database oncodir_bench_etag on BENCH_PG_SERVER, adds a few physicians, and
measures in this process, against the same database in the same run:
- directory_version(): the one query every public read adds (µs per call);
- a writer's commit with and without the version's triggers (one UPDATE of a physician a transaction), and a
  10,000-row INSERT with and without them (a statement trigger: once a statement, whatever its rows);
- the profile page, the API profile and a FHIR read through Django's test client: a full 200 and a 304.
Only the loopback server is used.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("BENCH_PG_SERVER", "postgres://postgres@127.0.0.1:5432")
DATABASE = "oncodir_bench_etag"
VERSION_TRIGGERS = ("directory_physician_changed", "directory_searchterm_changed")


def setup() -> None:
    os.environ["DATABASE_URL"] = f"{SERVER}/{DATABASE}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oncodir.settings")
    sys.path.insert(0, str(ROOT))
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DATABASE], capture_output=True)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, check=True)
    import django

    django.setup()


def per_call(run, repeat: int) -> float:
    """Median of five rounds, µs per call."""
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(repeat):
            run()
        rounds.append((time.perf_counter() - start) / repeat * 1e6)
    return statistics.median(rounds)


def version_triggers(cursor, enabled: bool) -> None:
    action = "ENABLE" if enabled else "DISABLE"
    for trigger in VERSION_TRIGGERS:
        table = trigger.removesuffix("_changed")
        cursor.execute(f"ALTER TABLE {table} {action} TRIGGER {trigger}")


def main() -> None:
    setup()
    from django.conf import settings
    from django.db import connection, transaction
    from django.test import Client, override_settings

    from apps.directory.changes import directory_version
    from apps.directory.models import Physician
    from tests.factories import PhysicianFactory, PracticeLocationFactory

    physician = Physician.objects.filter(npi__startswith="19").first()
    if physician is None:
        physician = PhysicianFactory(npi="1999999993")
        PracticeLocationFactory(physician=physician, zip_code="10001")

    print(f"directory_version(): {per_call(directory_version, 2000):.0f} µs a call (one primary-key query)")

    def commit_one_update():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE directory_physician SET telehealth = NOT telehealth WHERE id = %s", [physician.pk])

    def insert_many():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO directory_searchterm (term) SELECT 'etag-bench-' || i FROM generate_series(1, 10000) i"
            )
            transaction.set_rollback(True)

    with connection.cursor() as cursor:
        for enabled in (False, True):
            version_triggers(cursor, enabled)
            label = "with" if enabled else "without"
            print(f"a one-UPDATE transaction {label} the version's triggers: {per_call(commit_one_update, 200):.0f} µs")
            print(f"a 10,000-row INSERT {label} them: {per_call(insert_many, 3) / 1000:.1f} ms")

    client = Client()
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] | {
        "anon": None,
        "user": None,
    }  # thousands of reads a minute
    override_settings(REST_FRAMEWORK=settings.REST_FRAMEWORK | {"DEFAULT_THROTTLE_RATES": rates}).enable()
    for name, address in [
        ("profile page", physician.get_absolute_url()),
        ("API profile", f"/api/v1/physicians/{physician.npi}/"),
        ("FHIR read", f"/fhir/Practitioner/{physician.npi}?_format=json"),
    ]:
        client.get(address)
        etag = client.get(address)["ETag"]
        assert client.get(address, HTTP_IF_NONE_MATCH=etag).status_code == 304
        full = per_call(lambda: client.get(address), 100)  # noqa: B023 (called at once)
        not_modified = per_call(lambda: client.get(address, HTTP_IF_NONE_MATCH=etag), 100)  # noqa: B023
        print(f"{name}: 200 in {full / 1000:.2f} ms, 304 in {not_modified / 1000:.2f} ms")


if __name__ == "__main__":
    main()
