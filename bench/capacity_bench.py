"""Capacity of one gunicorn sync worker per endpoint: requests per second, p50/p95 and the worker's memory.

    .venv/bin/python bench/capacity_bench.py            # 15 s per endpoint
    .venv/bin/python bench/capacity_bench.py --quick    # 3 s per endpoint

Uses the 100,000-physician database oncodir_bench_c_100k (built with seed_demo by api_bench.ensure_database when
missing). Starts gunicorn on 127.0.0.1 with the production settings as far as loopback allows: DEBUG off, a real
secret key, ALLOWED_HOSTS, Redis as the cache (CACHE_URL, database REDIS_DB), JSON request logs (to a file),
the metrics' multiprocess directory, the API rate limits on (their counters in Redis) but with a one-second
window high enough never to refuse the bench; no HTTPS redirect (no TLS proxy) and no app response cache
(API_PUBLIC_SERVER_CACHE_SECONDS=0, the default). The only addition is the trivial baseline view of
bench/api_bench_urls.py. Each request is computed: the clients send no If-None-Match, so no 304.

Round 1, ONE sync worker, CONNECTIONS connections (enough to keep one worker busy): each endpoint in turn, its
requests per second, p50 and p95, and the worker's VmRSS after its run, its growth over the first requests and
warm-up (what the endpoint loads once: "1st use") and during the measured run ("in run"), and the share of the
app's time on those requests spent waiting on the database (its /metrics histograms: "DB %"). Round 2, the
main endpoints again with one worker per core, to show how it scales. Every run is bounded in time.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import quote

import api_bench
from api_bench import HOST, PORT, Result, run_python, run_wrk, start_gunicorn, stop

DATABASE = "oncodir_bench_c_100k"
PHYSICIANS = 100_000
REDIS_DB = 13  # this bench's own Redis database: no other test or bench uses it
CONNECTIONS = 4  # per worker: one in service, three queued, so the worker is never idle
ZIP, RADIUS = "10001", 25
# One-second window: DRF keeps every request of the window in the history it reads and writes per request,
# so a per-minute limit high enough for the bench would make that list (and its cost) grow 60 times larger.
RATE = "1000000/second"
METRICS_DIR = os.path.join(tempfile.gettempdir(), "oncodir-capacity-bench-metrics")
LOG = Path(tempfile.gettempdir()) / "oncodir-capacity-bench.log"  # the app's JSON lines, written as in production


@dataclass
class Endpoint:
    label: str
    path: str
    headers: dict[str, str]
    main: bool  # measured again with one worker per core


@dataclass
class Measured:
    endpoint: Endpoint
    result: Result
    rss_mb: float  # the worker's VmRSS after the run (the largest worker's, with several)
    first_use_mb: float  # growth over the first requests and the warm-up: what the endpoint loads once
    growth_mb: float  # growth during the measured run: what it keeps adding
    db_share: float  # of the time the app spent on these requests, waiting on the database


def fixtures() -> dict[str, str]:
    """A profile's address, ZIP's centroid, and a signed-in GP: a session (as a browser has) and an API token."""
    code = """
from django.conf import settings
from django.test import Client
from rest_framework.authtoken.models import Token
from apps.accounts.models import User
from apps.directory.demo import DEMO_GP_EMAIL
from apps.directory.geo import zip_centroid
from apps.directory.models import Physician
gp = User.objects.get(email=DEMO_GP_EMAIL)
client = Client()
client.force_login(gp)  # a session row, as signing in makes (its idle clock started)
Token.objects.filter(user=gp).delete()  # a fresh token: one older than API_TOKEN_LIFETIME is refused
latitude, longitude = zip_centroid(ZIP)
print(Physician.objects.active().order_by("pk")[0].get_absolute_url(), latitude, longitude,
      settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value,
      Token.objects.create(user=gp).key)
