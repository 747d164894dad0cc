"""Referral writes through FHIR: every one a referral service call (the state machine, its validation, its
emails, the access log), refused as the API refuses it, and leaving nothing changed when refused."""

import pytest
from django.contrib.auth.models import Permission

from apps.referrals import services
from apps.referrals.models import AccessLog, Referral, ReferralEvent, Status
from tests.factories import CuratorFactory, GPFactory, OncologistUserFactory, PracticeLocationFactory
from tests.referrals.factories import make_referral

from .referrals import (
    accepted,
    access_rows,
    completed,
    leaks,
    parsed,
    patient_resource,
    post,
    put,
    rejected,
    scheduled,
    service_request_resource,
    token_client,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def gp():
    return GPFactory()


@pytest.fixture
def oncologist():
    user = OncologistUserFactory()
    PracticeLocationFactory(physician=user.physician, is_primary=True)
    return user


def read_task(client, referral) -> dict:
    response = client.get(f"/fhir/Task/{referral.pk}")
    assert response.status_code == 200, response.content
    return response.json()


def snapshot(referral) -> tuple:
    referral.refresh_from_db()
    return referral.status, referral.version, referral.events.count()


# -- Task updates ---------------------------------------------------------------------------------------------


def test_the_oncologist_accepts_schedules_and_completes_through_the_task(gp, oncologist, mailoutbox,
                                                                         django_capture_on_commit_callbacks):  # fmt: skip
    referral = make_referral(Status.UNDER_REVIEW, referring_gp=gp, oncologist=oncologist.physician)
    client = token_client(oncologist)

    with django_capture_on_commit_callbacks(execute=True):
        task = put(client, f"/fhir/Task/{referral.pk}", accepted(read_task(client, referral))).json()
    assert parsed(task)["status"] == "accepted" and task["businessStatus"]["coding"][0]["code"] == "accepted"
    response = put(client, f"/fhir/Task/{referral.pk}", scheduled(task))
    assert response.status_code == 200, response.content
    assert response["ETag"] == f'W/"{response.json()["meta"]["versionId"]}"'
    done = put(client, f"/fhir/Task/{referral.pk}", completed(response.json())).json()

    referral.refresh_from_db()
    assert referral.status == Status.COMPLETED and parsed(done)["status"] == "completed"
    assert referral.appointment_place == "Cancer Center, Suite 4"
    assert referral.outcome_letter == "Dear Dr Patel, I saw your patient today."
    assert list(referral.events.values_list("action", flat=True)) == ["accept", "schedule", "complete"]
    assert [m.to for m in mailoutbox] == [[gp.email]]  # the service's email, on commit
    transitions = AccessLog.objects.filter(action="transition", channel="fhir").order_by("id")
    assert list(transitions.values_list("detail", flat=True)) == ["accept", "schedule", "complete"]


def test_a_rejection_takes_its_reason_from_status_reason(gp, oncologist):
    referral = make_referral(Status.UNDER_REVIEW, referring_gp=gp, oncologist=oncologist.physician)
    client = token_client(oncologist)

    task = put(client, f"/fhir/Task/{referral.pk}", rejected(read_task(client, referral))).json()

    referral.refresh_from_db()
    assert (referral.status, referral.rejection_reason) == (Status.REJECTED, "out_of_scope")
    assert referral.rejection_comment == "Please refer to hematology."
    assert task["statusReason"]["text"] == "Please refer to hematology."


@pytest.mark.parametrize(
    ("change", "expression", "message"),
    [
        pytest.param(lambda t: rejected(t, comment=""), "Task.statusReason.text",
                     services.REJECTION_COMMENT_REQUIRED, id="rejection-without-comment"),
        pytest.param(lambda t: rejected(t, code="bored"), "Task.statusReason.coding",
                     services.REJECTION_CODE_REQUIRED, id="unknown-rejection-code"),
        pytest.param(lambda t: {**t, "status": "on-hold"}, "Task.statusReason.text", services.QUESTION_REQUIRED,
                     id="question-missing"),
        pytest.param(lambda t: {**t, "status": "ready"}, "Task.status", "no action", id="no-such-change"),
        pytest.param(lambda t: {**t, "meta": {}}, "meta.versionId", "version", id="no-version"),
    ],
)  # fmt: skip
def test_bad_task_input_is_a_400_naming_the_element_and_changes_nothing(gp, oncologist, change, expression, message):
    referral = make_referral(Status.UNDER_REVIEW, referring_gp=gp, oncologist=oncologist.physician)
    client = token_client(oncologist)
    task = read_task(client, referral)
    before = snapshot(referral)

    response = put(client, f"/fhir/Task/{referral.pk}", change(task))

    assert response.status_code == 400, response.content
    issue = parsed(response.json())["issue"][0]
    assert issue["expression"] == [expression] and message in issue["diagnostics"]
    assert snapshot(referral) == before


def test_a_past_appointment_is_refused_by_the_service(gp, oncologist):
    import datetime

    from django.utils import timezone

    referral = make_referral(Status.ACCEPTED, referring_gp=gp, oncologist=oncologist.physician)
    client = token_client(oncologist)
    before = snapshot(referral)

    past = timezone.now() - datetime.timedelta(days=1)
    response = put(client, f"/fhir/Task/{referral.pk}", scheduled(read_task(client, referral), when=past))

    assert response.status_code == 400
    assert (
        response.json()["issue"][0]["diagnostics"] == f"Task.restriction.period.start: {services.APPOINTMENT_IN_PAST}"
    )
    assert snapshot(referral) == before


def test_a_stale_version_is_a_409_whether_in_the_body_or_if_match(gp, oncologist):
    referral = make_referral(Status.UNDER_REVIEW, referring_gp=gp, oncologist=oncologist.physician)
    client = token_client(oncologist)
    task = read_task(client, referral)
    stale = {**accepted(task), "meta": {"versionId": str(referral.version - 1 or 99)}}
    before = snapshot(referral)

    in_body = put(client, f"/fhir/Task/{referral.pk}", stale)
    in_header = put(client, f"/fhir/Task/{referral.pk}", accepted(task), **{"If-Match": 'W/"99"'})

    assert (in_body.status_code, in_header.status_code) == (409, 409)
    assert in_body.json()["issue"][0]["diagnostics"] == services.STALE_VERSION
    assert snapshot(referral) == before
    good = put(client, f"/fhir/Task/{referral.pk}", accepted(task), **{"If-Match": f'W/"{referral.version}"'})
    assert good.status_code == 200


def test_a_change_the_state_machine_does_not_allow_now_is_a_409(gp, oncologist):
    referral = make_referral(Status.UNDER_REVIEW, referring_gp=gp, oncologist=oncologist.physician)
    client = token_client(oncologist)
    before = snapshot(referral)

    response = put(client, f"/fhir/Task/{referral.pk}", completed(read_task(client, referral)))

    assert response.status_code == 409
    assert response.json()["issue"][0]["diagnostics"] == services.WRONG_STATE
    assert snapshot(referral) == before


def test_the_gp_cannot_accept_the_oncologist_cannot_cancel_403(gp, oncologist):
    referral = make_referral(Status.UNDER_REVIEW, referring_gp=gp, oncologist=oncologist.physician)
    before = snapshot(referral)
    gp_client, oncologist_client = token_client(gp), token_client(oncologist)

    by_gp = put(gp_client, f"/fhir/Task/{referral.pk}", accepted(read_task(gp_client, referral)))
    cancel = {**read_task(oncologist_client, referral), "status": "cancelled", "statusReason": {"text": "No."}}
    by_oncologist = put(oncologist_client, f"/fhir/Task/{referral.pk}", cancel)

    assert (by_gp.status_code, by_oncologist.status_code) == (403, 403)
    assert by_gp.json()["issue"][0]["diagnostics"] == services.ROLE_NOT_ALLOWED
    assert snapshot(referral) == before


def test_the_gp_cancels_and_acknowledges_through_the_task(gp, oncologist):
    open_referral = make_referral(Status.ACCEPTED, referring_gp=gp, oncologist=oncologist.physician)
    done = make_referral(Status.COMPLETED, referring_gp=gp, oncologist=oncologist.physician)
    client = token_client(gp)

    cancel = {**read_task(client, open_referral), "status": "cancelled", "statusReason": {"text": "Moved away."}}
    assert put(client, f"/fhir/Task/{open_referral.pk}", cancel).json()["status"] == "cancelled"
    acknowledge = {**read_task(client, done), "businessStatus": {"coding": [
        {"system": "urn:oncodir:fhir:referral-status", "code": "acknowledged"}]}}  # fmt: skip
    assert put(client, f"/fhir/Task/{done.pk}", acknowledge).status_code == 200

    open_referral.refresh_from_db()
    done.refresh_from_db()
    assert (open_referral.status, open_referral.closing_reason) == (Status.CANCELLED, "Moved away.")
    assert done.status == Status.ACKNOWLEDGED


# -- creating a referral ----------------------------------------------------------------------------------


def test_a_gp_posts_a_service_request_with_its_patient_contained(gp, oncologist, mailoutbox,
                                                                 django_capture_on_commit_callbacks):  # fmt: skip
    location = oncologist.physician.locations.get()
    client = token_client(gp)

    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, "/fhir/ServiceRequest", service_request_resource(f"PractitionerRole/{location.pk}"))

    assert response.status_code == 201, response.content
    referral = Referral.objects.get()
    created = parsed(response.json())
    assert created["id"] == str(referral.pk) and created["subject"] == {"reference": f"Patient/{referral.pk}"}
    assert response["Location"].endswith(f"/fhir/ServiceRequest/{referral.pk}/_history/{referral.version}")
    assert (referral.status, referral.referring_gp, referral.oncologist) == (Status.SUBMITTED, gp, oncologist.physician)
    assert (referral.patient_last_name, referral.patient_email, referral.patient_mrn) == (
        "Quilliam", "ada@example.org", "MRN-778812")  # fmt: skip
    assert (referral.priority, referral.icd10_code, referral.cancer_type.slug) == (
        "urgent_suspected_cancer", "C50.911", "breast")  # fmt: skip
    assert referral.clinical_question.startswith("Palpable lump") and referral.medications == "Lisinopril 10 mg."
    assert [m.to for m in mailoutbox] == [[oncologist.email]]
    assert AccessLog.objects.filter(action="create", object_id=str(referral.pk), channel="fhir").count() == 1
    page = token_client(gp).get(f"/api/v1/referrals/{referral.pk}/", headers={"Accept": "application/json"})
    assert page.json()["status"] == "submitted"  # the same referral in /api/v1/


