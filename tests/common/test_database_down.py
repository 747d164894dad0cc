"""PostgreSQL restarted under a running app: while it is down every request that needs it answers 503 at once,
with Retry-After (the 503 page, the API's error shape), readiness says the database is down, a referral cut off
halfway by the stop or sent while it is down is reported as failed and leaves nothing; once it is back the same
app (not restarted) answers within 10 s.

Real servers: a PostgreSQL cluster of the test's own (run as the `postgres` OS user when this process is root:
PostgreSQL refuses to run as root), migrated, and gunicorn with production settings (DEBUG off, two workers,
persistent connections with health checks) whose DATABASE_URL is that cluster. Only the static files storage
differs (no collectstatic): the pages need no manifest."""

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg2
import pytest
from django.db import InterfaceError, OperationalError
from django.test import RequestFactory

from apps.common.exceptions import UNAVAILABLE_CODE, UNAVAILABLE_MESSAGE, UNAVAILABLE_RETRY_AFTER_SECONDS
from apps.common.views import server_error
from tests.servers import ServerDirectory, create_database, free_port

ROOT = Path(__file__).resolve().parents[2]
DATABASE = "oncodir_outage"
FAST = 2.0  # seconds: a request while the database is down answers within this
RECOVERY = 10.0  # seconds: the app answers again within this of the database's return
SETTINGS = """
from oncodir.settings import *  # noqa: F403  production's settings (DJANGO_DEBUG=false)

STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
"""
# Run in the app's environment: migrate, then an oncologist, a GP with an API token and a signed-in session.
MIGRATE_AND_SEED = """
import json
from django.core.management import call_command
from django.test import Client
from rest_framework.authtoken.models import Token
call_command("migrate", interactive=False, verbosity=0)
from tests.factories import GPFactory, OncologistUserFactory
oncologist, gp = OncologistUserFactory(physician__last_name="Zimmermann"), GPFactory()
browser = Client()
browser.force_login(gp)
print(json.dumps({"npi": oncologist.physician.npi, "profile": oncologist.physician.get_absolute_url(),
                  "token": Token.objects.create(user=gp).key, "session": browser.cookies["sessionid"].value}))
"""
# Run in the app's environment: how long connecting takes, and how it fails.
CONNECT = """
import json, time
from django.db import connection
started = time.monotonic()
try:
    connection.ensure_connection()
    failure = None
except Exception as error:
    failure = error.__class__.__name__
print(json.dumps([failure, time.monotonic() - started]))
"""
# A transaction that has inserted a referral (it holds its table's row-exclusive lock) and waits for a lock.
HALF_WRITTEN = """
SELECT count(*) FROM pg_locks held JOIN pg_stat_activity waiting USING (pid)
WHERE waiting.wait_event_type = 'Lock' AND waiting.query LIKE 'INSERT INTO "referrals_referralevent"%'
  AND held.relation = 'referrals_referral'::regclass AND held.mode = 'RowExclusiveLock' AND held.granted
"""
REFERRAL = {
    "patient_first_name": "Ada",
    "patient_last_name": "Outage",
    "patient_date_of_birth": "1961-03-14",
    "patient_phone": "212-555-0199",
    "patient_consent": True,
    "cancer_type": "lung",
    "clinical_question": "Nodule on CT.",
    "priority": "urgent",
    "submit": True,
}


class Cluster(ServerDirectory):
    """One PostgreSQL server in a directory of its own, stopped and started on demand."""

    def __init__(self):
        super().__init__("oncodir-outage-")
        self.data = self.workdir / "data"
        self.port = free_port()

    def create(self) -> None:
        self.run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync")
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                f"port = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.workdir}'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
            )
        self.start()
        create_database(self.url("postgres"), DATABASE)

    def start(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.workdir / "server.log"), "-w", "-t", "30", "start")

    def stop(self) -> None:
        # "fast": what a restart does: open sessions are ended, the app's kept connections die with them
        self.run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "30", "stop")

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "-t", "30", "stop")
        shutil.rmtree(self.workdir, ignore_errors=True)

    def url(self, database: str = DATABASE) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def count(self, sql: str) -> int:
        link = psycopg2.connect(self.url())
        try:
            with link.cursor() as cursor:
                cursor.execute(sql)
                return cursor.fetchone()[0]
        finally:
            link.close()


