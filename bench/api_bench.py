"""API throughput: GET /api/v1/physicians/ under gunicorn against a trivial JSON view, in the same run.

    .venv/bin/python bench/api_bench.py            # 100,000 physicians, 20 s per endpoint
    .venv/bin/python bench/api_bench.py --quick    # 10,000 physicians, 5 s per endpoint

Builds (once, then reuses) the database oncodir_bench_d with `seed_demo --physicians N`, starts gunicorn
on 127.0.0.1 with the bench-only settings (bench/api_bench_settings.py adds the baseline view and turns
the rate limits off), drives each URL with 16 concurrent connections (Debian's `wrk` when installed,
otherwise a bounded Python load generator), prints requests per second and p95 latency for each and the
ratio to the baseline, then stops gunicorn. A second round restarts gunicorn with the app's public response
cache on (API_PUBLIC_SERVER_CACHE_SECONDS=30) and measures the main search again beside the baseline:
the figure for a popular repeated search, reported apart from the computed one.
Target: the search reaches at least half the baseline's rate.
Only loopback addresses are used, and every run is bounded in time.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
HOST, PORT = "127.0.0.1", 18474
DATABASE = "oncodir_bench_d"
SERVER = os.environ.get("BENCH_PG_SERVER", "postgres://postgres@127.0.0.1:5432")

# (label, path): what a client of the directory API typically asks.
SEARCHES = [
    ("search: specialty + ZIP radius", "/api/v1/physicians/?specialty=medical-oncology&near=10001&radius=25"),
    ("search: cancer + accepting + radius", "/api/v1/physicians/?cancer=breast&accepting=1&near=60601&radius=50"),
    ("search: name typo", "/api/v1/physicians/?q=smtih"),
    ("list: all, by name", "/api/v1/physicians/"),
]
TARGET_RATIO = 0.5

WRK_P95_SCRIPT = """
done = function(summary, latency, requests)
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


