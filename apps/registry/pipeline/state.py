"""What the directory holds now, for the diff, and the import's memory of what it last saw (NppesRecord):
per physician, the digest of the record read and a digest of its tracked fields then. Most physicians
are unchanged from one file to the next, so each batch first asks which of them have the record digest
and the directory state the last import remembered: those are unchanged without being read or compared.
"""

import hashlib
import json
import re

from ..models import NppesRecord, SecondaryLocation
from .diff import CURRENT_FIELDS, LOCATION_FIELDS, PHYSICIAN_FIELDS, PhysicianLocations, location_key
from .parse import Row, Seen
from .sql import array_literal as _array

EXISTING_SQL = """
SELECT p.id, p.npi, p.first_name, p.middle_name, p.last_name, p.name_suffix, p.credentials, p.sex, p.is_active,
       p.deactivated_on, p.reactivated_on, p.enumerated_on, p.nppes_updated_on, p.nppes_snapshot,
       l.id, l.address_line1, l.address_line2, l.city, l.state, l.zip_code, l.phone,
       coalesce((SELECT string_agg(s.code, ' ' ORDER BY s.code) FROM directory_physicianspecialty ps
                 JOIN directory_specialty s ON s.id = ps.specialty_id WHERE ps.physician_id = p.id), ''),
       coalesce((SELECT s.code FROM directory_physicianspecialty ps JOIN directory_specialty s ON s.id = ps.specialty_id
                 WHERE ps.physician_id = p.id AND ps.is_primary), ''),
       p.updated_at
FROM directory_physician p
LEFT JOIN directory_practicelocation l ON l.physician_id = p.id AND l.is_primary
WHERE p.npi = ANY(%s::text[])
ORDER BY p.id
"""


def read_current(cursor, npis: list[str]) -> dict[str, dict]:
    """The physicians the directory has among `npis`, by NPI, each a dict of diff.CURRENT_FIELDS."""
    cursor.execute(EXISTING_SQL, [_array(npis)])
    return {record[1]: dict(zip(CURRENT_FIELDS, record, strict=True)) for record in cursor.fetchall()}


# The tracked fields as the directory holds them, digested, for the physicians of a CTE `b` (with `id`):
# the physician's, its primary location's, and every specialty code with the primary one. Computed in
# SQL both when an import remembers a physician and when the next one checks it, so equal means equal
# (a row's text form tells NULL from an empty string).
STATE_SQL = """
spec AS (
    SELECT ps.physician_id AS id, string_agg(s.code, ' ' ORDER BY s.code) AS codes,
           min(s.code) FILTER (WHERE ps.is_primary) AS primary_code
      FROM directory_physicianspecialty ps JOIN b ON b.id = ps.physician_id
      JOIN directory_specialty s ON s.id = ps.specialty_id
     GROUP BY ps.physician_id),
state AS (
    SELECT p.id, md5(row(
               p.first_name, p.middle_name, p.last_name, p.name_suffix, p.credentials, p.sex, p.is_active,
               p.deactivated_on, p.reactivated_on, p.enumerated_on, p.nppes_updated_on,
               l.address_line1, l.address_line2, l.city, l.state, l.zip_code, l.phone,
               spec.codes, spec.primary_code)::text) AS state
      FROM b JOIN directory_physician p ON p.id = b.id
      LEFT JOIN directory_practicelocation l ON l.physician_id = p.id AND l.is_primary
      LEFT JOIN spec ON spec.id = p.id)
"""


def unchanged_since_last_import(cursor, rows: list[Row | Seen]) -> set[str]:
    """NPIs of the rows whose record digest and whose physician's state are what an import remembered."""
    cursor.execute(
        f"""WITH given AS (SELECT * FROM unnest(%s::text[], %s::text[]) AS g(npi, digest)),
                 b AS (SELECT p.id, p.npi, r.state AS remembered
                         FROM given g JOIN directory_physician p ON p.npi = g.npi
                         JOIN {NppesRecord._meta.db_table} r ON r.physician_id = p.id AND r.digest = g.digest),
                 {STATE_SQL}
            SELECT b.npi FROM b JOIN state ON state.id = b.id WHERE state.state = b.remembered""",  # noqa: S608
        [_array([row.npi for row in rows]), _array([row.digest for row in rows])],
    )
    return {npi for (npi,) in cursor.fetchall()}


