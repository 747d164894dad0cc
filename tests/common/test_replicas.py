"""Read replicas (apps/common/replicas.py) against a real streaming replica: the test starts a small primary of
its own and a hot standby streaming from it, then runs the app in a process of its own with DATABASE_URL the
primary and DATABASE_REPLICA_URLS the standby. Pausing the standby's replay shows which database each read
used; each scenario also reports the databases its requests queried."""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psycopg2
import pytest
from django.http import HttpResponse

from apps.common.replicas import PIN_COOKIE, PinToPrimaryMiddleware, ReplicaRouter, pinned_to_primary, reading_from
from apps.directory.models import Physician
from tests.servers import ServerDirectory, create_database, free_port

ROOT = Path(__file__).resolve().parents[2]
DATABASE = "oncodir_replicas"
PIN_SECONDS = 2
TIMEOUT = 60

# Run in the app's process. `read_by(call)` is call()'s result and the databases its queries went to.
PRELUDE = """
import json, time
from contextlib import ExitStack
from django.db import connections
from django.test import Client
from apps.directory.changes import directory_version
from apps.directory.reference import reference_data

# Each run of the app is a process of its own: its factories' NPIs follow those of the runs before.
import itertools, tests.factories
from apps.directory.models import Physician
tests.factories._npi_stems = itertools.count(100000001 + Physician.objects.count())

def read_by(call):
    # The reference tables each process keeps are read from the primary (apps/directory/reference.py), when
    # the process has seen a newer version: loaded first, so the databases recorded are the request's own.
    directory_version()
    reference_data()
    used = set()
    def recorder(alias):
        def record(execute, sql, params, many, context):
            used.add(alias)
            return execute(sql, params, many, context)
        return record
    with ExitStack() as stack:
        for alias in connections:
            stack.enter_context(connections[alias].execute_wrapper(recorder(alias)))
        result = call()
    return result, sorted(used)

def replayed():
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        (lsn,) = cursor.fetchone()
    deadline = time.monotonic() + 30
    with connections["replica_0"].cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])
            if cursor.fetchone()[0]:
                return
            assert time.monotonic() < deadline, "the replica did not replay the primary's WAL in time"
            time.sleep(0.05)

def replay(*, paused):
    with connections["replica_0"].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()" if paused else "SELECT pg_wal_replay_resume()")

def version(alias):
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT number FROM directory_version")
        return cursor.fetchone()[0]

def shown(response, text):  # a result shows as a link to its profile (the query alone echoes its name)
    return [response.status_code, text in response.content.decode()]
"""

VISIBLE_ONCE_REPLAYED = """
from tests.factories import PhysicianFactory

from django.urls import resolve
from prometheus_client import REGISTRY

profile = PhysicianFactory(last_name="Quenby").get_absolute_url()
replayed()
db_seconds = lambda: REGISTRY.get_sample_value(  # noqa: E731
    "oncodir_http_request_db_seconds_sum", {"view": resolve("/physicians/").view_name}
) or 0.0
timed_before = db_seconds()
page, page_read_by = read_by(lambda: Client().get("/physicians/", {"q": "Quenby"}))
page_db_seconds = db_seconds() - timed_before
api, api_read_by = read_by(lambda: Client().get("/api/v1/physicians/", {"q": "Quenby"}))
print(json.dumps({
    "page": shown(page, profile), "page_read_by": page_read_by, "page_db_seconds": page_db_seconds,
    "api": [api.status_code, [p["last_name"] for p in api.json()["results"]]], "api_read_by": api_read_by,
}))
"""

