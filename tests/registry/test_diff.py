"""The import's diff as plain Python: rows read and physicians as the directory holds them in, a Plan
out. No database: these tests run without one."""

import datetime

import pytest

from apps.registry.pipeline.diff import LOCATION_FIELDS, PHYSICIAN_FIELDS, Plan, diff_batch, registry_values
from apps.registry.pipeline.parse import Row

NPI = "1234567893"
MEDICAL_ONCOLOGY, HEMATOLOGY_ONCOLOGY, INTERNAL_MEDICINE = "207RX0202X", "207RH0003X", "207R00000X"
WANTED = frozenset({MEDICAL_ONCOLOGY, HEMATOLOGY_ONCOLOGY})
SPECIALTY_IDS = {MEDICAL_ONCOLOGY: 1, HEMATOLOGY_ONCOLOGY: 2, INTERNAL_MEDICINE: 3}
SEEN = datetime.datetime(2025, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)


def nppes_row(**changes) -> Row:
    """A parsed record of an oncologist whose registry primary taxonomy is not an imported one."""
    values = {
        "line_no": 2,
        "npi": NPI,
        "status_only": False,
        "first_name": "ANA",
        "middle_name": "",
        "last_name": "SMITH",
        "name_suffix": "",
        "credentials": "MD",
        "sex": "F",
        "address_line1": "1 MAIN ST",
        "address_line2": "",
        "city": "NEW YORK",
        "state": "NY",
        "zip_code": "10001",
        "phone": "2125550100",
        "enumerated_on": datetime.date(2010, 1, 1),
        "nppes_updated_on": datetime.date(2024, 1, 1),
        "deactivated_on": None,
        "reactivated_on": None,
        "is_active": True,
        "specialties": (MEDICAL_ONCOLOGY,),
        "primary_specialty": MEDICAL_ONCOLOGY,
        "taxonomies": (INTERNAL_MEDICINE, MEDICAL_ONCOLOGY),
        "registry_primary": INTERNAL_MEDICINE,
        "digest": "digest-of-the-record",
    }
    return Row(**(values | changes))


def as_directory_holds(row: Row, *, snapshot: dict | None = None, physician_id: int = 7, **changes) -> dict:
    """The physician an earlier import of `row` left, as state.read_current gives it: its fields, its
    snapshot (the registry values then, unless given), its primary location and its imported codes."""
    values = registry_values(row, {})
    current = {name: getattr(row, name) for name in PHYSICIAN_FIELDS}
    has_location = bool(row.address_line1)
    current |= {name: getattr(row, name) if has_location else None for name in LOCATION_FIELDS}
    current |= {
        "id": physician_id,
        "npi": row.npi,
        "snapshot": values if snapshot is None else snapshot,
        "location_id": 70 if has_location else None,
        "specialties": " ".join(sorted(code for code in row.taxonomies if code in WANTED)),
        "primary_specialty": MEDICAL_ONCOLOGY,
        "updated_at": SEEN,
    }
    return current | changes


def diff(rows, *physicians) -> Plan:
    return diff_batch(
        rows, {physician["npi"]: physician for physician in physicians}, wanted=WANTED, specialty_ids=SPECIALTY_IDS
    )


def nothing_to_write(plan: Plan) -> bool:
    return not (plan.created or plan.changed or plan.location_updates or plan.specialty_sets or plan.conflicts)


def test_a_new_physician_is_created_with_the_registry_values_and_only_the_imported_codes():
    row = nppes_row()

    plan = diff([row])

    assert len(plan.created) == 1
    created = plan.created[0]
    assert (created["npi"], created["last_name"], created["credentials"], created["digest"]) == (
        NPI,
        "SMITH",
        "MD",
        "digest-of-the-record",
    )
    # The snapshot form keeps every registry code and its primary; the imported view only the managed
    # codes, with the first of them primary when the registry's primary is not one.
    snapshot_form = (created["specialties"], created["primary_specialty"])
    assert snapshot_form == (f"{INTERNAL_MEDICINE} {MEDICAL_ONCOLOGY}", INTERNAL_MEDICINE)
    assert (created["imported"]["specialties"], created["imported"]["primary_specialty"]) == (MEDICAL_ONCOLOGY,) * 2
    assert (created["enumerated_on"], created["deactivated_on"]) == ("2010-01-01", None)
    assert (plan.updated, plan.unchanged, plan.reviewed_ids, plan.digests) == (0, 0, [], {})


