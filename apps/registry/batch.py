"""Apply one batch of NPPES rows to the directory: decide per physician what changes, then write it with
COPY into temporary tables and set-based INSERT ... ON CONFLICT / UPDATE ... FROM statements.

A batch is idempotent: applied twice it writes nothing the second time, because a physician whose
registry values equal its `nppes_snapshot` and whose fields already hold their target values is not
touched. That is what makes an interrupted import safe to run again from the start.

A field a curator changed since the last import (its value differs from the snapshot's) keeps the
curator's value; when that differs from the registry's value the pair is listed as a KeptEdit.

Most physicians are unchanged from one file to the next, so each batch first asks which of them have
the record digest and the directory state the last import remembered (NppesRecord): those are
unchanged without being read or compared. Writes of related rows skip the directory's per-table
triggers (oncodir.bulk_load) and derive the search columns once per batch.
"""

import csv
import datetime
import hashlib
import io
import json
import re
from collections.abc import Callable, Container
from dataclasses import dataclass, field

from django.db import connection
from django.utils import timezone

from apps.directory.models import Physician, PracticeLocation

from .centroids import zip_centroid_text
from .models import KeptEdit, NppesRecord
from .reader import Row, Seen

PHYSICIAN_FIELDS = (
    "first_name",
    "middle_name",
    "last_name",
    "name_suffix",
    "credentials",
    "sex",
    "is_active",
    "deactivated_on",
    "reactivated_on",
    "enumerated_on",
    "nppes_updated_on",
)
STATUS_FIELDS = ("is_active", "deactivated_on", "reactivated_on")
LOCATION_FIELDS = ("address_line1", "address_line2", "city", "state", "zip_code", "phone")
SPECIALTY_FIELDS = ("specialties", "primary_specialty")
TRACKED_FIELDS = PHYSICIAN_FIELDS + LOCATION_FIELDS + SPECIALTY_FIELDS
DATE_FIELDS = frozenset({"deactivated_on", "reactivated_on", "enumerated_on", "nppes_updated_on"})
NULLABLE = DATE_FIELDS | {"latitude", "longitude"}  # the only columns _copy may be given None for
HISTORY_REASON = "NPPES import"

TEMP_TABLES = {
    "registry_tmp_physician": """
        npi varchar(10), first_name varchar(100), middle_name varchar(100), last_name varchar(100),
        name_suffix varchar(20), credentials varchar(100), sex varchar(1), is_active boolean,
        deactivated_on date, reactivated_on date, enumerated_on date, nppes_updated_on date,
        nppes_snapshot jsonb, id bigint, seen_updated_at timestamptz""",
    "registry_tmp_location": """
        id bigint, physician_npi varchar(10), address_line1 varchar(200), address_line2 varchar(200),
        city varchar(100), state varchar(2), zip_code varchar(10), phone varchar(30),
        latitude double precision, longitude double precision""",
    "registry_tmp_specialty": "physician_id bigint, specialty_id bigint, is_primary boolean",
    # New physicians with every tracked value: their snapshot is built from these columns.
    "registry_tmp_new": """
        npi varchar(10), first_name varchar(100), middle_name varchar(100), last_name varchar(100),
        name_suffix varchar(20), credentials varchar(100), sex varchar(1), is_active boolean,
        deactivated_on date, reactivated_on date, enumerated_on date, nppes_updated_on date,
        address_line1 varchar(200), address_line2 varchar(200), city varchar(100), state varchar(2),
        zip_code varchar(10), phone varchar(30), specialties text, primary_specialty text,
        latitude double precision, longitude double precision, specialty_ids bigint[]""",
}
# A new physician's snapshot, from registry_tmp_new: the same JSON as _json(registry_values(row, {})).
NEW_SNAPSHOT_SQL = "jsonb_build_object({})".format(", ".join(f"'{name}', {name}" for name in TRACKED_FIELDS))
# A new physician's derived columns, from registry_tmp_new: what directory_refresh_physicians() gives a
# physician with no related rows but the one primary location (accepting, unnamed, at its ZIP's
# centroid) and the specialties the import writes. Written by the INSERT itself, instead of a refresh
# that writes every new row a second time; tests/registry check that a refresh afterwards changes nothing.
NEW_DERIVED_COLUMNS = ("location_text", "accepting_new_patients", "geo_cells", "accepting_geo_cells", "specialty_ids")
NEW_DERIVED_SQL = """
    CASE WHEN address_line1 <> '' THEN directory_normalize(city) ELSE '' END,
    address_line1 <> '',
    CASE WHEN address_line1 <> '' THEN coalesce(directory_geo_cells(latitude, longitude), '{}') ELSE '{}' END,
    CASE WHEN address_line1 <> '' THEN coalesce(directory_geo_cells(latitude, longitude), '{}') ELSE '{}' END,
    specialty_ids"""


