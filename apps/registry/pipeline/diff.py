"""Diff: decide, per physician of a batch, what an import changes, from the rows read and what the
directory holds now. Plain Python over plain values: no database (tests/registry/test_diff.py).

The import is idempotent because a physician whose registry values equal its `nppes_snapshot` and whose
fields already hold their target values is left unchanged. A field a curator changed since the last
import (its value differs from the snapshot's) keeps the curator's value; when that differs from the
registry's value the pair is a conflict, which the write step lists for review (KeptEdit).
"""

import datetime
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from .parse import Row

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
# What the diff knows of a physician the directory has (state.read_current): its fields, its snapshot,
# its primary location's fields, every specialty code it has (sorted, space-separated) with the primary
# one, and when it was last saved.
CURRENT_FIELDS = ("id", "npi", *PHYSICIAN_FIELDS, "snapshot", "location_id", *LOCATION_FIELDS, *SPECIALTY_FIELDS)
CURRENT_FIELDS += ("updated_at",)

Conflicts = dict[tuple[int, str], tuple[str, str]]  # (physician id, field): (curator's value, registry's)


@dataclass
class Plan:
    """What a batch changes. `created`: the registry values of each new physician (with its `npi`, the
    `imported` view of its specialties and its record `digest`); `changed`: the target values of each
    changed one (with its `id`, `npi`, new `snapshot` and the `seen` updated_at it was read with);
    `location_updates`: (current, target) of changed primary locations; `specialty_sets`: (physician
    id, every code it is to have, its primary code); `reviewed_ids`: the existing physicians compared,
    whose conflicts are listed afresh; `digests`: the record digest of each, by id."""

    created: list[dict] = field(default_factory=list)
    changed: list[dict] = field(default_factory=list)
    location_updates: list[tuple[dict, dict]] = field(default_factory=list)
    specialty_sets: list[tuple[int, list[str], str]] = field(default_factory=list)
    conflicts: Conflicts = field(default_factory=dict)
    reviewed_ids: list[int] = field(default_factory=list)
    digests: dict[int, str] = field(default_factory=dict)
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    reactivated: int = 0


def diff_batch(
    rows: list[Row], current: Mapping[str, dict], *, wanted: frozenset[str], specialty_ids: Mapping[str, int]
) -> Plan:
    """The Plan for `rows` (one per NPI), given `current`: the physicians the directory has among them,
    by NPI, each a dict of CURRENT_FIELDS. `wanted` are the codes this import manages (a physician's
    other specialties, and a primary among them, are a curator's); `specialty_ids` maps every code the
    directory has to its Specialty id."""
    plan = Plan()
    for row in rows:
        physician = current.get(row.npi)
        if physician is None:
            if not row.status_only:  # else a deactivated NPI we never listed
                values = registry_values(row, {})
                plan.created.append(
                    values | {"npi": row.npi, "imported": imported_view(values, wanted), "digest": row.digest}
                )
            continue
        plan.digests[physician["id"]] = row.digest
        _compare(row, _split_specialties(physician, wanted), plan, wanted=wanted, specialty_ids=specialty_ids)
    return plan


def _split_specialties(physician: dict, wanted: frozenset[str]) -> dict:
    """`physician` with its specialty fields narrowed to the wanted codes, and the others apart: the
    `other_specialties` and the `other_primary` (a curator made a specialty outside them primary)."""
    codes = physician["specialties"].split()
    primary = physician["primary_specialty"]
    other_primary = primary if primary and primary not in wanted else ""
    return physician | {
        "specialties": " ".join(code for code in codes if code in wanted),
        "other_specialties": [code for code in codes if code not in wanted],
        "primary_specialty": "" if other_primary else primary,
        "other_primary": other_primary,
    }


