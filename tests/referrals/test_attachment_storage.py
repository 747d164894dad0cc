"""Attachments on the S3 storage (a real S3-compatible server over HTTP, tests/s3.py), through the real stack:
the page, the API and the services store, serve and delete them in the bucket, and only through the view; and
the filesystem default keeps them private."""

import hashlib
import re
import stat

import pytest
from django.core.files.storage import StorageHandler
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from apps.referrals import services
from apps.referrals.models import AccessLog, Attachment, Referral
from apps.referrals.storage import NOT_SERVED

from .factories import make_referral
from .files import PDF, PNG

pytestmark = pytest.mark.django_db

CHANNELS = ["page", "api"]


def signed_in(channel: str, user):
    if channel == "page":
        client = Client()
        client.force_login(user)
        return client
    client = APIClient()
    client.force_authenticate(user)
    return client


def upload(channel: str, user, referral: Referral, name: str, content: bytes):
    file = SimpleUploadedFile(name, content)
    if channel == "page":
        return signed_in(channel, user).post(reverse("referrals:attachment-upload", args=[referral.pk]), {"file": file})
    return signed_in(channel, user).post(
        f"/api/v1/referrals/{referral.pk}/attachments/", {"file": file}, format="multipart"
    )


def download(channel: str, user, attachment: Attachment):
    if channel == "page":
        return signed_in(channel, user).get(attachment.get_absolute_url())
    url = f"/api/v1/referrals/{attachment.referral_id}/attachments/{attachment.pk}/download/"
    return signed_in(channel, user).get(url)


def stored_locally(settings) -> list:
    folder = settings.PRIVATE_MEDIA_ROOT / "referrals"
    return sorted(folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize("channel", CHANNELS)
def test_an_upload_lands_in_the_bucket_under_its_detected_type_with_its_sha256(s3_bucket, settings, channel):
    # given a submitted referral and its GP
    referral = make_referral("submitted")

    # when the GP uploads a PNG named scan.pdf
    response = upload(channel, referral.referring_gp, referral, "scan.pdf", PNG)

    # then the bucket holds exactly that file under <id>.png, as the row says, and no local folder has it
    assert response.status_code == (302 if channel == "page" else 201)
    attachment = Attachment.objects.get()
    assert (attachment.content_type, attachment.storage_name) == ("image/png", f"{attachment.pk}.png")
    assert s3_bucket.keys() == [attachment.storage_name]
    assert hashlib.sha256(s3_bucket.read(attachment.storage_name)).hexdigest() == attachment.sha256
    assert attachment.sha256 == hashlib.sha256(PNG).hexdigest()
    assert stored_locally(settings) == []


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_download_streams_the_objects_bytes_and_writes_the_access_log(s3_bucket, channel):
    referral = make_referral("under_review")
    attachment = services.attachment_add(
        referral=referral, by=referral.referring_gp, upload=SimpleUploadedFile("letter.pdf", PDF)
    )

    response = download(channel, referral.oncologist.account, attachment)

    assert response.status_code == 200
    assert response.streaming
    assert (response["Content-Type"], response["Content-Length"]) == ("application/pdf", str(len(PDF)))
    assert response["Content-Disposition"] == 'attachment; filename="letter.pdf"'
    assert b"".join(response.streaming_content) == PDF
    logged = AccessLog.objects.filter(action="download", object_id=str(attachment.pk))
    assert list(logged.values_list("channel", "user")) == [(channel, referral.oncologist.account.pk)]


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_missing_object_is_a_404_and_no_download_is_logged(s3_bucket, channel):
    referral = make_referral("submitted")
    attachment = services.attachment_add(
        referral=referral, by=referral.referring_gp, upload=SimpleUploadedFile("scan.pdf", PDF)
    )
    s3_bucket.delete(attachment.storage_name)

    response = download(channel, referral.referring_gp, attachment)

    assert response.status_code == 404
    assert not AccessLog.objects.filter(action="download").exists()


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("report.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200),
        ("page.pdf", b"%PDF-1.7\n<html><script>alert(1)</script></html>\n%%EOF\n"),
        ("scan.pdf", b"%PDF-" + b"0" * (11 * 1024 * 1024)),
    ],
    ids=["exe-named-pdf", "html-named-pdf", "eleven-mb"],
)
def test_a_refused_file_leaves_nothing_in_the_bucket(s3_bucket, channel, name, content):
    referral = make_referral("submitted")

    response = upload(channel, referral.referring_gp, referral, name, content)

    assert response.status_code == 400
    assert Attachment.objects.count() == 0
    assert s3_bucket.keys() == []


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_referral_found_closed_after_the_upload_leaves_no_object(s3_bucket, channel):
    # the check that the referral takes attachments runs in the row's transaction, after the file is stored
    referral = make_referral("cancelled", closing_reason="moved")

    response = upload(channel, referral.referring_gp, referral, "scan.pdf", PDF)

    assert response.status_code == 409
    assert Attachment.objects.count() == 0
    assert s3_bucket.keys() == []


