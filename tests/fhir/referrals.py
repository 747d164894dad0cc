"""Shared by the FHIR referral tests: people with tokens, FHIR clients for them, and resources to send."""

import datetime

from django.test import Client
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class
from rest_framework.authtoken.models import Token

from apps.fhir.referral_resources import (
    CANCER_TYPE_SYSTEM,
    CONSENT_EXTENSION,
    ICD10CM_SYSTEM,
    NOTE_KIND_EXTENSION,
    REFERRAL_STATUS_SYSTEM,
    REJECTION_REASON_SYSTEM,
    TASK_PARAMETER_SYSTEM,
)
from apps.referrals.models import AccessLog
from tests.referrals.factories import CLINICAL_MARKERS, OUTCOME_MARKERS


def token_client(user) -> Client:
    token, _ = Token.objects.get_or_create(user=user)
    return Client(headers={"Accept": "application/fhir+json", "Authorization": f"Token {token.key}"})


def parsed(resource: dict) -> dict:
    """The resource, after fhir.resources (R4B) has validated it; it raises on anything FHIR does not allow."""
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return resource


def put(client: Client, path: str, resource: dict, **headers):
    return client.put(path, resource, content_type="application/fhir+json", headers=headers)


def post(client: Client, path: str, resource: dict):
    return client.post(path, resource, content_type="application/fhir+json")


def leaks(content: bytes) -> list[str]:
    text = content.decode()
    return [marker for marker in (*CLINICAL_MARKERS, *OUTCOME_MARKERS) if marker in text]


def access_rows() -> list[tuple]:
    return list(AccessLog.objects.order_by("id").values_list("user_id", "action", "object_type", "object_id",
                                                             "detail", "channel"))  # fmt: skip


def patient_resource(**changes) -> dict:
    resource = {
        "resourceType": "Patient",
        "id": "p1",
        "name": [{"family": "Quilliam", "given": ["Ada"]}],
        "gender": "female",
        "birthDate": "1961-03-14",
        "telecom": [{"system": "phone", "value": "212-555-0199"}, {"system": "email", "value": "ada@example.org"}],
        "identifier": [{"value": "MRN-778812"}],
    }
    resource.update(changes)
    return resource


def service_request_resource(performer: str, *, status="active", contained=True, subject="#p1", **changes) -> dict:
    resource = {
        "resourceType": "ServiceRequest",
        "status": status,
        "intent": "order",
        "priority": "asap",
        "extension": [{"url": CONSENT_EXTENSION, "valueBoolean": True}],
        "subject": {"reference": subject},
        "performer": [{"reference": performer}],
        "reasonCode": [
            {"coding": [{"system": ICD10CM_SYSTEM, "code": "C50.911"}, {"system": CANCER_TYPE_SYSTEM, "code": "breast"}]}
        ],
        "note": [
            {"extension": [{"url": NOTE_KIND_EXTENSION, "valueCode": "clinical-question"}],
             "text": "Palpable lump, BI-RADS 5: please assess for biopsy."},
            {"extension": [{"url": NOTE_KIND_EXTENSION, "valueCode": "medications"}], "text": "Lisinopril 10 mg."},
        ],
    }  # fmt: skip
    if contained:
        resource["contained"] = [patient_resource()]
    resource.update(changes)
    return resource


def accepted(task: dict) -> dict:
    return {**task, "status": "accepted"}


def rejected(task: dict, code="out_of_scope", comment="Please refer to hematology.") -> dict:
    return {**task, "status": "rejected",
            "statusReason": {"coding": [{"system": REJECTION_REASON_SYSTEM, "code": code}], "text": comment}}  # fmt: skip


def scheduled(task: dict, when: datetime.datetime | None = None, place="Cancer Center, Suite 4") -> dict:
    when = when or timezone.now() + datetime.timedelta(days=7)
    return {
        **task,
        "status": "in-progress",
        "businessStatus": {"coding": [{"system": REFERRAL_STATUS_SYSTEM, "code": "scheduled"}]},
        "restriction": {"period": {"start": when.isoformat()}},
        "input": [{"type": {"coding": [{"system": TASK_PARAMETER_SYSTEM, "code": "appointment-place"}]},
                   "valueString": place}],
    }  # fmt: skip


def completed(task: dict) -> dict:
    outputs = {"findings": "Invasive ductal carcinoma, grade 2.", "recommendations": "Neoadjuvant chemotherapy.",
               "letter": "Dear Dr Patel, I saw your patient today."}  # fmt: skip
    return {
        **task,
        "status": "completed",
        "output": [
            {"type": {"coding": [{"system": TASK_PARAMETER_SYSTEM, "code": code}]}, "valueString": text}
            for code, text in outputs.items()
        ],
    }
