"""import_nppes: mapping, layouts, file shapes, upserts, curator edits, dry runs and limits."""

import csv
import datetime
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.directory.models import Physician, PhysicianSpecialty, PracticeLocation, Specialty
from apps.registry.models import ImportRun, KeptEdit, NppesRecord
from tests.factories import PhysicianFactory

from .nppes_files import SAMPLE, deactivated_row, mixed_rows, npi, row, write_nppes, wrong_check_digit, zip_nppes

pytestmark = pytest.mark.django_db


def specialties_of(number: str) -> list[tuple[str, bool]]:
    return sorted(PhysicianSpecialty.objects.filter(physician__npi=number).values_list("specialty__code", "is_primary"))


def test_real_sample_is_mapped_field_by_field(import_nppes):
    # Given the real 2018 sample subset (329 columns, CRLF): 157 rows, 54 with an oncology code
    # When it is imported
    run = import_nppes(SAMPLE)

    # Then every oncology row is a physician, the others are not
    assert (run.status, run.kind, run.read, run.matched, run.created, run.updated, run.rejected) == (
        "succeeded",
        "full",
        157,
        54,
        54,
        0,
        0,
    )
    assert Physician.objects.count() == 54
    # And one real row is mapped field by field (a hematology-oncologist in Hartford)
    physician = Physician.objects.get(npi="1710980735")
    assert (physician.first_name, physician.last_name, physician.credentials, physician.sex) == (
        "SYED",
        "BILGRAMI",
        "MD",
        "M",
    )
    assert physician.enumerated_on == datetime.date(2005, 5, 23)
    assert physician.nppes_updated_on == datetime.date(2014, 2, 24)
    assert (physician.is_active, physician.deactivated_on, physician.source) == (True, None, "nppes")
    location = physician.locations.get()
    assert (location.address_line1, location.city, location.state, location.zip_code, location.phone) == (
        "94 WOODLAND ST",
        "HARTFORD",
        "CT",
        "06105-1217",
        "8607144680",
    )
    assert location.is_primary
    assert location.latitude == pytest.approx(41.77, abs=0.1)
    assert location.longitude == pytest.approx(-72.69, abs=0.1)
    # Both oncology taxonomies, the primary switch on the one NPPES marks primary
    assert specialties_of("1710980735") == [("207RH0000X", False), ("207RH0003X", True)]
    # And the import is recorded, with history rows for the new physicians
    assert "read 157, matched 54, created 54" in run.output
    assert physician.history.first().history_change_reason == "NPPES import"


@pytest.mark.parametrize(
    ("current", "newline", "bom"),
    [
        pytest.param(True, "\r\n", True, id="330-columns-crlf-bom"),
        pytest.param(True, "\n", False, id="330-columns-lf"),
        pytest.param(False, "\r\n", False, id="329-columns-gender-code"),
        pytest.param(False, "\n", True, id="329-columns-lf-bom"),
    ],
)
def test_both_layouts_line_ends_and_bom(import_nppes, tmp_path, current, newline, bom):
    # Given a file in either layout, with either line end, with or without a byte-order mark
    path = write_nppes(
        tmp_path / "npidata_pfile_20050523-20241110.csv",
        [row(npi(1), sex="F", current=current), row(npi(2), sex="M", last="OSLER", current=current)],
        current=current,
        newline=newline,
        bom=bom,
    )

    # When it is imported
    run = import_nppes(path)

    # Then the columns are found by name, whatever their position
    assert (run.read, run.matched, run.created) == (2, 2, 2)
    assert sorted(Physician.objects.values_list("last_name", "sex")) == [("CURIE", "F"), ("OSLER", "M")]


def test_quoted_commas_quotes_and_newlines(import_nppes, tmp_path):
    # Given values with commas, double quotes and a line break inside quoted fields, around other rows
    path = write_nppes(
        tmp_path / "npidata.csv",
        [
            row(npi(1), last='O"NEIL, JR', line1="1 MAIN ST, FLOOR 2", line2='SUITE "B"\r\nBUILDING 4'),
            row(npi(2), codes=(("207Q00000X", "Y"),), line2="not ours\r\nbut 207RX0202X is in here"),
            row(npi(3), last="PLAIN"),
        ],
    )

    # When it is imported
    run = import_nppes(path)

    # Then the values come back intact and the record spanning two lines counts once
    assert (run.read, run.matched, run.created, run.rejected) == (3, 2, 2, 0)
    location = PracticeLocation.objects.get(physician__npi=npi(1))
    assert Physician.objects.get(npi=npi(1)).last_name == 'O"NEIL, JR'
    assert (location.address_line1, location.address_line2) == ("1 MAIN ST, FLOOR 2", 'SUITE "B"\r\nBUILDING 4')
    assert Physician.objects.filter(npi=npi(3)).exists()


@pytest.mark.parametrize("workers", ["0", "2"], ids=["in-process", "workers-asked"])
def test_unquoted_file_is_read_too(import_nppes, tmp_path, workers):
    path = write_nppes(tmp_path / "npidata.csv", [row(npi(1)), row(npi(2))], quote_all=False)

    run = import_nppes(path, "--workers", workers)

    assert (run.read, run.created) == (2, 2)