PAUSED_REPLAY = """
from apps.referrals import services
from tests.factories import GPFactory, OncologistUserFactory, PhysicianFactory, cancer_type

replayed()
replay(paused=True)
try:
    profile = PhysicianFactory(last_name="Ulverston").get_absolute_url()
    page, page_read_by = read_by(lambda: Client().get("/physicians/", {"q": "Ulverston"}))
    fhir, fhir_read_by = read_by(lambda: Client().get("/fhir/Practitioner", {"name": "Ulverston"}))
    versions = {"primary": version("default"), "replica": version("replica_0")}

    gp = GPFactory()
    referral = services.referral_create(by=gp, oncologist=OncologistUserFactory().physician, submit=True, data={
        "patient_first_name": "Ada", "patient_last_name": "Quilliam", "patient_date_of_birth": "1961-03-14",
        "patient_phone": "212-555-0199", "cancer_type": cancer_type("lung"),
        "clinical_question": "Nodule on CT.", "patient_consent": True,
    })
    signed_in = Client()
    signed_in.force_login(gp)
    detail, detail_read_by = read_by(lambda: signed_in.get(f"/referrals/{referral.pk}/"))
    listed, listed_read_by = read_by(lambda: signed_in.get("/api/v1/referrals/"))
finally:
    replay(paused=False)
replayed()
again, again_read_by = read_by(lambda: Client().get("/physicians/", {"q": "Ulverston"}, headers={"if-none-match": page["ETag"]}))
print(json.dumps({
    "page": shown(page, profile), "page_read_by": page_read_by, "etag": page["ETag"],
    "fhir": [fhir.status_code, fhir.json()["total"]], "fhir_read_by": fhir_read_by, "versions": versions,
    "referral": shown(detail, "Quilliam"), "referral_read_by": detail_read_by,
    "referral_api": [listed.status_code, [r["reference"] for r in listed.json()["results"]]],
    "referral_api_read_by": listed_read_by, "reference": referral.reference,
    "after_replay": shown(again, profile), "after_replay_read_by": again_read_by,
}))
"""

PINNED_AFTER_A_WRITE = """
from django.conf import settings
from django.urls import reverse
from apps.directory.models import ListingProblem
from tests.factories import PhysicianFactory

REPORTED = "Someone has told us that part of this listing may be out of date"
physician = PhysicianFactory(last_name="Wetherby")
profile, report_form = physician.get_absolute_url(), reverse("directory:listing-report", args=[physician.npi])
replayed()
replay(paused=True)
try:
    reporter, stranger = Client(), Client()
    report = reporter.post(report_form, {"problem": ListingProblem.choices[0][0]})
    own, own_read_by = read_by(lambda: reporter.get(profile))
    other, other_read_by = read_by(lambda: stranger.get(profile))
    time.sleep(settings.DATABASE_REPLICA_PIN_SECONDS + 0.5)
    later, later_read_by = read_by(lambda: reporter.get(profile))
finally:
    replay(paused=False)
print(json.dumps({
    "report": report.status_code, "own": shown(own, REPORTED), "own_read_by": own_read_by,
    "other": shown(other, REPORTED), "other_read_by": other_read_by,
    "after_the_pin": shown(later, REPORTED), "after_the_pin_read_by": later_read_by,
}))
"""

UNREACHABLE_REPLICA = """
from tests.factories import PhysicianFactory

profile = PhysicianFactory(last_name="Yarrow").get_absolute_url()
page, page_read_by = read_by(lambda: Client().get("/physicians/", {"q": "Yarrow"}))
print(json.dumps({"page": shown(page, profile), "page_read_by": page_read_by, "primary": version("default"),
                  "etag": page["ETag"]}))
"""


