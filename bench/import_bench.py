"""Benchmark of import_nppes on a synthetic NPPES file in the current 330-column layout.

    .venv/bin/python bench/import_bench.py           # 1,000,000 rows
    .venv/bin/python bench/import_bench.py --quick   # 100,000 rows

Generates the file once into bench/out/ (git-ignored; about 1% of the rows carry an oncology code, every
value double-quoted, dates MM/DD/YYYY, organisations and deactivated NPIs mixed in), then measures in
the same run, on the same file: `wc -l`, a raw psycopg2 COPY of the matched rows into a scratch table, the
csv module parsing every field of 50,000 rows (this machine's speed, as the issue's targets assume one), the
first import (rows per second, peak memory of the import process), a re-import of the unchanged file
(which reads only the records the first import's scan found: apps.registry.pipeline.memo) and a re-import of the
same bytes after a `touch`, which scans the whole file again. Uses the database oncodir_bench_b, created and dropped here.
"""

import argparse
import csv
import itertools
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from apps.directory.validators import npi_with_check_digit  # noqa: E402
from apps.registry import layout  # noqa: E402

OUT = ROOT / "bench" / "out"
DATABASE = "oncodir_bench_b"
SERVER = "postgres://postgres@127.0.0.1:5432"
TARGET_ROWS_PER_SECOND = 300_000
# The issue sets the target on a machine where the csv module parses 180,000 of these rows a second; the
# same target on this machine is that many times this machine's own csv rate.
ISSUE_CSV_ROWS_PER_SECOND = 180_000
TARGET_PEAK_MB = 200

ONCOLOGY = ["207RX0202X", "207RH0003X", "2085R0001X", "207RH0000X", "2086X0206X", "207VX0201X", "2080P0207X"]
PHYSICIAN = ["207Q00000X", "207R00000X", "208D00000X", "207P00000X", "2084P0800X", "208600000X", "207X00000X"]
OTHER = ["363L00000X", "163W00000X", "225100000X", "367500000X", "1041C0700X", "390200000X", "183500000X"]
ORGANISATION = ["282N00000X", "261QM1300X", "332B00000X", "3336C0003X", "251E00000X"]
LAST = [
    "SMITH",
    "JOHNSON",
    "WILLIAMS",
    "BROWN",
    "JONES",
    "GARCIA",
    "MILLER",
    "DAVIS",
    "RODRIGUEZ",
    "MARTINEZ",
    "HERNANDEZ",
    "LOPEZ",
    "GONZALEZ",
    "WILSON",
    "ANDERSON",
    "THOMAS",
    "TAYLOR",
    "MOORE",
    "JACKSON",
    "MARTIN",
    "LEE",
    "PEREZ",
    "THOMPSON",
    "WHITE",
    "HARRIS",
    "SANCHEZ",
    "CLARK",
    "RAMIREZ",
    "LEWIS",
    "ROBINSON",
    "WALKER",
    "YOUNG",
    "ALLEN",
    "KING",
    "WRIGHT",
    "SCOTT",
    "TORRES",
    "NGUYEN",
    "HILL",
    "FLORES",
    "GREEN",
    "ADAMS",
    "NELSON",
    "BAKER",
    "HALL",
    "O'CONNOR",
    "VAN",
    "DER",
    "BERG",
    "PATEL",
    "SHAH",
    "CHEN",
    "WANG",
    "KOWALCZYK",
    "MUELLER",
    "SCHMIDT",
    "ROSSI",
    "DUBOIS",
]
FIRST = [
    "JAMES",
    "MARY",
    "ROBERT",
    "PATRICIA",
    "JOHN",
    "JENNIFER",
    "MICHAEL",
    "LINDA",
    "DAVID",
    "ELIZABETH",
    "WILLIAM",
    "BARBARA",
    "RICHARD",
    "SUSAN",
    "JOSEPH",
    "JESSICA",
    "THOMAS",
    "SARAH",
    "CHRISTOPHER",
    "KAREN",
    "PRIYA",
    "WEI",
    "MOHAMMED",
    "FATIMA",
    "ALEJANDRO",
    "SOFIA",
]
STREETS = [
    "MAIN ST",
    "OAK AVE",
    "WASHINGTON BLVD",
    "PARK AVE",
    "ELM ST",
    "MEDICAL CENTER DR",
    "HOSPITAL RD",
    "UNIVERSITY AVE",
    "1ST AVE",
    "BROADWAY",
    "MARKET ST",
    "LAKESHORE DR",
]
PLACES = [
    ("HARTFORD", "CT", "06105"),
    ("BOSTON", "MA", "02115"),
    ("PROVIDENCE", "RI", "02903"),
    ("NEW YORK", "NY", "10016"),
    ("HOUSTON", "TX", "77030"),
    ("SEATTLE", "WA", "98109"),
    ("CHICAGO", "IL", "60611"),
    ("MIAMI", "FL", "33136"),
    ("ROCHESTER", "MN", "55905"),
    ("LOS ANGELES", "CA", "90095"),
    ("DENVER", "CO", "80045"),
    ("ATLANTA", "GA", "30322"),
]