@pytest.mark.parametrize("workers", ["0", "2"], ids=["in-process", "workers-asked"])
def test_zip_member_is_streamed(import_nppes, tmp_path, workers):
    # Given the dissemination zip: a header-only file, the data file and another member
    path = zip_nppes(tmp_path / "NPPES_Data_Dissemination_November_2024.zip", [row(npi(1)), row(npi(2))])

    # When it is imported (a zip is always read in order, by the importing process)
    run = import_nppes(path, "--workers", workers)

    # Then the npidata_pfile member is read, and the run names it
    assert (run.read, run.created) == (2, 2)
    assert run.file_name == "NPPES_Data_Dissemination_November_2024.zip:npidata_pfile_20050523-20241110.csv"
    assert not list(tmp_path.glob("*.csv"))  # nothing was extracted


def test_zip_without_a_data_member_is_a_clear_error(tmp_path):
    import zipfile

    path = tmp_path / "other.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")

    with pytest.raises(CommandError, match="has no npidata_pfile_"):
        call_command("import_nppes", str(path), "--no-progress")

    assert ImportRun.objects.get().status == "failed"
    assert Physician.objects.count() == 0


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        pytest.param(row(wrong_check_digit(npi(50))), "NPI check digit is wrong", id="check-digit"),
        pytest.param(row("12345", last="SHORT"), "NPI is not 10 digits", id="npi-format"),
        pytest.param(row(npi(51), last=""), "no last name", id="no-last-name"),
        pytest.param(
            row(npi(52), updated="2024-01-15"),
            "malformed date in Last Update Date: '2024-01-15'",
            id="iso-date",
        ),
        pytest.param(
            row(npi(53), enumerated="02/30/2005"),
            "malformed date in Provider Enumeration Date: '02/30/2005'",
            id="impossible-date",
        ),
        pytest.param(
            [npi(54), "1", "", "", "", "SHORT", "ROW", "207RX0202X"],
            "wrong number of columns: 8 instead of 330",
            id="columns",
        ),
    ],
)
def test_bad_rows_are_rejected_with_line_and_reason(import_nppes, tmp_path, bad, reason):
    # Given a bad row between two good ones
    path = write_nppes(tmp_path / "npidata.csv", [row(npi(1)), bad, row(npi(2))])
    rejects = tmp_path / "rejects.csv"

    # When it is imported
    run = import_nppes(path, "--rejects", str(rejects))

    # Then the good rows are in, the bad one is listed with its line number (line 3: after the header)
    assert (run.status, run.created, run.rejected) == ("succeeded", 2, 1)
    assert sorted(Physician.objects.values_list("npi", flat=True)) == sorted([npi(1), npi(2)])
    with rejects.open(newline="") as handle:
        listed = list(csv.reader(handle))
    bad_npi = bad[0] if isinstance(bad, list) else bad["NPI"]
    assert listed == [["line", "npi", "reason"], ["3", bad_npi, reason]]
    assert run.rejects_path == str(rejects)


def test_rejects_go_to_a_default_file_when_not_given(import_nppes, tmp_path, settings):
    settings.BASE_DIR = tmp_path
    path = write_nppes(tmp_path / "npidata.csv", [row(npi(1), last="")])

    run = import_nppes(path)

    assert run.rejects_path == str(tmp_path / "var" / "imports" / f"nppes-rejects-{run.pk}.csv")
    assert "no last name" in (tmp_path / "var" / "imports" / f"nppes-rejects-{run.pk}.csv").read_text()


@pytest.mark.parametrize("batch_size", ["1", "5000"], ids=["across-batches", "same-batch"])
def test_duplicate_npis_the_last_row_wins(import_nppes, tmp_path, batch_size):
    # Given the same NPI twice in one file, with different names
    path = write_nppes(
        tmp_path / "npidata.csv", [row(npi(1), last="FIRSTSEEN"), row(npi(2)), row(npi(1), last="LASTSEEN")]
    )

    # When it is imported, in one batch or in batches of one row
    run = import_nppes(path, "--batch-size", batch_size)

    # Then the later row wins, deterministically
    assert Physician.objects.get(npi=npi(1)).last_name == "LASTSEEN"
    assert Physician.objects.count() == 2
    assert run.matched == 3


def test_deactivation_then_reactivation(import_nppes, tmp_path):
    # Given an imported oncologist
    import_nppes(write_nppes(tmp_path / "first.csv", [row(npi(1)), row(npi(2))]))

    # When NPPES publishes the NPI as deactivated (blank but for its dates)
    run = import_nppes(write_nppes(tmp_path / "second.csv", [deactivated_row(npi(1)), row(npi(2))]))

    # Then the physician is inactive with the date, and keeps the name and practice we knew
    physician = Physician.objects.get(npi=npi(1))
    assert (physician.is_active, physician.deactivated_on) == (False, datetime.date(2024, 6, 1))
    assert (physician.last_name, physician.locations.count(), len(specialties_of(npi(1)))) == ("CURIE", 1, 1)
    assert (run.deactivated, run.updated, run.unchanged, run.reactivated) == (1, 1, 1, 0)

    # When a later file carries a reactivation date after the deactivation
    run = import_nppes(
        write_nppes(
            tmp_path / "third.csv", [row(npi(1), deactivated="06/01/2024", reactivated="09/02/2024"), row(npi(2))]
        )
    )

    # Then the physician is active again
    physician.refresh_from_db()
    assert (physician.is_active, physician.reactivated_on) == (True, datetime.date(2024, 9, 2))
    assert (run.reactivated, run.deactivated, run.updated) == (1, 0, 1)


