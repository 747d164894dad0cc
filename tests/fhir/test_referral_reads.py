"""Referrals read as ServiceRequest, Task and Patient: valid R4B resources, the API's access rules, the
access log, and fixed query counts."""

import pytest

from apps.referrals.models import AccessLog, Status
from tests.factories import CuratorFactory, GPFactory, OncologistUserFactory, PracticeLocationFactory
from tests.referrals.factories import make_referral

from .referrals import access_rows, leaks, parsed, token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def gp():
    return GPFactory()


@pytest.fixture
def oncologist():
    user = OncologistUserFactory()
    PracticeLocationFactory(physician=user.physician, is_primary=True)
    return user


@pytest.fixture
def referral(gp, oncologist):
    return make_referral(Status.UNDER_REVIEW, referring_gp=gp, oncologist=oncologist.physician)


def test_the_gp_reads_the_referral_as_service_request_task_and_patient(gp, oncologist, referral):
    client = token_client(gp)

    service_request = parsed(client.get(f"/fhir/ServiceRequest/{referral.pk}").json())
    task = parsed(client.get(f"/fhir/Task/{referral.pk}").json())
    patient = parsed(client.get(f"/fhir/Patient/{referral.pk}").json())

    location = oncologist.physician.locations.get()
    assert service_request["intent"] == "order" and service_request["status"] == "active"
    assert service_request["priority"] == "asap"  # urgent: suspected cancer
    assert service_request["performer"][0]["reference"] == f"PractitionerRole/{location.pk}"
    assert service_request["subject"] == {"reference": f"Patient/{referral.pk}"}
    assert service_request["reasonCode"][0]["coding"][0] == {"system": "http://hl7.org/fhir/sid/icd-10-cm",
                                                             "code": "C50.911"}  # fmt: skip
    assert service_request["meta"]["versionId"] == str(referral.version)
    assert task["status"] == "received" and task["businessStatus"]["coding"][0]["code"] == "under_review"
    assert task["focus"] == {"reference": f"ServiceRequest/{referral.pk}"}
    assert task["owner"]["reference"] == f"Practitioner/{oncologist.physician.npi}"
    assert patient["name"] == [{"family": "Quilliam", "given": ["Ada"]}] and patient["birthDate"] == "1961-03-14"
    assert [row[1:] for row in access_rows()] == [
        ("view", "referral", str(referral.pk), resource_type, "fhir")
        for resource_type in ("ServiceRequest", "Task", "Patient")
    ]


def test_the_oncologists_first_read_opens_a_submitted_referral_as_the_api_does(gp, oncologist):
    referral = make_referral(Status.SUBMITTED, referring_gp=gp, oncologist=oncologist.physician)

    task = token_client(oncologist).get(f"/fhir/Task/{referral.pk}").json()

    referral.refresh_from_db()
    assert referral.status == Status.UNDER_REVIEW
    assert task["status"] == "received" and task["meta"]["versionId"] == str(referral.version)
    assert [row[1:5] for row in access_rows()] == [
        ("transition", "referral", str(referral.pk), "open"),
        ("view", "referral", str(referral.pk), "Task"),
    ]


def test_a_rejection_the_appointment_and_the_outcome_show_on_the_task(gp, oncologist):
    rejected = make_referral(Status.REJECTED, referring_gp=gp, oncologist=oncologist.physician)
    booked = make_referral(Status.SCHEDULED, referring_gp=gp, oncologist=oncologist.physician)
    done = make_referral(Status.COMPLETED, referring_gp=gp, oncologist=oncologist.physician)
    client = token_client(gp)

    rejection = parsed(client.get(f"/fhir/Task/{rejected.pk}").json())
    appointment = parsed(client.get(f"/fhir/Task/{booked.pk}").json())
    outcome = parsed(client.get(f"/fhir/Task/{done.pk}").json())

    assert rejection["status"] == "rejected"
    assert rejection["statusReason"]["coding"][0]["code"] == "out_of_scope"
    assert rejection["statusReason"]["text"] == "Please refer to hematology."
    assert appointment["status"] == "in-progress"
    assert appointment["businessStatus"]["coding"][0]["code"] == "scheduled"
    assert appointment["restriction"]["period"]["start"] == booked.appointment_at.isoformat(timespec="milliseconds")
    assert appointment["input"][0]["valueString"] == "Cancer Center, Suite 4"
    assert outcome["status"] == "completed"
    assert {o["type"]["coding"][0]["code"]: o["valueString"] for o in outcome["output"]}["letter"] == (
        "Dear Dr Patel, I saw your patient today."
    )


