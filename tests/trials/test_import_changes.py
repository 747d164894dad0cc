"""Generated bulk files: what a re-import changes, marks, skips and rejects."""

import csv
import json

import pytest

from apps.registry.models import ImportRun
from apps.registry.services import RegistryImportError
from apps.trials.models import Investigator, Site, Trial
from apps.trials.services import trials_import

from .ctgov_files import nct, site, study, write_directory, write_zip

pytestmark = pytest.mark.django_db


def state() -> dict:
    """What the import wrote, without ids or timestamps."""
    return {
        "trials": sorted(
            Trial.objects.values_list("nct_id", "status", "in_source", "left_source_at", "title", "content_hash")
        ),
        "sites": sorted(Site.objects.values_list("trial__nct_id", "position", "facility", "status", "latitude")),
        "people": sorted(Investigator.objects.values_list("trial__nct_id", "name", "role", "site__position")),
        "types": sorted(Trial.cancer_types.through.objects.values_list("trial__nct_id", "cancertype__slug")),
    }


def test_a_study_changing_status_is_updated(import_trials, tmp_path):
    import_trials(write_zip(tmp_path / "a.zip", [study(1), study(2)]))
    run = import_trials(write_zip(tmp_path / "b.zip", [study(1, status="COMPLETED"), study(2)]))
    assert (run.created, run.updated, run.unchanged, run.deactivated) == (0, 1, 1, 0)
    assert dict(Trial.objects.values_list("nct_id", "status")) == {nct(1): "COMPLETED", nct(2): "RECRUITING"}
    assert Trial.objects.get(nct_id=nct(1)).is_closed


def test_a_site_closing_keeps_the_site_with_its_new_status(import_trials, tmp_path):
    sites = [site(city="Boston"), site(city="Denver", state="Colorado", zip_code="80218")]
    import_trials(write_zip(tmp_path / "a.zip", [study(1, sites=sites)]))
    sites[1] = site(city="Denver", state="Colorado", zip_code="80218", status="COMPLETED")
    import_trials(write_zip(tmp_path / "b.zip", [study(1, sites=sites)]))
    assert list(Site.objects.values_list("city", "status")) == [("Boston", "RECRUITING"), ("Denver", "COMPLETED")]


def test_a_study_leaving_the_file_is_marked_not_deleted_and_comes_back(import_trials, tmp_path):
    import_trials(write_zip(tmp_path / "a.zip", [study(1), study(2)]))
    run = import_trials(write_zip(tmp_path / "b.zip", [study(1)]))
    assert run.deactivated == 1
    gone = Trial.objects.get(nct_id=nct(2))
    assert not gone.in_source and gone.left_source_at is not None and gone.is_closed
    assert gone.sites.count() == 1  # kept as it was
    assert list(Trial.objects.open().values_list("nct_id", flat=True)) == [nct(1)]
    # when it is back, unchanged, in the next file
    import_trials(write_zip(tmp_path / "c.zip", [study(1), study(2)]))
    back = Trial.objects.get(nct_id=nct(2))
    assert back.in_source and back.left_source_at is None


def test_a_malformed_file_is_reported_and_the_rest_imported(import_trials, tmp_path):
    path = write_zip(
        tmp_path / "bulk.zip",
        [study(1), study(2)],
        extra={
            "NCT00000003.json": b'{"protocolSection": {"identificationModule": {"nctId": "NCT00000003"',
            "NCT00000004.json": b'{"protocolSection": {"identificationModule": {}}}',
            "NCT00000005.json": b"[1, 2]",
            "NCT00000006.json": b'{"a": "\xff\xfe"}',
        },
    )
    run = import_trials(path, "--rejects", str(tmp_path / "rejects.csv"))
    assert (run.status, run.read, run.matched, run.rejected) == (ImportRun.Status.SUCCEEDED, 6, 2, 4)
    assert sorted(Trial.objects.values_list("nct_id", flat=True)) == [nct(1), nct(2)]
    with (tmp_path / "rejects.csv").open() as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["file", "reason"]
    assert sorted(rows[1:]) == [
        ["bulk.zip:NCT00000003.json", "not valid JSON"],
        ["bulk.zip:NCT00000004.json", "no valid identificationModule.nctId"],
        ["bulk.zip:NCT00000005.json", "not a study: no protocolSection"],
        [
            "bulk.zip:NCT00000006.json",
            "not UTF-8 text: 'utf-8' codec can't decode byte 0xff in position 7: invalid start byte",
        ],
    ]
    assert "Rejected studies:" in run.output


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(study(7, conditions=["Type 2 Diabetes"]), id="not-cancer"),
        pytest.param(study(7, study_type="OBSERVATIONAL"), id="observational"),
    ],
)
def test_a_study_that_is_not_an_interventional_cancer_study_is_skipped(import_trials, tmp_path, document):
    run = import_trials(write_zip(tmp_path / "a.zip", [document, study(1)]))
    assert (run.read, run.matched, run.rejected) == (2, 1, 0)
    assert list(Trial.objects.values_list("nct_id", flat=True)) == [nct(1)]