def test_a_gp_posts_a_transaction_bundle_and_a_draft_stays_a_draft(gp, oncologist):
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"fullUrl": "urn:uuid:5b1c7a1e-0000-4000-8000-000000000001", "resource": patient_resource(),
             "request": {"method": "POST", "url": "Patient"}},
            {"resource": service_request_resource(f"Practitioner/{oncologist.physician.npi}", status="draft",
                                                  contained=False,
                                                  subject="urn:uuid:5b1c7a1e-0000-4000-8000-000000000001"),
             "request": {"method": "POST", "url": "ServiceRequest"}},
        ],
    }  # fmt: skip

    response = post(token_client(gp), "/fhir/", bundle)

    assert response.status_code == 200, response.content
    result = parsed(response.json())
    referral = Referral.objects.get()
    assert referral.status == Status.DRAFT
    assert [e["response"]["status"] for e in result["entry"]] == ["201 Created", "201 Created"]
    assert [e["resource"]["resourceType"] for e in result["entry"]] == ["Patient", "ServiceRequest"]


@pytest.mark.parametrize(
    ("change", "expression"),
    [
        pytest.param({"contained": [patient_resource(birthDate="2999-01-01")]}, "Patient.birthDate", id="born-later"),
        pytest.param({"contained": [patient_resource(name=[{"given": ["Ada"]}])]}, "Patient.name.family",
                     id="no-family-name"),
        pytest.param({"extension": []}, "ServiceRequest.extension", id="no-consent"),
        pytest.param({"performer": [{"reference": "Practitioner/1234567893"}]}, "ServiceRequest.performer",
                     id="not-an-oncologist"),
        pytest.param({"reasonCode": []}, "ServiceRequest.reasonCode", id="no-cancer-type"),
        pytest.param({"priority": "stat"}, "ServiceRequest.priority", id="stat"),
        pytest.param({"subject": {"reference": "#nobody"}}, "ServiceRequest.subject", id="no-patient"),
    ],
)  # fmt: skip
def test_bad_service_requests_are_a_400_naming_the_element_and_create_nothing(gp, oncologist, change, expression):
    location = oncologist.physician.locations.get()
    resource = {**service_request_resource(f"PractitionerRole/{location.pk}"), **change}

    response = post(token_client(gp), "/fhir/ServiceRequest", resource)

    assert response.status_code == 400, response.content
    assert parsed(response.json())["issue"][0]["expression"] == [expression]
    assert not Referral.objects.exists()


