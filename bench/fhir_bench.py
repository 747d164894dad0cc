"""FHIR benchmark: PractitionerRole?specialty=...&location.near=... against /api/v1/physicians/ with the same
filters (the baseline, measured in the same run): FHIR must cost at most 1.5x the API's time.

    .venv/bin/python bench/fhir_bench.py            # 100,000 physicians (builds the database once, then reuses it)
    .venv/bin/python bench/fhir_bench.py --quick    # 10,000 physicians
    .venv/bin/python bench/fhir_bench.py --drop     # drop the benchmark database afterwards

Data comes from `manage.py seed_demo --physicians N` into oncodir_bench_fhir_<size> on the server of
DATABASE_URL (default postgres://postgres@127.0.0.1:5432). Both endpoints are timed in one process through
Django's test client (the whole middleware stack, no network), interleaved so both see the same load; each
page is 20 results. The figure is the FHIR search's median time over the API's.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from search_bench import drop_database, ensure_database, percentile

ROOT = Path(__file__).resolve().parent.parent
SIZES = {"10k": 10_000, "100k": 100_000}
TARGET_RATIO = 1.5
ZIP = "10001"
RADIUS_MILES = 25
ACCEPT = {"api": "application/json", "fhir": "application/fhir+json"}  # what each one's clients ask for


def pairs(latitude: float, longitude: float) -> list[tuple[str, str, str, bool]]:
    """(label, API address, FHIR address, counts toward the target): the same filters through both."""
    near = f"{latitude}|{longitude}|{RADIUS_MILES}|[mi_i]"
    api = f"/api/v1/physicians/?specialty=medical-oncology&near={ZIP}&radius={RADIUS_MILES}&page_size=20"
    fhir = f"/fhir/PractitionerRole?specialty=medical-oncology&location.near={near}&_count=20"
    include = "&_include=PractitionerRole:practitioner&_include=PractitionerRole:location"
    api_broad, fhir_broad = (
        "/api/v1/physicians/?specialty=medical-oncology",
        "/fhir/PractitionerRole?specialty=medical-oncology",
    )
    return [
        ("specialty + near (the target)", api, fhir, True),
        ("... with _include practitioner+location", api, fhir + include, False),
        ("broad: specialty only, first page", api_broad, fhir_broad, False),
    ]


def measure(name: str, runs: int, warmup: int) -> None:
    from search_bench import database_url

    os.environ["DATABASE_URL"] = database_url(name)
    os.environ["DJANGO_SETTINGS_MODULE"] = "oncodir.test_settings"
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ.setdefault("DJANGO_SECRET_KEY", "fhir-bench-only")
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
    os.environ["API_THROTTLE_ANON"] = "100000000/minute"  # one client, thousands of requests: not a test of limits
    os.environ["API_PUBLIC_SERVER_CACHE_SECONDS"] = "0"
    os.environ["DJANGO_SECURE_SSL_REDIRECT"] = "false"  # plain HTTP in-process, as bench/api_bench.py
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.test import Client

    from apps.directory.geo import zip_centroid
    from apps.directory.models import Physician, PracticeLocation

    client = Client()
    physicians, locations = Physician.objects.count(), PracticeLocation.objects.count()
    print(f"\n=== {name}: {physicians:,} physicians, {locations:,} practice locations; {runs} runs after {warmup} ===")
    print(f"{'search':42} {'API p50':>8} {'API p95':>8} {'FHIR p50':>9} {'FHIR p95':>9} {'ratio':>6}")

    def once(address: str) -> float:
        started = time.perf_counter()
        response = client.get(address, headers={"Accept": ACCEPT[address.split("/")[1]]})
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, (address, response.content[:300])
        return elapsed * 1000

    verdicts = []
    for label, api, fhir, target in pairs(*zip_centroid(ZIP)):
        first = client.get(fhir, headers={"Accept": ACCEPT["fhir"]})
        assert first.status_code == 200, (first.status_code, first.content[:300])
        total = first.json()["total"]
        for _ in range(warmup):
            once(api), once(fhir)
        api_times, fhir_times = [], []
        for _ in range(runs):
            api_times.append(once(api))
            fhir_times.append(once(fhir))
        api_p50, fhir_p50 = statistics.median(api_times), statistics.median(fhir_times)
        ratio = fhir_p50 / api_p50
        print(
            f"{label:42} {api_p50:>6.1f}ms {percentile(api_times, 0.95):>6.1f}ms {fhir_p50:>7.1f}ms "
            f"{percentile(fhir_times, 0.95):>7.1f}ms {ratio:>5.2f}x   ({total:,} roles match)"
        )
        if target:
            verdicts.append(ratio <= TARGET_RATIO)
            verdict = "meets" if ratio <= TARGET_RATIO else "misses"
            print(f"{'':42} -> FHIR / API = {ratio:.2f}x {verdict} the {TARGET_RATIO}x target")
    if not all(verdicts):
        raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 physicians instead of 100,000")
    parser.add_argument("--runs", type=int, default=60, help="timed runs per endpoint (default 60)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed runs first (default 5)")
    parser.add_argument("--drop", action="store_true", help="drop the benchmark database at the end")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # internal: measure one database
    args = parser.parse_args()
    if args.measure:
        measure(args.measure, args.runs, args.warmup)
        return
    size = "10k" if args.quick else "100k"
    name = f"oncodir_bench_fhir_{size}"
    ensure_database(name, SIZES[size])
    code = subprocess.call(
        [sys.executable, __file__, "--measure", name, "--runs", str(args.runs), "--warmup", str(args.warmup)]
    )
    if args.drop:
        drop_database(name)
    sys.exit(code)


if __name__ == "__main__":
    main()