OUTSIDERS = {
    "another GP": GPFactory,
    "another oncologist": OncologistUserFactory,
    "a curator without the clinical permission": CuratorFactory,
}


@pytest.mark.parametrize("resource_type", ["ServiceRequest", "Task", "Patient"])
@pytest.mark.parametrize("outsider", OUTSIDERS, ids=list(OUTSIDERS))
def test_outsiders_get_a_logged_404_that_leaks_nothing(referral, resource_type, outsider):
    user = OUTSIDERS[outsider]()
    before = referral.version

    response = token_client(user).get(f"/fhir/{resource_type}/{referral.pk}")

    assert response.status_code == 404
    assert parsed(response.json())["issue"][0]["code"] == "not-found"
    assert leaks(response.content) == []
    assert access_rows() == [(user.pk, "view", "referral", str(referral.pk), "refused", "fhir")]
    referral.refresh_from_db()
    assert referral.version == before


@pytest.mark.parametrize("resource_type", ["ServiceRequest", "Task", "Patient"])
def test_anonymous_is_a_401_asking_for_a_token_and_nothing_is_read(client, referral, resource_type):
    response = client.get(f"/fhir/{resource_type}/{referral.pk}")
    bad_token = client.get(f"/fhir/{resource_type}/{referral.pk}", headers={"Authorization": "Token nope"})

    assert (response.status_code, bad_token.status_code) == (401, 401)
    assert response["WWW-Authenticate"] == "Token"
    assert parsed(response.json())["issue"][0]["code"] == "login"
    assert leaks(response.content) == [] and leaks(bad_token.content) == []
    assert not AccessLog.objects.exists()  # as the API: no one to log, nothing read


def test_a_curator_with_the_clinical_permission_reads_but_a_draft_is_the_gps_alone(gp, oncologist, referral):
    from django.contrib.auth.models import Permission

    curator = GPFactory(role="curator", is_staff=True)
    curator.user_permissions.add(Permission.objects.get(codename="view_clinical_data"))
    draft = make_referral(Status.DRAFT, referring_gp=gp, oncologist=oncologist.physician)
    client = token_client(curator)

    assert client.get(f"/fhir/ServiceRequest/{referral.pk}").status_code == 200
    assert client.get(f"/fhir/ServiceRequest/{draft.pk}").status_code == 404
    assert token_client(oncologist).get(f"/fhir/Task/{draft.pk}").status_code == 404
    assert token_client(gp).get(f"/fhir/Task/{draft.pk}").json()["status"] == "draft"


def test_searches_list_only_the_callers_referrals_and_log_each(gp, oncologist, referral):
    other = make_referral(Status.ACCEPTED, oncologist=oncologist.physician)  # another GP's
    client = token_client(gp)

    bundle = parsed(client.get("/fhir/ServiceRequest").json())
    tasks = parsed(client.get("/fhir/Task", {"status": "received,accepted"}).json())
    by_focus = client.get("/fhir/Task", {"focus": f"ServiceRequest/{referral.pk}"}).json()
    oncologists = token_client(oncologist).get("/fhir/Task", {"business-status": "accepted"}).json()

    assert [e["resource"]["id"] for e in bundle["entry"]] == [str(referral.pk)] and bundle["total"] == 1
    assert [e["resource"]["id"] for e in tasks["entry"]] == [str(referral.pk)]
    assert by_focus["total"] == 1
    assert [e["resource"]["id"] for e in oncologists["entry"]] == [str(other.pk)]
    listed = AccessLog.objects.filter(action="list", user=gp).exclude(object_id="")
    assert list(listed.values_list("object_id", flat=True)) == [str(referral.pk)] * 3


@pytest.mark.parametrize(
    ("query", "expression"),
    [({"status": "bogus"}, "status"), ({"_id": "not-a-uuid"}, "_id"), ({"colour": "red"}, "colour")],
)
def test_a_bad_search_parameter_is_a_400_naming_it(gp, query, expression):
    response = token_client(gp).get("/fhir/ServiceRequest", query)

    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == [expression]


