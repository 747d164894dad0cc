"""Every referral URL, pages and API, refuses people who are not treating the patient."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.referrals import services
from apps.referrals.models import Referral
from tests.factories import CuratorFactory, GPFactory, OncologistUserFactory

from .factories import CLINICAL_MARKERS, make_referral
from .files import PDF

pytestmark = pytest.mark.django_db


@pytest.fixture
def populated():
    """A scheduled referral with a message and an attachment."""
    referral = make_referral("scheduled")
    message = services.message_create(referral=referral, by=referral.referring_gp, body="Quilliam prefers mornings.")
    attachment = services.attachment_add(
        referral=referral,
        by=referral.referring_gp,
        upload=SimpleUploadedFile("quilliam-mammogram.pdf", PDF, content_type="application/pdf"),
    )
    return referral, message, attachment


def page_urls(referral, attachment):
    pk = referral.pk
    yield "get", reverse("referrals:detail", args=[pk]), {}
    yield "get", reverse("referrals:edit", args=[pk]), {}
    yield "post", reverse("referrals:edit", args=[pk]), {"version": referral.version}
    yield "post", reverse("referrals:delete", args=[pk]), {"version": referral.version}
    for action in services.TRANSITIONS:
        yield "post", reverse("referrals:action", args=[pk, action]), {"version": referral.version, "reason": "x"}
    yield "post", reverse("referrals:message-create", args=[pk]), {"body": "hello"}
    yield "post", reverse("referrals:attachment-upload", args=[pk]), {"file": SimpleUploadedFile("a.pdf", PDF)}
    yield "get", reverse("referrals:attachment-download", args=[pk, attachment.pk]), {}


def api_urls(referral, message, attachment):
    base = f"/api/v1/referrals/{referral.pk}/"
    yield "get", base, {}
    yield "patch", base, {"clinical_question": "changed"}
    yield "delete", base, {}
    for action in (
        "submit",
        "open",
        "accept",
        "reject",
        "schedule",
        "reschedule",
        "no-show",
        "complete",
        "cancel",
        "fail",
        "request-info",
        "respond",
        "acknowledge",
        "enter-in-error",
        "re-refer",
    ):
        yield "post", f"{base}{action}/", {"version": referral.version, "reason": "x"}
    yield "get", f"{base}messages/", {}
    yield "post", f"{base}messages/", {"body": "hello"}
    yield "get", f"{base}attachments/", {}
    yield "get", f"{base}attachments/{attachment.pk}/", {}
    yield "get", f"{base}attachments/{attachment.pk}/download/", {}
    yield "get", f"{base}events/", {}


OUTSIDERS = ["anonymous", "other_gp", "other_oncologist", "curator_without_permission"]


def login_outsider(client, who):
    if who == "anonymous":
        return None
    user = {
        "other_gp": GPFactory,
        "other_oncologist": OncologistUserFactory,
        "curator_without_permission": CuratorFactory,
    }[who]()
    client.force_login(user)
    return user


def state(referral):
    referral = Referral.objects.get(pk=referral.pk)
    return (
        referral.status,
        referral.version,
        referral.clinical_question,
        referral.events.count(),
        referral.messages.count(),
        referral.attachments.count(),
    )


def assert_refused(client, populated, urls, who, api=False):
    referral, message, attachment = populated
    login_outsider(client, who)
    before = state(referral)
    checked = 0
    for method, url, data in list(urls):
        kwargs = {"data": data}
        if api and method in ("post", "patch"):
            kwargs["content_type"] = "application/json" if not any(hasattr(v, "read") for v in data.values()) else None
            if kwargs["content_type"] is None:
                kwargs.pop("content_type")
        response = getattr(client, method)(url, **kwargs)
        # then 401/403/404 and no clinical data in the body
        allowed = (401, 403, 404) if api else (403, 404)
        assert response.status_code in allowed, (method, url, response.status_code)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        for marker in CLINICAL_MARKERS + ("mornings", "%PDF"):
            assert marker.encode() not in body, (method, url, marker)
        checked += 1
    # and nothing changed
    assert state(referral) == before
    assert checked > 10


@pytest.mark.parametrize("who", OUTSIDERS)
def test_every_referral_page_refuses_outsiders(client, populated, who):
    referral, message, attachment = populated
    assert_refused(client, populated, page_urls(referral, attachment), who)


def test_the_inbox_and_dashboard_of_outsiders_show_nothing_of_the_referral(client, populated):
    for factory in (GPFactory, OncologistUserFactory):
        client.force_login(factory())
        response = client.get(reverse("referrals:list"))
        assert response.status_code == 200
        for marker in CLINICAL_MARKERS:
            assert marker.encode() not in response.content
        assert populated[0].reference.encode() not in response.content


def test_a_curator_with_the_permission_sees_clinical_content(client, populated, clinical_curator):
    referral = populated[0]
    client.force_login(clinical_curator)
    response = client.get(reverse("referrals:detail", args=[referral.pk]))
    assert response.status_code == 200
    assert b"Quilliam" in response.content
    download = client.get(reverse("referrals:attachment-download", args=[referral.pk, populated[2].pk]))
    assert download.status_code == 200