def test_reactivation_date_before_deactivation_stays_inactive(import_nppes, tmp_path):
    import_nppes(write_nppes(tmp_path / "a.csv", [row(npi(1))]))
    path = write_nppes(tmp_path / "f.csv", [row(npi(1), deactivated="06/01/2024", reactivated="01/01/2020")])

    import_nppes(path)

    assert Physician.objects.get(npi=npi(1)).is_active is False


def test_deactivated_npi_unknown_to_the_directory_is_ignored(import_nppes, tmp_path):
    run = import_nppes(write_nppes(tmp_path / "f.csv", [deactivated_row(npi(9))]))

    assert (run.read, run.matched, Physician.objects.count()) == (1, 0, 0)


def written_tables(queries) -> set[str]:
    """The tables the captured statements insert into, update, delete from, truncate or copy into."""
    pattern = re.compile(r'(?<!DO )\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|TRUNCATE|COPY)\s+"?([a-z_]+)', re.IGNORECASE)
    return {table for q in queries.captured_queries for table in pattern.findall(q["sql"])}


@pytest.mark.parametrize("remembered", [True, False], ids=["remembered", "compared-in-full"])
def test_reimport_of_an_unchanged_file_writes_nothing(import_nppes, tmp_path, remembered):
    # Given an imported file (and, or not, what that import remembered of each physician)
    path = write_nppes(tmp_path / "f.csv", [row(npi(n), last=f"NAME{n}", line2="FLOOR 2\r\nB") for n in range(1, 8)])
    import_nppes(path)
    stamps = dict(Physician.objects.values_list("npi", "updated_at"))
    history = Physician.history.count()
    if not remembered:
        NppesRecord.objects.all().delete()

    # When it is imported again
    with CaptureQueriesContext(connection) as queries:
        run = import_nppes(path, "--batch-size", "3")

    # Then every row is unchanged and no directory row was written
    assert (run.read, run.matched, run.created, run.updated, run.unchanged) == (7, 7, 0, 0, 7)
    assert dict(Physician.objects.values_list("npi", "updated_at")) == stamps
    assert Physician.history.count() == history
    compared = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().startswith("SELECT p.id, p.npi")]
    if remembered:
        # each physician recognised from what the last import remembered, without a full comparison
        assert (compared, written_tables(queries)) == ([], {"registry_importrun"})
    else:
        # compared in full (the snapshot the first import stored equals the registry's values), and
        # remembered for the next time
        assert compared
        assert written_tables(queries) == {"registry_importrun", "registry_nppesrecord"}
        assert NppesRecord.objects.count() == 7


@pytest.mark.parametrize("workers", ["0", "2"], ids=["in-process", "scan-workers"])
def test_records_read_before_are_parsed_only_when_their_physician_changed(import_nppes, tmp_path, monkeypatch, workers):
    from apps.registry.pipeline import parse

    parsed = []
    parse_record = parse.parse_record

    def counting(line_no, raw, *args, **kwargs):
        parsed.append(raw[:12].decode())  # in this process: the Seen records the importer parses
        return parse_record(line_no, raw, *args, **kwargs)

    # Given an imported file
    path = write_nppes(tmp_path / "f.csv", [row(npi(n), last=f"NAME{n}") for n in range(1, 6)])
    import_nppes(path, "--workers", workers)
    monkeypatch.setattr(parse, "parse_record", counting)

    # When it is imported again: then no record is parsed, and all are unchanged
    run = import_nppes(path, "--workers", "0")
    assert (parsed, run.matched, run.unchanged, run.updated) == ([], 5, 5, 0)

    # When a curator edits one physician and the same file comes again
    Physician.objects.filter(npi=npi(2)).update(first_name="EDITED")
    run = import_nppes(path, "--workers", "0")

    # Then only that record is parsed, and compared in full: the edit is kept and listed
    assert parsed == [f'"{npi(2)}"']
    assert (run.matched, run.unchanged, run.updated) == (5, 5, 0)
    assert list(KeptEdit.objects.values_list("physician__npi", "field")) == [(npi(2), "first_name")]

    # And with another file, every changed record is parsed as usual
    parsed.clear()
    changed = write_nppes(tmp_path / "g.csv", [row(npi(n), last=f"OTHER{n}") for n in range(1, 6)])
    run = import_nppes(changed, "--workers", "0")
    assert (len(parsed), run.updated) == (5, 5)


def test_a_registry_change_updates_only_that_physician(import_nppes, tmp_path):
    import_nppes(write_nppes(tmp_path / "a.csv", [row(npi(1)), row(npi(2))]))
    before = Physician.objects.get(npi=npi(2)).updated_at

    run = import_nppes(
        write_nppes(
            tmp_path / "b.csv",
            [
                row(
                    npi(1),
                    credentials="MD PHD",
                    postal="021155450",
                    city="BOSTON",
                    state="MA",
                    codes=(("207RH0003X", "Y"), ("207RX0202X", "N")),
                ),
                row(npi(2)),
            ],
        )
    )

    assert (run.updated, run.unchanged) == (1, 1)
    physician = Physician.objects.get(npi=npi(1))
    assert physician.credentials == "MD PHD"
    location = physician.locations.get()
    assert (location.city, location.zip_code) == ("BOSTON", "02115-5450")
    assert location.latitude == pytest.approx(42.34, abs=0.1)
    assert specialties_of(npi(1)) == [("207RH0003X", True), ("207RX0202X", False)]
    assert Physician.objects.get(npi=npi(2)).updated_at == before


