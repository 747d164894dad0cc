"""Write: apply a batch's Plan (apps.registry.pipeline.diff) to the directory, with COPY into temporary
tables and set-based INSERT ... ON CONFLICT / UPDATE ... FROM statements, inside the caller's
transaction. Writes of related rows skip the directory's per-table triggers (oncodir.bulk_load) and
derive the search columns once per batch: a new physician's in its own INSERT (NEW_DERIVED_SQL), those
of a changed one in one call at the end (refresh_search_columns).
"""

import json
from dataclasses import dataclass

from apps.directory.geo import zip_centroid_text
from apps.directory.models import AcceptedPlan, Physician, PracticeLocation

from ..models import KeptEdit, SecondaryLocation
from . import state
from .diff import LOCATION_FIELDS, PHYSICIAN_FIELDS, TRACKED_FIELDS, LocationPlan, Plan
from .sql import array_literal as _array
from .sql import copy_rows as _copy
from .sql import record_history as _history

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
# physician with no related rows but the one primary location (not known to accept, unnamed, at its ZIP's
# centroid) and the specialties the import writes. Written by the INSERT itself, instead of a refresh
# that writes every new row a second time; tests/registry check that a refresh afterwards changes nothing.
NEW_DERIVED_COLUMNS = ("location_text", "accepting_new_patients", "geo_cells", "accepting_geo_cells", "specialty_ids")
NEW_DERIVED_SQL = """
    CASE WHEN address_line1 <> '' THEN directory_normalize(city) ELSE '' END,
    NULL,
    CASE WHEN address_line1 <> '' THEN coalesce(directory_geo_cells(latitude, longitude), '{}') ELSE '{}' END,
    '{}',
    specialty_ids"""


PHYSICIAN_COLUMNS = ("npi", *PHYSICIAN_FIELDS, "nppes_snapshot")
# The new physicians of registry_tmp_new, with their snapshot and derived search columns.
INSERT_NEW_PHYSICIANS_SQL = f"""
    INSERT INTO directory_physician ({", ".join(PHYSICIAN_COLUMNS)}, bio, languages, telehealth, source, created_at,
        updated_at, {", ".join(NEW_DERIVED_COLUMNS)})
    SELECT npi, {", ".join(PHYSICIAN_FIELDS)}, {NEW_SNAPSHOT_SQL}, '', '{{}}', NULL, %s, %s, %s, {NEW_DERIVED_SQL}
    FROM registry_tmp_new ORDER BY npi
    ON CONFLICT (npi) DO NOTHING
    RETURNING npi, id"""  # noqa: S608
LOCATION_COLUMNS = [
    "physician_id",
    "name",
    *LOCATION_FIELDS,
    "latitude",
    "longitude",
    "accepting_new_patients",
    "is_primary",
    "created_at",
    "updated_at",
]


@dataclass
class Written:
    """What a write did beyond the Plan: the physicians it inserted (NPI: id; one a curator added
    meanwhile is left alone, so not every new row of the Plan is here) and the ids of the changed ones
    it did not write because someone saved them since they were read (a concurrent save wins)."""

    created_ids: dict[str, int]
    lost_ids: set[int]


def ensure_temp_tables(cursor) -> None:
    for name, columns in TEMP_TABLES.items():
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} ({columns})")


