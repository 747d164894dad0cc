"""The app through a transaction-pooling PgBouncer, as docker-compose.yml runs it: consecutive transactions of
one client may run on different server sessions, so nothing may live in a session between them. The app runs
in a process of its own whose DATABASE_URL is a real PgBouncer in front of the test database."""

import configparser
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from django.db import connection

from tests.databases import database_url
from tests.factories import PhysicianFactory

ROOT = Path(__file__).resolve().parents[2]
PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"

# Committed rows: the app reads them from another process.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# Run in the app's process behind the pooler. The iterator's first row comes from a cursor declared in one
# transaction; then another connection's transaction takes the server session that cursor lives on (PgBouncer
# hands out the most recently used first), so the iterator's next fetch runs on another session.
APP_SCRIPT = """
import json, threading
from django.db import connection, transaction
from django.test import Client
from apps.directory.models import Physician

seen = {}
with connection.cursor() as cursor:
    for name in ("jit", "max_parallel_workers_per_gather", "TimeZone"):
        cursor.execute(f"SHOW {name}")
        seen[name] = cursor.fetchone()[0]
page = Client().get("/physicians/", {"q": "Zebedee"})
seen["page"] = [page.status_code, "Zebedee" in page.content.decode()]

rows = Physician.objects.order_by("pk").values_list("last_name", flat=True).iterator(chunk_size=1)
names = [next(rows)]
holding, release = threading.Event(), threading.Event()

def another_transaction():
    with transaction.atomic():
        Physician.objects.exists()
        holding.set()
        release.wait(10)
    connection.close()

other = threading.Thread(target=another_transaction)
other.start()
holding.wait(10)
try:
    names += list(rows)
except Exception as error:
    names.append(f"failed: {error}")
release.set()
other.join()
seen["iterated"] = names
print(json.dumps(seen))
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def pooler():
    """PgBouncer as docker-compose.yml runs it (transaction pooling) in front of the test database's server;
    yields the DATABASE_URL that reaches the test database through it."""
    server = connection.settings_dict
    port = _free_port()
    # PgBouncer will not run as root: it then runs as nobody, which must read its files and write its log.
    workdir = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
    (workdir / "users.txt").write_text(f'"{server["USER"]}" "{server["PASSWORD"]}"\n')
    # docker-compose.yml's configuration, with this machine's addresses and two server sessions per pool.
    config = configparser.ConfigParser()
    config.read(ROOT / "scripts" / "pgbouncer" / "pgbouncer.ini")
    config["databases"] = {"*": f"host={server['HOST'] or '127.0.0.1'} port={server['PORT'] or 5432}"}
    config["pgbouncer"].update(
        listen_addr="127.0.0.1",
        listen_port=str(port),
        auth_file=str(workdir / "users.txt"),
        default_pool_size="2",
        logfile=str(workdir / "pgbouncer.log"),
    )
    with open(workdir / "pgbouncer.ini", "w") as ini:
        config.write(ini)
    command = [PGBOUNCER, str(workdir / "pgbouncer.ini")]
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        for path in [workdir, *workdir.iterdir()]:
            os.chown(path, nobody.pw_uid, nobody.pw_gid)
        command[1:1] = ["-u", "nobody"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, process.stdout.read().decode()
                time.sleep(0.05)
        direct = connection.settings_dict | {"HOST": "127.0.0.1", "PORT": port}
        yield database_url(direct)
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


def _run_app(url: str, *, pooled: bool) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_"))}
    env |= {
        "DATABASE_URL": url,
        "DATABASE_POOLED": str(pooled).lower(),
        "DJANGO_SETTINGS_MODULE": "oncodir.test_settings",
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", APP_SCRIPT],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def physicians():
    return [PhysicianFactory(last_name=name) for name in ("Zebedee", "Abbott", "Moreau")]


def test_the_app_runs_through_a_transaction_pooler(pooler, physicians):
    # given the app behind a transaction-pooling PgBouncer, told so (DATABASE_POOLED)
    seen = _run_app(pooler, pooled=True)
    # then every session has the database's own defaults (no `options` startup parameter, which PgBouncer
    # refuses), the search page answers, and an iterator reads every row though its fetches change sessions
    assert {name: seen[name] for name in ("jit", "max_parallel_workers_per_gather", "TimeZone")} == {
        "jit": "off",
        "max_parallel_workers_per_gather": "0",
        "TimeZone": "UTC",
    }
    assert seen["page"] == [200, True]
    assert seen["iterated"] == [physician.last_name for physician in physicians]


def test_a_server_side_cursor_is_lost_through_the_pooler_unless_told(pooler, physicians):
    # given the same app not told it is behind a pooler: its iterator reads through a server-side cursor
    seen = _run_app(pooler, pooled=False)
    # then the cursor's session has gone to another transaction by the second fetch: why DATABASE_POOLED exists
    assert seen["iterated"][0] == physicians[0].last_name
    assert seen["iterated"][1].startswith("failed:") and "does not exist" in seen["iterated"][1]