def _environment(database_url: str) -> dict:
    """Production's environment (DEBUG off) with its DATABASE_URL."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_"))}
    return environment | {
        "DJANGO_SETTINGS_MODULE": "oncodir.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "s" * 60,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url,
        "DATABASE_CONNECT_TIMEOUT": "2",
        "CACHE_URL": "locmemcache://",
    }


def _manage(environment: dict, *command: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *command], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def app(tmp_path):
    """The cluster (migrated, seeded) and gunicorn on it: yields (cluster, base URL, seed, gunicorn's log)."""
    cluster = Cluster()
    (tmp_path / "outage_settings.py").write_text(SETTINGS)
    environment = _environment(cluster.url()) | {
        "DJANGO_SETTINGS_MODULE": "outage_settings",
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]),
    }
    server = None
    try:
        cluster.create()
        port = free_port()
        log = tmp_path / "gunicorn.log"
        with log.open("w") as output:  # it starts while the database is migrated: it reads it on requests only
            server = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "oncodir.wsgi:application", "--bind", f"127.0.0.1:{port}",
                 "--workers", "2", "--timeout", "30"],
                cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=output,
            )  # fmt: skip
        seed = json.loads(_manage(environment, "shell", "-c", MIGRATE_AND_SEED).strip().splitlines()[-1])
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz/live", timeout=1)  # noqa: S310 (our own test server)
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, log.read_text()
                time.sleep(0.1)
        yield cluster, base, seed, log
    finally:
        if server:
            server.terminate()
            server.wait(timeout=30)
        cluster.remove()