# -- outsiders ---------------------------------------------------------------------------------------------

OUTSIDERS = {
    "anonymous": None,
    "another GP": GPFactory,
    "another oncologist": OncologistUserFactory,
    "a curator without the clinical permission": CuratorFactory,
}


@pytest.mark.parametrize("outsider", OUTSIDERS, ids=list(OUTSIDERS))
def test_outsiders_change_nothing_and_learn_nothing(gp, oncologist, outsider, client):
    referral = make_referral(Status.UNDER_REVIEW, referring_gp=gp, oncologist=oncologist.physician)
    task = read_task(token_client(gp), referral)
    before, logged = snapshot(referral), AccessLog.objects.count()
    user = OUTSIDERS[outsider]() if OUTSIDERS[outsider] else None
    caller = token_client(user) if user else client
    location = oncologist.physician.locations.get()

    update = put(caller, f"/fhir/Task/{referral.pk}", accepted(task))
    create = post(caller, "/fhir/ServiceRequest", service_request_resource(f"PractitionerRole/{location.pk}"))

    expected = (401, 401) if user is None else (404, 403 if user.role != "gp" else 201)
    assert (update.status_code, create.status_code) == expected
    assert leaks(update.content) == []
    assert snapshot(referral) == before
    assert Referral.objects.count() == (2 if expected[1] == 201 else 1)
    refused = list(AccessLog.objects.order_by("id")[logged:].values_list("action", "object_id", "detail"))
    if user is None:
        assert refused == []
    else:
        assert refused[0] == ("view", str(referral.pk), "refused")


