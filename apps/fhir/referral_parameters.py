"""The search parameters of the referral resources (ServiceRequest, Task), declared once like the directory's
(parameters.py lists them in SEARCH_PARAMETERS, so the CapabilityStatement shows exactly these). Each narrows
`ReferralCriteria`; the search then runs on `Referral.objects.visible_to(user)`, so a parameter can only
narrow what the caller may see. (parameters.py imports this module after declaring FhirParameter.)"""

import uuid
from dataclasses import dataclass, field

from . import values
from .parameters import FhirParameter
from .referral_resources import PRIORITIES, REFERRAL_STATUS_SYSTEM, STATUSES

BASE = "http://hl7.org/fhir/SearchParameter"
SERVICE_REQUEST_STATUS, TASK_STATUS = 0, 1  # positions in referral_resources.STATUSES' pairs


@dataclass
class ReferralCriteria:
    """A referral search as its parameters build it: conditions on the referral that all apply."""

    conditions: list[dict] = field(default_factory=list)

    def where(self, **lookups) -> None:
        self.conditions.append(lookups)

    def applied(self, queryset, through: str = ""):
        """`queryset` narrowed by the conditions; `through` the path to the referral (`referral__`) when it
        lists something else (a referral's attachments)."""
        for lookups in self.conditions:
            queryset = queryset.filter(**{f"{through}{name}": value for name, value in lookups.items()})
        return queryset


def _ids(parameter: str, resource_type: str | None = None):
    def apply(value: str, criteria: ReferralCriteria) -> None:
        ids = []
        for given in value.split(","):
            text = (
                values.reference(parameter, given, resource_type) if resource_type else values.token(parameter, given)
            )
            try:
                ids.append(uuid.UUID(text))
            except ValueError:
                raise values.invalid(parameter, f"{text!r} is not the id of a referral.") from None
        criteria.where(pk__in=ids)

    return apply


def _fhir_status(position: int, parameter: str = "status"):
    """A FHIR status (of the ServiceRequest or of the Task): the OncoDir statuses that map to it."""
    known = sorted({pair[position] for pair in STATUSES.values()})

    def apply(value: str, criteria: ReferralCriteria) -> None:
        codes = {values.token(parameter, code) for code in value.split(",")}
        if not codes <= set(known):
            raise values.invalid(parameter, f"use one of {', '.join(known)}.")
        criteria.where(status__in=[s for s, pair in STATUSES.items() if pair[position] in codes])

    return apply


def _business_status(value: str, criteria: ReferralCriteria) -> None:
    codes = {values.token("business-status", code, system=REFERRAL_STATUS_SYSTEM) for code in value.split(",")}
    if not codes <= set(STATUSES):
        raise values.invalid("business-status", f"use one of {', '.join(STATUSES)}.")
    criteria.where(status__in=codes)


def _priority(value: str, criteria: ReferralCriteria) -> None:
    oncodir = {fhir: ours for ours, fhir in PRIORITIES.items()}
    codes = {values.token("priority", code) for code in value.split(",")}
    if not codes <= set(oncodir):
        raise values.invalid("priority", f"use one of {', '.join(oncodir)}.")
    criteria.where(priority__in=[oncodir[code] for code in codes])


def _statuses(position: int) -> str:
    return ", ".join(sorted({pair[position] for pair in STATUSES.values()}))


SERVICE_REQUEST = (
    FhirParameter("_id", "token", "The referral's id.", _ids("_id"), f"{BASE}/Resource-id", many=True),
    FhirParameter("status", "token", f"One of {_statuses(SERVICE_REQUEST_STATUS)}.",
                  _fhir_status(SERVICE_REQUEST_STATUS), f"{BASE}/ServiceRequest-status", many=True),
    FhirParameter("priority", "token", "routine, urgent or asap (OncoDir's urgent: suspected cancer).",
                  _priority, f"{BASE}/ServiceRequest-priority", many=True),
    FhirParameter("patient", "reference", "Patient/<id>: the referral's patient (its id is the referral's).",
                  _ids("patient", "Patient"), f"{BASE}/clinical-patient", many=True),
)  # fmt: skip
TASK = (
    FhirParameter("_id", "token", "The referral's id.", _ids("_id"), f"{BASE}/Resource-id", many=True),
    FhirParameter("focus", "reference", "ServiceRequest/<id>: the referral's task.",
                  _ids("focus", "ServiceRequest"), f"{BASE}/Task-focus", many=True),
    FhirParameter("status", "token", f"One of {_statuses(TASK_STATUS)}.", _fhir_status(TASK_STATUS),
                  f"{BASE}/Task-status", many=True),
    FhirParameter("business-status", "token", f"OncoDir's status ({REFERRAL_STATUS_SYSTEM}): "
                  f"{', '.join(STATUSES)}.", _business_status, f"{BASE}/Task-business-status", many=True),
)  # fmt: skip
PATIENT = (
    FhirParameter("_id", "token", "The patient's id (the referral's).", _ids("_id"), f"{BASE}/Resource-id", many=True),
)
DOCUMENT_REFERENCE = (
    FhirParameter("related", "reference", "ServiceRequest/<id>: the referral's attachments.",
                  _ids("related", "ServiceRequest"), f"{BASE}/DocumentReference-related", many=True),
    FhirParameter("patient", "reference", "Patient/<id>: the attachments of that patient's referral.",
                  _ids("patient", "Patient"), f"{BASE}/clinical-patient", many=True),
)  # fmt: skip
REFERRAL_SEARCH_PARAMETERS = {
    "ServiceRequest": SERVICE_REQUEST,
    "Task": TASK,
    "Patient": PATIENT,
    "DocumentReference": DOCUMENT_REFERENCE,
}