def test_a_referral_deleted_while_its_file_was_stored_leaves_no_object(s3_bucket):
    # given a draft its GP deletes (in another request) while an upload to it is under way
    draft = make_referral("draft")
    Referral.objects.filter(pk=draft.pk).delete()

    # when the upload's transaction then finds no referral to lock
    with pytest.raises(Referral.DoesNotExist):
        services.attachment_add(referral=draft, by=draft.referring_gp, upload=SimpleUploadedFile("scan.pdf", PDF))

    # then the object stored before it is gone again
    assert Attachment.objects.count() == 0
    assert s3_bucket.keys() == []


@pytest.mark.parametrize("channel", CHANNELS)
def test_deleting_a_draft_deletes_its_objects_once_the_deletion_commits(
    s3_bucket, channel, django_capture_on_commit_callbacks
):
    draft = make_referral("draft")
    gp = draft.referring_gp
    for name, content in (("scan.pdf", PDF), ("photo.png", PNG)):
        services.attachment_add(referral=draft, by=gp, upload=SimpleUploadedFile(name, content))
    other = make_referral("submitted", referring_gp=gp)
    kept = services.attachment_add(referral=other, by=gp, upload=SimpleUploadedFile("kept.pdf", PDF))
    assert len(s3_bucket.keys()) == 3

    with django_capture_on_commit_callbacks(execute=True):
        if channel == "page":
            response = signed_in(channel, gp).post(reverse("referrals:delete", args=[draft.pk]), {"version": 1})
        else:
            response = signed_in(channel, gp).delete(f"/api/v1/referrals/{draft.pk}/?version=1")
        assert response.status_code == (302 if channel == "page" else 204)
        assert len(s3_bucket.keys()) == 3  # not before the commit

    assert not Referral.objects.filter(pk=draft.pk).exists()
    assert s3_bucket.keys() == [kept.storage_name]


def test_a_second_web_node_serves_the_file_the_first_stored(s3_bucket, settings):
    # given a file uploaded through this node
    referral = make_referral("submitted")
    upload("api", referral.referring_gp, referral, "scan.pdf", PDF)
    attachment = Attachment.objects.get()

    # when another node, its storage built from the same settings (its own client and connections), reads it
    other_node = StorageHandler(settings.STORAGES)["attachments"]
    assert other_node is not Attachment.storage()
    with other_node.open(attachment.storage_name, "rb") as stored:
        read = stored.read()

    # then it has the same bytes
    assert hashlib.sha256(read).hexdigest() == attachment.sha256
    assert read == PDF


def test_an_object_has_no_url_of_its_own(s3_bucket):
    referral = make_referral("submitted")
    attachment = services.attachment_add(
        referral=referral, by=referral.referring_gp, upload=SimpleUploadedFile("scan.pdf", PDF)
    )

    with pytest.raises(NotImplementedError, match=re.escape(NOT_SERVED)):
        Attachment.storage().url(attachment.storage_name)


def test_by_default_a_file_is_private_on_the_filesystem(settings):
    referral = make_referral("submitted")

    attachment = services.attachment_add(
        referral=referral, by=referral.referring_gp, upload=SimpleUploadedFile("scan.pdf", PDF)
    )

    folder = settings.PRIVATE_MEDIA_ROOT / "referrals"
    assert stored_locally(settings) == [folder / attachment.storage_name]
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / attachment.storage_name).stat().st_mode) == 0o600
    assert (folder / attachment.storage_name).read_bytes() == PDF
    with pytest.raises(NotImplementedError, match=re.escape(NOT_SERVED)):
        Attachment.storage().url(attachment.storage_name)
