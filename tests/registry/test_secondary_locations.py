"""Secondary practice locations (NPPES's pl_pfile_*.csv): added, moved and removed by `import_nppes`, a
second run writing nothing, a killed run rerun to the same end as a clean one, a curator's edit kept."""

import csv
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.directory.geo import zip_centroid
from apps.directory.models import AcceptedPlan, Physician, PracticeLocation
from apps.registry.models import SecondaryLocation
from apps.registry.pipeline.diff import PhysicianLocations, diff_locations
from apps.registry.pipeline.parse import REJECT_LOCATION_ABROAD, REJECT_LOCATION_ADDRESS, REJECT_LOCATION_ZIP
from tests.factories import insurance_plan

from .nppes_files import location, npi, row, write_locations, write_nppes, zip_with_locations
from .test_import_nppes import assert_derived_columns_match_the_triggers
from .test_interrupted import (
    _restore_reference_data,  # noqa: F401  (a module fixture: puts back what the flush removes)
    kill_import_waiting_for_lock,
    wipe_directory,
)

PL_NAME = "pl_pfile_20050523-20241110.csv"


def values(line1, zip_code="06103-1234", *, city="HARTFORD", state="CT", line2="", phone=""):
    return {
        "address_line1": line1,
        "address_line2": line2,
        "city": city,
        "state": state,
        "zip_code": zip_code,
        "phone": phone,
    }


# The diff: plain Python, no database.


def test_diff_keeps_listed_moves_leftovers_adds_and_removes_the_rest():
    # Given a physician with three imported locations (one edited by a curator) and a primary one
    a, b, c = values("1 A ST"), values("2 B ST"), values("3 C ST")
    edited = values("3 C STREET, SUITE 9")
    held = PhysicianLocations(7, imported=[(10, a, a), (11, b, b), (12, edited, c)], others={("9 PRIMARY RD", "06103")})
    # When the file lists A again, a new D and E, and the primary's address, but not B nor C
    d, e = values("4 D ST", "06001"), values("5 E ST")
    plan = diff_locations({npi(1): [a, d, values("9 primary  rd"), e, a]}, {npi(1): held})
    # Then A is unchanged, B moves to D, E is new, and C (a curator's edit) is kept, not removed
    assert plan.unchanged == 1
    assert plan.moved == [(11, b, d)]
    assert plan.created == [(7, e)]
    assert plan.removed == []
    assert plan.kept == 1


def test_diff_removes_locations_gone_from_the_file_and_skips_physicians_not_listed():
    a = values("1 A ST")
    held = PhysicianLocations(7, imported=[(10, a, a)])
    plan = diff_locations({npi(1): [], npi(2): [a]}, {npi(1): held})
    assert (plan.created, plan.moved, plan.removed, plan.unchanged) == ([], [], [(10, a)], 0)


# The import, against PostgreSQL.

pytestmark = pytest.mark.django_db


@pytest.fixture
def directory(nucc, tmp_path):
    """Physicians 1-6 imported from a main file, each with its primary location at 1275 York Ave."""
    path = write_nppes(tmp_path / "npidata_pfile_20050523-20241110.csv", [row(npi(n)) for n in range(1, 7)])
    call_command("import_nppes", str(path), "--no-progress", stdout=StringIO())


def secondary_state() -> list[tuple]:
    return list(
        PracticeLocation.objects.filter(is_primary=False)
        .order_by("physician__npi", "address_line1")
        .values_list(
            "physician__npi",
            "address_line1",
            "address_line2",
            "city",
            "state",
            "zip_code",
            "phone",
            "latitude",
            "longitude",
            "registry_secondary__snapshot",
        )
    )


def history_count() -> int:
    return PracticeLocation.history.count()


