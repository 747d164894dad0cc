"""backup_database and restore_database, through the real commands, pg_dump and pg_restore, on the real server.

Transactional tests: pg_dump reads from its own connection, so the data must be committed. The restore goes
into a new database with roles of its own (tests.databases.RoleSplit, scripts/db/roles.psql), as a restore
onto another server would.
"""

import datetime
import io
import json
import secrets

import psycopg2
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from apps.common import backups
from apps.referrals import access, services
from apps.referrals.models import AccessLog, Attachment, Referral, ReferralEvent, Status
from oncodir.database import embedded_bin_dir
from tests.databases import RoleSplit, database_url
from tests.factories import GPFactory, OncologistUserFactory, cancer_type
from tests.referrals.files import PDF, PNG

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PATIENT = {
    "patient_first_name": "Ada",
    "patient_date_of_birth": datetime.date(1961, 3, 14),
    "patient_sex": "F",
    "patient_phone": "212-555-0199",
    "patient_consent": True,
    "clinical_question": "Palpable left breast lump: please assess for biopsy.",
    "priority": "urgent",
}


@pytest.fixture
def site():
    """Four referrals from two GPs to two oncologists (three submitted, one accepted), read through the access
    log, with a PDF and a PNG attached: all through the services."""
    gps, oncologists = GPFactory.create_batch(2), OncologistUserFactory.create_batch(2)
    data = {**PATIENT, "cancer_type": cancer_type("breast")}
    referrals = [
        services.referral_create(
            by=gps[index % 2],
            oncologist=oncologists[index % 2].physician,
            data={**data, "patient_last_name": f"Quilliam{index}"},
            submit=index > 0,
        )
        for index in range(4)
    ]
    services.referral_accept(referral=referrals[1], by=oncologists[1], version=referrals[1].version)
    for user, seen in ((oncologists[1], referrals[1]), (gps[0], referrals[0])):
        request = RequestFactory().get("/referrals/")
        request.user = user
        access.log_access(request, action=AccessLog.Action.VIEW, obj=seen)
        access.log_list(request, Referral.objects.visible_to(user), channel="page")
    services.attachment_add(referral=referrals[0], by=gps[0], upload=SimpleUploadedFile("scan.pdf", PDF))
    services.attachment_add(referral=referrals[2], by=gps[0], upload=SimpleUploadedFile("photo.png", PNG))
    return referrals


@pytest.fixture
def backup(site, tmp_path):
    output = io.StringIO()
    call_command("backup_database", "--output", str(tmp_path / "backups"), stdout=output)
    assert "Backed up 4 referrals, 4 referral events, " in output.getvalue()
    return tmp_path / "backups"


@pytest.fixture
def empty_database(django_db_setup):
    """A new database with its own owner and app roles, dropped (WITH (FORCE)) with them at the end."""
    split = RoleSplit.for_database(django_db_setup.superuser, f"oncodir_restore_{secrets.token_hex(4)}")
    split.create()
    try:
        yield split
    finally:
        split.drop()


def url_of(split: RoleSplit) -> str:
    return database_url(
        {**split.superuser, "USER": split.owner.name, "PASSWORD": split.owner.password, "NAME": split.name}
    )


def query(split: RoleSplit, statement: str, *, as_app: bool = False) -> set[tuple]:
    role = split.app if as_app else split.owner
    server = split.superuser
    with psycopg2.connect(
        dbname=split.name, user=role.name, password=role.password, host=server["HOST"] or "127.0.0.1",
        port=server["PORT"] or 5432,
    ) as link, link.cursor() as cursor:  # fmt: skip
        cursor.execute(statement)
        return set(cursor.fetchall())


def restore(backup, split, *options) -> str:
    output = io.StringIO()
    call_command("restore_database", "--from", str(backup), "--database-url", url_of(split), *options, stdout=output)
    return output.getvalue()