def test_curator_edit_is_kept_and_listed_for_review(import_nppes, tmp_path):
    # Given an imported physician whose last name and city a curator then corrected
    import_nppes(write_nppes(tmp_path / "a.csv", [row(npi(1), last="CURIE")]))
    physician = Physician.objects.get(npi=npi(1))
    physician.last_name = "Curie-Sklodowska"
    physician.save()
    PracticeLocation.objects.filter(physician=physician).update(city="Manhattan")

    # When the registry changes the last name and the credentials
    run = import_nppes(write_nppes(tmp_path / "b.csv", [row(npi(1), last="SKLODOWSKA", credentials="DO")]))

    # Then the curator's values stay, the registry's other change is applied
    physician.refresh_from_db()
    assert (physician.last_name, physician.credentials) == ("Curie-Sklodowska", "DO")
    assert PracticeLocation.objects.get(physician=physician).city == "Manhattan"
    assert run.updated == 1
    # And both differences are listed for review
    assert sorted(KeptEdit.objects.values_list("field", "curator_value", "registry_value", "resolved")) == [
        ("city", "Manhattan", "NEW YORK", False),
        ("last_name", "Curie-Sklodowska", "SKLODOWSKA", False),
    ]

    # When the same file comes again
    stamp = physician.updated_at
    run = import_nppes(tmp_path / "b.csv")

    # Then nothing is written and the review list is the same
    physician.refresh_from_db()
    assert (run.unchanged, physician.updated_at, KeptEdit.objects.count()) == (1, stamp, 2)


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda p: Physician.objects.filter(pk=p.pk).update(credentials="MD, PHD"), id="physician"),
        pytest.param(lambda p: PracticeLocation.objects.filter(physician=p).update(zip_code="10021"), id="location"),
        pytest.param(
            lambda p: PhysicianSpecialty.objects.filter(physician=p).update(
                specialty=Specialty.objects.get(code="207RH0003X")
            ),
            id="specialty",
        ),
    ],
)
def test_an_edit_since_the_last_import_is_seen_even_when_the_file_is_the_same(import_nppes, tmp_path, edit):
    # Given an imported file, and then a curator's edit that bypasses every save hook
    path = write_nppes(tmp_path / "a.csv", [row(npi(1)), row(npi(2), last="OSLER")])
    import_nppes(path)
    edit(Physician.objects.get(npi=npi(1)))

    # When the same file is imported again
    run = import_nppes(path)

    # Then the edited physician is compared in full: the edit is kept and listed, the other is unchanged
    assert (run.unchanged, run.updated) == (2, 0)
    listed = sorted(KeptEdit.objects.values_list("physician__npi", "field"))
    assert listed and {number for number, _ in listed} == {npi(1)}

    # And a curator deleting those entries does not hide the difference from the next import
    KeptEdit.objects.all().delete()
    import_nppes(path)
    assert sorted(KeptEdit.objects.values_list("physician__npi", "field")) == listed


def test_resolved_edit_reopens_only_when_the_registry_changes_again(import_nppes, tmp_path):
    import_nppes(write_nppes(tmp_path / "a.csv", [row(npi(1), last="CURIE")]))
    Physician.objects.filter(npi=npi(1)).update(last_name="Curie-Sklodowska")
    import_nppes(tmp_path / "a.csv")
    KeptEdit.objects.update(resolved=True, resolved_at=datetime.datetime.now(datetime.UTC))

    import_nppes(tmp_path / "a.csv")
    assert KeptEdit.objects.get().resolved is True

    import_nppes(write_nppes(tmp_path / "b.csv", [row(npi(1), last="SKLODOWSKA")]))
    edit = KeptEdit.objects.get()
    assert (edit.resolved, edit.registry_value) == (False, "SKLODOWSKA")


def test_manual_physician_with_the_same_npi_keeps_what_the_curator_entered(import_nppes, tmp_path):
    # Given a physician a curator entered by hand, never imported
    physician = PhysicianFactory(npi=npi(1), first_name="Marie", last_name="Curie", credentials="")

    # When NPPES lists the NPI
    run = import_nppes(write_nppes(tmp_path / "a.csv", [row(npi(1), first="MARIE", last="CURIE")]))

    # Then the typed-in names stay, blanks are filled from the registry, and nothing is created twice
    physician.refresh_from_db()
    assert (physician.first_name, physician.credentials, physician.source) == ("Marie", "MD", "manual")
    assert (run.created, run.updated) == (0, 1)
    assert physician.locations.count() == 1
    assert KeptEdit.objects.filter(physician=physician, field="first_name").exists()


def test_dry_run_writes_nothing(import_nppes, tmp_path):
    path = write_nppes(tmp_path / "a.csv", [row(npi(1)), row(npi(2))])
    history = Physician.history.count()

    run = import_nppes(path, "--dry-run")

    assert (run.dry_run, run.created, run.read) == (True, 2, 2)
    assert "Dry run: read 2" in run.output
    assert (Physician.objects.count(), PracticeLocation.objects.count(), PhysicianSpecialty.objects.count()) == (
        0,
        0,
        0,
    )
    assert Physician.history.count() == history