def request(url: str, *, body: dict | None = None, **headers: str) -> tuple[int, dict, bytes, float]:
    """One request as the proxy forwards it (HTTPS): status, headers, body and the seconds it took."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {"X-Forwarded-Proto": "https", **headers} | ({"Content-Type": "application/json"} if data else {})
    started = time.monotonic()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers), timeout=30) as answer:  # noqa: S310
            return answer.status, dict(answer.headers), answer.read(), time.monotonic() - started
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read(), time.monotonic() - started


@pytest.mark.slow
def test_database_restart_503_while_down_then_recovers_without_restarting_the_app(app):
    cluster, base, seed, log = app
    token = {"Authorization": f"Token {seed['token']}"}
    signed_in = {"Cookie": f"sessionid={seed['session']}"}
    reads = [
        (f"{base}/physicians/?q=Zimmermann", {}),  # a public page
        (f"{base}{seed['profile']}", {}),
        (f"{base}/api/v1/physicians/?q=Zimmermann", {}),  # a public API read
        (f"{base}/referrals/", signed_in),  # a signed-in page: the session is read by a middleware
        (f"{base}/api/v1/referrals/", token),  # an authenticated API read
        (f"{base}/fhir/Practitioner?name=Zimmermann", {}),  # a public FHIR search
        (f"{base}/fhir/ServiceRequest", token),  # a FHIR read of referrals
    ]
    # given the app serving, both workers holding a database connection (CONN_MAX_AGE)
    for _ in range(3):
        assert [request(url, **headers)[0] for url, headers in reads] == [200] * len(reads)
    referral = REFERRAL | {"oncologist_npi": seed["npi"]}
    # and a referral being written: its row inserted, its transaction waiting to write the referral's event
    blocker = psycopg2.connect(cluster.url())
    blocker.cursor().execute("LOCK TABLE referrals_referralevent IN SHARE MODE")  # lets reads, holds inserts
    midway = {}
    writer = threading.Thread(
        target=lambda: midway.update(answer=request(f"{base}/api/v1/referrals/", body=referral, **token))
    )
    writer.start()
    deadline = time.monotonic() + 20
    while not cluster.count(HALF_WRITTEN):
        assert time.monotonic() < deadline and writer.is_alive(), midway
        time.sleep(0.05)

    # when the database stops (a restart's first half: every session ended, the half-written one's too)
    cluster.stop()
    blocker.close()
    writer.join(timeout=30)
    answers = [request(url, **headers) for url, headers in reads]
    sent = request(f"{base}/api/v1/referrals/", body=referral, **token)
    ready, live = request(f"{base}/healthz/ready"), request(f"{base}/healthz/live")

    # then pages and API answer 503 within FAST seconds with Retry-After: pages the 503 page, the API its errors
    assert [(status, headers.get("Retry-After")) for status, headers, _, _ in answers] == [
        (503, str(UNAVAILABLE_RETRY_AFTER_SECONDS))
    ] * len(reads)
    assert max(seconds for *_, seconds in answers) < FAST, [seconds for *_, seconds in answers]
    for (url, _), (_, headers, body, _) in zip(reads, answers, strict=True):
        assert "no-store" in headers["Cache-Control"]
        if "/fhir/" in url:
            assert headers["Content-Type"].startswith("application/fhir+json")
            assert json.loads(body)["issue"][0]["code"] == "transient"
        elif "/api/" in url:
            assert json.loads(body) == {
                "errors": [{"field": None, "code": UNAVAILABLE_CODE, "message": UNAVAILABLE_MESSAGE}]
            }
        else:
            assert headers["Content-Type"].startswith("text/html")
            assert "<h1>OncoDir is briefly unavailable</h1>" in body.decode()
            assert "Sign in" in body.decode()  # the header drawn without the session: no database needed
    # and the referral cut off halfway is reported as failed
    assert midway["answer"][0] == 503 and json.loads(midway["answer"][2])["errors"][0]["code"] == UNAVAILABLE_CODE
    # and the referral sent meanwhile is refused as unavailable, as fast
    assert (sent[0], json.loads(sent[2])["errors"][0]["code"]) == (503, UNAVAILABLE_CODE) and sent[3] < FAST
    # and readiness says the database is down, liveness that the process serves
    assert ready[0] == 503 and json.loads(ready[2])["database"] == "down"
    assert live[0] == 200

    # when the database is back
    cluster.start()
    back = time.monotonic()
    while request(f"{base}/api/v1/physicians/?q=Zimmermann")[0] != 200:
        assert time.monotonic() - back < RECOVERY, log.read_text()[-3000:]
        time.sleep(0.1)
    recovered_in = time.monotonic() - back

    # then the same app answers again within RECOVERY seconds, every worker (their dead connections discarded)
    assert recovered_in < RECOVERY
    for _ in range(3):
        assert [request(url, **headers)[0] for url, headers in reads] == [200] * len(reads)
    assert request(f"{base}/healthz/ready")[0] == 200
    # and nothing of either refused referral was written: the one referral is the one sent again now
    assert cluster.count("SELECT count(*) FROM referrals_referral") == 0
    assert cluster.count("SELECT count(*) FROM referrals_referralevent") == 0
    resent = request(f"{base}/api/v1/referrals/", body=referral, **token)
    assert resent[0] == 201, resent[2]
    assert cluster.count("SELECT count(*) FROM referrals_referral WHERE patient_last_name = 'Outage'") == 1
    print(f"503 in at most {max(s for *_, s in answers):.3f} s; recovered {recovered_in:.2f} s after the restart")


@pytest.mark.slow
def test_a_database_that_accepts_but_never_answers_fails_within_the_connect_timeout():
    # given a database address that accepts connections and never answers (a hung server, a half-open proxy)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        environment = _environment(f"postgres://postgres@127.0.0.1:{silent.getsockname()[1]}/{DATABASE}")
        # when the app connects
        done = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", CONNECT],
            cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    # then it gives up after DATABASE_CONNECT_TIMEOUT seconds, not the operating system's minutes
    error, seconds = json.loads(done.stdout.strip().splitlines()[-1])
    assert error == "OperationalError"
    assert 2 <= seconds < 4


def _handled(path: str, error: Exception):
    """handler500's answer to `error`, called as Django calls it: while the exception is being handled."""
    try:
        raise error
    except Exception:
        return server_error(RequestFactory().get(path))


@pytest.mark.parametrize(
    ("path", "error", "status", "content_type"),
    [
        ("/physicians/", OperationalError("connection refused"), 503, "text/html"),
        ("/api/v1/physicians/", InterfaceError("connection already closed"), 503, "application/json"),
        ("/fhir/Practitioner", OperationalError("server closed the connection"), 503, "application/fhir+json"),
        ("/physicians/", ValueError("a bug"), 500, "text/html"),
        ("/api/v1/physicians/", KeyError("a bug"), 500, "text/html"),
    ],
    ids=["page", "api", "fhir", "a-bug-on-a-page", "a-bug-in-the-api"],
)
def test_only_a_database_that_cannot_serve_is_a_503(path, error, status, content_type):
    response = _handled(path, error)

    assert (response.status_code, response["Content-Type"].split(";")[0]) == (status, content_type)
    assert response.has_header("Retry-After") == (status == 503)
    if content_type == "application/fhir+json":
        assert json.loads(response.content) == {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": "transient", "diagnostics": UNAVAILABLE_MESSAGE}],
        }