def _date(rng: random.Random, first_year: int, last_year: int) -> str:
    return f"{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/{rng.randint(first_year, last_year)}"


def _phone(rng: random.Random) -> str:
    return str(rng.randint(2012000000, 9899999999))


def generate(path: Path, rows: int, matched_path: Path, seed: int = 20241110) -> int:
    """Write `rows` records; the oncology ones also go to `matched_path`. Returns how many those are."""
    rng = random.Random(seed)
    header = layout.nppes_header(current=True)
    at = {name: index for index, name in enumerate(header)}
    width = len(header)
    matched = 0
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="") as out, matched_path.open("w", newline="") as side:
        out.write(",".join(f'"{name}"' for name in header) + "\r\n")
        for n in range(rows):
            values = [""] * width
            values[0] = npi_with_check_digit(str(100000000 + n * 8 + rng.randint(0, 7)))
            draw = rng.random()
            if draw < 0.02:  # a deactivated NPI: the number and the date, nothing else
                values[at[layout.DEACTIVATION_DATE]] = _date(rng, 2008, 2024)
                out.write('"' + '","'.join(values) + '"\r\n')
                continue
            city, state, zip5 = rng.choice(PLACES)
            organisation = draw > 0.8
            values[at[layout.ENTITY_TYPE]] = "2" if organisation else "1"
            if organisation:
                values[at["Provider Organization Name (Legal Business Name)"]] = (
                    f"{rng.choice(LAST)} {rng.choice(['MEDICAL GROUP, LLC', 'HOME HEALTH INC', 'PHARMACY'])}"
                )
                values[at["Authorized Official Last Name"]] = rng.choice(LAST)
                values[at["Authorized Official First Name"]] = rng.choice(FIRST)
                values[at["Authorized Official Title or Position"]] = "PRESIDENT"
                values[at["Authorized Official Telephone Number"]] = _phone(rng)
                values[at["Employer Identification Number (EIN)"]] = "<UNAVAIL>"
                codes = [rng.choice(ORGANISATION)]
            else:
                values[at[layout.LAST_NAME]] = rng.choice(LAST)
                values[at[layout.FIRST_NAME]] = rng.choice(FIRST)
                values[at[layout.MIDDLE_NAME]] = rng.choice(["", "", "A", "LEE", "MARIE", "J"])
                values[at[layout.CREDENTIALS]] = rng.choice(["MD", "M.D.", "DO", "NP", "PA-C", "RN", "MD, PHD"])
                values[at[layout.SEX_CODES[0]]] = rng.choice("MF")
                values[at["Is Sole Proprietor"]] = rng.choice("NNY")
                oncology = rng.random() < 0.0105
                pool = PHYSICIAN if rng.random() < 0.3 else OTHER
                codes = [rng.choice(ONCOLOGY)] if oncology else []
                codes += rng.sample(pool, rng.choice([1, 1, 1, 2, 3]))
                matched += oncology
            for first_column in (20, 28):  # mailing, then practice location address
                values[first_column] = f"{rng.randint(1, 99999)} {rng.choice(STREETS)}"
                values[first_column + 1] = rng.choice(["", "", "", f"SUITE {rng.randint(100, 999)}"])
                values[first_column + 2] = city
                values[first_column + 3] = state
                values[first_column + 4] = zip5 + f"{rng.randint(0, 9999):04d}"
                values[first_column + 5] = "US"
                values[first_column + 6] = _phone(rng)
                values[first_column + 7] = rng.choice(["", _phone(rng)])
            values[at[layout.ENUMERATION_DATE]] = _date(rng, 2005, 2020)
            values[at[layout.LAST_UPDATE_DATE]] = _date(rng, 2020, 2024)
            values[at[layout.CERTIFICATION_DATE]] = rng.choice(["", _date(rng, 2020, 2024)])
            for slot, code in enumerate(codes, start=1):
                values[at[layout.taxonomy_code(slot)]] = code
                values[at[f"Provider License Number_{slot}"]] = str(rng.randint(10000, 99999999))
                values[at[f"Provider License Number State Code_{slot}"]] = state
                values[at[layout.primary_switch(slot)]] = "Y" if slot == 1 else "N"
            for slot in range(1, rng.choice([1, 1, 2, 4]) + 1):
                values[at[f"Other Provider Identifier_{slot}"]] = str(rng.randint(100000, 99999999))
                values[at[f"Other Provider Identifier Type Code_{slot}"]] = rng.choice(["01", "05", "08"])
                values[at[f"Other Provider Identifier State_{slot}"]] = state
                values[at[f"Other Provider Identifier Issuer_{slot}"]] = rng.choice(["", "BCBS", "AETNA"])
            line = '"' + '","'.join(values) + '"\r\n'
            out.write(line)
            if values[at[layout.ENTITY_TYPE]] == "1" and any(code in ONCOLOGY for code in codes):
                side.write(line)
    tmp.replace(path)
    return matched