def test_a_curator_with_the_clinical_permission_reads_but_cannot_act(gp, oncologist):
    referral = make_referral(Status.UNDER_REVIEW, referring_gp=gp, oncologist=oncologist.physician)
    curator = GPFactory(role="curator", is_staff=True)
    curator.user_permissions.add(Permission.objects.get(codename="view_clinical_data"))
    client = token_client(curator)
    before = snapshot(referral)

    response = put(client, f"/fhir/Task/{referral.pk}", accepted(read_task(client, referral)))

    assert response.status_code == 403
    assert snapshot(referral) == before
    assert not ReferralEvent.objects.exists()


def test_a_session_write_needs_its_csrf_token_as_in_the_api(gp, oncologist):
    from django.test import Client

    referral = make_referral(Status.UNDER_REVIEW, referring_gp=gp, oncologist=oncologist.physician)
    session = Client(enforce_csrf_checks=True, headers={"Accept": "application/fhir+json"})
    session.force_login(oncologist)
    task = read_task(session, referral)

    response = put(session, f"/fhir/Task/{referral.pk}", accepted(task))

    assert response.status_code == 403
    assert referral.events.count() == 0
    assert access_rows()[-1][1] != "transition"


@pytest.mark.parametrize(
    "resource",
    [
        {"resourceType": "ServiceRequest", "status": "active", "intent": "order", "extension": ["x"]},
        {"resourceType": "ServiceRequest", "status": "active", "intent": "order", "contained": ["x"]},
        {"resourceType": "ServiceRequest", "status": "active", "intent": "order", "subject": "Patient/1"},
        {"resourceType": "Task", "status": "accepted"},
        ["not", "a", "resource"],
    ],
    ids=["extension-string", "contained-string", "subject-string", "wrong-type", "not-an-object"],
)
def test_malformed_bodies_are_a_400_not_a_500(gp, resource):
    response = post(token_client(gp), "/fhir/ServiceRequest", resource)

    assert response.status_code == 400, response.content
    assert response.json()["issue"][0]["code"] in ("structure", "required", "invalid")
    assert not Referral.objects.exists()
