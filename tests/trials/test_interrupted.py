"""An import killed part-way (SIGKILL between batches) and run again ends exactly as one clean run does;
and a zip is read member by member (peak memory does not grow with the file)."""

import os
import signal
import subprocess
import sys
import time
import tracemalloc
import zipfile

import pytest
from django.conf import settings
from django.db import connection

from apps.registry.models import ImportRun
from apps.trials.services import trials_import
from tests.databases import connected_as, database_url

from .ctgov_files import site, study, write_zip
from .test_import_changes import state

STUDIES = 600
BATCH = 10


def many(count: int, sites_each: int = 3) -> list[dict]:
    return [
        study(n, sites=[site(contacts=[(f"Ann Lee{n}", "PRINCIPAL_INVESTIGATOR")])] * sites_each)
        for n in range(1, count + 1)
    ]


def wipe(owner) -> None:
    """Empty what the import wrote, as the database owner: the app role the tests run as may not TRUNCATE."""
    with connected_as(connection, owner), connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE trials_investigatormatch, trials_investigator, trials_site, trials_trial_cancer_types, "
            "trials_trial, registry_importrun CASCADE"
        )


# Committed for real, so the killed process sees the data; only the trials and registry tables are flushed
# afterwards (available_apps), so the reference data and content types other tests rely on are untouched.
@pytest.mark.django_db(transaction=True, available_apps=["apps.trials", "apps.registry"])
def test_killed_and_run_again_is_a_clean_run(tmp_path, django_db_setup):
    path = write_zip(tmp_path / "bulk.zip", many(STUDIES))
    trials_import(path=path, batch_size=BATCH)
    clean = state()
    wipe(django_db_setup.owner)
    # when an import is killed once it has written some batches
    env = {**os.environ, "DATABASE_URL": database_url(settings.DATABASES["default"])}
    env["DJANGO_SETTINGS_MODULE"] = "oncodir.test_settings"
    command = [sys.executable, "manage.py", "import_trials", str(path), "--no-progress", "--batch-size", str(BATCH)]
    process = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env)
    deadline = time.monotonic() + 60
    written = 0
    while time.monotonic() < deadline and process.poll() is None:
        written = ImportRun.objects.filter(status=ImportRun.Status.RUNNING).values_list("created", flat=True).first()
        if written and written >= 5 * BATCH:
            break
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert written and written < STUDIES, "the import was not killed part-way"
    time.sleep(0.5)  # the killed session's lock goes with its socket; the import waits for it if needed
    # then running it again ends as the clean run did, and the dead run is recorded as incomplete
    rerun = trials_import(path=path, batch_size=BATCH)
    assert state() == clean
    assert rerun.unchanged >= 5 * BATCH
    assert ImportRun.objects.filter(status=ImportRun.Status.INCOMPLETE).count() == 1


@pytest.mark.django_db
def test_a_zip_is_streamed_peak_memory_does_not_grow_with_its_documents(tmp_path):
    small = write_zip(tmp_path / "small.zip", many(100, sites_each=20))
    large = write_zip(tmp_path / "large.zip", many(800, sites_each=20))
    peaks = []
    for path in (small, large):
        tracemalloc.start()
        trials_import(path=path, batch_size=BATCH, match=False)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    grown = sum(i.file_size for i in zipfile.ZipFile(large).infolist()) - sum(
        i.file_size for i in zipfile.ZipFile(small).infolist()
    )
    # 700 more documents (4 MB of JSON) cost only what the zip's directory holds per member (zipfile reads it
    # whole: about 600 bytes a member), not the documents: one batch of them is held at a time
    assert peaks[1] - peaks[0] < grown / 5, (peaks, grown)
    assert (peaks[1] - peaks[0]) / 700 < 1000, peaks
