"""API throughput: GET /api/v1/physicians/ under gunicorn against a minimal WSGI app and a trivial view, in one run.

    .venv/bin/python bench/api_bench.py            # 100,000 physicians, 20 s per endpoint
    .venv/bin/python bench/api_bench.py --quick    # 10,000 physicians, 5 s per endpoint

Builds (once, then reuses) the database oncodir_bench_d with `seed_demo --physicians N`. Then, in this
process, it runs each search once through Django's WSGI handler and records the SQL statements the API
sends (the page, each row with its locations and primary specialty, after the nearest-first walk of a
search by distance, with their parameters):
bench/api_bench_minimal.py, a plain WSGI function with psycopg2 and no
Django, replays them and builds the same JSON body (checked equal, the cursor links compared by what they
sign). In process, it times the API (Django's WSGI handler), the minimal app and the statements alone,
alternating, and reports their p50s. Then it starts gunicorn on 127.0.0.1 twice with the same settings:
the site with the bench-only settings (bench/api_bench_settings.py adds the trivial baseline view and
turns the rate limits off) and the minimal app; drives each URL with 16 concurrent connections (Debian's
`wrk` when installed, otherwise a bounded Python load generator), the API and the minimal app in turn for
each search, and prints requests per second, p95 latency and the ratios. A second round restarts the site
with the app's public response cache on (API_PUBLIC_SERVER_CACHE_SECONDS=30) and measures the main search
again beside the baseline: the figure for a popular repeated search, reported apart from the computed one.
Targets: each search reaches 0.6x the minimal app's rate; in process, the API's p50 is within 3 ms of
its statements' p50 (a 20-row page).
Only loopback addresses are used, and every run is bounded in time.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import pickle
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
HOST, PORT, MINIMAL_PORT = "127.0.0.1", 18474, 18475
DATABASE = "oncodir_bench_d"
SERVER = os.environ.get("BENCH_PG_SERVER", "postgres://postgres@127.0.0.1:5432")

# (label, path): what a client of the directory API typically asks.
SEARCHES = [
    ("search: specialty + ZIP radius", "/api/v1/physicians/?specialty=medical-oncology&near=10001&radius=25"),
    ("search: cancer + accepting + radius", "/api/v1/physicians/?cancer=breast&accepting=1&near=60601&radius=50"),
    ("search: name typo", "/api/v1/physicians/?q=smtih"),
    ("list: all, by name", "/api/v1/physicians/"),
]
TARGET_RATIO = 0.5  # the main search against the trivial view
TARGET_MINIMAL_RATIO = 0.6  # each search against the minimal app
TARGET_EXTRA_MS = 3.0  # in process: the API's p50 over its statements' p50

WRK_P95_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format("P50_US %d\\n", latency:percentile(50)))
  io.write(string.format("P95_US %d\\n", latency:percentile(95)))
  io.write(string.format("ERRORS %d\\n", summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout))
end
"""


@dataclass
class Result:
    label: str
    path: str
    rps: float
    p95_ms: float
    errors: int
    p50_ms: float = float("nan")


def env_for(database: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"{SERVER}/{database}",
        DJANGO_SETTINGS_MODULE="bench.api_bench_settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="bench-only-secret-key-not-for-any-deployment",  # noqa: S106
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_ALLOWED_HOSTS=HOST,
        DATABASE_CONN_MAX_AGE="600",
        PYTHONPATH=str(ROOT),
    )
    return env


