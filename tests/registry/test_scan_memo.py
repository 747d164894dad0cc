"""import_nppes of a plain file an earlier import scanned in full: only the records that scan found are read,
and the import ends exactly as a full scan would; any doubt about the file or the directory scans again."""

import os

import pytest

from apps.directory.models import Physician
from apps.registry.models import ScannedFile
from apps.registry.pipeline import memo, parallel
from tests.factories import PhysicianFactory

from .nppes_files import mixed_rows, npi, row, write_nppes, zip_nppes
from .test_interrupted import directory_state, forget_directory

pytestmark = pytest.mark.django_db
REUSED_MESSAGE = "only the records found then were read"


@pytest.fixture
def trusted_at_once(monkeypatch):
    """Files a test has just written count as settled (in real use a file is seconds old at least)."""
    monkeypatch.setattr(memo, "RACY_SECONDS", 0)


COUNTS = ("read", "matched", "created", "updated", "unchanged", "deactivated", "rejected", "duplicates")


@pytest.mark.parametrize("workers", ["0", "2"], ids=["scanned-in-process", "scanned-by-workers"])
def test_an_unchanged_file_is_read_at_the_remembered_records_and_imports_the_same(
    import_nppes, tmp_path, monkeypatch, trusted_at_once, workers
):
    # Given a directory from an earlier import, and a file of new, changed, deactivated, duplicated,
    # rejected, multi-line and foreign rows
    earlier = write_nppes(tmp_path / "earlier.csv", [row(npi(n), last=f"OLD{n}") for n in range(1, 40, 3)])
    import_nppes(earlier)
    path = write_nppes(tmp_path / "npidata_pfile_20050523-20241110.csv", mixed_rows())
    before = directory_state()
    monkeypatch.setattr(parallel, "CHUNK_BYTES", 20_000)  # ranges of a dozen rows

    # When it is imported (a full scan), and again from the same start, the file unchanged
    scanned = import_nppes(path, "--workers", workers, "--rejects", str(tmp_path / "scanned.csv"))
    scanned_state = directory_state()
    forget_directory()
    import_nppes(earlier)
    assert directory_state() == before
    recalled = import_nppes(path, "--workers", workers, "--rejects", str(tmp_path / "recalled.csv"))

    # Then the second read only what the first scan found, and both end the same: rows, history, counts
    # and rejects with their line numbers
    assert (scanned.scan_reused, recalled.scan_reused) == (False, True)
    assert REUSED_MESSAGE in recalled.output and REUSED_MESSAGE not in scanned.output
    assert directory_state() == scanned_state
    assert [getattr(recalled, name) for name in COUNTS] == [getattr(scanned, name) for name in COUNTS]
    assert (recalled.read, recalled.rejected, recalled.deactivated, recalled.duplicates) == (150, 1, 1, 1)
    assert (tmp_path / "recalled.csv").read_text() == (tmp_path / "scanned.csv").read_text()
    # the header, 30 rows before it and the second lines of rows 11 and 22
    assert (tmp_path / "recalled.csv").read_text().splitlines()[1] == f"34,{npi(31)},no last name"


def test_a_physician_deleted_since_is_created_again(import_nppes, tmp_path, trusted_at_once):
    path = write_nppes(tmp_path / "f.csv", [row(npi(n), last=f"NAME{n}") for n in range(1, 6)])
    import_nppes(path)
    Physician.objects.get(npi=npi(3)).delete()

    run = import_nppes(path)

    assert (run.scan_reused, run.created, run.unchanged) == (True, 1, 4)
    assert Physician.objects.get(npi=npi(3)).last_name == "NAME3"


def test_a_memo_of_another_scanner_version_is_not_used(import_nppes, tmp_path, trusted_at_once):
    # Given a file remembered by another version of the scanner (its candidates, or their format, differ)
    path = write_nppes(tmp_path / "f.csv", [row(npi(n), last=f"NAME{n}") for n in range(1, 6)])
    import_nppes(path)
    ScannedFile.objects.update(scan_version=memo.SCAN_VERSION - 1, found=b"not this version's format")

    # When it is imported again / then it is scanned in full, and remembered in this version's format
    run = import_nppes(path)
    assert (run.scan_reused, run.unchanged) == (False, 5)
    assert ScannedFile.objects.get().scan_version == memo.SCAN_VERSION
    assert import_nppes(path).scan_reused