@dataclass
class BatchResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    reactivated: int = 0
    kept_edits: list = field(default_factory=list)
    created_npis: list = field(default_factory=list)


def _snapshot_value(name: str, value):
    """The JSON form of a field value, as stored in nppes_snapshot and compared with it."""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if value is None and name not in DATE_FIELDS:
        return ""
    return value


def registry_values(row: Row, previous: dict) -> dict:
    """What the registry says, in snapshot form. A status-only row (a deactivated NPI, blank otherwise)
    only speaks for the activity fields: the rest stay what the previous import recorded."""
    values = {
        "first_name": row.first_name,
        "middle_name": row.middle_name,
        "last_name": row.last_name,
        "name_suffix": row.name_suffix,
        "credentials": row.credentials,
        "sex": row.sex,
        "is_active": row.is_active,
        "deactivated_on": _iso(row.deactivated_on),
        "reactivated_on": _iso(row.reactivated_on),
        "enumerated_on": _iso(row.enumerated_on),
        "nppes_updated_on": _iso(row.nppes_updated_on),
        "address_line1": row.address_line1,
        "address_line2": row.address_line2,
        "city": row.city,
        "state": row.state,
        "zip_code": row.zip_code,
        "phone": row.phone,
        # All the row's codes, not only the imported ones, so the snapshot does not depend on --taxonomies.
        "specialties": " ".join(row.taxonomies),
        "primary_specialty": row.registry_primary,
    }
    if row.status_only:
        kept = {name: value for name, value in previous.items() if name not in STATUS_FIELDS}
        values = {**values, **kept}
    return values


def _iso(value: datetime.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _imported_view(values: dict, wanted: frozenset[str]) -> dict:
    """`values` (registry or snapshot form) with the specialty fields narrowed to the imported codes:
    those codes sorted, and the primary among them (the registry's, else the first listed)."""
    listed = [code for code in (values.get("specialties") or "").split() if code in wanted]
    primary = values.get("primary_specialty") or ""
    if primary not in listed:
        primary = listed[0] if listed else ""
    return {**values, "specialties": " ".join(sorted(listed)), "primary_specialty": primary}


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def ensure_temp_tables(cursor) -> None:
    for name, columns in TEMP_TABLES.items():
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} ({columns})")


def _copy(cursor, table: str, columns: list[str], rows: list[tuple]) -> None:
    """COPY rows of Python values (str, int, float, bool, dates; None only in NULLABLE columns) into a
    table, as CSV written by the csv module in C: every string quoted, so only a quoted empty value in a
    nullable column stands for NULL."""
    if not rows:
        return
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n").writerows(rows)
    buffer.seek(0)
    nullable = [name for name in columns if name in NULLABLE]
    force_null = f", FORCE_NULL ({', '.join(nullable)})" if nullable else ""
    cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv{force_null})", buffer)


