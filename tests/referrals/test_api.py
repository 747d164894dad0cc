import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from apps.referrals import services
from apps.referrals.models import AccessLog, Attachment, Referral, ReferralEvent
from tests.factories import GPFactory, OncologistUserFactory, cancer_type

from .cases import ALLOWED, actor_of, each_case, expected, footprint
from .factories import make_referral
from .files import PDF
from .test_access_control import OUTSIDERS, api_urls, assert_refused

pytestmark = pytest.mark.django_db


def api_kwargs(action):
    from .cases import action_kwargs

    data = dict(action_kwargs(action))
    if "appointment_at" in data:
        data["appointment_at"] = data["appointment_at"].isoformat()
    return data


@pytest.fixture
def api():
    return APIClient()


@each_case
def test_every_state_role_action_over_http(api, status, role, action, clinical_curator):
    # given a referral in `status` and its actor of `role` (curators hold the clinical permission, to see it)
    referral = make_referral(status)
    api.force_authenticate(actor_of(referral, role, clinical_curator))
    before = footprint(referral)

    # when the actor posts the action
    response = api.post(
        f"/api/v1/referrals/{referral.pk}/{action.replace('_', '-')}/",
        {"version": referral.version, **api_kwargs(action)},
        format="json",
    )

    # then allowed actions answer 200 (201 for a re-referral) and everything else is refused unchanged
    outcome = expected(status, role, action)
    referral.refresh_from_db()
    if outcome == "allowed":
        assert response.status_code == (201 if action == "re_refer" else 200), response.json()
        assert referral.status == ALLOWED[(status, role, action)]
        assert referral.version == before[1] + 1
        assert ReferralEvent.objects.count() == before[2] + 1
        assert AccessLog.objects.filter(action="transition", detail=action, channel="api").count() == 1
    else:
        if status == "draft" and role != "gp":
            assert response.status_code == 404  # drafts are invisible to anyone but their GP
        else:
            assert response.status_code == {"permission": 403, "conflict": 409}[outcome], response.json()
        assert set(response.json()) == {"errors"}
        assert footprint(referral) == before


@pytest.mark.parametrize("who", OUTSIDERS)
def test_every_referral_endpoint_refuses_outsiders(client, who):
    from .test_access_control import populated as _  # noqa: F401 - documents where the data comes from

    referral = make_referral("scheduled")
    message = services.message_create(referral=referral, by=referral.referring_gp, body="Quilliam prefers mornings.")
    attachment = services.attachment_add(
        referral=referral, by=referral.referring_gp, upload=SimpleUploadedFile("q.pdf", PDF)
    )
    assert_refused(client, (referral, message, attachment), api_urls(referral, message, attachment), who, api=True)


def test_the_list_shows_only_the_callers_referrals_with_pinned_queries(api, django_assert_max_num_queries):
    gp = GPFactory()
    mine = [make_referral(s, referring_gp=gp) for s in ["draft", "submitted", "accepted", "completed"] * 3]
    make_referral("submitted")
    token = Token.objects.create(user=gp)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    with django_assert_max_num_queries(5):
        response = api.get("/api/v1/referrals/")

    assert response.status_code == 200
    assert {item["id"] for item in response.json()["results"]} == {str(r.pk) for r in mine}
    assert AccessLog.objects.filter(user=gp, action="list", channel="api", object_id="").count() == 1


def test_the_list_filters_and_rejects_unknown_values(api):
    gp = GPFactory()
    make_referral("submitted", referring_gp=gp, priority="routine")
    urgent = make_referral("submitted", referring_gp=gp, priority="urgent")
    api.force_authenticate(gp)
    response = api.get("/api/v1/referrals/", {"priority": "urgent"})
    assert [item["id"] for item in response.json()["results"]] == [str(urgent.pk)]
    bad = api.get("/api/v1/referrals/", {"status": "lost"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "status"


def test_an_oncologist_lists_received_referrals_but_never_drafts(api):
    onc = OncologistUserFactory()
    received = make_referral("submitted", oncologist=onc.physician)
    make_referral("draft", oncologist=onc.physician)
    api.force_authenticate(onc)
    assert [item["id"] for item in api.get("/api/v1/referrals/").json()["results"]] == [str(received.pk)]


def test_a_gp_creates_and_submits_over_the_api_with_a_token(api, mailoutbox, django_capture_on_commit_callbacks):
    gp, onc = GPFactory(), OncologistUserFactory()
    token = Token.objects.create(user=gp)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    body = {
        "oncologist_npi": onc.physician.npi,
        "patient_first_name": "Ada",
        "patient_last_name": "Quilliam",
        "patient_date_of_birth": "1961-03-14",
        "patient_phone": "212-555-0199",
        "patient_consent": True,
        "cancer_type": "lung",
        "clinical_question": "Nodule on CT.",
        "priority": "urgent",
        "submit": True,
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/referrals/", body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == "submitted"
    assert data["cancer_type"] == "lung"
    referral = Referral.objects.get(pk=data["id"])
    assert referral.cancer_type == cancer_type("lung")
    assert len(mailoutbox) == 1
    assert AccessLog.objects.filter(action="create", object_id=str(referral.pk), channel="api").count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"oncologist_npi": "123"}, "oncologist_npi"),
        ({"cancer_type": "nope"}, "cancer_type"),
        ({"icd10_code": "x"}, "icd10_code"),
        # the schema's pattern holds for the code as sent: trimming it would accept what the schema refuses
        ({"icd10_code": " C50.9"}, "icd10_code"),
        ({"icd10_code": "C50.9\n"}, "icd10_code"),
    ],
    ids=["bad-npi", "unknown-cancer", "bad-icd10", "icd10-leading-space", "icd10-trailing-newline"],
)
def test_bad_create_input_is_a_400_in_the_error_shape(api, changes, field):
    gp, onc = GPFactory(), OncologistUserFactory()
    api.force_authenticate(gp)
    body = {
        "oncologist_npi": onc.physician.npi,
        "patient_first_name": "Ada",
        "patient_last_name": "Q",
        "patient_date_of_birth": "1961-03-14",
        "patient_phone": "1",
        "cancer_type": "lung",
        "clinical_question": "Q?",
        **changes,
    }
    response = api.post("/api/v1/referrals/", body, format="json")
    assert response.status_code == 400
    assert field in [error["field"] for error in response.json()["errors"]]
    assert Referral.objects.count() == 0