def test_a_deactivated_npi_the_directory_never_listed_is_ignored():
    row = nppes_row(status_only=True, is_active=False, deactivated_on=datetime.date(2024, 5, 1), last_name="")

    plan = diff([row])

    assert nothing_to_write(plan)
    assert (plan.updated, plan.unchanged) == (0, 0)


def test_a_physician_as_the_last_import_left_it_is_unchanged():
    row = nppes_row()

    plan = diff([row], as_directory_holds(row))

    assert nothing_to_write(plan)
    assert (plan.unchanged, plan.updated, plan.reviewed_ids, plan.digests) == (1, 0, [7], {7: "digest-of-the-record"})


def test_a_registry_change_is_written_with_the_new_snapshot_and_the_save_it_was_read_at():
    before = nppes_row()
    row = nppes_row(credentials="MD, PHD")

    plan = diff([row], as_directory_holds(before))

    assert (plan.updated, plan.unchanged) == (1, 0)
    [changed] = plan.changed
    assert (changed["id"], changed["credentials"], changed["seen"]) == (7, "MD, PHD", SEEN)
    assert changed["snapshot"] == registry_values(row, {})
    assert (plan.location_updates, plan.specialty_sets, plan.conflicts) == ([], [], {})


def test_applying_a_plan_then_diffing_again_changes_nothing():
    # Given a physician whose name, address and codes the registry changed
    before = nppes_row()
    row = nppes_row(last_name="SMITH-JONES", address_line1="2 PARK AVE", taxonomies=(HEMATOLOGY_ONCOLOGY,))
    [changed] = diff([row], as_directory_holds(before)).changed

    # When the directory holds what the plan said, and the same row comes again
    after = as_directory_holds(row, snapshot=changed["snapshot"])
    assert (after["last_name"], after["address_line1"], after["specialties"]) == (
        "SMITH-JONES",
        "2 PARK AVE",
        HEMATOLOGY_ONCOLOGY,
    )
    plan = diff([row], after | {"primary_specialty": HEMATOLOGY_ONCOLOGY})

    # Then nothing is to be written
    assert nothing_to_write(plan)
    assert plan.unchanged == 1


def test_a_curator_edit_is_kept_and_listed_when_the_registry_says_otherwise():
    before = nppes_row()
    curated = as_directory_holds(before, last_name="Smith-Lopez")
    row = nppes_row(last_name="SMITH-JONES", credentials="DO")

    plan = diff([row], curated)

    [changed] = plan.changed
    assert (changed["last_name"], changed["credentials"]) == ("Smith-Lopez", "DO")
    assert plan.conflicts == {(7, "last_name"): ("Smith-Lopez", "SMITH-JONES")}
    assert changed["snapshot"]["last_name"] == "SMITH-JONES"  # the registry's value, to compare next time


def test_a_curator_edit_the_registry_came_to_agree_with_is_no_conflict():
    before = nppes_row()
    curated = as_directory_holds(before, last_name="SMITH-JONES")

    plan = diff([nppes_row(last_name="SMITH-JONES")], curated)

    assert plan.conflicts == {}
    assert [changed["last_name"] for changed in plan.changed] == ["SMITH-JONES"]  # only the snapshot moves