def _compare(row: Row, current: dict, plan: Plan, *, wanted, specialty_ids) -> None:
    """Add to `plan` what changes for the existing physician `current` (specialties split) of `row`."""
    previous = current["snapshot"]
    previous = (json.loads(previous) if isinstance(previous, str) else previous) or {}
    values = registry_values(row, previous or {n: snapshot_value(n, current[n]) for n in TRACKED_FIELDS})
    target = _target(current, values, previous, wanted, plan.conflicts)
    plan.reviewed_ids.append(current["id"])
    physician_changed = any(target[n] != snapshot_value(n, current[n]) for n in PHYSICIAN_FIELDS)
    location_changed = bool(target["address_line1"]) and any(
        target[n] != snapshot_value(n, current[n]) for n in LOCATION_FIELDS
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
        plan.unchanged += 1
        return
    plan.updated += 1
    if current["is_active"] and target["is_active"] is False:
        plan.deactivated += 1
    elif current["is_active"] is False and target["is_active"] is True:
        plan.reactivated += 1
    plan.changed.append(
        target | {"id": current["id"], "npi": row.npi, "snapshot": values, "seen": current["updated_at"]}
    )
    if location_changed:
        plan.location_updates.append((current, target))
    if specialties_changed:
        codes = current["other_specialties"] + target_codes
        plan.specialty_sets.append((current["id"], codes, target_primary or current["other_primary"]))


def _target(current: dict, values: dict, previous: dict, wanted: frozenset[str], conflicts: Conflicts) -> dict:
    """The value each tracked field is to have: the registry's, unless a curator edited the field since
    the last import (or, for a physician never imported, typed a value in). Notes each edit that
    differs from the registry's value in `conflicts`."""
    registry = imported_view(values, wanted)
    recorded = imported_view(previous, wanted) if previous else {}
    target = {}
    for name in TRACKED_FIELDS:
        mine = snapshot_value(name, current[name])
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
    return target


def snapshot_value(name: str, value):
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


def imported_view(values: dict, wanted: frozenset[str]) -> dict:
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


# Secondary practice locations (NPPES's pl_pfile): a physician's list of them against the ones an import
# created. NPPES gives them no identity, so a row is the location whose snapshot equals it; the rows left
# over move the locations left over (in file order), and then are new, or those locations are gone.


@dataclass
class PhysicianLocations:
    """What the directory holds for one physician: its id, the secondary locations an import created
    (location id, its values now, its snapshot) and the location_key of each of its other locations."""

    physician_id: int
    imported: list[tuple[int, dict, dict]] = field(default_factory=list)
    others: set[tuple[str, str]] = field(default_factory=set)


@dataclass
class LocationPlan:
    """What a batch changes in secondary locations. `created`: (physician id, values); `moved`:
    (location id, the values it has now, the registry's); `removed`: (location id, the values it has
    now). The write acts only on a location that still has the values read: a curator's edit wins."""

    created: list[tuple[int, dict]] = field(default_factory=list)
    moved: list[tuple[int, dict, dict]] = field(default_factory=list)
    removed: list[tuple[int, dict]] = field(default_factory=list)
    unchanged: int = 0
    kept: int = 0  # edited by a curator: neither moved nor removed


def location_key(values: Mapping[str, str]) -> tuple[str, str]:
    """One place: the first address line, case and spacing aside, in one 5-digit ZIP."""
    return " ".join(values["address_line1"].upper().split()), values["zip_code"][:5]


def diff_locations(rows: Mapping[str, list[dict]], current: Mapping[str, PhysicianLocations]) -> LocationPlan:
    """The LocationPlan of a batch: `rows` are each physician's locations in the file (LOCATION_FIELDS
    values, in file order; none for one whose locations are all gone), `current` what the directory holds
    of the physicians it lists (an NPI it lacks is skipped)."""
    plan = LocationPlan()
    for npi in sorted(rows.keys() | current.keys()):
        if npi in current:
            _diff_physician_locations(rows.get(npi, []), current[npi], plan)
    return plan


def _diff_physician_locations(listed: list[dict], held: PhysicianLocations, plan: LocationPlan) -> None:
    wanted = []  # once each, and not where the physician has a location already (its primary, a curator's)
    for values in listed:
        if values not in wanted and location_key(values) not in held.others:
            wanted.append(values)
    left, new = list(held.imported), []
    for values in wanted:
        same = next((entry for entry in left if entry[2] == values), None)
        if same is None:
            new.append(values)
        else:
            left.remove(same)
            plan.unchanged += 1
    movable = [entry for entry in left if entry[1] == entry[2]]  # the others a curator edited
    plan.kept += len(left) - len(movable)
    plan.moved.extend((location_id, now, values) for values, (location_id, now, _) in zip(new, movable, strict=False))
    plan.created.extend((held.physician_id, values) for values in new[len(movable) :])
    plan.removed.extend((location_id, now) for location_id, now, _ in movable[len(new) :])