"""
    line = api_bench.manage(DATABASE, "shell", "-c", f"ZIP = {ZIP!r}\n{code}").strip().splitlines()[-1]
    profile, latitude, longitude, cookie_name, session, token = line.split()
    cookie = f"{cookie_name}={session}"
    return {"profile": profile, "latitude": latitude, "longitude": longitude, "cookie": cookie, "token": token}


def endpoints(pk: int, found: dict[str, str]) -> list[Endpoint]:
    near = quote(f"{found['latitude']}|{found['longitude']}|{RADIUS}|[mi_i]", safe="")
    session = {"Cookie": found["cookie"]}
    token = {"Authorization": f"Token {found['token']}"}
    return [
        Endpoint("trivial view (baseline)", f"/bench/trivial/{pk}/", {}, True),
        Endpoint("home page", "/", {}, False),
        Endpoint("search page: specialty + ZIP", f"/physicians/?specialty=medical-oncology&near={ZIP}&radius={RADIUS}", {}, True),
        Endpoint("profile page", found["profile"], {}, True),
        Endpoint("API list", "/api/v1/physicians/", {}, False),
        Endpoint("API: specialty + ZIP radius", f"/api/v1/physicians/?specialty=medical-oncology&near={ZIP}&radius={RADIUS}", {}, True),
        Endpoint(
            "FHIR PractitionerRole near ZIP",
            f"/fhir/PractitionerRole?specialty=medical-oncology&location.near={near}&_count=20",
            {"Accept": "application/fhir+json"},
            True,
        ),
        Endpoint("trials page near ZIP", f"/trials/?near={ZIP}&radius={RADIUS}", {}, False),
        Endpoint("GP referral list page", "/referrals/", session, False),
        Endpoint("API referral list (token)", "/api/v1/referrals/", token, False),
    ]  # fmt: skip


def check(endpoint: Endpoint) -> None:
    """One GET that must answer 200: a redirect or an error would measure nothing (wrk counts a 3xx as done)."""
    connection = http.client.HTTPConnection(HOST, PORT, timeout=60)
    try:
        connection.request("GET", endpoint.path, headers=endpoint.headers)
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()
    if response.status != 200:
        raise SystemExit(f"{endpoint.label}: {endpoint.path} answered {response.status} (the app's log: {LOG})")


def served_seconds() -> tuple[float, float]:
    """From /metrics (loopback may read it): the seconds every request took, and their database share."""
    connection = http.client.HTTPConnection(HOST, PORT, timeout=60)
    try:
        connection.request("GET", "/metrics")
        text = connection.getresponse().read().decode()
    finally:
        connection.close()
    totals = {"oncodir_http_request_duration_seconds_sum": 0.0, "oncodir_http_request_db_seconds_sum": 0.0}
    for line in text.splitlines():
        name, _, value = line.partition("{")
        if name in totals:
            totals[name] += float(value.rsplit(" ", 1)[1])
    return tuple(totals.values())


def workers_of(master: subprocess.Popen) -> list[int]:
    """The gunicorn master's children: its workers."""
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    return [int(pid) for pid in children]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise SystemExit(f"no VmRSS for process {pid}")


def serve(workers: int, log: IO) -> subprocess.Popen:
    """gunicorn with the production settings (see the docstring); returns once its workers answer."""
    process = start_gunicorn(
        workers,
        output=log,
        DJANGO_SETTINGS_MODULE="bench.capacity_bench_settings",
        CACHE_URL=f"redis://127.0.0.1:6379/{REDIS_DB}",
        API_THROTTLE_ANON=RATE,
        API_THROTTLE_USER=RATE,
        DJANGO_LOG_FORMAT="json",
        DJANGO_LOG_LEVEL="INFO",
        PROMETHEUS_MULTIPROC_DIR=METRICS_DIR,
    )
    deadline = time.monotonic() + 60
    while len(workers_of(process)) < workers:
        if time.monotonic() > deadline:
            stop(process)
            raise SystemExit(f"gunicorn did not start {workers} workers within 60 s")
        time.sleep(0.2)
    for _ in range(4 * workers):  # each worker then has loaded the URLconf (every view's module), touching nothing
        check(Endpoint("liveness probe", "/healthz/live", {}, False))
    return process