@pytest.mark.parametrize(
    ("field", "typed", "conflict"),
    [
        ("credentials", "FACP", True),
        ("credentials", "", False),
        ("deactivated_on", datetime.date(2020, 1, 1), False),
    ],
    ids=["typed-text-is-an-edit", "a-blank-is-not", "dates-are-the-registrys"],
)
def test_a_physician_never_imported_keeps_what_a_curator_typed_in(field, typed, conflict):
    row = nppes_row()
    curator_added = as_directory_holds(row, snapshot={}, **{field: typed})

    plan = diff([row], curator_added)

    assert ((7, field) in plan.conflicts) is conflict
    [changed] = plan.changed  # the snapshot is written at least
    assert changed[field] == (typed if conflict else registry_values(row, {})[field])


def test_a_deactivation_changes_only_the_activity_fields():
    before = nppes_row()
    row = nppes_row(
        status_only=True,
        is_active=False,
        deactivated_on=datetime.date(2024, 5, 1),
        first_name="",
        last_name="",
        address_line1="",
        city="",
        taxonomies=(),
        registry_primary="",
    )

    plan = diff([row], as_directory_holds(before))

    [changed] = plan.changed
    assert (changed["is_active"], changed["deactivated_on"], changed["last_name"]) == (False, "2024-05-01", "SMITH")
    assert (plan.deactivated, plan.reactivated, plan.location_updates, plan.specialty_sets) == (1, 0, [], [])


def test_a_reactivation_is_counted():
    deactivated = nppes_row(is_active=False, deactivated_on=datetime.date(2024, 5, 1))
    row = nppes_row(deactivated_on=datetime.date(2024, 5, 1), reactivated_on=datetime.date(2024, 6, 1))

    plan = diff([row], as_directory_holds(deactivated))

    assert (plan.reactivated, plan.deactivated, plan.changed[0]["is_active"]) == (1, 0, True)


def test_a_new_address_updates_the_location_and_a_blank_one_leaves_it():
    before = nppes_row()
    moved, blank = nppes_row(address_line1="2 PARK AVE", zip_code="10016"), nppes_row(address_line1="", city="")

    moved_plan = diff([moved], as_directory_holds(before))
    blank_plan = diff([blank], as_directory_holds(before))

    [(current, target)] = moved_plan.location_updates
    assert (current["location_id"], target["address_line1"], target["zip_code"]) == (70, "2 PARK AVE", "10016")
    assert blank_plan.location_updates == []
    assert blank_plan.changed[0]["snapshot"]["address_line1"] == ""  # remembered, the location left alone


def test_specialties_a_curator_added_outside_the_imported_codes_stay():
    # Given a physician to whom a curator added a non-oncology specialty and made it primary
    before = nppes_row(taxonomies=(MEDICAL_ONCOLOGY,))
    curated = as_directory_holds(
        before, specialties=f"{INTERNAL_MEDICINE} {MEDICAL_ONCOLOGY}", primary_specialty=INTERNAL_MEDICINE
    )

    # When the registry adds an oncology code
    plan = diff([nppes_row(taxonomies=(MEDICAL_ONCOLOGY, HEMATOLOGY_ONCOLOGY))], curated)

    # Then the set keeps the curator's code first and primary, and gains the new one
    assert plan.specialty_sets == [(7, [INTERNAL_MEDICINE, HEMATOLOGY_ONCOLOGY, MEDICAL_ONCOLOGY], INTERNAL_MEDICINE)]


def test_a_batch_sorts_each_row_into_its_part_of_the_plan():
    same, changed, new = nppes_row(npi="1000000004"), nppes_row(npi="1000000012", credentials="DO"), nppes_row()

    plan = diff(
        [same, changed, new],
        as_directory_holds(same, physician_id=1),
        as_directory_holds(nppes_row(npi="1000000012"), physician_id=2),
    )

    assert ([v["npi"] for v in plan.created], [v["id"] for v in plan.changed]) == ([NPI], [2])
    assert (plan.unchanged, plan.updated, plan.reviewed_ids) == (1, 1, [1, 2])
    assert plan.digests == {1: "digest-of-the-record", 2: "digest-of-the-record"}