FIRST = [
    location(npi(1), line1="100 MAIN ST", phone="8605551212", extension="12"),
    location(npi(1), line1="200 ELM ST", postal="06001", city="AVON"),
    location(npi(2), line1="300 OAK AVE", postal="10001", city="NEW YORK", state="NY"),
    location(npi(3), line1="1275 YORK AVE", postal="10065", city="NEW YORK", state="NY"),  # its primary's
    location(npi(99), line1="1 ELSEWHERE RD"),  # not in the directory
    location(npi(4), line1="", city=""),
    location(npi(4), line1="5 RUE X", city="PARIS", state="", postal="75001", country="FR"),
    location(npi(5), line1="7 BAD ZIP RD", postal="ABCDE"),
]


def test_import_adds_the_secondary_locations_of_listed_physicians_and_a_rerun_writes_nothing(
    directory, tmp_path, import_nppes
):
    path = write_locations(tmp_path / PL_NAME, FIRST)
    rejects = tmp_path / "rejects.csv"
    run = import_nppes(path, "--rejects", str(rejects))

    assert (run.locations_created, run.locations_updated, run.locations_removed) == (3, 0, 0)
    assert run.status == "succeeded" and run.read == 8 and run.rejected == 3
    hartford = zip_centroid("06103")
    assert [entry[:9] for entry in secondary_state()] == [
        (npi(1), "100 MAIN ST", "", "HARTFORD", "CT", "06103-1234", "8605551212 x12", *hartford),
        (npi(1), "200 ELM ST", "", "AVON", "CT", "06001", "", *zip_centroid("06001")),
        (npi(2), "300 OAK AVE", "", "NEW YORK", "NY", "10001", "", *zip_centroid("10001")),
    ]
    with rejects.open() as handle:
        assert list(csv.reader(handle)) == [
            ["line", "npi", "reason"],
            ["7", npi(4), REJECT_LOCATION_ADDRESS],
            ["8", npi(4), REJECT_LOCATION_ABROAD.format(value="FR")],
            ["9", npi(5), REJECT_LOCATION_ZIP.format(value="ABCDE")],
        ]
    assert "Secondary practice locations: created 3, moved 0, removed 0" in run.output

    # When the same file is imported again
    before, history = secondary_state(), history_count()
    again = import_nppes(path)
    # Then nothing is written
    assert (again.locations_created, again.locations_updated, again.locations_removed) == (0, 0, 0)
    assert secondary_state() == before
    assert history_count() == history