def _env() -> dict:
    return {**os.environ, "DATABASE_URL": f"{SERVER}/{DATABASE}", "DJANGO_SETTINGS_MODULE": "oncodir.settings"}


def _psql(sql: str) -> None:
    subprocess.run(["psql", f"{SERVER}/postgres", "-q", "-c", sql], check=True, capture_output=True)


def _timed_child(command: list[str]) -> tuple[float, float, str, float]:
    """Wall seconds, peak resident MB of that one child process, its output, and its CPU seconds."""
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = child.stdout.read().decode()
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{output}")
    return elapsed, usage.ru_maxrss / 1024, output.strip(), usage.ru_utime + usage.ru_stime


def raw_copy(matched_path: Path) -> float:
    """COPY the matched lines, as they are, into a 330-text-column scratch table."""
    import psycopg2

    connection = psycopg2.connect(f"{SERVER}/{DATABASE}")
    try:
        with connection.cursor() as cursor:
            columns = ", ".join(f"c{i} text" for i in range(330))
            cursor.execute(f"CREATE UNLOGGED TABLE bench_scratch ({columns})")
            connection.commit()
            started = time.perf_counter()
            with matched_path.open("rb") as handle:
                cursor.copy_expert("COPY bench_scratch FROM STDIN WITH (FORMAT csv)", handle)
            connection.commit()
            elapsed = time.perf_counter() - started
            cursor.execute("DROP TABLE bench_scratch")
            connection.commit()
    finally:
        connection.close()
    return elapsed