@pytest.mark.parametrize("workers", ["0", "2"], ids=["in-process", "workers-asked"])
def test_limit_stops_after_n_rows(import_nppes, tmp_path, workers):
    path = write_nppes(tmp_path / "a.csv", [row(npi(n)) for n in range(1, 11)])

    run = import_nppes(path, "--limit", "4", "--workers", workers)

    assert (run.read, run.created) == (4, 4)
    assert sorted(Physician.objects.values_list("npi", flat=True)) == sorted(npi(n) for n in range(1, 5))


def test_taxonomies_option_narrows_the_codes(import_nppes, tmp_path):
    path = write_nppes(
        tmp_path / "a.csv",
        [row(npi(1), codes=(("2085R0001X", "Y"),)), row(npi(2), codes=(("207RX0202X", "Y"),))],
    )

    run = import_nppes(path, "--taxonomies", "2085R0001X")

    assert (run.matched, list(Physician.objects.values_list("npi", flat=True))) == (1, [npi(1)])


@pytest.mark.parametrize(
    ("codes", "message"),
    [
        pytest.param("207RX0202", "Not NUCC taxonomy codes: 207RX0202", id="malformed"),
        pytest.param("101Y00000X", "Unknown taxonomy codes", id="not-loaded"),
    ],
)
def test_bad_taxonomies_option_is_a_clear_error(tmp_path, codes, message):
    path = write_nppes(tmp_path / "a.csv", [row(npi(1))])

    with pytest.raises(CommandError, match=message):
        call_command("import_nppes", str(path), "--taxonomies", codes, "--no-progress")

    assert Physician.objects.count() == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(b"", "The file is empty", id="empty"),
        pytest.param(
            b'"NPI","Name"\r\n"1234567893","X"\r\n', "Not an NPPES data file: the header has no", id="not-nppes"
        ),
    ],
)
def test_not_an_nppes_file_is_a_clear_error(tmp_path, content, message):
    path = tmp_path / "x.csv"
    path.write_bytes(content)

    with pytest.raises(CommandError, match=message):
        call_command("import_nppes", str(path), "--no-progress")

    assert ImportRun.objects.get().status == "failed"


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_nppes", str(tmp_path / "nope.csv"), "--no-progress")


def test_weekly_file_is_recorded_as_weekly(import_nppes, tmp_path):
    run = import_nppes(write_nppes(tmp_path / "npidata_pfile_20241104-20241110_weekly.csv", [row(npi(1))]))

    assert run.kind == "weekly"


def test_a_second_import_while_one_runs_is_refused(tmp_path, monkeypatch):
    # Given another session holding the import lock (an import in progress)
    import psycopg2
    from django.conf import settings as django_settings

    from apps.registry import services

    monkeypatch.setattr(services, "LOCK_WAIT_SECONDS", 0.2)
    database = django_settings.DATABASES["default"]
    other = psycopg2.connect(
        dbname=database["NAME"], user=database["USER"], host=database["HOST"], port=database["PORT"]
    )
    other.autocommit = True
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [services.IMPORT_LOCK_KEY])

        # When an import starts
        with pytest.raises(CommandError, match="Another registry import is running"):
            call_command("import_nppes", str(write_nppes(tmp_path / "a.csv", [row(npi(1))])), "--no-progress")
    finally:
        other.close()

    # Then it wrote nothing, not even a run
    assert (Physician.objects.count(), ImportRun.objects.count()) == (0, 0)


def test_progress_bar_shows_rows_per_second(tmp_path, capsys):
    from apps.registry.services import nppes_import

    nppes_import(path=write_nppes(tmp_path / "a.csv", [row(npi(1)), row(npi(2))]), progress=True)

    err = capsys.readouterr().err
    assert "2 rows" in err
    assert "rows/s" in err


def test_the_centroids_are_read_without_loading_the_zipcodes_package_in_the_process():
    # The package keeps its whole table in the process that loads it (about 140 MB a web worker).
    script = (
        "import sys; from apps.directory import geo; "
        "print(geo.zip_centroid('10065'), geo.zip_place('10065'), geo.zip_centroid_text('06105-1217'), "
        "geo.zip_centroid('00000'), 'zipcodes' in sys.modules)"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=120, check=True
    )
    import zipcodes

    expected = zipcodes.matching("10065")[0]
    hartford = zipcodes.matching("06105")[0]
    assert done.stdout.split(") ", 3)[:2] == [
        f"({float(expected['lat'])}, {float(expected['long'])}",
        f"('{expected['city']}', '{expected['state']}'",
    ]
    assert done.stdout.rstrip().endswith(f"('{float(hartford['lat'])}', '{float(hartford['long'])}') None False")


def test_migrate_extracts_the_centroids_an_import_reads(tmp_path, monkeypatch):
    from django.core.management import call_command

    from apps.directory import geo

    # Given a machine where no centroids were extracted yet
    monkeypatch.setattr(geo, "CACHE_DIR", tmp_path / "cache")
    # When it is set up / then the file the imports read is there, with every ZIP's centroid
    call_command("migrate", verbosity=0)
    (extracted,) = (tmp_path / "cache").iterdir()
    assert extracted == geo.extract()
    assert len(extracted.read_text().splitlines()) > 40_000


