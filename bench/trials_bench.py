"""Benchmark of import_trials on a generated ClinicalTrials.gov bulk zip (API v2 study JSON).

    .venv/bin/python bench/trials_bench.py           # 60,000 oncology studies, about 1,000,000 sites
    .venv/bin/python bench/trials_bench.py --quick   # 6,000 studies

Generates the zip once into bench/out/ (git-ignored; one NCTxxxxxxxx.json per study, indented as the
download is, with summaries and eligibility criteria of realistic length, 1 to 40 sites, a fifth abroad,
a tenth of US sites without geoPoint, investigators at a third of the sites), then measures in the same
run, on the same file: reading every member and json.loads of each (the baseline), the first import
(child process: wall time, peak memory), a re-import of the unchanged file, and the matching of the
investigators to a directory of generated physicians (separately); then /trials/ at that size: the view
against the raw SQL it sends, replayed in the same process (target p95 < 50 ms). Uses the database
oncodir_bench_trials, created and dropped here.
"""

import argparse
import json
import os
import random
import subprocess
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
DATABASE = "oncodir_bench_trials"
SERVER = "postgres://postgres@127.0.0.1:5432"
TARGET_RATIO = 3.0
TARGET_PEAK_MB = 300

CONDITIONS = [
    "Breast Cancer",
    "Non-small Cell Lung Cancer",
    "Colorectal Cancer",
    "Prostate Adenocarcinoma",
    "Pancreatic Ductal Adenocarcinoma",
    "Melanoma",
    "Acute Myeloid Leukemia",
    "Diffuse Large B-Cell Lymphoma",
    "Multiple Myeloma",
    "Glioblastoma",
    "Head and Neck Squamous Cell Carcinoma",
    "Ovarian Cancer",
    "Renal Cell Carcinoma",
    "Hepatocellular Carcinoma",
    "Solid Tumor, Adult",
]
MESHES = ["Breast Neoplasms", "Lung Neoplasms", "Colorectal Neoplasms", "Melanoma", "Lymphoma", "Leukemia"]
STATUSES = ["RECRUITING", "RECRUITING", "NOT_YET_RECRUITING", "ACTIVE_NOT_RECRUITING", "COMPLETED", "WITHDRAWN"]
US_PLACES = [
    ("Boston", "Massachusetts", "02215", 42.33, -71.10),
    ("New York", "New York", "10065", 40.76, -73.96),
    ("Houston", "Texas", "77030", 29.71, -95.40),
    ("Seattle", "Washington", "98109", 47.63, -122.34),
    ("Chicago", "Illinois", "60611", 41.89, -87.62),
    ("Miami", "Florida", "33136", 25.79, -80.21),
    ("Rochester", "Minnesota", "55905", 44.02, -92.47),
    ("Los Angeles", "California", "90095", 34.07, -118.44),
    ("Denver", "Colorado", "80045", 39.75, -104.84),
    ("Atlanta", "Georgia", "30322", 33.79, -84.32),
]
ABROAD = [
    ("Toronto", "Ontario", "M5G 1Z5", "Canada", 43.66, -79.39),
    ("Villejuif", None, "94805", "France", 48.79, 2.36),
    ("Kashiwa-shi", "Chiba", "277-8577", "Japan", None, None),
    ("Madrid", None, "28041", "Spain", 40.38, -3.69),
]
FIRST = ["Jane", "John", "Maria", "José", "Wei", "Aisha", "Robert", "Emily", "Ahmed", "Olga", "Li", "Sarah"]
FIRST += ["David", "Priya", "Michael", "Ana", "Kenji", "Fatima", "Peter", "Chloé", "Omar", "Ingrid", "Raj", "Noor"]
# 520 surnames (and two with accents): about 1.6 physicians per first-and-last name among 20,000, as in a real
# directory, where a handful of names is shared by many
LAST = [
    a + b
    for a in ("Al", "Ber", "Car", "Dal", "Esp", "Fer", "Gar", "Hol", "Ish", "Jan", "Kow", "Lin", "Mar")
    + ("Nak", "Oko", "Per", "Qui", "Ros", "San", "Tan", "Ul", "Var", "Wes", "Xu", "Yam", "Zel")
    for b in ("son", "ez", "ski", "ova", "ini", "berg", "ton", "ada", "ura", "ley", "ford", "ic", "oglu", "sen")
    + ("ard", "man", "etti", "ino", "ovic", "ani")
] + ["García", "Müller"]
CENTERS = ["Cancer Center", "University Hospital", "Medical Center", "Oncology Associates", "Research Institute"]
WORDS = [
    "patients",
    "with",
    "advanced",
    "disease",
    "will",
    "receive",
    "study",
    "treatment",
    "until",
    "progression",
    "or",
    "toxicity",
]


