"""A FHIR client nobody here wrote (fhirpy) against a live server: a GP's client refers a patient, the
oncologist's client finds the Task and accepts it, and the referral page shows the same referral accepted."""

import pytest
from fhirpy import SyncFHIRClient
from rest_framework.authtoken.models import Token

from apps.referrals.models import Referral, Status
from tests.factories import GPFactory, OncologistUserFactory, PracticeLocationFactory

from .referrals import service_request_resource

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)  # a flush empties the reference tables


def fhir_client(live_server, user) -> SyncFHIRClient:
    token = Token.objects.create(user=user)
    return SyncFHIRClient(
        f"{live_server.url}/fhir",
        authorization=f"Token {token.key}",
        extra_headers={"Accept": "application/fhir+json"},
    )


def test_a_gp_refers_through_fhirpy_and_the_oncologist_accepts_through_the_task(live_server, client):
    gp, oncologist = GPFactory(), OncologistUserFactory()
    location = PracticeLocationFactory(physician=oncologist.physician, is_primary=True)
    gp_fhir, oncologist_fhir = fhir_client(live_server, gp), fhir_client(live_server, oncologist)

    # the GP's client creates the referral: a ServiceRequest with its Patient contained
    resource = service_request_resource(f"PractitionerRole/{location.pk}")
    del resource["resourceType"]
    service_request = gp_fhir.resource("ServiceRequest", **resource)
    service_request.save()
    assert service_request.id and service_request["status"] == "active"

    # the oncologist's client finds its Task by the ServiceRequest and accepts it
    task = oncologist_fhir.resources("Task").search(focus=f"ServiceRequest/{service_request.id}").get()
    assert task["status"] == "requested"
    task["status"] = "accepted"
    task.save()
    assert task["status"] == "accepted" and task["businessStatus"]["coding"][0]["code"] == "accepted"

    # the referral page, as the GP, shows the same referral accepted
    referral = Referral.objects.get(pk=service_request.id)
    assert referral.status == Status.ACCEPTED and referral.referring_gp == gp
    client.force_login(gp)
    page = client.get(f"/referrals/{referral.pk}/")
    assert page.status_code == 200
    assert page.context["referral"].status == Status.ACCEPTED
    assert "Accepted" in page.content.decode()