def measure(
    process: subprocess.Popen, endpoint: Endpoint, seconds: int, warmup: int, connections: int, load
) -> Measured:
    pids = workers_of(process)
    fresh = {pid: rss_mb(pid) for pid in pids}
    served, database = served_seconds()
    check(endpoint)
    load(endpoint.label, endpoint.path, warmup, connections, PORT, endpoint.headers)
    before = {pid: rss_mb(pid) for pid in pids}
    result = load(endpoint.label, endpoint.path, seconds, connections, PORT, endpoint.headers)
    after = {pid: rss_mb(pid) for pid in pids}
    served_after, database_after = served_seconds()
    return Measured(
        endpoint,
        result,
        max(after.values()),
        max(before[pid] - fresh[pid] for pid in pids),
        max(after[pid] - before[pid] for pid in pids),
        (database_after - database) / (served_after - served),
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 s per endpoint (1 s warm-up).")
    parser.add_argument("--seconds", type=int, help="Measured seconds per endpoint (default 15; 3 with --quick).")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="Round 2's workers (one a core).")
    parser.add_argument("--database", default=DATABASE, help=f"The benchmark database (default {DATABASE}).")
    args = parser.parse_args(argv)
    seconds = min(args.seconds or (3 if args.quick else 15), 120)
    warmup = 1 if args.quick else 3
    api_bench.DATABASE = args.database  # start_gunicorn and manage read it

    api_bench.ensure_database(PHYSICIANS, rebuild=False)
    pk = api_bench.first_physician_pk()
    found = fixtures()
    # As the image's build does: with DEBUG off, pages name the static files' hashed copies from the manifest.
    api_bench.manage(args.database, "collectstatic", "--noinput")
    load = run_wrk if shutil.which("wrk") else run_python
    generator = "wrk" if load is run_wrk else "Python load generator"
    load_before = Path("/proc/loadavg").read_text().split()[:3]

    log = LOG.open("wb")
    Path(METRICS_DIR).mkdir(parents=True, exist_ok=True)  # gunicorn.conf.py empties it at each start
    single = serve(1, log)
    try:
        booted_mb = rss_mb(workers_of(single)[0])
        rows = [measure(single, e, seconds, warmup, CONNECTIONS, load) for e in endpoints(pk, found)]
        final_mb = rss_mb(workers_of(single)[0])
    finally:
        stop(single)
    several = serve(args.workers, log)
    try:
        main_rows = [
            measure(several, e, seconds, warmup, CONNECTIONS * args.workers, load)
            for e in endpoints(pk, found)
            if e.main
        ]
    finally:
        stop(several)
    log.close()
    shutil.rmtree(METRICS_DIR, ignore_errors=True)
    load_after = Path("/proc/loadavg").read_text().split()[:3]

    print(
        f"{PHYSICIANS:,} physicians ({args.database}); gunicorn sync workers on {HOST}:{PORT}, production settings "
        f"(DEBUG off, Redis cache db {REDIS_DB}, rate limits on, JSON logs); {generator}, {CONNECTIONS} connections "
        f"per worker, {seconds} s per endpoint after {warmup} s warm-up; no If-None-Match: every request computed.\n"
        f"{os.cpu_count()} CPUs; load average before {' '.join(load_before)}, after {' '.join(load_after)}"
    )
    baseline = rows[0].result.rps
    print(
        f"\nONE worker: VmRSS {booted_mb:.0f} MB after boot and /healthz/live, {final_mb:.0f} MB after every endpoint"
    )
    print(
        f"{'endpoint':34} {'req/s':>7} {'x trivial':>9} {'p50 ms':>7} {'p95 ms':>7} {'RSS MB':>7} "
        f"{'1st use':>8} {'in run':>7} {'DB %':>5}"
    )
    for row in rows:
        r = row.result
        print(
            f"{row.endpoint.label:34} {r.rps:7.0f} {r.rps / baseline:9.2f} {r.p50_ms:7.1f} {r.p95_ms:7.1f} "
            f"{row.rss_mb:7.0f} {row.first_use_mb:+8.1f} {row.growth_mb:+7.1f} {row.db_share:5.0%}"
        )
    single_rps = {row.endpoint.label: row.result.rps for row in rows}
    print(f"\n{args.workers} workers, {CONNECTIONS * args.workers} connections")
    print(f"{'endpoint':34} {'req/s':>7} {'x 1 worker':>10} {'p50 ms':>7} {'p95 ms':>7} {'RSS MB':>7} {'DB %':>5}")
    for row in main_rows:
        r = row.result
        print(
            f"{row.endpoint.label:34} {r.rps:7.0f} {r.rps / single_rps[row.endpoint.label]:10.2f} {r.p50_ms:7.1f} "
            f"{r.p95_ms:7.1f} {row.rss_mb:7.0f} {row.db_share:5.0%}"
        )
    failed = [row.result for row in [*rows, *main_rows] if row.result.errors]
    if failed:
        print("errors during the run: " + ", ".join(f"{r.label} ({r.errors})" for r in failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