def _array(values) -> str:
    """A PostgreSQL array literal of ints or strings, to pass as one parameter: PostgreSQL parses it in
    one go, where the ARRAY[...] psycopg2 writes for a list costs a node per element (about 90 ms instead
    of 18 for three arrays of 8,091 values)."""
    return "{" + ",".join(str(v) if isinstance(v, int) else _array_text(v) for v in values) + "}"


def _array_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _json(values: dict) -> str:
    return json.dumps(values, sort_keys=True)


def _history(cursor, model, where: str, params, history_type: str) -> None:
    """Record simple-history rows for rows written in bulk (the ORM's signals do not see COPY)."""
    history = model.history.model
    skip = {"history_id", "history_date", "history_change_reason", "history_type", "history_user"}
    columns = [f.column for f in history._meta.concrete_fields if f.name not in skip]
    listed = ", ".join(columns)
    cursor.execute(
        f"INSERT INTO {history._meta.db_table} ({listed}, history_date, history_change_reason, history_type, "  # noqa: S608
        f"history_user_id) SELECT {listed}, now(), %s, %s, NULL FROM {model._meta.db_table} WHERE {where}",
        [HISTORY_REASON, history_type, *params],
    )


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


def _unchanged_since_last_import(cursor, rows: list[Row]) -> set[str]:
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


def _new_state(values: dict) -> str:
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


def _remember(cursor, digests: dict[int, str], *, forget: set[int], created: dict[int, tuple[str, str]]) -> None:
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


def apply_batch(
    rows: list[Row | Seen],
    *,
    specialty_ids: dict[str, int],
    wanted: frozenset[str],
    run_id: int,
    dry_run: bool,
    known: Container[str] | None = None,
    parse: Callable[[Seen], Row | None] | None = None,
) -> BatchResult:
    """Write one batch (one row per NPI) inside the caller's transaction. `specialty_ids` maps every
    taxonomy code in the directory to its Specialty id; `wanted` are the codes this import manages: a
    physician's other specialties (and a primary among them) are a curator's, left as they are. `known`,
    when given, holds every NPI the directory may have: the ones it had when the import started and the
    ones the import created since. The others are new (one a curator adds meanwhile is left alone).
    A Seen row (a record read before, not parsed) that is not unchanged is given to `parse` for its Row."""
    result = BatchResult()
    with connection.cursor() as cursor:
        # Physicians whose record and whose tracked fields are both what the last import saw: nothing to
        # compare, nothing to write. The others are read and compared in full.
        listed = rows if known is None else [row for row in rows if row.npi in known]
        unchanged = _unchanged_since_last_import(cursor, listed) if listed else set()
        result.unchanged = len(unchanged)
        rows = [row for row in rows if row.npi not in unchanged]
        rows = [parsed for row in rows if (parsed := parse(row) if isinstance(row, Seen) else row) is not None]
        if rows:
            _compare_and_write(
                cursor,
                rows,
                result,
                specialty_ids=specialty_ids,
                wanted=wanted,
                run_id=run_id,
                dry_run=dry_run,
                known=known,
            )
    return result