def test_migrate_still_succeeds_where_the_centroids_cannot_be_written(tmp_path, monkeypatch, caplog):
    from django.core.management import call_command

    from apps.directory import geo

    blocked = tmp_path / "a-file"
    blocked.write_text("")
    monkeypatch.setattr(geo, "CACHE_DIR", blocked / "cache")
    call_command("migrate", verbosity=0)
    assert "ZIP centroids not extracted" in caplog.text


def test_a_curator_save_during_the_import_wins(import_nppes, tmp_path, monkeypatch):
    # Given an imported physician
    import_nppes(write_nppes(tmp_path / "a.csv", [row(npi(1), credentials="MD")]))
    from apps.registry.pipeline import write

    real = write.ensure_temp_tables

    def curator_saves_meanwhile(cursor):
        # A curator's save lands after the import read the physician and before it writes.
        physician = Physician.objects.get(npi=npi(1))
        physician.last_name = "Saved meanwhile"
        physician.save()
        real(cursor)

    monkeypatch.setattr(write, "ensure_temp_tables", curator_saves_meanwhile)

    # When the import would change that physician
    run = import_nppes(write_nppes(tmp_path / "b.csv", [row(npi(1), credentials="DO")]))

    # Then the curator's save is not overwritten, and the import changed nothing there
    physician = Physician.objects.get(npi=npi(1))
    assert (physician.last_name, physician.credentials) == ("Saved meanwhile", "MD")
    assert (run.updated, run.unchanged) == (0, 1)

    # When the next import runs undisturbed
    monkeypatch.setattr(write, "ensure_temp_tables", real)
    import_nppes(tmp_path / "b.csv")

    # Then the registry's change lands and the curator's edit is kept for review
    physician.refresh_from_db()
    assert (physician.last_name, physician.credentials) == ("Saved meanwhile", "DO")
    assert KeptEdit.objects.get().field == "last_name"


def test_a_write_lost_to_a_concurrent_save_is_retried_by_the_next_import_of_the_same_file(
    import_nppes, tmp_path, monkeypatch
):
    # Given an imported physician, and a curator who saves it (changing nothing) while the next import
    # runs, after the import read it and before it writes
    import_nppes(write_nppes(tmp_path / "a.csv", [row(npi(1), credentials="MD")]))
    from apps.registry.pipeline import write

    real = write.ensure_temp_tables

    def curator_saves_meanwhile(cursor):
        Physician.objects.get(npi=npi(1)).save()
        real(cursor)

    monkeypatch.setattr(write, "ensure_temp_tables", curator_saves_meanwhile)
    run = import_nppes(write_nppes(tmp_path / "b.csv", [row(npi(1), credentials="DO")]))
    assert (run.updated, Physician.objects.get(npi=npi(1)).credentials) == (0, "MD")

    # When the same file is imported undisturbed
    monkeypatch.setattr(write, "ensure_temp_tables", real)
    run = import_nppes(tmp_path / "b.csv")

    # Then the registry's change lands: the lost write was not remembered as seen
    assert (run.updated, Physician.objects.get(npi=npi(1)).credentials) == (1, "DO")
    assert not KeptEdit.objects.exists()


def test_specialties_a_curator_added_outside_the_imported_codes_stay(import_nppes, tmp_path, nucc):
    # Given an imported oncologist to whom a curator added a non-oncology specialty
    import_nppes(write_nppes(tmp_path / "a.csv", [row(npi(1))]))
    physician = Physician.objects.get(npi=npi(1))
    PhysicianSpecialty.objects.create(physician=physician, specialty=Specialty.objects.get(code="207R00000X"))

    # When the registry adds another oncology code
    import_nppes(write_nppes(tmp_path / "b.csv", [row(npi(1), codes=(("207RX0202X", "Y"), ("207RH0003X", "N")))]))

    # Then the registry's oncology codes are applied and the curator's other specialty stays
    assert specialties_of(npi(1)) == [("207R00000X", False), ("207RH0003X", False), ("207RX0202X", True)]
    assert not KeptEdit.objects.exists()


def test_a_primary_a_curator_chose_outside_the_imported_codes_stays(import_nppes, tmp_path, nucc):
    import_nppes(write_nppes(tmp_path / "a.csv", [row(npi(1))]))
    physician = Physician.objects.get(npi=npi(1))
    PhysicianSpecialty.objects.filter(physician=physician).update(is_primary=False)
    PhysicianSpecialty.objects.create(
        physician=physician, specialty=Specialty.objects.get(code="207R00000X"), is_primary=True
    )

    import_nppes(write_nppes(tmp_path / "b.csv", [row(npi(1), codes=(("207RX0202X", "Y"), ("207RH0003X", "N")))]))

    assert specialties_of(npi(1)) == [("207R00000X", True), ("207RH0003X", False), ("207RX0202X", False)]