def test_next_file_adds_moves_and_removes_but_keeps_a_curators_locations(directory, tmp_path, import_nppes):
    # Given the first file imported, one imported location edited by a curator and one a curator added
    import_nppes(write_locations(tmp_path / PL_NAME, FIRST))
    PracticeLocation.objects.filter(address_line1="300 OAK AVE").update(address_line2="FLOOR 2")
    PracticeLocation.objects.create(
        physician=PracticeLocation.objects.get(address_line1="100 MAIN ST").physician,
        address_line1="55 CURATOR WAY",
        city="HARTFORD",
        state="CT",
        zip_code="06103",
    )
    # When the next file moves 200 Elm St, drops 100 Main St and 300 Oak Ave, and adds one for physician 6
    nxt = [
        location(npi(1), line1="250 NEW RD", postal="06002", city="BLOOMFIELD"),
        location(npi(6), line1="600 PINE ST", postal="06511", city="NEW HAVEN"),
        location(npi(1), line1="200 ELM ST", postal="06001", city="AVON"),
    ]
    run = import_nppes(write_locations(tmp_path / "pl_pfile_20050523-20241208.csv", nxt))

    # Then 100 Main St moved to 250 New Rd (with the new ZIP's centroid), 200 Elm St stayed, physician 6's is
    # new, and the curator's edited and added locations are kept
    assert (run.locations_created, run.locations_updated, run.locations_removed) == (1, 1, 0)
    state = {(entry[0], entry[1]): entry for entry in secondary_state()}
    assert set(state) == {
        (npi(1), "200 ELM ST"),
        (npi(1), "250 NEW RD"),
        (npi(1), "55 CURATOR WAY"),
        (npi(2), "300 OAK AVE"),
        (npi(6), "600 PINE ST"),
    }
    assert state[(npi(1), "250 NEW RD")][7:9] == zip_centroid("06002")
    assert state[(npi(1), "250 NEW RD")][6] == ""  # the phone of the moved location is the file's
    assert state[(npi(2), "300 OAK AVE")][2] == "FLOOR 2"
    assert state[(npi(1), "55 CURATOR WAY")][9] is None  # not the import's
    assert_derived_columns_match_the_triggers()
    assert "bloomfield" in Physician.objects.get(npi=npi(1)).location_text

    # When a file lists none of physician 1's, its untouched imported ones go (with the insurance plans one
    # takes), and the curator's stay
    PracticeLocation.objects.get(address_line1="200 ELM ST").plans.set([insurance_plan("aetna", "ppo")])
    assert Physician.objects.get(npi=npi(1)).insurance_plan_ids == [insurance_plan("aetna", "ppo").pk]
    run = import_nppes(write_locations(tmp_path / "pl_pfile_20050523-20250105.csv", nxt[1:2]))
    assert (run.locations_created, run.locations_updated, run.locations_removed) == (0, 0, 2)
    assert {(entry[0], entry[1]) for entry in secondary_state()} == {
        (npi(1), "55 CURATOR WAY"),
        (npi(2), "300 OAK AVE"),
        (npi(6), "600 PINE ST"),
    }
    assert SecondaryLocation.objects.count() == 2
    assert not AcceptedPlan.objects.exists() and Physician.objects.get(npi=npi(1)).insurance_plan_ids == []
    # And the physicians' search columns are what the directory's own triggers derive from their locations
    assert_derived_columns_match_the_triggers()
    assert Physician.objects.get(npi=npi(1)).location_text == "new york hartford"  # primary, curator's


def test_a_zip_holding_both_files_imports_physicians_then_their_secondary_locations(nucc, tmp_path, import_nppes):
    path = zip_with_locations(
        tmp_path / "NPPES_Data_Dissemination_November_2024.zip",
        [row(npi(1)), row(npi(2))],
        [location(npi(1)), location(npi(2), line1="9 SIDE ST"), location(npi(3))],
    )
    run = import_nppes(path)
    assert (run.created, run.locations_created) == (2, 2)
    assert run.file_name.endswith("npidata_pfile_20050523-20241110.csv + " + path.name + ":" + PL_NAME)
    assert [entry[:2] for entry in secondary_state()] == [(npi(1), "100 MAIN ST"), (npi(2), "9 SIDE ST")]
    again = import_nppes(path)
    assert (again.created, again.updated, again.locations_created, again.locations_updated) == (0, 0, 0, 0)


def test_a_renamed_secondary_file_is_known_by_its_header(directory, tmp_path, import_nppes):
    run = import_nppes(write_locations(tmp_path / "locations-november.csv", [location(npi(2))]))
    assert (run.created, run.locations_created) == (0, 1)
    assert [entry[:2] for entry in secondary_state()] == [(npi(2), "100 MAIN ST")]


def test_limit_leaves_the_secondary_file_alone(nucc, tmp_path, import_nppes):
    path = zip_with_locations(tmp_path / "monthly.zip", [row(npi(1))], [location(npi(1))])
    run = import_nppes(path, "--limit", "5")
    assert run.created == 1 and run.locations_created == 0
    assert "read whole or not at all" in run.message


def test_a_file_without_the_secondary_columns_is_refused(nucc, tmp_path):
    path = tmp_path / PL_NAME
    path.write_text('"NPI","Something Else"\r\n"1234567893","X"\r\n')
    with pytest.raises(Exception, match="no column 'Provider Secondary Practice Location Address- Address Line 1'"):
        call_command("import_nppes", str(path), "--no-progress", stdout=StringIO())