def _compare_and_write(cursor, rows, result, *, specialty_ids, wanted, run_id, dry_run, known) -> None:
    now = timezone.now()
    stamp = now.isoformat()  # formatted once for COPY
    lookup = [row.npi for row in rows if known is None or row.npi in known]
    if lookup:
        cursor.execute(EXISTING_SQL, [_array(lookup)])
    existing = {}
    for record in cursor.fetchall() if lookup else ():
        current = dict(zip(("id", "npi", *PHYSICIAN_FIELDS, "snapshot"), record[:14], strict=True))
        current.update(
            zip(("location_id", *LOCATION_FIELDS, *SPECIALTY_FIELDS, "updated_at"), record[14:], strict=True)
        )
        codes = current["specialties"].split()
        current["other_specialties"] = [code for code in codes if code not in wanted]
        current["specialties"] = " ".join(code for code in codes if code in wanted)
        primary = current["primary_specialty"]
        current["other_primary"] = primary if primary and primary not in wanted else ""
        current["primary_specialty"] = "" if current["other_primary"] else primary
        existing[current["npi"]] = current

    new_physicians, new_locations, new_specialties = [], [], []
    changed_physicians, location_updates, specialty_sets = [], [], []
    conflicts: dict[tuple[int, str], tuple[str, str]] = {}
    reviewed_ids = []
    for row in rows:
        current = existing.get(row.npi)
        if current is None:
            if row.status_only:
                continue  # a deactivated NPI we never listed
            values = registry_values(row, {})
            new_physicians.append(
                values | {"npi": row.npi, "imported": _imported_view(values, wanted), "digest": row.digest}
            )
            result.created += 1
            continue
        previous = current["snapshot"]
        previous = (json.loads(previous) if isinstance(previous, str) else previous) or {}
        values = registry_values(row, previous or {n: _snapshot_value(n, current[n]) for n in TRACKED_FIELDS})
        registry = _imported_view(values, wanted)
        recorded = _imported_view(previous, wanted) if previous else {}
        target = {}
        for name in TRACKED_FIELDS:
            mine = _snapshot_value(name, current[name])
            if previous:
                edited = name in recorded and mine != recorded[name]
            else:  # never imported: what a curator typed in counts as an edit
                edited = (
                    mine not in ("", None)
                    and mine != registry[name]
                    and name not in DATE_FIELDS
                    and name not in STATUS_FIELDS
                )
            target[name] = mine if edited else registry[name]
            if edited and mine != registry[name]:
                conflicts[(current["id"], name)] = (_text(mine), _text(registry[name]))
        reviewed_ids.append(current["id"])
        physician_changed = any(target[n] != _snapshot_value(n, current[n]) for n in PHYSICIAN_FIELDS)
        location_changed = bool(target["address_line1"]) and any(
            target[n] != _snapshot_value(n, current[n]) for n in LOCATION_FIELDS
        )
        target_codes = [code for code in target["specialties"].split() if code in specialty_ids]
        if current["other_primary"]:
            target_primary = ""  # a curator made another specialty primary: that stays
        else:
            target_primary = target["primary_specialty"] if target["primary_specialty"] in target_codes else ""
            target_primary = target_primary or (target_codes[0] if target_codes else "")
        specialties_changed = " ".join(target_codes) != current["specialties"] or (
            target_primary != current["primary_specialty"]
        )
        if not (physician_changed or location_changed or specialties_changed or values != previous):
            result.unchanged += 1
            continue
        result.updated += 1
        if current["is_active"] and target["is_active"] is False:
            result.deactivated += 1
        elif current["is_active"] is False and target["is_active"] is True:
            result.reactivated += 1
        changed_physicians.append(
            target | {"id": current["id"], "npi": row.npi, "snapshot": values, "seen": current["updated_at"]}
        )
        if location_changed:
            location_updates.append((current, target))
        if specialties_changed:
            keep = current["other_specialties"]
            specialty_sets.append((current["id"], keep + target_codes, target_primary or current["other_primary"]))
    result.kept_edits = list(conflicts.items())
    if dry_run:
        return
    digests = {current["id"]: row.digest for row in rows if (current := existing.get(row.npi)) is not None}

    if not (new_physicians or changed_physicians):
        _write_kept_edits(cursor, reviewed_ids, conflicts, run_id=run_id, now=now)
        _remember(cursor, digests, forget={physician_id for physician_id, _ in conflicts}, created={})
        return
    ensure_temp_tables(cursor)
    cursor.execute("TRUNCATE registry_tmp_physician, registry_tmp_location, registry_tmp_specialty, registry_tmp_new")
    # Skip the per-table refresh triggers: a new physician's derived search columns are written by its
    # INSERT (NEW_DERIVED_SQL); those of a changed one whose locations or specialties this batch writes
    # are computed once, in one UPDATE, at the end.
    cursor.execute("SELECT set_config('oncodir.bulk_load', 'on', true)")
    physician_columns = ["npi", *PHYSICIAN_FIELDS, "nppes_snapshot"]

    # New physicians, then their locations and specialties (related rows after their physician).
    created = {}
    if new_physicians:
        new_rows = []
        for v in new_physicians:
            v["centroid"] = (zip_centroid_text(v["zip_code"]) if v["address_line1"] else None) or (None, None)
            primary = v["imported"]["primary_specialty"]
            # In the refresh's order: the primary first, then by id.
            order = sorted((code != primary, specialty_ids[code]) for code in v["imported"]["specialties"].split())
            new_rows.append((v["npi"], *(v[n] for n in TRACKED_FIELDS), *v["centroid"], _array([i for _, i in order])))
        _copy(
            cursor,
            "registry_tmp_new",
            ["npi", *TRACKED_FIELDS, "latitude", "longitude", "specialty_ids"],
            new_rows,
        )
        cursor.execute("SELECT set_config('oncodir.refreshing', 'on', true)")
        cursor.execute(
            f"""INSERT INTO directory_physician ({", ".join(physician_columns)}, bio, languages, telehealth,
                    source, created_at, updated_at, {", ".join(NEW_DERIVED_COLUMNS)})
                SELECT npi, {", ".join(PHYSICIAN_FIELDS)}, {NEW_SNAPSHOT_SQL}, '', '{{}}', false, %s, %s, %s,
                       {NEW_DERIVED_SQL}
                FROM registry_tmp_new ORDER BY npi
                ON CONFLICT (npi) DO NOTHING
                RETURNING npi, id""",  # noqa: S608
            [Physician.Source.NPPES, now, now],
        )
        # A physician a curator added meanwhile is left alone: the next import compares it.
        ids = dict(cursor.fetchall())
        cursor.execute("SELECT set_config('oncodir.refreshing', 'off', true)")
        result.created_npis = list(ids)
        created = {ids[v["npi"]]: (v["digest"], _new_state(v)) for v in new_physicians if v["npi"] in ids}
        result.created, result.unchanged = len(ids), result.unchanged + len(new_physicians) - len(ids)
        for values in new_physicians:
            physician_id = ids.get(values["npi"])
            if physician_id is None:
                continue
            if values["address_line1"]:
                new_locations.append((physician_id, values))
            imported = values["imported"]
            for code in imported["specialties"].split():
                new_specialties.append((physician_id, specialty_ids[code], code == imported["primary_specialty"]))
        _history(cursor, Physician, "id = ANY(%s::bigint[])", [_array(sorted(ids.values()))], "+")

    # Changed physicians: one UPDATE ... FROM for all of them.
    lost_ids = set()
    if changed_physicians:
        cursor.execute("TRUNCATE registry_tmp_physician")
        _copy(
            cursor,
            "registry_tmp_physician",
            [*physician_columns, "id", "seen_updated_at"],
            [
                (v["npi"], *(v[n] for n in PHYSICIAN_FIELDS), _json(v["snapshot"]), v["id"], v["seen"])
                for v in changed_physicians
            ],
        )
        # Only rows nobody saved since we read them: a curator's concurrent edit wins, and the next
        # import compares again. No row locks, so an unchanged physician is never written, not even
        # to lock it.
        assignments = ", ".join(f"{n} = t.{n}" for n in (*PHYSICIAN_FIELDS, "nppes_snapshot"))
        cursor.execute(
            f"UPDATE directory_physician p SET {assignments}, updated_at = %s "  # noqa: S608
            "FROM registry_tmp_physician t WHERE p.id = t.id AND p.updated_at = t.seen_updated_at "
            "RETURNING p.id",
            [now],
        )
        written = {physician_id for (physician_id,) in cursor.fetchall()}
        lost = len(changed_physicians) - len(written)
        result.updated, result.unchanged = result.updated - lost, result.unchanged + lost
        location_updates = [(current, target) for current, target in location_updates if current["id"] in written]
        specialty_sets = [entry for entry in specialty_sets if entry[0] in written]
        lost_ids = {v["id"] for v in changed_physicians} - written
        reviewed_ids = [physician_id for physician_id in reviewed_ids if physician_id not in lost_ids]
        _history(cursor, Physician, "id = ANY(%s::bigint[])", [_array(sorted(written))], "~")

    # Practice locations: new primary ones, and changed primary ones (new ZIP, new centroid).
    location_columns = ["address_line1", "address_line2", "city", "state", "zip_code", "phone"]
    inserts = [(pid, v) for pid, v in new_locations]
    updates = []
    for current, target in location_updates:
        if current["location_id"] is None:
            inserts.append((current["id"], target))
        else:
            updates.append((current, target))
    if inserts:
        rows_out = []
        for physician_id, v in inserts:
            lat, lng = v.get("centroid") or zip_centroid_text(v["zip_code"]) or (None, None)
            rows_out.append((physician_id, "", *(v[n] for n in location_columns), lat, lng, True, True, stamp, stamp))
        _copy(
            cursor,
            "directory_practicelocation",
            [
                "physician_id",
                "name",
                *location_columns,
                "latitude",
                "longitude",
                "accepting_new_patients",
                "is_primary",
                "created_at",
                "updated_at",
            ],
            rows_out,
        )
        _history(
            cursor,
            PracticeLocation,
            "is_primary AND physician_id = ANY(%s::bigint[])",
            [_array([physician_id for physician_id, _ in inserts])],
            "+",
        )
    if updates:
        rows_out = []
        for current, target in updates:
            if target["zip_code"][:5] != (current["zip_code"] or "")[:5]:
                lat, lng = zip_centroid_text(target["zip_code"]) or (None, None)
            else:
                lat = lng = None  # keep the coordinates the location has
            rows_out.append((current["location_id"], *(target[n] for n in location_columns), lat, lng))
        _copy(cursor, "registry_tmp_location", ["id", *location_columns, "latitude", "longitude"], rows_out)
        assignments = ", ".join(f"{n} = t.{n}" for n in location_columns)
        cursor.execute(
            f"""UPDATE directory_practicelocation l SET {assignments},
                    latitude = CASE WHEN t.zip_code IS DISTINCT FROM l.zip_code
                                    AND left(t.zip_code, 5) <> left(l.zip_code, 5)
                                    THEN t.latitude ELSE l.latitude END,
                    longitude = CASE WHEN t.zip_code IS DISTINCT FROM l.zip_code
                                     AND left(t.zip_code, 5) <> left(l.zip_code, 5)
                                     THEN t.longitude ELSE l.longitude END,
                    updated_at = %s
                FROM registry_tmp_location t WHERE l.id = t.id""",  # noqa: S608
            [now],
        )
        _history(cursor, PracticeLocation, "id IN (SELECT id FROM registry_tmp_location)", [], "~")

    # Specialties: new physicians' rows straight in; changed sets replaced row by row.
    for physician_id, codes, primary in specialty_sets:
        new_specialties.extend((physician_id, specialty_ids[code], code == primary) for code in codes)
    if specialty_sets:
        changed_ids = [physician_id for physician_id, _, _ in specialty_sets]
        changed = set(changed_ids)
        _copy(
            cursor,
            "registry_tmp_specialty",
            ["physician_id", "specialty_id", "is_primary"],
            [entry for entry in new_specialties if entry[0] in changed],
        )
        cursor.execute(
            """DELETE FROM directory_physicianspecialty ps WHERE ps.physician_id = ANY(%s::bigint[])
               AND NOT EXISTS (SELECT 1 FROM registry_tmp_specialty t
                               WHERE t.physician_id = ps.physician_id AND t.specialty_id = ps.specialty_id)""",
            [_array(changed_ids)],
        )
        cursor.execute(
            """UPDATE directory_physicianspecialty ps SET is_primary = false
               FROM registry_tmp_specialty t
               WHERE t.physician_id = ps.physician_id AND t.specialty_id = ps.specialty_id
                 AND ps.is_primary AND NOT t.is_primary"""
        )
        cursor.execute(
            """INSERT INTO directory_physicianspecialty (physician_id, specialty_id, is_primary)
               SELECT physician_id, specialty_id, is_primary FROM registry_tmp_specialty
               ORDER BY physician_id, specialty_id
               ON CONFLICT (physician_id, specialty_id) DO UPDATE SET is_primary = EXCLUDED.is_primary
               WHERE directory_physicianspecialty.is_primary IS DISTINCT FROM EXCLUDED.is_primary"""
        )
        new_specialties = [entry for entry in new_specialties if entry[0] not in changed]
    if new_specialties:
        _copy(cursor, "directory_physicianspecialty", ["physician_id", "specialty_id", "is_primary"], new_specialties)
    # New physicians were inserted with their derived columns: only the changed ones are refreshed.
    refresh_ids = {pid for pid, _ in inserts if pid not in created} | {current["id"] for current, _ in updates}
    refresh_ids.update(pid for pid, _, _ in specialty_sets)
    if refresh_ids:
        cursor.execute("SELECT directory_refresh_physicians(%s::bigint[])", [_array(sorted(refresh_ids))])
    cursor.execute("SELECT set_config('oncodir.bulk_load', 'off', true)")

    _write_kept_edits(cursor, reviewed_ids, conflicts, run_id=run_id, now=now)
    # A physician whose write lost to a curator's save is compared again next time, as is one with a
    # kept edit (so its review entry is refreshed).
    _remember(cursor, digests, forget=lost_ids | {physician_id for physician_id, _ in conflicts}, created=created)


