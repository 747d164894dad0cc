"""An import killed part-way (SIGKILL, in the middle of a batch) and run again ends exactly as one clean
run does."""

import os
import signal
import subprocess
import sys
import time
from io import StringIO

import psycopg2
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from apps.directory.models import Physician
from apps.registry.models import ImportRun, KeptEdit
from tests.databases import Role, connected_as, database_url

from .nppes_files import deactivated_row, npi, row, write_nppes

ROWS = 1500
BATCH = 20
# An earlier physician whose row the new file changes in its 20th batch (of rows 381-400).
LOCKED = 400


@pytest.fixture(scope="module", autouse=True)
def _restore_reference_data(django_db_setup, django_db_blocker):
    """A transactional test ends with every table flushed, seeded specialties included; put back what
    the migrations loaded, so tests that run later (or with --reuse-db) still find it."""
    yield
    serialized = getattr(connection, "_test_serialized_contents", None)
    if serialized:
        with django_db_blocker.unblock():
            connection.creation.deserialize_db_from_string(serialized)


def directory_state() -> dict:
    """Everything the import writes, keyed by NPI, without ids or timestamps."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT npi, first_name, middle_name, last_name, name_suffix, credentials, sex, is_active,
                      deactivated_on, reactivated_on, enumerated_on, nppes_updated_on, source, nppes_snapshot
               FROM directory_physician ORDER BY npi"""
        )
        physicians = cursor.fetchall()
        cursor.execute(
            """SELECT p.npi, l.address_line1, l.address_line2, l.city, l.state, l.zip_code, l.phone, l.latitude,
                      l.longitude, l.is_primary
               FROM directory_practicelocation l JOIN directory_physician p ON p.id = l.physician_id
               ORDER BY p.npi, l.address_line1"""
        )
        locations = cursor.fetchall()
        cursor.execute(
            """SELECT p.npi, s.code, ps.is_primary FROM directory_physicianspecialty ps
               JOIN directory_physician p ON p.id = ps.physician_id
               JOIN directory_specialty s ON s.id = ps.specialty_id ORDER BY 1, 2"""
        )
        specialties = cursor.fetchall()
        cursor.execute(
            """SELECT npi, history_type, count(*) FROM directory_historicalphysician GROUP BY 1, 2 ORDER BY 1, 2"""
        )
        history = cursor.fetchall()
    edits = sorted(KeptEdit.objects.values_list("physician__npi", "field", "curator_value", "registry_value"))
    return {
        "physicians": physicians,
        "locations": locations,
        "specialties": specialties,
        "history": history,
        "kept_edits": edits,
    }


def wipe_directory(owner: Role) -> None:
    """Empty what an import wrote, as the database owner: the app role the tests run as may not TRUNCATE."""
    with connected_as(connection, owner), connection.cursor() as cursor:
        cursor.execute(
            """TRUNCATE registry_keptedit, directory_physicianspecialty, directory_practicelocation,
                        directory_physician, directory_historicalphysician, directory_historicalpracticelocation
               CASCADE"""
        )


def forget_directory() -> None:
    """wipe_directory inside a test's transaction (DELETE: TRUNCATE would wait for the transaction's locks)."""
    with connection.cursor() as cursor:
        for table in (
            "registry_keptedit",
            "registry_nppesrecord",
            "directory_physicianspecialty",
            "directory_practicelocation",
            "directory_physician",
            "directory_historicalphysician",
            "directory_historicalpracticelocation",
        ):
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608


def wait_for_killed_session() -> None:
    """The killed client's server session lives on until it notices the closed socket."""
    deadline = time.monotonic() + 30
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.05)


def subprocess_env() -> dict:
    url = database_url(settings.DATABASES["default"])
    return {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "oncodir.test_settings"}


def processes_reading(path) -> list[int]:
    """Processes whose command line names `path` (an import and its scan workers)."""
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/cmdline", "rb") as handle:
                    if str(path).encode() in handle.read():
                        found.append(int(entry.name))
            except OSError:
                continue
    return found


def wait_until_blocked_by(locker_pid: int, process: subprocess.Popen) -> str:
    """Wait for the import's session to wait on a lock the session `locker_pid` holds, and return the
    statement it waits in ("" if the import ended first: the caller's assertions report it)."""
    deadline = time.monotonic() + 120
    with connection.cursor() as cursor:
        while process.poll() is None and time.monotonic() < deadline:
            cursor.execute("SELECT query FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))", [locker_pid])
            blocked = cursor.fetchone()
            if blocked:
                return blocked[0]
            time.sleep(0.02)
    return ""


