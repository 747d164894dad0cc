"""The NUCC Health Care Provider Taxonomy code set, read from its CSV and written into Specialty."""

import csv
import re
from pathlib import Path

from django.db import connection

from .models import ImportRun

TAXONOMY_CODE = re.compile(r"[0-9]{3}[0-9A-Z]{6}X")
NUCC_COLUMNS = ("Code", "Grouping", "Classification", "Specialization", "Display Name")

Entry = tuple[str, str, str, str]  # display name, grouping, classification, specialization


class NuccFileError(Exception):
    """The file is not a NUCC taxonomy CSV."""


def read_entries(run: ImportRun, path: Path) -> dict[str, Entry]:
    """{code: entry} of every valid code in the file; counts what it read and rejected into `run`."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [name for name in NUCC_COLUMNS if name not in (reader.fieldnames or [])]
        if missing:
            raise NuccFileError(f"Not a NUCC taxonomy file: no column {', '.join(missing)}.")
        entries = {}
        for row in reader:
            run.read += 1
            code = (row["Code"] or "").strip().upper()
            if not TAXONOMY_CODE.fullmatch(code):
                run.rejected += 1
                continue
            classification = (row["Classification"] or "").strip()
            specialization = (row["Specialization"] or "").strip()
            display = (row["Display Name"] or "").strip() or " - ".join(
                part for part in (classification, specialization) if part
            )
            entries[code] = (
                display[:200],
                (row["Grouping"] or "").strip()[:200],
                classification[:200],
                specialization[:200],
            )
    return entries


def write_entries(run: ImportRun, entries: dict[str, Entry]) -> None:
    """Insert new codes (with no category) and update changed ones, inside the caller's transaction."""
    run.matched = len(entries)
    with connection.cursor() as cursor:
        cursor.execute("SELECT code, display_name, grouping, classification, specialization FROM directory_specialty")
        current = {code: tuple(rest) for code, *rest in cursor.fetchall()}
        created = [code for code in entries if code not in current]
        changed = [code for code in entries if code in current and current[code] != entries[code]]
        for codes, counter in ((created, "created"), (changed, "updated")):
            if not codes:
                continue
            codes.sort()
            cursor.execute(
                """INSERT INTO directory_specialty (code, display_name, grouping, classification, specialization,
                        category)
                   SELECT * , '' FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::text[])
                   ON CONFLICT (code) DO UPDATE SET display_name = EXCLUDED.display_name,
                       grouping = EXCLUDED.grouping, classification = EXCLUDED.classification,
                       specialization = EXCLUDED.specialization""",
                [codes, *([entries[code][i] for code in codes] for i in range(4))],
            )
            setattr(run, counter, len(codes))
    run.unchanged = len(entries) - run.created - run.updated