def test_oncologists_cannot_create_referrals(api):
    onc = OncologistUserFactory()
    api.force_authenticate(onc)
    response = api.post("/api/v1/referrals/", {"oncologist_npi": onc.physician.npi}, format="json")
    assert response.status_code in (400, 403)
    assert Referral.objects.count() == 0


def test_a_stale_version_is_a_409_with_the_message(api):
    referral = make_referral("under_review", version=4)
    api.force_authenticate(referral.oncologist.account)
    response = api.post(f"/api/v1/referrals/{referral.pk}/accept/", {"version": 3}, format="json")
    assert response.status_code == 409
    assert response.json()["errors"][0]["message"] == services.STALE_VERSION


def test_drafts_are_edited_and_deleted_with_their_version(api):
    draft = make_referral("draft")
    api.force_authenticate(draft.referring_gp)
    url = f"/api/v1/referrals/{draft.pk}/"
    assert api.patch(url, {"history": "x"}, format="json").status_code == 400
    patched = api.patch(url, {"history": "Smoker.", "version": 1}, format="json")
    assert patched.status_code == 200 and patched.json()["version"] == 2
    assert api.delete(url, QUERY_STRING="version=1").status_code == 409
    assert api.delete(f"{url}?version=2").status_code == 204
    assert not Referral.objects.filter(pk=draft.pk).exists()


def test_messages_attachments_and_events_over_the_api(api, settings):
    referral = make_referral("under_review")
    gp = referral.referring_gp
    api.force_authenticate(gp)
    base = f"/api/v1/referrals/{referral.pk}/"

    posted = api.post(f"{base}messages/", {"body": "Any news?"}, format="json")
    assert posted.status_code == 201
    assert [m["body"] for m in api.get(f"{base}messages/").json()] == ["Any news?"]

    refused = api.post(
        f"{base}attachments/", {"file": SimpleUploadedFile("x.pdf", b"MZ\x90\x00" * 50)}, format="multipart"
    )
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["message"] == services.FILE_TYPE_REFUSED
    assert Attachment.objects.count() == 0

    uploaded = api.post(f"{base}attachments/", {"file": SimpleUploadedFile("scan.pdf", PDF)}, format="multipart")
    assert uploaded.status_code == 201
    item = uploaded.json()
    assert item["content_type"] == "application/pdf" and item["size"] == len(PDF)
    assert api.get(f"{base}attachments/{item['id']}/").json()["sha256"] == item["sha256"]
    download = api.get(item["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF

    services.referral_accept(referral=referral, by=referral.oncologist.account, version=referral.version)
    events = api.get(f"{base}events/").json()
    assert [e["action"] for e in events] == ["accept"]
    assert AccessLog.objects.filter(channel="api", object_type="attachment", action="download").count() == 1


def test_the_schema_documents_every_referral_operation(api):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    base = "/api/v1/referrals/{id}/"
    for action in [
        "submit",
        "accept",
        "reject",
        "schedule",
        "complete",
        "cancel",
        "request-info",
        "respond",
        "acknowledge",
    ]:
        operation = paths[f"{base}{action}/"]["post"]
        assert {"200", "400", "403", "404", "409"} <= set(operation["responses"])
    assert "/api/v1/referrals/" in paths
    assert "post" in paths[f"{base}messages/"] and "post" in paths[f"{base}attachments/"]


def test_the_detail_endpoint_has_a_fixed_query_count(api, django_assert_max_num_queries):
    referral = make_referral("scheduled", appointment_at=datetime.datetime(2099, 1, 1, tzinfo=datetime.UTC))
    api.force_authenticate(referral.referring_gp)
    with django_assert_max_num_queries(3):
        response = api.get(f"/api/v1/referrals/{referral.pk}/")
    assert response.json()["patient_last_name"] == "Quilliam"