class Servers(ServerDirectory):
    """A primary and its streaming standby in a directory of their own."""

    def __init__(self):
        super().__init__("oncodir-replicas-", timeout=TIMEOUT)
        self.primary_port, self.replica_port = free_port(), free_port()
        self.primary, self.replica = self.workdir / "primary", self.workdir / "replica"

    def start(self) -> None:
        self.run("initdb", "-D", str(self.primary), "-U", "postgres", "--auth=trust", "--no-sync")
        with open(self.primary / "postgresql.conf", "a") as conf:
            conf.write(
                f"port = {self.primary_port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.workdir}'\nwal_level = replica\nmax_wal_senders = 4\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nhot_standby = on\n"
            )
        with open(self.primary / "pg_hba.conf", "a") as hba:
            hba.write("host replication postgres 127.0.0.1/32 trust\n")
        self.run("pg_ctl", "-D", str(self.primary), "-l", str(self.workdir / "primary.log"), "-w", "-t", "30", "start")
        self.run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(self.primary_port), "-U", "postgres", "-D",
            str(self.replica), "-R", "-X", "stream", "-c", "fast", "--no-sync",
        )  # fmt: skip
        with open(self.replica / "postgresql.conf", "a") as conf:
            conf.write(f"port = {self.replica_port}\n")
        self.run("pg_ctl", "-D", str(self.replica), "-l", str(self.workdir / "replica.log"), "-w", "-t", "30", "start")
        deadline = time.monotonic() + TIMEOUT
        while True:  # pg_ctl -w waits for the standby to accept connections; the check says it is a standby
            try:
                link = psycopg2.connect(self.url(self.replica_port, "postgres"))
            except psycopg2.OperationalError:
                assert time.monotonic() < deadline, (self.workdir / "replica.log").read_text()
                time.sleep(0.1)
                continue
            try:
                with link.cursor() as cursor:
                    cursor.execute("SELECT pg_is_in_recovery()")
                    assert cursor.fetchone() == (True,)
                break
            finally:
                link.close()

    def stop(self) -> None:
        for data in (self.replica, self.primary):
            if (data / "postmaster.pid").exists():
                self.run("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "-t", "30", "stop")
        shutil.rmtree(self.workdir, ignore_errors=True)

    @staticmethod
    def url(port: int, database: str = DATABASE) -> str:
        return f"postgres://postgres@127.0.0.1:{port}/{database}"


@pytest.fixture(scope="module")
def servers():
    """The primary (with the app's database, migrated) and its hot standby, stopped and removed at the end."""
    servers = Servers()
    started = time.monotonic()
    try:
        servers.start()
        create_database(servers.url(servers.primary_port, "postgres"), DATABASE)
        servers.started_in = time.monotonic() - started
        _manage(servers, "migrate", "--no-input", "-v", "0")
        yield servers
    finally:
        servers.stop()


def _manage(servers, *command: str, replica_url: str | None = None) -> str:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_"))}
    env |= {
        "DJANGO_SETTINGS_MODULE": "oncodir.test_settings",
        "DATABASE_URL": servers.url(servers.primary_port),
        "DATABASE_REPLICA_URLS": replica_url or servers.url(servers.replica_port),
        "DATABASE_REPLICA_PIN_SECONDS": str(PIN_SECONDS),
    }
    done = subprocess.run(
        [sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT * 2
    )
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


def _run_app(servers, script: str, **kwargs) -> dict:
    output = _manage(servers, "shell", "-c", PRELUDE + script, **kwargs)
    lines = [line for line in output.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) | {"output": output}


def test_a_directory_write_is_public_once_the_replica_has_replayed_it(servers):
    # given a physician written on the primary, when the replica has replayed it
    seen = _run_app(servers, VISIBLE_ONCE_REPLAYED)
    # then the public page and API show it, and read it from the replica alone
    assert seen["page"] == [200, True]
    assert seen["page_read_by"] == ["replica_0"]
    assert seen["page_db_seconds"] > 0  # the request's database time counts the replica's
    assert seen["api"] == [200, ["Quenby"]]
    assert seen["api_read_by"] == ["replica_0"]


def test_with_replay_paused_public_reads_lag_but_referrals_read_the_primary(servers):
    # given the replica's replay paused, a physician written on the primary, and a GP's referral
    seen = _run_app(servers, PAUSED_REPLAY)
    # then the public page and FHIR search read the replica, which lacks the physician
    assert seen["page"] == [200, False]
    assert seen["page_read_by"] == ["replica_0"]
    assert seen["fhir"] == [200, 0]
    assert seen["fhir_read_by"] == ["replica_0"]
    # and the page's ETag is the version the replica has (what its body shows), not the primary's newer one
    assert seen["versions"]["replica"] < seen["versions"]["primary"]
    assert seen["etag"].startswith(f'W/"{seen["versions"]["replica"]}-')
    # while the GP reads the referral just created, on the primary
    assert seen["referral"] == [200, True]
    assert seen["referral_read_by"] == ["default"]
    assert seen["referral_api"] == [200, [seen["reference"]]]
    assert seen["referral_api_read_by"] == ["default"]
    # and once replayed, revalidating the lagging copy's ETag brings the physician (not a 304)
    assert seen["after_replay"] == [200, True]
    assert seen["after_replay_read_by"] == ["replica_0"]


def test_a_client_that_wrote_reads_the_primary_for_the_pin_seconds(servers):
    # given the replica's replay paused, a client reports a problem with a listing (a successful POST)
    seen = _run_app(servers, PINNED_AFTER_A_WRITE)
    assert seen["report"] == 302
    # then its next public read comes from the primary and shows its report
    assert seen["own"] == [200, True]
    assert seen["own_read_by"] == ["default"]
    # while another client reads the replica, which has not replayed it
    assert seen["other"] == [200, False]
    assert seen["other_read_by"] == ["replica_0"]
    # and when the pin has expired, the writer reads the replica again
    assert seen["after_the_pin"] == [200, False]
    assert seen["after_the_pin_read_by"] == ["replica_0"]


def test_an_unreachable_replica_falls_back_to_the_primary(servers):
    # given a replica URL nothing answers at
    nowhere = Servers.url(free_port())
    seen = _run_app(servers, UNREACHABLE_REPLICA, replica_url=nowhere)
    # then the public page reads the primary, version and data, and a warning says so
    assert seen["page"] == [200, True]
    assert seen["page_read_by"] == ["default"]
    assert seen["etag"].startswith(f'W/"{seen["primary"]}-')
    assert "Replica replica_0 unreachable, reading the primary" in seen["output"]


# The router's and the pin's decisions, without servers.


def _answered(status: int):
    return PinToPrimaryMiddleware(lambda request: HttpResponse(status=status))


@pytest.mark.parametrize(
    ("method", "status", "pinned"),
    [
        ("POST", 302, True),
        ("DELETE", 204, True),
        ("POST", 400, False),
        ("POST", 403, False),
        ("GET", 200, False),
        ("HEAD", 200, False),
    ],
    ids=["post-redirected", "delete-done", "post-refused", "post-forbidden", "get", "head"],
)
def test_only_a_successful_unsafe_request_pins_its_client(rf, method, status, pinned):
    response = _answered(status)(rf.generic(method, "/"))
    assert (PIN_COOKIE in response.cookies) is pinned


def test_the_pin_is_signed_and_lasts_the_pin_seconds(rf, settings):
    cookie = _answered(302)(rf.post("/")).cookies[PIN_COOKIE]
    assert cookie["max-age"] == settings.DATABASE_REPLICA_PIN_SECONDS
    assert cookie["httponly"] is True

    def read_with(value):
        request = rf.get("/physicians/")
        request.COOKIES[PIN_COOKIE] = value
        return request

    assert pinned_to_primary(read_with(cookie.value)) is True
    assert pinned_to_primary(read_with("1")) is False  # not signed
    assert pinned_to_primary(rf.get("/physicians/")) is False
    settings.DATABASE_REPLICA_PIN_SECONDS = 0
    assert pinned_to_primary(read_with(cookie.value)) is False  # expired


def test_outside_a_public_read_the_router_leaves_everything_on_the_primary():
    router = ReplicaRouter()
    assert reading_from() == "default"
    assert router.db_for_read(Physician) is None  # Django's default: the primary (or the instance's database)
    assert router.db_for_write(Physician) == "default"
    assert router.allow_migrate("default", "directory") is True
    assert router.allow_migrate("replica_0", "directory") is False