def manage(database: str, *args: str, **env: str) -> str:
    return subprocess.run(
        [str(PYTHON), "manage.py", *args],
        cwd=ROOT,
        env={**env_for(database), **env},
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def physician_count(database: str) -> int | None:
    code = "from apps.directory.models import Physician; print(Physician.objects.count())"
    try:
        return int(manage(database, "shell", "-c", code).strip().splitlines()[-1])
    except (subprocess.CalledProcessError, ValueError, IndexError):
        return None


def ensure_database(physicians: int, rebuild: bool) -> None:
    psql = ["psql", f"{SERVER}/postgres", "-v", "ON_ERROR_STOP=1", "-qtAc"]
    exists = subprocess.run(
        [*psql, f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'"], capture_output=True, text=True
    )
    if rebuild or exists.stdout.strip() != "1":
        subprocess.run([*psql, f'DROP DATABASE IF EXISTS "{DATABASE}"'], check=True)
        subprocess.run([*psql, f'CREATE DATABASE "{DATABASE}"'], check=True)
    manage(DATABASE, "migrate", "--noinput")
    if physician_count(DATABASE) != physicians:
        print(f"building {DATABASE} with {physicians:,} physicians (seed_demo) ...", flush=True)
        started = time.perf_counter()
        subprocess.run([*psql, f'DROP DATABASE IF EXISTS "{DATABASE}"'], check=True)
        subprocess.run([*psql, f'CREATE DATABASE "{DATABASE}"'], check=True)
        manage(DATABASE, "migrate", "--noinput")
        # seed_demo runs only where DEMO_DATA (= DEBUG) is on; the served app runs with DEBUG off.
        manage(DATABASE, "seed_demo", "--physicians", str(physicians), DJANGO_DEBUG="true")
        print(f"built in {time.perf_counter() - started:.0f} s", flush=True)
    subprocess.run(["psql", f"{SERVER}/{DATABASE}", "-qc", "VACUUM ANALYZE"], check=True)


def first_physician_pk() -> int:
    code = "from apps.directory.models import Physician; print(Physician.objects.active().order_by('pk')[0].pk)"
    return int(manage(DATABASE, "shell", "-c", code).strip().splitlines()[-1])


def start_gunicorn(
    workers: int,
    server_cache_seconds: int = 0,
    *,
    app: str = "oncodir.wsgi:application",
    port: int = PORT,
    output: IO | None = None,
    **env: str,
) -> subprocess.Popen:
    """gunicorn on loopback; `output` takes its stdout and stderr (the app's log lines), the terminal by default."""
    env = {**env_for(DATABASE), "API_PUBLIC_SERVER_CACHE_SECONDS": str(server_cache_seconds), **env}
    process = subprocess.Popen(
        [
            str(GUNICORN),
            app,
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--backlog",
            "256",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=output,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=2):
                return process
        except OSError:
            time.sleep(0.3)
    stop(process)
    raise SystemExit(f"gunicorn ({app}) did not listen on {HOST}:{port} within 30 s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def fetch(path: str, port: int = PORT) -> bytes:
    """One GET, fail fast unless it answers 200 with JSON: a benchmark of errors measures nothing. Every app
    is asked with the site's Host, which the bodies' absolute links are built from."""
    request = urllib.request.Request(f"http://{HOST}:{port}{path}", headers={"Host": f"{HOST}:{PORT}"})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (http to loopback only)
        body = response.read()
        if response.status != 200 or not body.startswith(b"{"):
            raise SystemExit(f"{path} answered {response.status}: {body[:200]!r}")
    return body


def run_wrk(
    label: str, path: str, seconds: int, connections: int, port: int = PORT, headers: dict[str, str] | None = None
) -> Result:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_P95_SCRIPT)
    try:
        output = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{connections}",
                f"-d{seconds}s",
                "--timeout",
                "10s",
                "-s",
                script.name,
                *(f"-H{name}: {value}" for name, value in (headers or {}).items()),
                f"http://{HOST}:{port}{path}",
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 60,
        ).stdout
    finally:
        os.unlink(script.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50_ms = int(re.search(r"P50_US (\d+)", output).group(1)) / 1000
    p95_ms = int(re.search(r"P95_US (\d+)", output).group(1)) / 1000
    errors = int(re.search(r"ERRORS (\d+)", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors += int(non_2xx.group(1)) if non_2xx else 0
    return Result(label, path, rps, p95_ms, errors, p50_ms)


def run_python(
    label: str, path: str, seconds: int, connections: int, port: int = PORT, headers: dict[str, str] | None = None
) -> Result:
    """Bounded fallback when wrk is missing: `connections` threads, each one keep-alive connection."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client() -> None:
        connection = http.client.HTTPConnection(HOST, port, timeout=10)
        local, failed = [], 0
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers or {})
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    failed += 1
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
            except OSError:
                failed += 1
                connection.close()
            local.append(time.perf_counter() - started)
        with lock:
            latencies.extend(local)
            errors[0] += failed

    threads = [threading.Thread(target=client) for _ in range(connections)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 30)
    elapsed = time.perf_counter() - began
    p95 = statistics.quantiles(latencies, n=20)[18] * 1000 if len(latencies) >= 20 else float("nan")
    p50 = statistics.median(latencies) * 1000 if latencies else float("nan")
    return Result(label, path, len(latencies) / elapsed, p95, errors[0], p50)


# --- in process: the API's statements, the minimal app beside it ------------------------------------------


def django_setup() -> None:
    os.environ.update(env_for(DATABASE))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def wsgi_get(application, path: str) -> bytes:
    """GET `path` from a WSGI application in this process, as gunicorn would call it."""
    path_info, _, query = path.partition("?")
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path_info,
        "QUERY_STRING": query,
        "SCRIPT_NAME": "",
        "SERVER_NAME": HOST,
        "SERVER_PORT": str(PORT),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": f"{HOST}:{PORT}",
        "REMOTE_ADDR": HOST,
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    status = []
    response = application(environ, lambda code, headers, exc_info=None: status.append(code))
    try:
        body = b"".join(response)
    finally:
        if hasattr(response, "close"):
            response.close()
    if not status[0].startswith("200"):
        raise SystemExit(f"{path} answered {status[0]}: {body[:200]!r}")
    return body


def capture(handler) -> dict:
    """Each search's SQL as the API sends it (statements and parameters), for the minimal app to replay."""
    from django.conf import settings
    from django.db import connection

    from apps.common.pagination import CURSOR_SALT, KeysetPagination
    from apps.directory.reference import reference_data

    searches = {}
    for _, path in SEARCHES:
        wsgi_get(handler, path)  # the first request of a process also reads the reference tables
        statements = []

        def record(execute, sql, params, many, context, statements=statements):
            statements.append((sql, params))
            return execute(sql, params, many, context)

        with connection.execute_wrapper(record):
            body = json.loads(wsgi_get(handler, path))
        # The page is the last statement; a search by distance first walks the nearest locations (first_results).
        cursor = cursor_payload(body["next"])
        searches[path] = {
            "statements": statements,
            "page_size": body["page_size"],
            "fingerprint": cursor and cursor["s"],
            "keys": sorted(set(re.findall(rf'AS "({KeysetPagination.alias_prefix}\d+)"', statements[-1][0]))),
        }
    reference = reference_data()
    return {
        "dsn": f"{SERVER}/{DATABASE}",
        "secret_key": settings.SECRET_KEY,
        "time_zone": settings.TIME_ZONE,
        "cursor_salt": CURSOR_SALT,
        "specialties": {
            s.id: {"code": s.code, "display_name": s.display_name, "category": s.category}
            for s in reference.specialties
        },
        "cancer_types": [(c.id, c.slug, c.name) for c in reference.cancer_types],
        "searches": searches,
    }


def cursor_payload(link: str | None) -> dict | None:
    from django.core import signing

    from apps.common.pagination import CURSOR_SALT

    if link is None:
        return None
    return signing.loads(parse_qs(urlsplit(link).query)["cursor"][0], salt=CURSOR_SALT)


def same_body(api: bytes, minimal: bytes) -> bool:
    """Equal JSON; a cursor link is compared by what it signs (the signature holds the second it was made)."""

    def comparable(body: bytes) -> dict:
        data = json.loads(body)
        for name in ("next", "previous"):
            if data[name]:
                address = urlsplit(data[name])
                query = {k: v for k, v in parse_qs(address.query).items() if k != "cursor"}
                data[name] = (address.netloc, address.path, query, cursor_payload(data[name]))
        return data

    return comparable(api) == comparable(minimal)


@dataclass
class InProcess:
    label: str
    api_ms: float
    minimal_ms: float
    sql_ms: float
    api_cpu_ms: float  # this process's CPU time: the Python cost, steadier than wall time on a shared machine
    minimal_cpu_ms: float


def in_process(handler, runs: int, budget_seconds: float) -> list[InProcess]:
    """p50s of the API, the minimal app and the statements alone, taken in turn so noise hits all three."""
    import api_bench_minimal as minimal

    results = []
    for label, path in SEARCHES:
        search = minimal.state()["searches"][path]
        timings: dict[str, list[float]] = {"api": [], "minimal": [], "sql": [], "api_cpu": [], "minimal_cpu": []}
        steps = {
            "api": lambda path=path: wsgi_get(handler, path),
            "minimal": lambda path=path: wsgi_get(minimal.application, path),
            "sql": lambda search=search: minimal.run_statements(search),
        }
        deadline = time.monotonic() + budget_seconds
        for _ in range(runs):
            for name, step in steps.items():
                started, cpu = time.perf_counter(), time.process_time()
                step()
                timings[name].append((time.perf_counter() - started) * 1000)
                timings.get(f"{name}_cpu", []).append((time.process_time() - cpu) * 1000)
            if time.monotonic() > deadline:
                break
        p50 = {name: statistics.median(values) for name, values in timings.items()}
        results.append(InProcess(label, **{f"{name}_ms": value for name, value in p50.items()}))
    return results


def main(argv: list[str]) -> int:
    global DATABASE
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 physicians and 5 s per endpoint.")
    parser.add_argument("--physicians", type=int, help="Database size (default 100,000; 10,000 with --quick).")
    parser.add_argument("--seconds", type=int, help="Measured seconds per endpoint (default 20; 5 with --quick).")
    parser.add_argument("--connections", type=int, default=16, help="Concurrent connections (default 16).")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2: one per core).")
    parser.add_argument("--runs", type=int, default=200, help="In-process runs per search (default 200, 30 s at most).")
    parser.add_argument("--rebuild", action="store_true", help="Drop and rebuild the benchmark database.")
    parser.add_argument("--database", default=DATABASE, help=f"The benchmark database (default {DATABASE}).")
    args = parser.parse_args(argv)
    DATABASE = args.database
    physicians = args.physicians or (10_000 if args.quick else 100_000)
    seconds = min(args.seconds or (5 if args.quick else 20), 120)
    warmup = 1 if args.quick else 3

    ensure_database(physicians, args.rebuild)
    baseline_path = f"/bench/trivial/{first_physician_pk()}/"
    load = run_wrk if shutil.which("wrk") else run_python

    # In process: the API's statements, captured for the minimal app, then the three timed in turn.
    django_setup()
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connections

    handler = WSGIHandler()
    with tempfile.NamedTemporaryFile("wb", suffix=".pickle", delete=False) as statements_file:
        pickle.dump(capture(handler), statements_file)
    os.environ["BENCH_API_STATEMENTS"] = statements_file.name
    try:
        timed = in_process(handler, min(args.runs, 1000), budget_seconds=30)
        connections.close_all()
        print(
            f"{physicians:,} physicians; gunicorn {args.workers} sync workers on {HOST}:{PORT} (site) and "
            f":{MINIMAL_PORT} (minimal app); {'wrk' if load is run_wrk else 'Python load generator'}, "
            f"{args.connections} connections, {seconds} s each"
        )

        # Round 1: every request computed (the app's own response cache off, as by default).
        site = start_gunicorn(args.workers)
        minimal = start_gunicorn(
            args.workers,
            app="bench.api_bench_minimal:application",
            port=MINIMAL_PORT,
            BENCH_API_STATEMENTS=statements_file.name,
        )
        try:
            fetch(baseline_path)
            for label, path in SEARCHES:
                if not same_body(fetch(path), fetch(path, MINIMAL_PORT)):
                    raise SystemExit(f"{label}: the minimal app's body is not the API's")
            load("baseline", baseline_path, warmup, args.connections)
            results = [load("baseline: trivial JSON view, one pk query", baseline_path, seconds, args.connections)]
            pairs = []
            for label, path in SEARCHES:
                load(label, path, warmup, args.connections)
                api = load(label, path, seconds, args.connections)
                load(label, path, warmup, args.connections, MINIMAL_PORT)
                pairs.append((api, load(label, path, seconds, args.connections, MINIMAL_PORT)))
        finally:
            stop(site)
            stop(minimal)
    finally:
        os.unlink(statements_file.name)
    # Round 2: the same main search with API_PUBLIC_SERVER_CACHE_SECONDS=30 (a repeated popular search).
    process = start_gunicorn(args.workers, server_cache_seconds=30)
    try:
        label, path = SEARCHES[0]
        fetch(path)
        load(label, path, warmup, args.connections)
        cached = load(f"{label}, app cache 30 s", path, seconds, args.connections)
        load("baseline", baseline_path, warmup, args.connections)
        baseline_again = load("baseline: trivial JSON view (round 2)", baseline_path, seconds, args.connections)
    finally:
        stop(process)

    baseline = results[0]
    print("\nin process, p50 ms of a 20-row page: the API (Django's WSGI handler), the minimal app, its SQL alone")
    print(f"{'search':40} {'API':>7} {'minimal':>8} {'SQL':>7} {'API - SQL':>10} {'CPU: API':>9} {'minimal':>8}")
    for row in timed:
        print(
            f"{row.label:40} {row.api_ms:7.2f} {row.minimal_ms:8.2f} {row.sql_ms:7.2f} {row.api_ms - row.sql_ms:+10.2f} "
            f"{row.api_cpu_ms:9.2f} {row.minimal_cpu_ms:8.2f}"
        )
    print(
        f"\n{'under gunicorn':40} {'API req/s':>9} {'p95 ms':>7} {'minimal':>8} {'p95 ms':>7} {'API/min':>8} "
        f"{'API/trivial':>11}"
    )
    print(f"{baseline.label:40} {baseline.rps:9.0f} {baseline.p95_ms:7.1f}")
    for api, bare in pairs:
        print(
            f"{api.label:40} {api.rps:9.0f} {api.p95_ms:7.1f} {bare.rps:8.0f} {bare.p95_ms:7.1f} "
            f"{api.rps / bare.rps:7.2f}x {api.rps / baseline.rps:10.2f}x"
        )
    for result in (baseline_again, cached):
        print(
            f"{result.label:40} {result.rps:9.0f} {result.p95_ms:7.1f} {'':26} {result.rps / baseline_again.rps:10.2f}x"
        )
    worst = min(api.rps / bare.rps for api, bare in pairs)
    extra = max(row.api_ms - row.sql_ms for row in timed)
    print(
        f"\nAPI / minimal app, worst search: {worst:.2f} (target >= {TARGET_MINIMAL_RATIO}); in process, API p50 - SQL "
        f"p50, worst search: {extra:+.2f} ms (target <= +{TARGET_EXTRA_MS:.0f} ms)\n"
        f"search (specialty + ZIP radius) / trivial view, computed every time: {pairs[0][0].rps / baseline.rps:.2f}; "
        f"with the app's 30 s response cache: {cached.rps / baseline_again.rps:.2f} (target >= {TARGET_RATIO})"
    )
    everything = [*results, *(r for pair in pairs for r in pair), baseline_again, cached]
    failed = [r for r in everything if r.errors]
    if failed:
        print("errors during the run: " + ", ".join(f"{r.label} ({r.errors})" for r in failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