# Killed part-way (SIGKILL while a batch waits for a row lock), then rerun: as one clean run.

KILL_PHYSICIANS = 60
BATCH = 10
LOCKED = 33  # the physician whose imported location the next file moves, in the 4th batch


def _kill_files(tmp_path):
    physicians = write_nppes(tmp_path / "npidata_pfile_1.csv", [row(npi(n)) for n in range(1, KILL_PHYSICIANS + 1)])
    first = write_locations(
        tmp_path / "pl_pfile_1.csv", [location(npi(n), line1=f"{n} FIRST ST") for n in range(1, KILL_PHYSICIANS + 1)]
    )
    # Every third moves, every fourth is gone, every one gets a new one
    nxt = []
    for n in range(1, KILL_PHYSICIANS + 1):
        if n % 4:
            nxt.append(location(npi(n), line1=f"{n} MOVED ST" if n % 3 == 0 else f"{n} FIRST ST"))
        nxt.append(location(npi(n), line1=f"{n} NEW AVE", postal="10001", city="NEW YORK", state="NY"))
    return physicians, first, write_locations(tmp_path / "pl_pfile_2.csv", nxt)


def _all_locations() -> list[tuple]:
    return [entry[:-1] for entry in secondary_state()] + [
        (len(SecondaryLocation.objects.all()), PracticeLocation.history.filter(history_type="-").count())
    ]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_import_killed_mid_way_then_rerun_equals_a_clean_run(tmp_path, django_db_setup):
    call_command("import_nucc", str(settings.BASE_DIR / "tests" / "data" / "nucc_taxonomy_25.1.csv"), stdout=StringIO())
    physicians, first, nxt = _kill_files(tmp_path)
    for path in (physicians, first):
        call_command("import_nppes", str(path), "--no-progress", stdout=StringIO())
    locked_id = PracticeLocation.objects.get(address_line1=f"{LOCKED} FIRST ST").pk

    blocked_in = kill_import_waiting_for_lock(
        "SELECT id FROM directory_practicelocation WHERE id = %s FOR UPDATE",
        [locked_id],
        [str(nxt), "--batch-size", str(BATCH), "--no-progress"],
    )
    assert "FOR UPDATE" in blocked_in, blocked_in
    # The batches before the blocked one committed: physicians 1-30 have their new locations, 31 on not yet
    new = set(
        PracticeLocation.objects.filter(address_line1__endswith="NEW AVE").values_list("physician__npi", flat=True)
    )
    assert new == {npi(n) for n in range(1, 31)}

    call_command("import_nppes", str(nxt), "--batch-size", str(BATCH), "--no-progress", stdout=StringIO())
    rerun = _all_locations()

    wipe_directory(django_db_setup.owner)
    for path in (physicians, first, nxt):
        call_command("import_nppes", str(path), "--batch-size", str(BATCH), "--no-progress", stdout=StringIO())
    assert rerun == _all_locations()
    assert PracticeLocation.objects.filter(is_primary=False).count() == KILL_PHYSICIANS + KILL_PHYSICIANS * 3 // 4


def test_the_queries_of_a_batch_do_not_grow_with_its_physicians(directory, tmp_path, import_nppes):
    """Set-based: a file with one location each of 2 physicians costs the queries of one with 6, moves and
    removals included."""

    def queries(count: int, street: str) -> int:
        rows = [location(npi(n), line1=f"{n} {street}", postal=f"0{6001 + n}") for n in range(1, count + 1)]
        with CaptureQueriesContext(connection) as captured:
            import_nppes(write_locations(tmp_path / f"pl_pfile_{street[:3]}{count}.csv", rows))
        return len(captured)

    # Creating, then moving, each location of 2 physicians and then of 6
    small = [queries(2, "FIRST ST"), queries(2, "SECOND ST")]
    PracticeLocation.objects.filter(is_primary=False).delete()
    assert [queries(6, "FIRST ST"), queries(6, "SECOND ST")] == small