def test_narrowing_the_taxonomies_leaves_the_other_codes_alone(import_nppes, tmp_path):
    # Given a physician imported with two oncology codes
    path = write_nppes(tmp_path / "a.csv", [row(npi(1), codes=(("207RX0202X", "Y"), ("207RH0003X", "N")))])
    import_nppes(path)

    # When the same file is imported for one of the codes only
    run = import_nppes(path, "--taxonomies", "207RH0003X")

    # Then the other code is not the import's business: nothing changes
    assert specialties_of(npi(1)) == [("207RH0003X", False), ("207RX0202X", True)]
    assert run.unchanged == 1

    # And a later import of every code still sees no curator edit
    run = import_nppes(path)
    assert (run.unchanged, KeptEdit.objects.count()) == (1, 0)


def test_deactivated_row_with_its_fields_still_changes_only_the_activity(import_nppes, tmp_path):
    # Given an imported oncologist
    import_nppes(write_nppes(tmp_path / "a.csv", [row(npi(1), credentials="MD")]))

    # When a file lists the NPI deactivated, with other values and no taxonomy
    run = import_nppes(
        write_nppes(tmp_path / "b.csv", [row(npi(1), credentials="DO", codes=(), deactivated="06/01/2024")])
    )

    # Then it is inactive, and keeps its specialties and the rest
    physician = Physician.objects.get(npi=npi(1))
    assert (physician.is_active, physician.credentials, run.deactivated) == (False, "MD", 1)
    assert specialties_of(npi(1)) == [("207RX0202X", True)]


def test_deactivated_oncologist_unknown_to_the_directory_is_not_created(import_nppes, tmp_path):
    run = import_nppes(write_nppes(tmp_path / "a.csv", [row(npi(1), deactivated="06/01/2024")]))

    assert (run.matched, run.created, Physician.objects.count()) == (0, 0, 0)


def test_imported_physicians_are_found_by_name_place_and_specialty(import_nppes, tmp_path):
    from apps.directory.geo import zip_centroid

    # Given physicians imported by the bulk path (the per-table triggers skipped, one refresh per batch)
    import_nppes(
        write_nppes(
            tmp_path / "a.csv",
            [
                row(npi(1), last="OSLER", first="WILLIAM", postal="021155450", city="BOSTON", state="MA"),
                row(npi(2), last="CUSHING", codes=(("2085R0001X", "Y"),)),
                row(npi(3), last="HALSTED", line1=""),  # no usable practice address
            ],
        ),
        "--batch-size",
        "2",
    )
    osler, cushing, halsted = (Physician.objects.get(npi=npi(n)) for n in (1, 2, 3))
    medical = Specialty.objects.get(code="207RX0202X").pk

    # Then search by name, by place, by ZIP and by specialty finds them, from their derived columns
    assert list(Physician.objects.active().search("osler william")) == [osler]
    assert set(Physician.objects.active().search("boston")) == {osler}
    assert set(Physician.objects.active().near(*zip_centroid("02115"), 5)) == {osler}
    assert set(Physician.objects.active().near(*zip_centroid("10065"), 5)) == {cushing}
    assert set(Physician.objects.active().in_specialties([medical])) == {osler, halsted}
    # NPPES does not say whether a physician accepts new patients: not known, and not in accepting=1's cells
    assert (osler.location_text, osler.specialty_ids, osler.accepting_new_patients) == ("boston", [medical], None)
    assert osler.geo_cells and not osler.accepting_geo_cells
    assert not halsted.geo_cells and halsted.location_text == ""
    # And they are exactly what the directory's own per-table triggers derive
    assert_derived_columns_match_the_triggers()

    # When the registry moves one, changes another's specialty and deactivates the third
    import_nppes(
        write_nppes(
            tmp_path / "b.csv",
            [
                row(npi(1), last="OSLER", first="WILLIAM", postal="10065", city="NEW YORK", state="NY"),
                row(npi(2), last="CUSHING", codes=(("207RX0202X", "Y"),)),
                deactivated_row(npi(3)),
            ],
        )
    )

    # Then the derived columns follow
    assert set(Physician.objects.active().near(*zip_centroid("02115"), 5)) == set()
    assert set(Physician.objects.active().near(*zip_centroid("10065"), 5)) == {osler, cushing}
    assert set(Physician.objects.active().search("new york")) == {osler, cushing}
    assert set(Physician.objects.active().in_specialties([medical])) == {osler, cushing}
    assert_derived_columns_match_the_triggers()


def assert_derived_columns_match_the_triggers():
    """Running the directory's per-table refreshes (what its triggers do) over every physician changes
    nothing the import derived."""
    derived = ["location_text", "accepting_new_patients", "geo_cells", "accepting_geo_cells", "specialty_ids"]
    derived += ["institution_text", "certified_until", "cancer_type_ids", "search_document", "search_vector"]
    derived += ["insurance_plan_ids"]

    def columns():
        return list(Physician.objects.order_by("id").values_list("id", *derived))

    before = columns()
    with connection.cursor() as cursor:
        for function in ("locations", "institutions", "certifications", "specialties", "cancer_types"):
            cursor.execute(f"SELECT directory_refresh_{function}(%s::bigint[])", [[row[0] for row in before]])
        assert columns() == before
        # New physicians are inserted with their derived columns: the set-based refresh agrees, so it
        # writes no row (a written row gets a new tuple, at a new ctid)
        cursor.execute("SELECT id, ctid::text FROM directory_physician ORDER BY id")
        places = cursor.fetchall()
        cursor.execute("SELECT directory_refresh_physicians(%s::bigint[])", [[row[0] for row in before]])
        cursor.execute("SELECT id, ctid::text FROM directory_physician ORDER BY id")
        assert cursor.fetchall() == places
    assert columns() == before