def test_a_cancer_study_is_kept_by_its_mesh_terms_alone(import_trials, tmp_path):
    import_trials(write_zip(tmp_path / "a.zip", [study(1, conditions=["Solid organ disease"], meshes=["Neoplasms"])]))
    assert Trial.objects.filter(nct_id=nct(1)).exists()


def test_an_unchanged_reimport_skips_every_study_and_changes_nothing(import_trials, tmp_path):
    studies = [study(n, officials=[("Jane Doe, MD", "Memorial", "PRINCIPAL_INVESTIGATOR")]) for n in range(1, 6)]
    import_trials(write_zip(tmp_path / "a.zip", studies))
    before = state()
    run = import_trials(write_zip(tmp_path / "b.zip", studies))
    assert (run.read, run.matched, run.unchanged, run.created, run.updated) == (5, 5, 5, 0, 0)
    assert state() == before


def test_a_directory_imports_like_the_zip_and_a_changed_document_is_rewritten(import_trials, tmp_path):
    folder = write_directory(tmp_path / "studies", [study(1), study(2)])
    run = import_trials(folder)
    assert (run.created, run.matched) == (2, 2)
    (folder / f"{nct(2)}.json").write_text(json.dumps(study(2, title="Renamed")))
    run = import_trials(folder)
    assert (run.unchanged, run.updated) == (1, 1)
    assert Trial.objects.get(nct_id=nct(2)).title == "Renamed"


def test_people_are_officials_and_site_contacts_with_a_role(import_trials, tmp_path):
    sites = [
        site(
            contacts=[
                ("Ann Lee, MD", "PRINCIPAL_INVESTIGATOR"),
                ("Front Desk", ""),
                ("Bo Chan", "SUB_INVESTIGATOR"),
            ]
        )
    ]
    document = study(1, sites=sites, officials=[("Jane Doe, MD", "Memorial Hospital", "STUDY_CHAIR")])
    import_trials(write_zip(tmp_path / "a.zip", [document]))
    assert sorted(Investigator.objects.values_list("name", "role", "affiliation", "site__position")) == [
        ("Ann Lee, MD", "PRINCIPAL_INVESTIGATOR", "", 1),
        ("Bo Chan", "SUB_INVESTIGATOR", "", 1),
        ("Jane Doe, MD", "STUDY_CHAIR", "Memorial Hospital", None),
    ]


def test_a_us_site_without_geopoint_takes_its_zip_centroid(import_trials, tmp_path):
    sites = [
        site(city="New York", state="New York", zip_code="10001", geo=None),
        site(city="Nowhere", state="Texas", zip_code=None, geo=None),
        site(city="Oslo", state=None, zip_code="0372", country="Norway", geo=None),
    ]
    import_trials(write_zip(tmp_path / "a.zip", [study(1, sites=sites)]))
    new_york, nowhere, oslo = Site.objects.order_by("position")
    assert new_york.coordinates_from_zip
    assert new_york.latitude == pytest.approx(40.75, abs=0.05)
    assert new_york.longitude == pytest.approx(-73.99, abs=0.05)
    assert (nowhere.latitude, nowhere.coordinates_from_zip, nowhere.zip_code) == (None, False, "")
    assert (oslo.latitude, oslo.coordinates_from_zip, oslo.state) == (None, False, "")


def test_a_study_twice_in_a_file_is_written_once_from_its_last_copy(import_trials, tmp_path):
    folder = tmp_path / "page.json"
    folder.write_text(json.dumps({"studies": [study(1, title="First"), study(1, title="Second")]}))
    run = import_trials(folder)
    assert run.matched == 1
    assert list(Trial.objects.values_list("title", flat=True)) == ["Second"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(b"not json", "not valid JSON", id="not-json"),
        pytest.param(b'{"hello": 1}', "neither a study nor a search response", id="not-a-study"),
    ],
)
def test_an_unreadable_file_fails_the_run_and_writes_nothing(tmp_path, content, message):
    path = tmp_path / "x.json"
    path.write_bytes(content)
    with pytest.raises(RegistryImportError, match=message):
        trials_import(path=path)
    assert not Trial.objects.exists()
    assert ImportRun.objects.get().status == ImportRun.Status.FAILED


def test_a_missing_path_is_an_error(tmp_path):
    with pytest.raises(RegistryImportError, match="No such file"):
        trials_import(path=tmp_path / "missing.zip")


def test_a_study_whose_document_is_malformed_this_time_has_not_left_the_file(import_trials, tmp_path):
    import_trials(write_zip(tmp_path / "a.zip", [study(1), study(2)]))
    broken = {f"{nct(2)}.json": b'{"protocolSection": '}
    run = import_trials(write_zip(tmp_path / "b.zip", [study(1)], extra=broken))
    assert (run.rejected, run.deactivated) == (1, 0)
    kept = Trial.objects.get(nct_id=nct(2))
    assert kept.in_source and kept.status == "RECRUITING"