def write_plan(cursor, plan: Plan, *, specialty_ids: dict[str, int], run_id: int, now) -> Written:
    """Write `plan`; `specialty_ids` maps every code the directory has to its Specialty id."""
    kept_edit_ids = {physician_id for physician_id, _ in plan.conflicts}
    if not (plan.created or plan.changed):
        write_kept_edits(cursor, plan.reviewed_ids, plan.conflicts, run_id=run_id, now=now)
        state.remember(cursor, plan.digests, forget=kept_edit_ids, created={})
        return Written(created_ids={}, lost_ids=set())
    ensure_temp_tables(cursor)
    cursor.execute("TRUNCATE registry_tmp_physician, registry_tmp_location, registry_tmp_specialty, registry_tmp_new")
    # Skip the per-table refresh triggers: a new physician's derived search columns are written by its
    # INSERT (NEW_DERIVED_SQL); those of a changed one whose locations or specialties this batch writes
    # are computed once, in one UPDATE, at the end.
    cursor.execute("SELECT set_config('oncodir.bulk_load', 'on', true)")
    new = _insert_new_physicians(cursor, plan.created, specialty_ids=specialty_ids, now=now)
    written = _update_changed_physicians(cursor, plan.changed, now=now)
    lost_ids = {values["id"] for values in plan.changed} - written
    location_updates = [(current, target) for current, target in plan.location_updates if current["id"] in written]
    specialty_sets = [entry for entry in plan.specialty_sets if entry[0] in written]
    inserted, updated = _write_locations(cursor, new.locations, location_updates, now=now)
    _write_specialties(cursor, specialty_sets, new.specialties, specialty_ids=specialty_ids)
    # New physicians were inserted with their derived columns: only the changed ones are refreshed.
    refresh_ids = {physician_id for physician_id in inserted if physician_id not in new.remembered}
    refresh_ids.update(current["id"] for current, _ in updated)
    refresh_ids.update(physician_id for physician_id, _, _ in specialty_sets)
    refresh_search_columns(cursor, refresh_ids)
    cursor.execute("SELECT set_config('oncodir.bulk_load', 'off', true)")

    reviewed_ids = [physician_id for physician_id in plan.reviewed_ids if physician_id not in lost_ids]
    write_kept_edits(cursor, reviewed_ids, plan.conflicts, run_id=run_id, now=now)
    # A physician whose write lost to a curator's save is compared again next time, as is one with a
    # kept edit (so its review entry is refreshed).
    state.remember(cursor, plan.digests, forget=lost_ids | kept_edit_ids, created=new.remembered)
    return Written(created_ids=new.ids, lost_ids=lost_ids)


def refresh_search_columns(cursor, physician_ids: set[int]) -> None:
    """Derive the search columns of the physicians this batch changed, from their rows."""
    if physician_ids:
        cursor.execute("SELECT directory_refresh_physicians(%s::bigint[])", [_array(sorted(physician_ids))])


@dataclass
class _NewRows:
    """The physicians a batch inserted (NPI: id), the rows related to them, and what to remember of each
    (id: (record digest, state digest))."""

    ids: dict[str, int]
    locations: list[tuple[int, dict]]
    specialties: list[tuple[int, int, bool]]
    remembered: dict[int, tuple[str, str]]


def _insert_new_physicians(cursor, created: list[dict], *, specialty_ids, now) -> _NewRows:
    """Insert the new physicians with their snapshot and derived search columns; list their primary
    location and specialty rows to write after them."""
    new = _NewRows(ids={}, locations=[], specialties=[], remembered={})
    if not created:
        return new
    rows = []
    for v in created:
        v["centroid"] = (zip_centroid_text(v["zip_code"]) if v["address_line1"] else None) or (None, None)
        primary = v["imported"]["primary_specialty"]
        # In the refresh's order: the primary first, then by id.
        order = sorted((code != primary, specialty_ids[code]) for code in v["imported"]["specialties"].split())
        rows.append((v["npi"], *(v[n] for n in TRACKED_FIELDS), *v["centroid"], _array([i for _, i in order])))
    _copy(cursor, "registry_tmp_new", ["npi", *TRACKED_FIELDS, "latitude", "longitude", "specialty_ids"], rows)
    cursor.execute("SELECT set_config('oncodir.refreshing', 'on', true)")
    cursor.execute(INSERT_NEW_PHYSICIANS_SQL, [Physician.Source.NPPES, now, now])
    # A physician a curator added meanwhile is left alone: the next import compares it.
    new.ids = dict(cursor.fetchall())
    cursor.execute("SELECT set_config('oncodir.refreshing', 'off', true)")
    for values in created:
        physician_id = new.ids.get(values["npi"])
        if physician_id is None:
            continue
        new.remembered[physician_id] = (values["digest"], state.new_state(values))
        if values["address_line1"]:
            new.locations.append((physician_id, values))
        imported = values["imported"]
        for code in imported["specialties"].split():
            new.specialties.append((physician_id, specialty_ids[code], code == imported["primary_specialty"]))
    _history(cursor, Physician, "id = ANY(%s::bigint[])", [_array(sorted(new.ids.values()))], "+")
    return new


