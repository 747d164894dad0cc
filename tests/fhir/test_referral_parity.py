"""FHIR answers a referral read or action as /api/v1/referrals/ does, for every kind of caller: the same
status code, and the same access-log rows but for the channel."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from rest_framework.authtoken.models import Token

from apps.referrals.models import AccessLog, Status
from tests.factories import CuratorFactory, GPFactory, OncologistUserFactory
from tests.referrals.factories import make_referral

from .referrals import accepted, put

pytestmark = pytest.mark.django_db


def clinical_curator():
    user = CuratorFactory()
    user.user_permissions.add(Permission.objects.get(codename="view_clinical_data"))
    return user


CALLERS = {
    "anonymous": lambda referral: None,
    "the GP": lambda referral: referral.referring_gp,
    "the oncologist": lambda referral: referral.oncologist.account,
    "another GP": lambda referral: GPFactory(),
    "another oncologist": lambda referral: OncologistUserFactory(),
    "a curator": lambda referral: CuratorFactory(),
    "a curator with the clinical permission": lambda referral: clinical_curator(),
}


def clients(user) -> tuple[Client, Client]:
    if user is None:
        return Client(headers={"Accept": "application/json"}), Client(headers={"Accept": "application/fhir+json"})
    key = Token.objects.get_or_create(user=user)[0].key
    auth = {"Authorization": f"Token {key}"}
    return (Client(headers={"Accept": "application/json", **auth}),
            Client(headers={"Accept": "application/fhir+json", **auth}))  # fmt: skip


def log_rows(since: int) -> list[tuple]:
    rows = AccessLog.objects.order_by("id")[since:]
    return list(rows.values_list("user_id", "action", "object_type", "object_id", "detail"))


@pytest.mark.parametrize("caller", CALLERS, ids=list(CALLERS))
def test_a_read_answers_and_logs_as_the_api(caller):
    api_referral, fhir_referral = (make_referral(Status.UNDER_REVIEW) for _ in range(2))
    fhir_referral.referring_gp, fhir_referral.oncologist = api_referral.referring_gp, api_referral.oncologist
    fhir_referral.save()
    api, fhir = clients(CALLERS[caller](api_referral))

    start = AccessLog.objects.count()
    api_response = api.get(f"/api/v1/referrals/{api_referral.pk}/")
    api_rows = log_rows(start)
    start = AccessLog.objects.count()
    fhir_response = fhir.get(f"/fhir/ServiceRequest/{fhir_referral.pk}")
    fhir_rows = log_rows(start)

    assert fhir_response.status_code == api_response.status_code
    as_api = [(u, a, t, i.replace(str(fhir_referral.pk), str(api_referral.pk)), d if d != "ServiceRequest" else "")
              for u, a, t, i, d in fhir_rows]  # fmt: skip
    assert as_api == api_rows


@pytest.mark.parametrize("caller", CALLERS, ids=list(CALLERS))
def test_accepting_answers_as_the_api(caller):
    api_referral, fhir_referral = (make_referral(Status.UNDER_REVIEW) for _ in range(2))
    fhir_referral.referring_gp, fhir_referral.oncologist = api_referral.referring_gp, api_referral.oncologist
    fhir_referral.save()
    user = CALLERS[caller](api_referral)
    api, fhir = clients(user)
    task = {"resourceType": "Task", "id": str(fhir_referral.pk), "status": "received",
            "meta": {"versionId": str(fhir_referral.version)}}  # fmt: skip

    api_response = api.post(f"/api/v1/referrals/{api_referral.pk}/accept/", {"version": api_referral.version},
                            content_type="application/json")  # fmt: skip
    fhir_response = put(fhir, f"/fhir/Task/{fhir_referral.pk}", accepted(task))

    assert fhir_response.status_code == api_response.status_code, fhir_response.content
    api_referral.refresh_from_db()
    fhir_referral.refresh_from_db()
    assert fhir_referral.status == api_referral.status
    assert fhir_referral.events.count() == api_referral.events.count()