def test_a_restore_finds_every_referral_event_access_log_row_and_attachment(backup, empty_database, settings, tmp_path):
    # given the rows and files the backup saw
    referrals = {(str(r.id), r.status, r.version) for r in Referral.objects.all()}
    events = {(e.id, str(e.referral_id), e.action, e.from_status, e.to_status) for e in ReferralEvent.objects.all()}
    log = {(row.id, row.action, row.object_type, row.object_id) for row in AccessLog.objects.all()}
    attachments = {(str(a.id), str(a.referral_id), a.storage_name, a.size, a.sha256) for a in Attachment.objects.all()}
    files = {a.storage_name: a.path.read_bytes() for a in Attachment.objects.all()}
    assert {status for _, status, _ in referrals} == {Status.DRAFT, Status.SUBMITTED, Status.ACCEPTED}
    assert len(events) == 4 and len(log) == 8 and len(attachments) == 2

    # when it is restored into a new database, the attachments into another folder
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "restored"
    said = restore(backup, empty_database, "--app-role", empty_database.app.name)

    # then every row is there, as the app's role reads it, and every file byte for byte
    assert "Restored 4 referrals, 4 referral events, 8 access log rows, 2 attachments from " in said
    read = lambda statement: query(empty_database, statement, as_app=True)  # noqa: E731
    assert read("SELECT id::text, status, version FROM referrals_referral") == referrals
    assert read("SELECT id, referral_id::text, action, from_status, to_status FROM referrals_referralevent") == events
    assert read("SELECT id, action, object_type, object_id FROM referrals_accesslog") == log
    assert (
        read("SELECT id::text, referral_id::text, storage_name, size, sha256 FROM referrals_attachment") == attachments
    )
    restored = tmp_path / "restored" / "referrals"
    assert {path.name: path.read_bytes() for path in restored.iterdir()} == files
    # and the database's own session defaults (not in a dump of one database) are set on the new one
    assert read("SELECT current_setting('jit'), current_setting('max_parallel_workers_per_gather')") == {("off", "0")}
    # and the restored tables are the new owner's, the audit trail append-only for the new app role
    assert query(empty_database, "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'") == {
        (empty_database.owner.name,)
    }
    app = empty_database.app.name
    assert query(
        empty_database,
        f"SELECT has_table_privilege('{app}', 'referrals_accesslog', 'INSERT'),"
        f" has_table_privilege('{app}', 'referrals_accesslog', 'UPDATE'),"
        f" has_table_privilege('{app}', 'referrals_referral', 'UPDATE')",
    ) == {(True, False, True)}


def test_a_restore_refuses_a_database_with_tables_and_writes_nothing(backup, empty_database, settings, tmp_path):
    query(empty_database, "CREATE TABLE leftover (id int); SELECT 1")
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "restored"

    with pytest.raises(CommandError) as refused:
        restore(backup, empty_database)

    assert str(refused.value) == backups.NOT_EMPTY.format(name=empty_database.name, tables="leftover")
    assert query(empty_database, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'") == {("leftover",)}
    assert not (tmp_path / "restored").exists()


def test_a_restore_refuses_to_overwrite_an_attachment_file_and_writes_nothing(
    backup, empty_database, settings, tmp_path
):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "restored"
    there = Attachment.storage_root() / Attachment.objects.order_by("storage_name").first().storage_name
    there.parent.mkdir(parents=True)
    there.write_bytes(b"another file")

    with pytest.raises(CommandError, match=r"1 attachment file\(s\) are in .* already .*: a restore overwrites"):
        restore(backup, empty_database)

    assert query(empty_database, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == {(0,)}
    assert there.read_bytes() == b"another file"
    assert [path.name for path in there.parent.iterdir()] == [there.name]


def test_a_restore_that_does_not_match_the_manifest_fails(backup, empty_database, settings, tmp_path):
    (manifest,) = backup.glob("manifest-*.json")
    body = json.loads(manifest.read_text())
    body["counts"]["referrals"] += 1
    manifest.write_text(json.dumps(body))
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "restored"

    with pytest.raises(CommandError) as failed:
        restore(backup, empty_database, "--app-role", empty_database.app.name)

    assert str(failed.value) == backups.MISMATCH.format(problems="referrals: 5 in the backup, 4 restored")


def test_a_damaged_copy_is_refused_before_anything_is_restored(backup, empty_database):
    (dump,) = backup.glob("oncodir-*.dump")
    dump.write_bytes(dump.read_bytes()[:-1])

    with pytest.raises(CommandError) as refused:
        restore(backup, empty_database)

    assert str(refused.value) == backups.DAMAGED.format(name=dump)
    assert query(empty_database, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == {(0,)}


@pytest.mark.django_db(transaction=False)
def test_a_client_older_than_the_server_is_refused_by_name(settings):
    settings.DATABASE_CLIENT_BIN_DIR = embedded_bin_dir()

    path, version = backups.client("pg_dump", needed=15, what="the server")
    with pytest.raises(backups.BackupError) as refused:
        backups.client("pg_dump", needed=version + 1, what="the server oncodir")

    assert str(path).startswith(str(embedded_bin_dir()))
    assert str(refused.value) == backups.CLIENT_TOO_OLD.format(
        tool="pg_dump", found=version, path=path, what="the server oncodir", needed=version + 1
    )