def _update_changed_physicians(cursor, changed: list[dict], *, now) -> set[int]:
    """One UPDATE ... FROM for every changed physician; returns the ids written."""
    if not changed:
        return set()
    cursor.execute("TRUNCATE registry_tmp_physician")
    _copy(
        cursor,
        "registry_tmp_physician",
        [*PHYSICIAN_COLUMNS, "id", "seen_updated_at"],
        [(v["npi"], *(v[n] for n in PHYSICIAN_FIELDS), _json(v["snapshot"]), v["id"], v["seen"]) for v in changed],
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
    _history(cursor, Physician, "id = ANY(%s::bigint[])", [_array(sorted(written))], "~")
    return written


def _write_locations(cursor, new_locations, location_updates, *, now) -> tuple[list[int], list]:
    """Primary practice locations: new ones (of new physicians, and of changed ones that had none), and
    changed ones (a new ZIP gets its centroid). Returns the physician ids given a location, and the
    (current, target) pairs of the locations updated."""
    inserts = list(new_locations)
    updates = []
    for current, target in location_updates:
        if current["location_id"] is None:
            inserts.append((current["id"], target))
        else:
            updates.append((current, target))
    if inserts:
        stamp = now.isoformat()  # formatted once for COPY
        rows = []
        for physician_id, v in inserts:
            lat, lng = v.get("centroid") or zip_centroid_text(v["zip_code"]) or (None, None)
            rows.append(
                (physician_id, "", *(v[n] for n in LOCATION_FIELDS), lat, lng, IMPORTED_ACCEPTING, True, stamp, stamp)
            )
        _copy(cursor, "directory_practicelocation", LOCATION_COLUMNS, rows)
        ids = _array([physician_id for physician_id, _ in inserts])
        _history(cursor, PracticeLocation, "is_primary AND physician_id = ANY(%s::bigint[])", [ids], "+")
    if updates:
        _update_locations(cursor, updates, now=now)
    return [physician_id for physician_id, _ in inserts], updates


def _update_locations(cursor, updates, *, now) -> None:
    rows = []
    for current, target in updates:
        if target["zip_code"][:5] != (current["zip_code"] or "")[:5]:
            lat, lng = zip_centroid_text(target["zip_code"]) or (None, None)
        else:
            lat = lng = None  # keep the coordinates the location has
        rows.append((current["location_id"], *(target[n] for n in LOCATION_FIELDS), lat, lng))
    _copy(cursor, "registry_tmp_location", ["id", *LOCATION_FIELDS, "latitude", "longitude"], rows)
    assignments = ", ".join(f"{n} = t.{n}" for n in LOCATION_FIELDS)
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


def _write_specialties(cursor, specialty_sets, new_specialties, *, specialty_ids) -> None:
    """New physicians' specialty rows straight in; the changed sets (physician id, codes, primary)
    replaced row by row."""
    new_specialties = list(new_specialties)
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


def _json(values: dict) -> str:
    return json.dumps(values, sort_keys=True)


def write_kept_edits(cursor, physician_ids, conflicts, *, run_id, now) -> None:
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


@dataclass
class LocationsWritten:
    """How many secondary locations a batch created, moved and removed."""

    created: int = 0
    moved: int = 0
    removed: int = 0


def write_locations(cursor, plan: LocationPlan) -> LocationsWritten:
    """Apply a batch's LocationPlan (apps.registry.pipeline.diff) inside the caller's transaction. A
    location to move or remove is locked first, and left alone unless it still has the values the diff
    read: a curator who saved it meanwhile wins. As for primary locations, the per-row search triggers
    are skipped and the physicians' search columns derived once at the end."""
    expected = {location_id: values for location_id, values, _ in plan.moved}
    expected.update(plan.removed)
    still = _lock_unchanged(cursor, expected)
    cursor.execute("SELECT set_config('oncodir.bulk_load', 'on', true)")
    removed = [location_id for location_id, _ in plan.removed if location_id in still]
    if removed:
        ids = _array(removed)
        _history(cursor, PracticeLocation, "id = ANY(%s::bigint[])", [ids], "-")
        cursor.execute(f"DELETE FROM {SecondaryLocation._meta.db_table} WHERE location_id = ANY(%s::bigint[])", [ids])  # noqa: S608
        # The plans a removed practice took go with it (the location's "-" history row records the removal).
        cursor.execute(f"DELETE FROM {AcceptedPlan._meta.db_table} WHERE location_id = ANY(%s::bigint[])", [ids])  # noqa: S608
        cursor.execute("DELETE FROM directory_practicelocation WHERE id = ANY(%s::bigint[])", [ids])
    moved = [(location_id, values) for location_id, _, values in plan.moved if location_id in still]
    if moved:
        ensure_temp_tables(cursor)
        _move_locations(cursor, moved)
    created = _create_locations(cursor, plan.created)
    refresh_search_columns(cursor, set(still.values()) | {physician_id for physician_id, _ in plan.created})
    cursor.execute("SELECT set_config('oncodir.bulk_load', 'off', true)")
    return LocationsWritten(created=created, moved=len(moved), removed=len(removed))


def _lock_unchanged(cursor, expected: dict[int, dict]) -> dict[int, int]:
    """Lock the locations `expected` lists; {location id: physician id} of those that still have the
    values it gives."""
    if not expected:
        return {}
    cursor.execute(
        f"SELECT id, physician_id, {', '.join(LOCATION_FIELDS)} FROM directory_practicelocation "  # noqa: S608
        "WHERE id = ANY(%s::bigint[]) ORDER BY id FOR UPDATE",
        [_array(sorted(expected))],
    )
    return {
        location_id: physician_id
        for location_id, physician_id, *values in cursor.fetchall()
        if dict(zip(LOCATION_FIELDS, values, strict=True)) == expected[location_id]
    }


def _move_locations(cursor, moved: list[tuple[int, dict]]) -> None:
    """Give imported locations the registry's new values (a new ZIP, its centroid) and snapshots, in one
    UPDATE: the ORM's save would look the ZIP up in the directory's full table (seconds, 150 MB)."""
    columns = ["id", *LOCATION_FIELDS, "latitude", "longitude"]
    rows = [(location_id, *(v[n] for n in LOCATION_FIELDS), *_centroid(v)) for location_id, v in moved]
    cursor.execute("TRUNCATE registry_tmp_location")
    _copy(cursor, "registry_tmp_location", columns, rows)
    assignments = ", ".join(f"{n} = t.{n}" for n in LOCATION_FIELDS)
    cursor.execute(
        f"""UPDATE directory_practicelocation l SET {assignments},
                latitude = CASE WHEN left(t.zip_code, 5) <> left(l.zip_code, 5) THEN t.latitude ELSE l.latitude END,
                longitude = CASE WHEN left(t.zip_code, 5) <> left(l.zip_code, 5) THEN t.longitude ELSE l.longitude END,
                updated_at = now()
            FROM registry_tmp_location t WHERE l.id = t.id""",  # noqa: S608
    )
    cursor.execute(
        f"""UPDATE {SecondaryLocation._meta.db_table} s SET snapshot = jsonb_build_object({_SNAPSHOT_PAIRS})
            FROM registry_tmp_location t WHERE s.location_id = t.id""",  # noqa: S608
    )
    _history(cursor, PracticeLocation, "id IN (SELECT id FROM registry_tmp_location)", [], "~")


_SNAPSHOT_PAIRS = ", ".join(f"'{name}', t.{name}" for name in LOCATION_FIELDS)


def _centroid(values: dict) -> tuple[str | None, str | None]:
    return zip_centroid_text(values["zip_code"]) or (None, None)


def _create_locations(cursor, created: list[tuple[int, dict]]) -> int:
    """New secondary locations, at their ZIP's centroid, each with its snapshot."""
    if not created:
        return 0
    locations = PracticeLocation.objects.bulk_create(
        [_new_location(physician_id, values) for physician_id, values in created]
    )
    SecondaryLocation.objects.bulk_create(
        [
            SecondaryLocation(location=location, snapshot=values)
            for location, (_, values) in zip(locations, created, strict=True)
        ]
    )
    _history(cursor, PracticeLocation, "id = ANY(%s::bigint[])", [_array([loc.pk for loc in locations])], "+")
    return len(locations)


def _new_location(physician_id: int, values: dict) -> PracticeLocation:
    latitude, longitude = _centroid(values)
    return PracticeLocation(
        physician_id=physician_id,
        **values,
        latitude=latitude,
        longitude=longitude,
        accepting_new_patients=IMPORTED_ACCEPTING,
        is_primary=False,
    )


# What an imported location says of new patients, primary or secondary: not known, as NPPES does not say.
# Set only when the import creates a location: a yes or no a curator gives it is never overwritten (the
# diff compares LOCATION_FIELDS only). New physicians' telehealth and languages are not known either.
IMPORTED_ACCEPTING = None