def manage(database: str, *args: str) -> str:
    return subprocess.run(
        [str(PYTHON), "manage.py", *args], cwd=ROOT, env=env_for(database), check=True, capture_output=True, text=True
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
        manage(DATABASE, "seed_demo", "--physicians", str(physicians))
        print(f"built in {time.perf_counter() - started:.0f} s", flush=True)
    subprocess.run(["psql", f"{SERVER}/{DATABASE}", "-qc", "VACUUM ANALYZE"], check=True)


def first_physician_pk() -> int:
    code = "from apps.directory.models import Physician; print(Physician.objects.active().order_by('pk')[0].pk)"
    return int(manage(DATABASE, "shell", "-c", code).strip().splitlines()[-1])


def start_gunicorn(workers: int, server_cache_seconds: int = 0) -> subprocess.Popen:
    env = env_for(DATABASE)
    env["API_PUBLIC_SERVER_CACHE_SECONDS"] = str(server_cache_seconds)
    process = subprocess.Popen(
        [
            str(GUNICORN),
            "oncodir.wsgi:application",
            "--bind",
            f"{HOST}:{PORT}",
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
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://{HOST}:{PORT}/healthz", timeout=2) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.3)
    stop(process)
    raise SystemExit("gunicorn did not answer /healthz within 30 s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def check(path: str) -> None:
    """Fail fast if an URL does not answer 200 with JSON: a benchmark of errors measures nothing."""
    with urllib.request.urlopen(f"http://{HOST}:{PORT}{path}", timeout=30) as response:
        body = response.read()
        if response.status != 200 or not body.startswith(b"{"):
            raise SystemExit(f"{path} answered {response.status}: {body[:200]!r}")


def run_wrk(label: str, path: str, seconds: int, connections: int) -> Result:
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
                f"http://{HOST}:{PORT}{path}",
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 60,
        ).stdout
    finally:
        os.unlink(script.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p95_ms = int(re.search(r"P95_US (\d+)", output).group(1)) / 1000
    errors = int(re.search(r"ERRORS (\d+)", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors += int(non_2xx.group(1)) if non_2xx else 0
    return Result(label, path, rps, p95_ms, errors)


def run_python(label: str, path: str, seconds: int, connections: int) -> Result:
    """Bounded fallback when wrk is missing: `connections` threads, each one keep-alive connection."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client() -> None:
        connection = http.client.HTTPConnection(HOST, PORT, timeout=10)
        local, failed = [], 0
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                connection.request("GET", path)
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
    return Result(label, path, len(latencies) / elapsed, p95, errors[0])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 physicians and 5 s per endpoint.")
    parser.add_argument("--physicians", type=int, help="Database size (default 100,000; 10,000 with --quick).")
    parser.add_argument("--seconds", type=int, help="Measured seconds per endpoint (default 20; 5 with --quick).")
    parser.add_argument("--connections", type=int, default=16, help="Concurrent connections (default 16).")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2: one per core).")
    parser.add_argument("--rebuild", action="store_true", help="Drop and rebuild the benchmark database.")
    args = parser.parse_args(argv)
    physicians = args.physicians or (10_000 if args.quick else 100_000)
    seconds = min(args.seconds or (5 if args.quick else 20), 120)
    warmup = 1 if args.quick else 3

    ensure_database(physicians, args.rebuild)
    baseline_path = f"/bench/trivial/{first_physician_pk()}/"
    load = run_wrk if shutil.which("wrk") else run_python
    print(
        f"{physicians:,} physicians; gunicorn {args.workers} sync workers on {HOST}:{PORT}; "
        f"{'wrk' if load is run_wrk else 'Python load generator'}, {args.connections} connections, {seconds} s each"
    )

    # Round 1: every request computed (the app's own response cache off, as by default).
    process = start_gunicorn(args.workers)
    try:
        targets = [("baseline: trivial JSON view, one pk query", baseline_path), *SEARCHES]
        for _, path in targets:
            check(path)
        results = []
        for label, path in targets:
            load(label, path, warmup, args.connections)
            results.append(load(label, path, seconds, args.connections))
    finally:
        stop(process)
    # Round 2: the same main search with API_PUBLIC_SERVER_CACHE_SECONDS=30 (a repeated popular search).
    process = start_gunicorn(args.workers, server_cache_seconds=30)
    try:
        label, path = SEARCHES[0]
        check(path)
        load(label, path, warmup, args.connections)
        cached = load(f"{label}, app cache 30 s", path, seconds, args.connections)
        load("baseline", baseline_path, warmup, args.connections)
        baseline_again = load("baseline: trivial JSON view (round 2)", baseline_path, seconds, args.connections)
    finally:
        stop(process)

    baseline = results[0]
    print(f"\n{'endpoint':50} {'req/s':>9} {'p95 ms':>8} {'errors':>7} {'vs baseline':>12}")
    for result in results:
        print(
            f"{result.label:50} {result.rps:9.0f} {result.p95_ms:8.1f} {result.errors:7d} {result.rps / baseline.rps:11.2f}x"
        )
    for result in (baseline_again, cached):
        print(
            f"{result.label:50} {result.rps:9.0f} {result.p95_ms:8.1f} {result.errors:7d} "
            f"{result.rps / baseline_again.rps:11.2f}x"
        )
    ratio = results[1].rps / baseline.rps
    cached_ratio = cached.rps / baseline_again.rps
    print(
        f"\nsearch (specialty + ZIP radius) / trivial view, computed every time: {ratio:.2f}; "
        f"with the app's 30 s response cache: {cached_ratio:.2f} (target >= {TARGET_RATIO})"
    )
    results += [baseline_again, cached]
    failed = [r for r in results if r.errors]
    if failed:
        print("errors during the run: " + ", ".join(f"{r.label} ({r.errors})" for r in failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