def csv_parse_rate(path: Path, rows: int = 50_000, runs: int = 3) -> float:
    """Rows per second of the csv module parsing every field of the file's first `rows` rows, the best of
    `runs`: the issue's yardstick for this machine's speed (about 180,000 a second on the machine it was
    written on)."""
    best = 0.0
    for _ in range(runs):
        started = time.perf_counter()
        with path.open(newline="", encoding="utf-8") as handle:
            parsed = sum(1 for _ in itertools.islice(csv.reader(handle), 1, rows + 1))
        best = max(best, parsed / (time.perf_counter() - started))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 rows instead of 1,000,000")
    parser.add_argument("--rows", type=int, help="any other number of rows")
    args = parser.parse_args()
    rows = args.rows or (100_000 if args.quick else 1_000_000)

    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"npidata_pfile_bench_{rows}.csv"
    matched_path = OUT / f"matched_bench_{rows}.csv"
    if not path.exists() or not matched_path.exists():
        started = time.perf_counter()
        matched = generate(path, rows, matched_path)
        print(f"generated {path.name}: {rows:,} rows, {matched:,} oncology, in {time.perf_counter() - started:.1f}s")
    size_mb = path.stat().st_size / 1e6
    matched = sum(1 for _ in matched_path.open("rb"))
    print(f"file: {path} ({size_mb:,.0f} MB, {rows:,} rows, {matched:,} oncology rows)")

    _psql(f"DROP DATABASE IF EXISTS {DATABASE}")
    _psql(f"CREATE DATABASE {DATABASE}")
    try:
        python = str(ROOT / ".venv" / "bin" / "python")
        subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=_env(), check=True)
        subprocess.run(["cat", str(path)], stdout=subprocess.DEVNULL, check=True)  # same page cache for all

        wc, _, _, _ = _timed_child(["wc", "-l", str(path)])
        copy = raw_copy(matched_path)
        csv_rate = csv_parse_rate(path)
        command = [python, "manage.py", "import_nppes", str(path), "--no-progress"]
        load = os.getloadavg()[0]
        first, first_mb, first_out, first_cpu = _timed_child(command)
        again, again_mb, again_out, again_cpu = _timed_child(command)
        os.utime(path)  # the same bytes, but no longer provably unchanged: scanned in full again
        touched, touched_mb, touched_out, _ = _timed_child(command)
        print(f"import output: {first_out}")
        print(f"re-import output: {again_out}")
        print(f"re-import of the touched file: {touched_out}")

        print(f"wc -l                       {wc:8.2f} s  {rows / wc:>12,.0f} rows/s")
        print(f"raw COPY of {matched:,} matched rows {copy:8.2f} s")
        print(f"csv module, every field     {csv_rate:>21,.0f} rows/s (first 50,000 rows, best of 3)")
        print(f"first import                {first:8.2f} s  {rows / first:>12,.0f} rows/s  peak {first_mb:,.0f} MB")
        print(f"re-import (unchanged)       {again:8.2f} s  {rows / again:>12,.0f} rows/s  peak {again_mb:,.0f} MB")
        print(
            f"re-import (touched)         {touched:8.2f} s  {rows / touched:>12,.0f} rows/s  peak {touched_mb:,.0f} MB"
        )
        print(
            f"import process CPU time      first {first_cpu:.2f} s ({rows / first_cpu:,.0f} rows per CPU second), "
            f"re-import {again_cpu:.2f} s; load average at start {load:.1f} on {os.cpu_count()} cores"
        )
        print(f"ratio import / wc -l        {first / wc:8.1f}")
        print(f"ratio import / raw COPY     {first / copy:8.1f}")
        print(f"ratio import / csv module   {rows / first / csv_rate:8.1f}x the rows per second")
        print(f"ratio re-import / import    {again / first:8.2f}")
        print(f"ratio touched / import      {touched / first:8.2f}")
        scaled = TARGET_ROWS_PER_SECOND * csv_rate / ISSUE_CSV_ROWS_PER_SECOND
        verdicts = [
            ("first import >= 300,000 rows/s", rows / first >= TARGET_ROWS_PER_SECOND),
            (
                f"first import >= 300,000 rows/s scaled to this machine's csv rate ({scaled:,.0f} rows/s)",
                rows / first >= scaled,
            ),
            ("peak memory < 200 MB", max(first_mb, again_mb, touched_mb) < TARGET_PEAK_MB),
            ("re-import < half the first import", again < first / 2),
        ]
        for label, ok in verdicts:
            print(f"target {label}: {'met' if ok else 'NOT met'}")
    finally:
        _psql(f"DROP DATABASE IF EXISTS {DATABASE}")


if __name__ == "__main__":
    csv.field_size_limit(1 << 20)
    main()