def new_state(values: dict) -> str:
    """STATE_SQL's digest of a physician this batch created from `values` (registry_values plus its
    imported view): the text PostgreSQL gives the same row, computed here to spare the query. Should it
    ever differ, the next import merely compares that physician in full, and remembers it from SQL."""
    imported = values["imported"]
    location = [values[name] for name in LOCATION_FIELDS] if values["address_line1"] else [None] * 6
    fields = [values[name] for name in PHYSICIAN_FIELDS] + location
    fields += [imported["specialties"] or None, imported["primary_specialty"] or None]
    # As record_out writes a row: NULL as nothing, booleans as t and f, and a value quoted (its quotes
    # and backslashes doubled) when it is empty or holds a quote, backslash, parenthesis, comma or space.
    parts = []
    for value in fields:
        if value is None:
            parts.append("")
        elif value is True or value is False:
            parts.append("t" if value else "f")
        elif value.isalnum() or (value and not _RECORD_QUOTED.search(value)):
            parts.append(value)
        else:
            parts.append('"' + value.replace("\\", "\\\\").replace('"', '""') + '"')
    text = "(" + ",".join(parts) + ")"
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


_RECORD_QUOTED = re.compile(r'[\s"\\(),]', re.ASCII)


def remember(cursor, digests: dict[int, str], *, forget: set[int], created: dict[int, tuple[str, str]]) -> None:
    """Remember the record digest and the state now in the directory of the physicians compared (`digests`
    by id), except those in `forget`, which the next import must compare in full; and those `created`
    by this batch, with the (digest, state) already known."""
    table = NppesRecord._meta.db_table
    if created:
        ids = sorted(created)
        cursor.execute(
            f"INSERT INTO {table} (physician_id, digest, state) SELECT * FROM unnest(%s::bigint[], %s::text[], %s::text[])",  # noqa: S608
            [
                _array(ids),
                _array([created[physician_id][0] for physician_id in ids]),
                _array([created[physician_id][1] for physician_id in ids]),
            ],
        )
    kept = sorted(physician_id for physician_id in digests if physician_id not in forget)
    if kept:
        cursor.execute(
            f"""WITH b AS (SELECT * FROM unnest(%s::bigint[], %s::text[]) AS b(id, digest)),
                     {STATE_SQL}
                INSERT INTO {table} (physician_id, digest, state)
                SELECT b.id, b.digest, state.state FROM b JOIN state ON state.id = b.id ORDER BY b.id
                ON CONFLICT (physician_id) DO UPDATE SET digest = EXCLUDED.digest, state = EXCLUDED.state
                WHERE ({table}.digest, {table}.state) IS DISTINCT FROM (EXCLUDED.digest, EXCLUDED.state)""",  # noqa: S608
            [_array(kept), _array([digests[physician_id] for physician_id in kept])],
        )
    dropped = sorted(physician_id for physician_id in forget if physician_id in digests)
    if dropped:
        cursor.execute(f"DELETE FROM {table} WHERE physician_id = ANY(%s::bigint[])", [_array(dropped)])  # noqa: S608


def read_locations(cursor, npis: list[str]) -> dict[str, PhysicianLocations]:
    """What the directory holds of the secondary locations of the physicians with these NPIs."""
    fields = ", ".join(f"l.{name}" for name in LOCATION_FIELDS)
    cursor.execute(
        f"""SELECT p.npi, p.id, l.id, s.snapshot, {fields}
            FROM directory_physician p
            LEFT JOIN directory_practicelocation l ON l.physician_id = p.id
            LEFT JOIN {SecondaryLocation._meta.db_table} s ON s.location_id = l.id
            WHERE p.npi = ANY(%s::text[]) ORDER BY p.npi, l.id""",  # noqa: S608
        [_array(npis)],
    )
    held: dict[str, PhysicianLocations] = {}
    for npi, physician_id, location_id, snapshot, *values in cursor.fetchall():
        physician = held.setdefault(npi, PhysicianLocations(physician_id))
        if location_id is None:
            continue
        now = dict(zip(LOCATION_FIELDS, values, strict=True))
        if snapshot is None:
            physician.others.add(location_key(now))
        else:
            snapshot = json.loads(snapshot) if isinstance(snapshot, str) else snapshot
            physician.imported.append((location_id, now, snapshot))
    return held