def test_a_changed_file_is_scanned_again(import_nppes, tmp_path, trusted_at_once):
    # Given an imported file with a row of another specialty
    rows = [row(npi(n), last=f"NAME{n}") for n in range(1, 6)]
    rows[2] = row(npi(3), last="NAME3", codes=(("363L00000X", "Y"),))
    path = write_nppes(tmp_path / "f.csv", rows)
    import_nppes(path)
    assert not Physician.objects.filter(npi=npi(3)).exists()
    before = os.stat(path)

    # When the file is rewritten in place, to the same size, that row now an oncologist's
    path.write_bytes(path.read_bytes().replace(b"363L00000X", b"207RX0202X"))
    after = os.stat(path)
    assert (after.st_size, after.st_ino) == (before.st_size, before.st_ino)
    run = import_nppes(path)

    # Then it was scanned again, and that physician found
    assert (run.scan_reused, run.created, run.unchanged) == (False, 1, 4)
    assert Physician.objects.filter(npi=npi(3)).exists()


def test_a_physician_a_curator_added_since_is_looked_for_in_a_new_scan(import_nppes, tmp_path, trusted_at_once):
    # Given an imported file where one NPI has no oncology code (so no candidate record)
    rows = [row(npi(n), last=f"NAME{n}") for n in range(1, 6)]
    rows[2] = row(npi(3), last="REGISTRY", codes=(("363L00000X", "Y"),))
    path = write_nppes(tmp_path / "f.csv", rows)
    first = import_nppes(path)
    assert first.matched == 4

    # When a curator adds that NPI to the directory, and the same file comes again
    PhysicianFactory(npi=npi(3), last_name="CURATED")
    run = import_nppes(path)

    # Then the file is scanned again: the curator's physician's record is read, as a full scan reads it
    assert (run.scan_reused, run.matched) == (False, 5)


def test_other_taxonomy_codes_scan_again(import_nppes, tmp_path, trusted_at_once):
    path = write_nppes(tmp_path / "f.csv", [row(npi(1)), row(npi(2), codes=(("2086X0206X", "Y"),))])
    narrowed = import_nppes(path, "--taxonomies", "207RX0202X")

    every_code = import_nppes(path)
    again = import_nppes(path)

    assert (narrowed.scan_reused, narrowed.matched) == (False, 1)
    assert (every_code.scan_reused, every_code.matched, every_code.created) == (False, 2, 1)
    assert (again.scan_reused, again.matched, again.unchanged) == (True, 2, 2)


def test_a_file_changed_just_before_its_scan_is_not_remembered(import_nppes, tmp_path):
    # File times tick coarser than the clock: a change in the same tick as the scan could go unseen
    path = write_nppes(tmp_path / "f.csv", [row(npi(1))])

    import_nppes(path)
    run = import_nppes(path)

    assert run.scan_reused is False
    assert not ScannedFile.objects.exists()


@pytest.mark.parametrize("how", ["zip", "limit"])
def test_zips_and_limited_runs_always_scan(import_nppes, tmp_path, trusted_at_once, how):
    if how == "zip":
        path, args = zip_nppes(tmp_path / "f.zip", [row(npi(1)), row(npi(2))]), ()
    else:
        path, args = write_nppes(tmp_path / "f.csv", [row(npi(1)), row(npi(2))]), ("--limit", "5")

    runs = [import_nppes(path, *args) for _ in range(2)]

    assert [run.scan_reused for run in runs] == [False, False]
    assert [run.matched for run in runs] == [2, 2]
    assert not ScannedFile.objects.exists()


def test_only_the_most_recently_scanned_files_are_remembered(import_nppes, tmp_path, trusted_at_once, monkeypatch):
    monkeypatch.setattr(memo, "KEEP", 2)
    paths = [write_nppes(tmp_path / f"f{n}.csv", [row(npi(n))]) for n in range(1, 4)]

    for path in paths:
        import_nppes(path)

    assert sorted(ScannedFile.objects.values_list("path", flat=True)) == [str(path.resolve()) for path in paths[1:]]
    assert import_nppes(paths[2]).scan_reused
    assert not import_nppes(paths[0]).scan_reused


def test_a_path_too_long_to_remember_imports_all_the_same(import_nppes, tmp_path, trusted_at_once):
    folder = tmp_path.joinpath(*["d" * 200] * 5)
    folder.mkdir(parents=True)
    path = write_nppes(folder / "f.csv", [row(npi(1))])

    runs = [import_nppes(path) for _ in range(2)]

    assert [(run.status, run.scan_reused, run.matched) for run in runs] == [("succeeded", False, 1)] * 2
    assert not ScannedFile.objects.exists()


def test_a_dry_run_then_the_real_import_scans_once(import_nppes, tmp_path, trusted_at_once):
    path = write_nppes(tmp_path / "f.csv", [row(npi(n), last=f"NAME{n}") for n in range(1, 4)])

    preview = import_nppes(path, "--dry-run")
    real = import_nppes(path)

    assert (preview.scan_reused, preview.created) == (False, 3)
    assert (real.scan_reused, real.created, real.matched) == (True, 3, 3)
    assert sorted(Physician.objects.values_list("last_name", flat=True)) == ["NAME1", "NAME2", "NAME3"]