def _person(rng: random.Random) -> str:
    middle = rng.choice(["", "", " A.", " J."])
    return f"{rng.choice(['', 'Dr. '])}{rng.choice(FIRST)}{middle} {rng.choice(LAST)}, {rng.choice(['MD', 'MD, PhD', 'DO'])}"


def _site(rng: random.Random) -> dict:
    if rng.random() < 0.2:
        city, state, zip_code, country, lat, lon = rng.choice(ABROAD)
    else:
        city, state, zip_code, lat, lon = rng.choice(US_PLACES)
        country = "United States"
        if rng.random() < 0.1:
            lat = lon = None
    location = {"facility": f"{city} {rng.choice(CENTERS)}", "status": rng.choice(STATUSES[:5]), "city": city}
    if state:
        location["state"] = state
    location["zip"] = zip_code
    location["country"] = country
    if rng.random() < 0.33:
        location["contacts"] = [
            {"name": _person(rng), "role": "PRINCIPAL_INVESTIGATOR"},
            {"name": "Study Coordinator", "role": "CONTACT", "phone": "555-0100", "email": "trials@example.org"},
        ]
    if lat is not None:
        location["geoPoint"] = {"lat": lat + rng.random() / 10, "lon": lon + rng.random() / 10}
    return location


def _study(rng: random.Random, number: int) -> dict:
    conditions = rng.sample(CONDITIONS, rng.choice([1, 1, 2, 3]))
    text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(120, 400)))
    return {
        "protocolSection": {
            "identificationModule": {
                "nctId": f"NCT{number:08d}",
                "briefTitle": f"A Study of Drug {number} in {conditions[0]}",
                "officialTitle": f"A Phase 2, Open-label Study of Drug {number} in Participants With {conditions[0]}",
            },
            "statusModule": {
                "overallStatus": rng.choice(STATUSES),
                "startDateStruct": {"date": f"20{rng.randint(10, 25)}-0{rng.randint(1, 9)}", "type": "ACTUAL"},
                "completionDateStruct": {"date": f"20{rng.randint(26, 32)}-1{rng.randint(0, 2)}-15"},
            },
            "sponsorCollaboratorsModule": {"leadSponsor": {"name": f"Sponsor {number % 700}", "class": "INDUSTRY"}},
            "descriptionModule": {"briefSummary": text[: len(text) // 2]},
            "conditionsModule": {"conditions": conditions, "keywords": ["immunotherapy", "biomarker"]},
            "designModule": {
                "studyType": "INTERVENTIONAL",
                "phases": rng.choice([["PHASE1"], ["PHASE2"], ["PHASE1", "PHASE2"], ["PHASE3"]]),
                "enrollmentInfo": {"count": rng.randint(10, 900)},
            },
            "eligibilityModule": {
                "eligibilityCriteria": "Inclusion Criteria:\n\n* " + text,
                "minimumAge": "18 Years",
                "sex": rng.choice(["ALL", "ALL", "FEMALE"]),
            },
            "contactsLocationsModule": {
                "overallOfficials": [
                    {
                        "name": _person(rng),
                        "affiliation": f"{rng.choice(US_PLACES)[0]} Cancer Center",
                        "role": "PRINCIPAL_INVESTIGATOR",
                    }
                ],
                # 1 to 40 sites, about 16.5 on average: 60,000 studies hold about a million sites
                "locations": [_site(rng) for _ in range(min(40, max(1, int(rng.expovariate(1 / 16.5)))))],
            },
        },
        "derivedSection": {
            "conditionBrowseModule": {
                "meshes": [{"id": "D000001", "term": rng.choice(MESHES)}],
                "ancestors": [{"id": "D009369", "term": "Neoplasms"}],
            }
        },
    }


def generate(path: Path, studies: int, seed: int = 20261204) -> int:
    rng = random.Random(seed)
    sites = 0
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for number in range(1, studies + 1):
            document = _study(rng, 1_000_000 + number)
            sites += len(document["protocolSection"]["contactsLocationsModule"]["locations"])
            archive.writestr(f"NCT{1_000_000 + number:08d}.json", json.dumps(document, indent=2, ensure_ascii=False))
    tmp.replace(path)
    return sites


def baseline(path: Path) -> tuple[float, float]:
    """(seconds to read every member and json.loads it, of which json.loads alone)."""
    loads = 0.0
    started = time.perf_counter()
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            data = archive.read(info)
            at = time.perf_counter()
            json.loads(data)
            loads += time.perf_counter() - at
    return time.perf_counter() - started, loads


def _env() -> dict:
    return {**os.environ, "DATABASE_URL": f"{SERVER}/{DATABASE}", "DJANGO_SETTINGS_MODULE": "oncodir.settings"}


def _psql(sql: str, database: str = "postgres") -> str:
    done = subprocess.run(["psql", f"{SERVER}/{database}", "-qAt", "-c", sql], check=True, capture_output=True)
    return done.stdout.decode().strip()


def _timed_child(command: list[str]) -> tuple[float, float, str]:
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = child.stdout.read().decode()
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{output}")
    return elapsed, usage.ru_maxrss / 1024, output.strip()


def seed_physicians(count: int) -> None:
    """Physicians named from the same pools, each practising in one of the US places: some investigators
    have one candidate, many have several (the names repeat), so the matching does its full work."""
    states = {
        "Massachusetts": "MA",
        "New York": "NY",
        "Texas": "TX",
        "Washington": "WA",
        "Illinois": "IL",
        "Florida": "FL",
        "Minnesota": "MN",
        "California": "CA",
        "Colorado": "CO",
        "Georgia": "GA",
    }
    rng = random.Random(7)
    rows = []
    for n in range(count):
        city, state, zip_code, lat, lon = rng.choice(US_PLACES)
        rows.append(
            f"{9_000_000_000 + n}\t{rng.choice(FIRST)}\t{rng.choice(LAST)}\t{city}\t{states[state]}\t{zip_code}\t{lat}\t{lon}"
        )
    data = "\n".join(rows) + "\n"
    script = f"""
CREATE TEMP TABLE seed (npi text, first text, last text, city text, state text, zip text, lat float8, lon float8);
COPY seed FROM STDIN;
{data}\\.
INSERT INTO directory_physician (npi, first_name, middle_name, last_name, name_suffix, credentials, sex, bio, languages,
    telehealth, is_active, source, nppes_snapshot, created_at, updated_at)
SELECT npi, first, '', last, '', 'MD', '', '', '{{en}}', NULL, true, 'nppes', '{{}}', now(), now() FROM seed;
INSERT INTO directory_practicelocation (physician_id, name, address_line1, address_line2, city, state, zip_code, phone,
    latitude, longitude, accepting_new_patients, is_primary, created_at, updated_at)
SELECT p.id, '', '1 Main St', '', s.city, s.state, s.zip, '', s.lat, s.lon, NULL, true, now(), now()
FROM seed s JOIN directory_physician p ON p.npi = s.npi;
"""
    subprocess.run(
        ["psql", f"{SERVER}/{DATABASE}", "-q", "-v", "ON_ERROR_STOP=1"],
        input=script.encode(),
        check=True,
        capture_output=True,
    )


# The trials page at this size: the view (template included) against the raw SQL it sends, replayed in the same
# process. Target: p95 under 50 ms of server time.
TARGET_PAGE_P95_MS = 50.0
# With a cancer type (the case) and without one: around New York, a tenth of the generated US sites.
PAGE_SEARCHES = [
    "cancer=breast&near=10001&radius=25",
    "cancer=lung&near=60601&radius=50",
    "cancer=melanoma&near=10001&radius=100",
    "near=10001&radius=25",
]
PAGE_TIMER = """
import statistics, sys, time
import django
django.setup()
from django.db import connection
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from apps.trials.views import trial_list

factory = RequestFactory()
target = float(sys.argv[1])
for query in sys.argv[2:]:
    def view(query=query):
        request = factory.get(f"/trials/?{query}")
        request.user = AnonymousUser()  # a visitor not signed in: the page reads request.user (conditional GET)
        response = trial_list(request)
        assert response.status_code == 200, response.status_code
        return response
    for _ in range(5):
        view()
    with CaptureQueriesContext(connection) as captured:
        found = view().content.decode().count('trial-card"')
    statements = [q["sql"] for q in captured.captured_queries]
    views, raws = [], []
    for _ in range(30):
        started = time.perf_counter(); view(); views.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql); cursor.fetchall()
        raws.append((time.perf_counter() - started) * 1000)
    p95 = sorted(views)[int(0.95 * (len(views) - 1))]
    print(f"{query:38s} {found:3d} shown  view p50 {statistics.median(views):6.1f} ms  p95 {p95:6.1f} ms"
          f"  raw SQL p50 {statistics.median(raws):6.1f} ms  ratio {statistics.median(views) / statistics.median(raws):4.2f}x"
          f"  p95 {'meets' if p95 < target else 'MISSES'} the {target:g} ms target")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="6,000 studies instead of 60,000")
    parser.add_argument("--studies", type=int, help="any other number of studies")
    parser.add_argument("--physicians", type=int, default=20_000, help="directory physicians for the matching")
    args = parser.parse_args()
    studies = args.studies or (6_000 if args.quick else 60_000)

    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"ctgov_bench_{studies}.zip"
    if not path.exists():
        started = time.perf_counter()
        sites = generate(path, studies)
        print(f"generated {path.name}: {studies:,} studies, {sites:,} sites, in {time.perf_counter() - started:.1f}s")
    with zipfile.ZipFile(path) as archive:
        unpacked = sum(info.file_size for info in archive.infolist())
    print(f"file: {path} ({path.stat().st_size / 1e6:,.0f} MB zipped, {unpacked / 1e6:,.0f} MB of JSON)")

    _psql(f"DROP DATABASE IF EXISTS {DATABASE}")
    _psql(f"CREATE DATABASE {DATABASE}")
    try:
        python = str(ROOT / ".venv" / "bin" / "python")
        subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=_env(), check=True)
        seed_physicians(args.physicians)
        subprocess.run(["cat", str(path)], stdout=subprocess.DEVNULL, check=True)  # same page cache for all

        base, loads = baseline(path)
        command = [python, "manage.py", "import_trials", str(path), "--no-progress", "--no-match"]
        load = os.getloadavg()[0]
        first, first_mb, first_out = _timed_child(command)
        sites = int(_psql("SELECT count(*) FROM trials_site", DATABASE))
        people = int(_psql("SELECT count(*) FROM trials_investigator", DATABASE))
        again, again_mb, again_out = _timed_child(command)
        matched, matched_mb, matched_out = _timed_child([python, "manage.py", "match_investigators"])
        print(f"import output: {first_out}")
        print(f"re-import output: {again_out}")
        print(f"matching output: {matched_out}")
        print(
            f"written: {sites:,} sites, {people:,} people; load average at start {load:.1f} on {os.cpu_count()} cores"
        )
        print(f"read + json.loads every member {base:8.2f} s  (json.loads alone {loads:.2f} s)")
        print(
            f"first import                   {first:8.2f} s  {studies / first:>9,.0f} studies/s  {sites / first:>10,.0f} sites/s  peak {first_mb:,.0f} MB"
        )
        print(f"re-import (unchanged)          {again:8.2f} s  peak {again_mb:,.0f} MB")
        print(f"matching ({args.physicians:,} physicians)  {matched:8.2f} s  peak {matched_mb:,.0f} MB")
        print(f"ratio import / (read + json.loads)  {first / base:6.1f}")
        print(f"ratio import / json.loads alone     {first / loads:6.1f}")
        print(f"ratio re-import / import            {again / first:6.2f}")
        verdicts = [
            (f"import within {TARGET_RATIO:.0f}x of json.loads", first / loads <= TARGET_RATIO),
            (f"import within {TARGET_RATIO:.0f}x of read + json.loads", first / base <= TARGET_RATIO),
            (f"peak memory < {TARGET_PEAK_MB} MB", max(first_mb, again_mb) < TARGET_PEAK_MB),
        ]
        for label, ok in verdicts:
            print(f"target {label}: {'met' if ok else 'NOT met'}")
        _psql("VACUUM ANALYZE", DATABASE)
        print(f"/trials/ at this size ({studies:,} studies, {sites:,} sites), 30 runs after 5:")
        target = str(TARGET_PAGE_P95_MS)
        subprocess.run([python, "-c", PAGE_TIMER, target, *PAGE_SEARCHES], cwd=ROOT, env=_env(), check=True)
    finally:
        _psql(f"DROP DATABASE IF EXISTS {DATABASE}")


if __name__ == "__main__":
    main()