@pytest.mark.parametrize("resource_type", ["ServiceRequest", "Task", "Patient"])
def test_a_read_has_a_fixed_query_count(gp, referral, resource_type, django_assert_num_queries):
    client = token_client(gp)
    # token (with its user), the referral (with its people, cancer type and performer's role), the
    # attachments (ServiceRequest), the access-log row
    with django_assert_num_queries(4 if resource_type == "ServiceRequest" else 3):
        assert client.get(f"/fhir/{resource_type}/{referral.pk}").status_code == 200


@pytest.mark.parametrize("resource_type", ["ServiceRequest", "Task", "Patient"])
@pytest.mark.parametrize("referrals", [1, 12])
def test_a_search_has_a_fixed_query_count(gp, oncologist, resource_type, referrals, django_assert_num_queries):
    for _ in range(referrals):
        make_referral(Status.ACCEPTED, referring_gp=gp, oncologist=oncologist.physician)
    client = token_client(gp)
    # token, count, page, attachments (ServiceRequest), the access log's one INSERT
    with django_assert_num_queries(5 if resource_type == "ServiceRequest" else 4):
        bundle = client.get(f"/fhir/{resource_type}", {"_count": 50}).json()
    assert len(bundle["entry"]) == referrals


@pytest.mark.parametrize("outsider", OUTSIDERS, ids=list(OUTSIDERS))
def test_outsiders_searches_find_nothing_and_are_logged_as_lists(referral, outsider):
    user = OUTSIDERS[outsider]()
    client = token_client(user)

    found = [client.get(f"/fhir/{t}", {"_id": str(referral.pk)}).json() for t in ("ServiceRequest", "Task", "Patient")]
    documents = client.get("/fhir/DocumentReference", {"related": f"ServiceRequest/{referral.pk}"}).json()

    assert [bundle["total"] for bundle in (*found, documents)] == [0, 0, 0, 0]
    assert leaks(b"".join(str(bundle).encode() for bundle in found)) == []
    assert [row[:5] for row in access_rows()] == [
        *((user.pk, "list", "referral", "", f"0 shown: {t}?_id={referral.pk}") for t in ("ServiceRequest", "Task",
                                                                                          "Patient")),
        (user.pk, "list", "attachment", "", f"0 shown: DocumentReference?related=ServiceRequest%2F{referral.pk}"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    "address", ["/fhir/ServiceRequest", "/fhir/Task", "/fhir/Patient", "/fhir/DocumentReference", "/fhir/Patient/x",
                "/fhir/"]
)  # fmt: skip
def test_anonymous_searches_and_writes_are_a_401(client, referral, address):
    method = client.post if address == "/fhir/" else client.get
    response = method(address, {} if method == client.get else None)

    assert response.status_code == 401
    assert not AccessLog.objects.exists()


@pytest.mark.parametrize(
    ("method", "address"),
    [("post", "/fhir/Patient"), ("put", "/fhir/Patient/{pk}"), ("put", "/fhir/ServiceRequest/{pk}"),
     ("post", "/fhir/Task"), ("delete", "/fhir/Task/{pk}"), ("put", "/fhir/DocumentReference/{pk}")],
)  # fmt: skip
def test_what_is_not_implemented_is_a_405_and_changes_nothing(gp, referral, method, address):
    before = referral.version

    response = getattr(token_client(gp), method)(address.format(pk=referral.pk), content_type="application/fhir+json")

    assert response.status_code == 405
    assert parsed(response.json())["issue"][0]["code"] == "not-supported"
    referral.refresh_from_db()
    assert referral.version == before


def test_referrals_are_not_offered_to_other_origins_as_the_api_referrals_are_not(gp, referral):
    client = token_client(gp)
    origin = {"Origin": "https://app.example"}

    referral_read = client.get(f"/fhir/Task/{referral.pk}", headers=origin)
    directory_read = client.get("/fhir/metadata", headers=origin)

    assert "Access-Control-Allow-Origin" not in referral_read
    assert directory_read["Access-Control-Allow-Origin"] == "*"
    assert {"private", "no-store"} <= {part.strip() for part in referral_read["Cache-Control"].split(",")}