def _write_kept_edits(cursor, physician_ids, conflicts, *, run_id, now) -> None:
    """Refresh the review list for the physicians of this batch: list new or changed conflicts, drop
    the ones that no longer are (the curator's value now equals the registry's)."""
    if not physician_ids:
        return
    table = KeptEdit._meta.db_table
    cursor.execute(
        f"SELECT physician_id, field, curator_value, registry_value FROM {table} WHERE physician_id = ANY(%s::bigint[])",  # noqa: S608
        [_array(physician_ids)],
    )
    listed = {(pid, name): (mine, theirs) for pid, name, mine, theirs in cursor.fetchall()}
    stale = [key for key in listed if key not in conflicts]
    fresh = [(key, pair) for key, pair in conflicts.items() if listed.get(key) != pair]
    if stale:
        cursor.execute(
            f"DELETE FROM {table} WHERE (physician_id, field) IN (SELECT * FROM unnest(%s::bigint[], %s::text[]))",  # noqa: S608
            [[pid for pid, _ in stale], [name for _, name in stale]],
        )
    if fresh:
        fresh.sort()
        cursor.execute(
            f"""INSERT INTO {table} (physician_id, field, curator_value, registry_value, import_run_id, detected_at,
                    resolved, resolved_at, resolved_by_id)
                SELECT pid, name, mine, theirs, %s, %s, false, NULL, NULL
                FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[]) AS t(pid, name, mine, theirs)
                ON CONFLICT (physician_id, field) DO UPDATE SET curator_value = EXCLUDED.curator_value,
                    registry_value = EXCLUDED.registry_value, import_run_id = EXCLUDED.import_run_id,
                    detected_at = EXCLUDED.detected_at, resolved = false, resolved_at = NULL,
                    resolved_by_id = NULL""",  # noqa: S608
            [
                run_id,
                now,
                [pid for (pid, _), _ in fresh],
                [name for (_, name), _ in fresh],
                [mine for _, (mine, _) in fresh],
                [theirs for _, (_, theirs) in fresh],
            ],
        )
