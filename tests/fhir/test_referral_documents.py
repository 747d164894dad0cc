"""A referral's attachments as DocumentReference: created and read through the attachment service and the
API's download, with the same access rules and log."""

import base64

import pytest

from apps.referrals.models import AccessLog, Attachment, Status
from tests.factories import CuratorFactory, GPFactory, OncologistUserFactory
from tests.referrals.factories import make_referral
from tests.referrals.files import PDF

from .referrals import leaks, parsed, post, token_client

pytestmark = pytest.mark.django_db


def document(referral, data: bytes = PDF, title="quilliam-mammogram.pdf") -> dict:
    return {
        "resourceType": "DocumentReference",
        "status": "current",
        "content": [{"attachment": {"contentType": "application/pdf", "title": title,
                                    "data": base64.b64encode(data).decode()}}],
        "context": {"related": [{"reference": f"ServiceRequest/{referral.pk}"}]},
    }  # fmt: skip


@pytest.fixture
def referral():
    return make_referral(Status.UNDER_REVIEW)


def test_the_gp_attaches_a_file_and_both_parties_find_it(referral, django_assert_num_queries):
    gp, oncologist = token_client(referral.referring_gp), token_client(referral.oncologist.account)

    response = post(gp, "/fhir/DocumentReference", document(referral))

    assert response.status_code == 201, response.content
    attachment = Attachment.objects.get()
    created = parsed(response.json())
    assert created["id"] == str(attachment.pk) and created["subject"] == {"reference": f"Patient/{referral.pk}"}
    assert created["content"][0]["attachment"]["url"].endswith(
        f"/api/v1/referrals/{referral.pk}/attachments/{attachment.pk}/download/"
    )
    service_request = oncologist.get(f"/fhir/ServiceRequest/{referral.pk}").json()
    assert service_request["supportingInfo"] == [{"reference": f"DocumentReference/{attachment.pk}"}]
    with django_assert_num_queries(3):  # token, the attachment among the visible referrals', the log row
        read = oncologist.get(f"/fhir/DocumentReference/{attachment.pk}")
    assert parsed(read.json())["content"][0]["attachment"]["size"] == len(PDF)
    download = oncologist.get(created["content"][0]["attachment"]["url"], headers={"Accept": "*/*"})
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert AccessLog.objects.filter(object_type="attachment", channel="fhir").count() == 2  # create, view


def test_a_referrals_documents_are_searched_by_referral_or_patient(referral, django_assert_num_queries):
    gp = token_client(referral.referring_gp)
    for title in ("first.pdf", "second.pdf"):
        post(gp, "/fhir/DocumentReference", document(referral, title=title))
    other = make_referral(Status.UNDER_REVIEW, referring_gp=referral.referring_gp)
    post(gp, "/fhir/DocumentReference", document(other, title="other.pdf"))

    with django_assert_num_queries(4):  # token, count, page, the access log's one INSERT
        by_referral = gp.get("/fhir/DocumentReference", {"related": f"ServiceRequest/{referral.pk}"}).json()
    by_patient = gp.get("/fhir/DocumentReference", {"patient": f"Patient/{other.pk}"}).json()

    titles = [e["resource"]["content"][0]["attachment"]["title"] for e in parsed(by_referral)["entry"]]
    assert titles == ["first.pdf", "second.pdf"]
    assert [e["resource"]["content"][0]["attachment"]["title"] for e in by_patient["entry"]] == ["other.pdf"]
    listed = AccessLog.objects.filter(action="list", object_type="attachment").exclude(object_id="")
    assert listed.count() == 3


def test_a_file_the_upload_checks_refuse_is_a_400_and_nothing_is_stored(referral):
    response = post(token_client(referral.referring_gp), "/fhir/DocumentReference",
                    document(referral, data=b"<html><script>alert(1)</script></html>", title="x.pdf"))  # fmt: skip

    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["DocumentReference.content.attachment"]
    assert not Attachment.objects.exists()


OUTSIDERS = {
    "anonymous": None,
    "another GP": GPFactory,
    "another oncologist": OncologistUserFactory,
    "a curator without the clinical permission": CuratorFactory,
}


@pytest.mark.parametrize("outsider", OUTSIDERS, ids=list(OUTSIDERS))
def test_outsiders_neither_read_nor_attach(referral, outsider, client):
    post(token_client(referral.referring_gp), "/fhir/DocumentReference", document(referral))
    attachment = Attachment.objects.get()
    user = OUTSIDERS[outsider]() if OUTSIDERS[outsider] else None
    caller = token_client(user) if user else client
    logged = AccessLog.objects.count()

    read = caller.get(f"/fhir/DocumentReference/{attachment.pk}")
    add = post(caller, "/fhir/DocumentReference", document(referral, title="other.pdf"))

    expected = 401 if user is None else 404
    assert (read.status_code, add.status_code) == (expected, expected)
    assert leaks(read.content + add.content) == [] and b"mammogram" not in read.content
    assert Attachment.objects.count() == 1
    rows = list(AccessLog.objects.order_by("id")[logged:].values_list("object_type", "object_id", "detail"))
    if user is None:
        assert rows == []
    else:
        assert rows == [("attachment", str(attachment.pk), "refused"), ("referral", str(referral.pk), "refused")]