def kill_import_waiting_for_lock(lock_sql: str, params: list, args: list[str]) -> str:
    """Run `manage.py import_nppes <args>` in its own process while another session holds the row lock that
    `lock_sql` takes, SIGKILL it once its session waits for that lock (in the middle of a batch, after
    earlier batches committed), and return the statement it waited in."""
    database = settings.DATABASES["default"]
    locker = psycopg2.connect(
        dbname=database["NAME"], user=database["USER"], host=database["HOST"], port=database["PORT"]
    )
    try:
        with locker.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            locker_pid = cursor.fetchone()[0]
            cursor.execute(lock_sql, params)
        process = subprocess.Popen(
            [sys.executable, "manage.py", "import_nppes", *args],
            cwd=settings.BASE_DIR,
            env=subprocess_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        blocked_in = wait_until_blocked_by(locker_pid, process)
        process.send_signal(signal.SIGKILL)
        process.wait()
    finally:
        locker.close()
    wait_for_killed_session()
    assert process.returncode == -signal.SIGKILL, process.stderr.read().decode()
    return blocked_in


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("workers", ["0", "2"], ids=["in-process", "scan-workers"])
def test_import_killed_mid_way_then_rerun_equals_a_clean_run(tmp_path, workers, django_db_setup):
    # Given a directory with physicians from an earlier import, one of them edited by a curator
    earlier_npis = [*range(1, 30), LOCKED]
    earlier = write_nppes(tmp_path / "earlier.csv", [row(npi(n), last=f"OLD{n}") for n in earlier_npis])
    call_command("import_nppes", str(earlier), "--no-progress", stdout=StringIO())
    Physician.objects.filter(npi=npi(3)).update(last_name="Edited by a curator")
    # And a new file: new physicians, changed ones, a deactivation, a duplicate NPI and a bad row
    rows = [row(npi(n), last=f"NEW{n}", first=f"F{n % 97}") for n in range(1, ROWS)]
    rows[10] = deactivated_row(npi(11))
    rows.append(row(npi(5), last="DUPLICATE WINS"))
    rows.append(row(npi(ROWS + 1), last=""))
    path = write_nppes(tmp_path / "npidata_pfile_20050523-20241110.csv", rows)
    before = directory_state()

    # When an import of it is killed with SIGKILL in the middle of a batch, after earlier ones committed:
    # another session holds a row lock on a physician the import changes, and the import is killed once
    # its session waits for that lock (its batch has inserted new physicians by then)
    blocked_in = kill_import_waiting_for_lock(
        "SELECT id FROM directory_physician WHERE npi = %s FOR UPDATE",
        [npi(LOCKED)],
        [str(path), "--batch-size", str(BATCH), "--no-progress", "--workers", workers],
    )
    assert blocked_in.startswith("UPDATE directory_physician p SET"), blocked_in
    # Then the batches before the blocked one are committed (batches of BATCH rows of the file), and
    # nothing of the blocked one
    committed = set(Physician.objects.values_list("npi", flat=True))
    assert committed == {npi(n) for n in [*range(1, (LOCKED - 1) // BATCH * BATCH + 1), LOCKED]}
    killed = ImportRun.objects.order_by("-id").first()
    assert killed.status == "running"
    # And no scan worker outlives it
    deadline = time.monotonic() + 10
    while processes_reading(path) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_reading(path) == []

    # And run again to the end
    call_command("import_nppes", str(path), "--batch-size", str(BATCH), "--no-progress", stdout=StringIO())
    rerun_state = directory_state()
    killed.refresh_from_db()

    # Then the interrupted run is marked incomplete
    assert killed.status == "incomplete"
    assert ImportRun.objects.order_by("-id").first().status == "succeeded"

    # When the same history is replayed cleanly from an empty directory
    wipe_directory(django_db_setup.owner)
    call_command("import_nppes", str(earlier), "--no-progress", stdout=StringIO())
    Physician.objects.filter(npi=npi(3)).update(last_name="Edited by a curator")
    assert directory_state() == before
    call_command("import_nppes", str(path), "--batch-size", str(BATCH), "--no-progress", stdout=StringIO())

    # Then the killed-and-rerun directory equals the clean one, table by table
    clean_state = directory_state()
    for table in clean_state:
        assert rerun_state[table] == clean_state[table], table
    assert len(clean_state["physicians"]) == ROWS - 1
    assert Physician.objects.get(npi=npi(5)).last_name == "DUPLICATE WINS"
    assert Physician.objects.get(npi=npi(11)).is_active is False
    assert Physician.objects.get(npi=npi(3)).last_name == "Edited by a curator"
