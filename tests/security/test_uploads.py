"""Finding 9: an upload is accepted only when its whole content is a readable PDF, PNG or JPEG without web
page markup; it is stored and served under the detected type's extension, the same on the page and the API."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from rest_framework.test import APIClient

from apps.referrals import services
from apps.referrals.models import Attachment
from tests.referrals.factories import make_referral
from tests.referrals.files import PDF, PNG

pytestmark = pytest.mark.django_db

POLYGLOT = b"%PDF-1.4\n<html><script>alert(document.cookie)</script></html>\n%%EOF\n"
# A PDF that pypdf reads without complaint, carrying a page a browser would run in a comment line.
PARSEABLE_POLYGLOT = PDF.replace(b"%PDF-1.7\n", b"%PDF-1.7\n%<html><script>alert(1)</script>\n", 1)


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "JPEG")
    return buffer.getvalue()


def _gif() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "GIF")
    return buffer.getvalue()


JPEG = _jpeg()
REFUSED = [
    ("poly.html", POLYGLOT),
    ("poly.pdf", PARSEABLE_POLYGLOT),
    ("header-only.pdf", b"%PDF-1.7\n%%EOF\n"),
    ("truncated.pdf", PDF[: len(PDF) // 2]),
    ("broken.png", PNG[:40] + b"\x00" * 40),
    ("broken.jpg", JPEG[:20] + b"\x00" * 60),
    ("image.gif", _gif()),
    ("page.html", b"<!doctype html><html><script>alert(1)</script></html>"),
]
REFUSED_IDS = [
    "polyglot",
    "parseable-polyglot",
    "header-only",
    "truncated-pdf",
    "broken-png",
    "broken-jpeg",
    "gif",
    "html",
]


def stored_files(settings):
    folder = settings.PRIVATE_MEDIA_ROOT / "referrals"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize(("name", "content"), REFUSED, ids=REFUSED_IDS)
def test_a_file_that_is_not_wholly_a_clean_pdf_or_image_is_refused_on_the_page(client, settings, name, content):
    referral = make_referral("accepted")
    client.force_login(referral.referring_gp)
    response = client.post(
        reverse("referrals:attachment-upload", args=[referral.pk]), {"file": SimpleUploadedFile(name, content)}
    )
    assert response.status_code == 400
    assert response.context["attachment_form"].errors == {"file": [services.FILE_TYPE_REFUSED]}
    assert Attachment.objects.count() == 0
    assert stored_files(settings) == []


@pytest.mark.parametrize(("name", "content"), REFUSED, ids=REFUSED_IDS)
def test_a_file_that_is_not_wholly_a_clean_pdf_or_image_is_a_400_from_the_api(settings, name, content):
    referral = make_referral("accepted")
    api = APIClient()
    api.force_authenticate(referral.referring_gp)
    response = api.post(
        f"/api/v1/referrals/{referral.pk}/attachments/", {"file": SimpleUploadedFile(name, content)}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "file", "code": "invalid", "message": services.FILE_TYPE_REFUSED}]
    assert Attachment.objects.count() == 0
    assert stored_files(settings) == []


@pytest.mark.parametrize(
    ("name", "content", "content_type", "served_as"),
    [
        ("scan.pdf", PDF, "application/pdf", "scan.pdf"),
        ("scan.pdf", PNG, "image/png", "scan.png"),
        ("photo", JPEG, "image/jpeg", "photo.jpg"),
        ("letter.html", PDF, "application/pdf", "letter.pdf"),
    ],
    ids=["pdf", "png-named-pdf", "jpeg-without-extension", "pdf-named-html"],
)
def test_a_file_is_stored_and_served_under_its_detected_type(client, settings, name, content, content_type, served_as):
    referral = make_referral("accepted")
    gp = referral.referring_gp
    attachment = services.attachment_add(referral=referral, by=gp, upload=SimpleUploadedFile(name, content))

    assert attachment.content_type == content_type
    assert stored_files(settings) == [f"{attachment.pk}.{served_as.rsplit('.', 1)[1]}"]
    client.force_login(gp)
    api = APIClient()
    api.force_authenticate(gp)
    on_page = client.get(attachment.get_absolute_url())
    on_api = api.get(f"/api/v1/referrals/{referral.pk}/attachments/{attachment.pk}/download/")
    for response in (on_page, on_api):
        assert response.status_code == 200
        assert response["Content-Type"] == content_type
        assert response["Content-Disposition"] == f'attachment; filename="{served_as}"'
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"] == "sandbox"
        assert b"".join(response.streaming_content) == content
