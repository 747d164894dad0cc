"""Imports started from the admin: a file from the inbox or uploaded, run by a job (inline in tests), its run then
listed with its counts. Bad choices are form errors, never a started job."""

import shutil

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.directory.models import Physician, Specialty
from apps.registry.models import ImportRun
from apps.registry.services import RegistryImportError
from apps.trials.models import Trial
from tests.factories import CuratorFactory
from tests.trials.ctgov_files import DATA as TRIALS_DATA

from .nppes_files import NUCC, SAMPLE

pytestmark = pytest.mark.django_db

START = reverse("admin:registry_importrun_start")
RUNS = reverse("admin:registry_importrun_changelist")


@pytest.fixture
def inbox(settings, tmp_path):
    settings.IMPORT_INBOX = tmp_path / "inbox"
    settings.IMPORT_INBOX.mkdir()
    return settings.IMPORT_INBOX


def test_the_list_offers_to_start_an_import_and_the_form_lists_the_inbox(admin_client, inbox):
    shutil.copy(NUCC, inbox / "nucc.csv")
    assert START.encode() in admin_client.get(RUNS).content
    page = admin_client.get(START)
    assert page.status_code == 200
    assert [value for value, _ in page.context["form"].fields["name"].choices] == ["", "nucc.csv"]


def test_a_nucc_file_from_the_inbox_is_imported_by_a_job(admin_client, inbox):
    shutil.copy(NUCC, inbox / "nucc.csv")
    Specialty.objects.all().delete()

    response = admin_client.post(START, {"source": "nucc", "name": "nucc.csv"}, follow=True)

    assert response.redirect_chain[-1][0] == RUNS
    assert "The import of nucc.csv is queued" in response.content.decode()
    run = ImportRun.objects.get()
    assert (run.kind, run.status, run.file_name) == ("nucc", "succeeded", "nucc.csv")
    assert Specialty.objects.count() > 800


def test_an_uploaded_nppes_file_is_kept_in_the_inbox_and_imported(admin_client, inbox, nucc):
    upload = SimpleUploadedFile("npidata_sample.csv", SAMPLE.read_bytes(), content_type="text/csv")

    admin_client.post(START, {"source": "nppes", "upload": upload})

    [kept] = list(inbox.iterdir())
    assert kept.name.endswith("-npidata_sample.csv")
    assert kept.read_bytes() == SAMPLE.read_bytes()
    run = ImportRun.objects.exclude(kind="nucc").get()
    assert (run.kind, run.status, run.dry_run) == ("full", "succeeded", False)
    assert run.created == Physician.objects.count() > 0


def test_a_dry_run_of_nppes_writes_nothing(admin_client, inbox, nucc):
    shutil.copy(SAMPLE, inbox / "npidata.csv")
    admin_client.post(START, {"source": "nppes", "name": "npidata.csv", "dry_run": "on"})
    run = ImportRun.objects.exclude(kind="nucc").get()
    assert (run.dry_run, run.status) == (True, "succeeded")
    assert run.created > 0
    assert not Physician.objects.exists()


def test_a_trials_file_is_imported_by_a_job(admin_client, inbox):
    shutil.copy(TRIALS_DATA / "NCT02576665.json", inbox / "NCT02576665.json")
    admin_client.post(START, {"source": "trials", "name": "NCT02576665.json"})
    assert ImportRun.objects.get().status == "succeeded"
    assert Trial.objects.filter(nct_id="NCT02576665").exists()


def test_a_file_that_cannot_be_read_is_a_failed_run_with_its_reason(admin_client, inbox):
    (inbox / "broken.csv").write_text("not,a,taxonomy\n1,2,3\n")
    # A worker records the failure and goes on; run inline, the job's error reaches the test.
    with pytest.raises(RegistryImportError, match="Not a NUCC taxonomy file"):
        admin_client.post(START, {"source": "nucc", "name": "broken.csv"})
    run = ImportRun.objects.get()
    assert run.status == "failed"
    assert run.message


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"source": "nucc"}, "Choose a file from the inbox or upload one, not both."),
        ({"source": "nucc", "name": "../etc/passwd"}, "Select a valid choice."),
        ({"source": "nucc", "name": "nucc.csv", "dry_run": "on"}, "Only an NPPES import can be a dry run."),
        ({"source": "fhir", "name": "nucc.csv"}, "Select a valid choice."),
    ],
)
def test_bad_choices_are_form_errors_and_start_nothing(admin_client, inbox, data, error):
    shutil.copy(NUCC, inbox / "nucc.csv")
    response = admin_client.post(START, data)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not ImportRun.objects.exists()


def test_only_who_may_add_import_runs_may_start_one(client, inbox):
    client.force_login(CuratorFactory())
    assert client.get(START).status_code == 403
    assert START.encode() not in client.get(RUNS).content
