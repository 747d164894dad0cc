"""Apply one batch of NPPES rows to the directory: decide per physician what changes, then write it with
COPY into temporary tables and set-based INSERT ... ON CONFLICT / UPDATE ... FROM statements.

A batch is idempotent: applied twice it writes nothing the second time, because a physician whose
registry values equal its `nppes_snapshot` and whose fields already hold their target values is not
touched. That is what makes an interrupted import safe to run again from the start.

A field a curator changed since the last import (its value differs from the snapshot's) keeps the
curator's value; when that differs from the registry's value the pair is listed as a KeptEdit.
"""

import datetime
import io
import json
from dataclasses import dataclass, field

from django.db import connection
from django.utils import timezone

from apps.directory.models import Physician, PracticeLocation

from .centroids import zip_centroid
from .models import KeptEdit
from .reader import Row

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
}


@dataclass
class BatchResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    reactivated: int = 0
    kept_edits: list = field(default_factory=list)


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
    values = {name: _snapshot_value(name, getattr(row, name)) for name in PHYSICIAN_FIELDS + LOCATION_FIELDS}
    # All the row's codes, not only the imported ones, so the snapshot does not depend on --taxonomies.
    values["specialties"] = " ".join(row.taxonomies)
    values["primary_specialty"] = row.registry_primary
    if row.status_only:
        kept = {name: value for name, value in previous.items() if name not in STATUS_FIELDS}
        values = {**values, **kept}
    return values


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
    """COPY rows (Python values) into a table, in PostgreSQL's text format."""
    if not rows:
        return
    buffer = io.StringIO()
    for row in rows:
        out = []
        for value in row:
            if value is None:
                out.append("\\N")
            elif isinstance(value, bool):
                out.append("t" if value else "f")
            elif isinstance(value, dict):
                out.append(_escape(json.dumps(value, sort_keys=True)))
            else:
                out.append(_escape(str(value)))
        buffer.write("\t".join(out))
        buffer.write("\n")
    buffer.seek(0)
    cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)


def _escape(text: str) -> str:
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


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
WHERE p.npi = ANY(%s)
ORDER BY p.id
"""


def apply_batch(
    rows: list[Row], *, specialty_ids: dict[str, int], wanted: frozenset[str], run_id: int, dry_run: bool
) -> BatchResult:
    """Write one batch (one row per NPI) inside the caller's transaction. `specialty_ids` maps every
    taxonomy code in the directory to its Specialty id; `wanted` are the codes this import manages: a
    physician's other specialties (and a primary among them) are a curator's, left as they are."""
    result = BatchResult()
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(EXISTING_SQL, [[row.npi for row in rows]])
        existing = {}
        for record in cursor.fetchall():
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
                new_physicians.append(values | {"npi": row.npi, "imported": _imported_view(values, wanted)})
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
            return result

        if not (new_physicians or changed_physicians):
            _write_kept_edits(cursor, reviewed_ids, conflicts, run_id=run_id, now=now)
            return result
        ensure_temp_tables(cursor)
        cursor.execute("TRUNCATE registry_tmp_physician, registry_tmp_location, registry_tmp_specialty")
        physician_columns = ["npi", *PHYSICIAN_FIELDS, "nppes_snapshot"]

        # New physicians, then their locations and specialties (related rows after their physician).
        if new_physicians:
            _copy(
                cursor,
                "registry_tmp_physician",
                physician_columns,
                [
                    (v["npi"], *(v[n] for n in PHYSICIAN_FIELDS), {k: v[k] for k in TRACKED_FIELDS})
                    for v in new_physicians
                ],
            )
            cursor.execute(
                f"""INSERT INTO directory_physician ({", ".join(physician_columns)}, bio, languages, telehealth,
                        source, created_at, updated_at)
                    SELECT {", ".join(physician_columns)}, '', '{{}}', false, %s, %s, %s
                    FROM registry_tmp_physician ORDER BY npi
                    ON CONFLICT (npi) DO NOTHING
                    RETURNING npi, id""",  # noqa: S608
                [Physician.Source.NPPES, now, now],
            )
            # A physician a curator added meanwhile is left alone: the next import compares it.
            ids = dict(cursor.fetchall())
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
            _history(cursor, Physician, "npi = ANY(%s)", [[v["npi"] for v in new_physicians]], "+")

        # Changed physicians: one UPDATE ... FROM for all of them.
        if changed_physicians:
            cursor.execute("TRUNCATE registry_tmp_physician")
            _copy(
                cursor,
                "registry_tmp_physician",
                [*physician_columns, "id", "seen_updated_at"],
                [
                    (v["npi"], *(v[n] for n in PHYSICIAN_FIELDS), v["snapshot"], v["id"], v["seen"])
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
            _history(cursor, Physician, "id = ANY(%s)", [sorted(written)], "~")

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
                lat, lng = zip_centroid(v["zip_code"]) or (None, None)
                rows_out.append((physician_id, "", *(v[n] for n in location_columns), lat, lng, True, True, now, now))
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
                "is_primary AND physician_id = ANY(%s)",
                [[physician_id for physician_id, _ in inserts]],
                "+",
            )
        if updates:
            rows_out = []
            for current, target in updates:
                if target["zip_code"][:5] != (current["zip_code"] or "")[:5]:
                    lat, lng = zip_centroid(target["zip_code"]) or (None, None)
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
            _copy(
                cursor,
                "registry_tmp_specialty",
                ["physician_id", "specialty_id", "is_primary"],
                [entry for entry in new_specialties if entry[0] in set(changed_ids)],
            )
            cursor.execute(
                """DELETE FROM directory_physicianspecialty ps WHERE ps.physician_id = ANY(%s)
                   AND NOT EXISTS (SELECT 1 FROM registry_tmp_specialty t
                                   WHERE t.physician_id = ps.physician_id AND t.specialty_id = ps.specialty_id)""",
                [changed_ids],
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
            new_specialties = [entry for entry in new_specialties if entry[0] not in set(changed_ids)]
        if new_specialties:
            _copy(
                cursor, "directory_physicianspecialty", ["physician_id", "specialty_id", "is_primary"], new_specialties
            )

        _write_kept_edits(cursor, reviewed_ids, conflicts, run_id=run_id, now=now)
    return result


def _write_kept_edits(cursor, physician_ids, conflicts, *, run_id, now) -> None:
    """Refresh the review list for the physicians of this batch: list new or changed conflicts, drop
    the ones that no longer are (the curator's value now equals the registry's)."""
    if not physician_ids:
        return
    table = KeptEdit._meta.db_table
    cursor.execute(
        f"SELECT physician_id, field, curator_value, registry_value FROM {table} WHERE physician_id = ANY(%s)",  # noqa: S608
        [physician_ids],
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