def test_new_physicians_of_the_real_sample_get_the_columns_a_refresh_derives(import_nppes):
    # Given the real sample: several oncology codes per row, primaries among them or not, unknown ZIPs
    import_nppes(SAMPLE)
    several = [ids for ids in Physician.objects.values_list("specialty_ids", flat=True) if len(ids) > 1]
    assert several and any(ids != sorted(ids) for ids in several)  # a primary listed before a lower id
    # Then their derived columns are exactly what the refreshes compute from their rows
    assert_derived_columns_match_the_triggers()


def test_scan_workers_import_exactly_what_one_process_imports(import_nppes, tmp_path, monkeypatch):
    from apps.registry.pipeline import parallel

    from .test_interrupted import directory_state, forget_directory

    # Given a directory from an earlier import, and a file of many rows: new, changed, deactivated,
    # duplicated, rejected, multi-line, and not ours
    import_nppes(write_nppes(tmp_path / "earlier.csv", [row(npi(n), last=f"OLD{n}") for n in range(1, 40, 3)]))
    path = write_nppes(tmp_path / "npidata_pfile_20050523-20241110.csv", mixed_rows())
    before = directory_state()
    monkeypatch.setattr(parallel, "CHUNK_BYTES", 20_000)  # ranges of a dozen rows, cut anywhere

    # When it is imported by scan workers, and again from the same start by this process alone
    parallel_run = import_nppes(path, "--workers", "2", "--batch-size", "25", "--rejects", str(tmp_path / "p.csv"))
    parallel_state = directory_state()
    forget_directory()
    import_nppes(tmp_path / "earlier.csv")
    assert directory_state() == before
    single_run = import_nppes(path, "--workers", "0", "--batch-size", "25", "--rejects", str(tmp_path / "s.csv"))

    # Then both end the same: rows, history, counts and rejects
    assert parallel_state == directory_state()
    counts = ("read", "matched", "created", "updated", "unchanged", "deactivated", "rejected", "duplicates")
    assert [getattr(parallel_run, name) for name in counts] == [getattr(single_run, name) for name in counts]
    assert (parallel_run.read, parallel_run.rejected, parallel_run.deactivated) == (150, 1, 1)
    assert (tmp_path / "p.csv").read_text() == (tmp_path / "s.csv").read_text()


def test_batches_start_small_and_double_up_to_the_batch_size(import_nppes, tmp_path, monkeypatch):
    from apps.registry.pipeline import nppes

    sizes = []
    real = nppes.apply_batch

    def counting(rows, **kwargs):
        sizes.append(len(rows))
        return real(rows, **kwargs)

    monkeypatch.setattr(nppes, "apply_batch", counting)
    monkeypatch.setattr(nppes, "FIRST_BATCH_SIZE", 2)

    run = import_nppes(write_nppes(tmp_path / "a.csv", [row(npi(n)) for n in range(1, 13)]), "--batch-size", "5")

    assert sizes == [2, 4, 5, 1]
    assert run.created == 12


def test_the_state_remembered_for_a_new_physician_is_the_one_sql_computes(import_nppes, tmp_path):
    from apps.registry.pipeline.state import STATE_SQL

    # Given new physicians with awkward values: spaces, quotes, commas, parentheses, backslashes, accents,
    # blanks, no practice address, several codes, dates or none
    import_nppes(
        write_nppes(
            tmp_path / "a.csv",
            [
                row(npi(1), last='O"NEIL, JR (II)', first="ZOË", middle="", line2="SUITE \\ 5\r\nBACK"),
                row(npi(2), last="VAN DER BERG", line1="", codes=(("207RH0003X", "N"), ("207RX0202X", "Y"))),
                row(npi(3), last="SMITH", suffix="III", credentials="M.D., PH.D.", sex="", enumerated=""),
                row(npi(4), last="LEE", codes=(("207R00000X", "Y"), ("2085R0001X", "N"))),
            ],
        )
    )

    # Then what the import remembered is what SQL computes from the directory's rows
    with connection.cursor() as cursor:
        cursor.execute(
            f"""WITH b AS (SELECT id FROM directory_physician), {STATE_SQL}
                SELECT state.id, state.state FROM state ORDER BY state.id"""  # noqa: S608
        )
        computed = cursor.fetchall()
    assert len(computed) == 4
    assert sorted(NppesRecord.objects.values_list("physician_id", "state")) == computed


def test_a_negative_number_of_workers_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="--workers cannot be negative"):
        call_command("import_nppes", str(write_nppes(tmp_path / "a.csv", [row(npi(1))])), "--workers", "-1")

    assert ImportRun.objects.count() == 0


def test_array_literals_round_trip_through_postgresql():
    from apps.registry.pipeline.sql import array_literal

    texts = ["", "plain", 'say "hi"', "back\\slash", "a,b", "{braces}", "two words", "NULL", "Zoë", "tab\there"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT %s::text[], %s::bigint[], %s::text[]",
            [array_literal(texts), array_literal([1, 22, 333]), array_literal([])],
        )
        assert cursor.fetchone() == (texts, [1, 22, 333], [])
