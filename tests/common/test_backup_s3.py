"""backup_database and restore_database on a site whose attachments are in a bucket (a real S3-compatible
server, tests/s3.py): the bucket keeps its own versions and replicas, so the backup has no tar and says so, and a
restore checks that every restored attachment row has its object.

The same site, backup and empty database as tests/common/test_backup.py, set up once the storage is S3.
"""

import json

import pytest
from django.core.management import CommandError

from apps.common import backups
from apps.referrals.models import Attachment
from tests.s3 import attachment_storage

from . import test_backup
from .test_backup import query, restore

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

site, backup, empty_database = test_backup.site, test_backup.backup, test_backup.empty_database


@pytest.fixture
def backup_on_s3(s3_bucket, backup):
    """The backup of the site, its two attachments uploaded into the bucket."""
    return backup


def test_a_backup_leaves_the_files_to_the_bucket_and_its_restore_finds_each_object(
    s3_bucket, backup_on_s3, empty_database
):
    # given a backup of a site on S3
    stored = sorted(Attachment.objects.values_list("storage_name", flat=True))
    assert len(stored) == 2 and s3_bucket.keys() == stored
    (manifest,) = backup_on_s3.glob("manifest-*.json")
    body = json.loads(manifest.read_text())

    # then it is the dump and the manifest, which says where the files are
    assert sorted(path.name.split("-")[0] for path in backup_on_s3.iterdir()) == ["manifest", "oncodir"]
    assert body["attachment_storage"] == {"kind": "s3", "bucket": s3_bucket.name}
    assert list(body["files"]) == ["dump"]

    # when it is restored, then every row is back and the bucket was checked and left as it was
    said = restore(backup_on_s3, empty_database, "--app-role", empty_database.app.name)

    assert "Restored 4 referrals, 4 referral events, 8 access log rows, 2 attachments from " in said
    assert query(empty_database, "SELECT storage_name FROM referrals_attachment") == {(name,) for name in stored}
    assert s3_bucket.keys() == stored


def test_a_restore_fails_naming_an_attachment_whose_object_is_gone(s3_bucket, backup_on_s3, empty_database):
    gone = Attachment.objects.order_by("storage_name").first()
    s3_bucket.delete(gone.storage_name)

    with pytest.raises(CommandError) as failed:
        restore(backup_on_s3, empty_database, "--app-role", empty_database.app.name)

    where = f"{gone.storage_name} in the bucket {s3_bucket.name}"
    assert str(failed.value) == backups.MISMATCH.format(problems=backups.FILE_MISSING.format(id=gone.pk, path=where))


def test_a_site_on_the_filesystem_refuses_a_backup_from_s3_before_restoring_anything(
    s3_bucket, backup_on_s3, empty_database, settings, monkeypatch
):
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": attachment_storage({"ATTACHMENT_STORAGE": "filesystem"}, monkeypatch),
    }

    with pytest.raises(CommandError) as refused:
        restore(backup_on_s3, empty_database)

    assert str(refused.value) == backups.OTHER_STORAGE.format(backup="s3", here="filesystem")
    assert query(empty_database, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == {(0,)}
