"""FHIR writes as referral service calls: nothing here decides anything about a referral.

- A ServiceRequest (with its Patient, contained or in a transaction Bundle) becomes the data of
  `ReferralCreateSerializer` (the API's parser of a new referral) and then `services.referral_create`.
- A Task update is one transition of `services.TRANSITIONS`: the Task.status asked for is looked up in
  `referral_resources.STATUSES` (the transition whose target maps to it and which the referral's status
  allows; businessStatus picks between two targets of one Task.status), its inputs are read from the Task
  into the transition's own serializer (the API's), and its service runs.
"""

import base64
import binascii

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F

from apps.directory.models import Affiliation, PracticeLocation
from apps.referrals import services
from apps.referrals.api.serializers import ReferralCreateSerializer
from apps.referrals.models import Referral

from . import values
from .referral_resources import (
    APPOINTMENT_PLACE,
    CANCER_TYPE_SYSTEM,
    CONSENT_EXTENSION,
    GENDERS,
    ICD10CM_SYSTEM,
    NOTE_KIND_EXTENSION,
    NOTE_KINDS,
    OUTCOME_OUTPUTS,
    PRIORITIES,
    REFERRAL_STATUS_SYSTEM,
    REJECTION_REASON_SYSTEM,
    STATUSES,
    TASK_PARAMETER_SYSTEM,
)
from .resources import AFFILIATION_PREFIX
from .responses import FhirError

MALFORMED = "The body is not shaped as FHIR R4 says (an element is of the wrong type): see the resource's definition."
ONLY_ORDERS = "ServiceRequest.intent: a referral is an `order`."
NEW_STATUS = "ServiceRequest.status: `draft` saves a draft, `active` submits the referral."
PERFORMER_REQUIRED = "ServiceRequest.performer: refer to the oncologist as PractitionerRole/<id> or Practitioner/<NPI>."
SUBJECT_REQUIRED = "ServiceRequest.subject: refer to the Patient, contained (#id) or in the transaction (its fullUrl)."
PRIORITY_UNKNOWN = "ServiceRequest.priority: use routine, urgent or asap."
GENDER_UNKNOWN = "Patient.gender: use female, male, other or unknown."
UNCHANGED = "Task.status: give the status the referral is to move to (see /fhir/metadata for the mapping)."
NO_SUCH_CHANGE = "Task.status {status}: no action of a referral leads there (see /fhir/metadata for the mapping)."
TASK_ID_MISMATCH = "Task.id: the body's id is not the one in the address."
ATTACHMENT_DATA = "DocumentReference.content.attachment.data: give the file, base64-encoded."
ATTACHMENT_CONTEXT = "DocumentReference.context.related: refer to the referral as ServiceRequest/<id>."
PRIORITY_BY_CODE = {fhir: ours for ours, fhir in PRIORITIES.items()}
SEX_BY_GENDER = {fhir: ours for ours, fhir in GENDERS.items()}


def _codes(concept: dict | None, system: str) -> list[str]:
    return [c.get("code") for c in (concept or {}).get("coding") or [] if c.get("system") == system]


def _first(items) -> dict:
    return items[0] if isinstance(items, list) and items and isinstance(items[0], dict) else {}


# -- ServiceRequest + Patient -> a new referral -----------------------------------------------------------


def oncologist_npi(service_request: dict) -> str:
    """The NPI of the performer: a PractitionerRole (a practice location or a hospital affiliation) or a
    Practitioner (the NPI itself)."""
    reference = str(_first(service_request.get("performer")).get("reference") or "")
    resource_type, _, resource_id = reference.rstrip("/").rpartition("/")
    resource_type = resource_type.rpartition("/")[2]
    if not values.ID_PATTERN.fullmatch(resource_id or "-/"):
        raise FhirError(400, "required", PERFORMER_REQUIRED, expression="ServiceRequest.performer")
    if resource_type == "Practitioner":
        return resource_id
    if resource_type == "PractitionerRole":
        if resource_id.startswith(AFFILIATION_PREFIX):
            rows = Affiliation.objects.filter(pk=_number(resource_id.removeprefix(AFFILIATION_PREFIX)))
        else:
            rows = PracticeLocation.objects.filter(pk=_number(resource_id))
        npi = rows.values_list(F("physician__npi"), flat=True).first()
        if npi:
            return npi
    raise FhirError(400, "required", PERFORMER_REQUIRED, expression="ServiceRequest.performer")


def _number(text: str) -> int:
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else 0


def referral_data(service_request: dict, patient: dict) -> dict:
    """The data of ReferralCreateSerializer (the API's), read from the two resources."""
    if service_request.get("intent") != "order":
        raise FhirError(400, "invalid", ONLY_ORDERS, expression="ServiceRequest.intent")
    if service_request.get("status") not in ("draft", "active"):
        raise FhirError(400, "invalid", NEW_STATUS, expression="ServiceRequest.status")
    priority = service_request.get("priority", "routine")
    if priority not in PRIORITY_BY_CODE:
        raise FhirError(400, "invalid", PRIORITY_UNKNOWN, expression="ServiceRequest.priority")
    gender = patient.get("gender", "unknown")
    if gender not in SEX_BY_GENDER:
        raise FhirError(400, "invalid", GENDER_UNKNOWN, expression="Patient.gender")
    name = _first(patient.get("name"))
    telecom = [t for t in patient.get("telecom") or [] if isinstance(t, dict)]
    reason = _first(service_request.get("reasonCode"))
    consent = next(
        (e.get("valueBoolean") for e in service_request.get("extension") or [] if e.get("url") == CONSENT_EXTENSION),
        False,
    )
    notes = {}
    for note in service_request.get("note") or []:
        kinds = (e.get("valueCode") for e in note.get("extension") or [] if e.get("url") == NOTE_KIND_EXTENSION)
        kind = next(kinds, "clinical-question")
        notes.setdefault(kind, note.get("text", ""))
    data = {
        "patient_first_name": " ".join(name.get("given") or []),
        "patient_last_name": name.get("family", ""),
        "patient_date_of_birth": patient.get("birthDate", ""),
        "patient_sex": SEX_BY_GENDER[gender],
        "patient_phone": next((t.get("value", "") for t in telecom if t.get("system") == "phone"), ""),
        "patient_email": next((t.get("value", "") for t in telecom if t.get("system") == "email"), ""),
        "patient_mrn": _first(patient.get("identifier")).get("value", ""),
        "priority": PRIORITY_BY_CODE[priority],
        "cancer_type": next(iter(_codes(reason, CANCER_TYPE_SYSTEM)), ""),
        "icd10_code": next(iter(_codes(reason, ICD10CM_SYSTEM)), ""),
        "patient_consent": consent,
        "oncologist_npi": oncologist_npi(service_request),
        "submit": service_request["status"] == "active",
        "confirm_duplicate": False,
    }
    for field, kind in NOTE_KINDS.items():
        data[field] = notes.get(kind, "")
    return data


def structured(read, *args):
    """`read(*args)`, a body shaped other than FHIR says (a string where an object goes) being a 400."""
    try:
        return read(*args)
    except (AttributeError, TypeError, KeyError):
        raise FhirError(400, "structure", MALFORMED) from None


def create_referral(*, by, service_request: dict, patient: dict) -> Referral:
    serializer = ReferralCreateSerializer(data=structured(referral_data, service_request, patient))
    serializer.is_valid(raise_exception=True)
    data = dict(serializer.validated_data)
    oncologist = services.physician_by_npi(data.pop("oncologist_npi"), field="oncologist_npi")
    options = {"submit": data.pop("submit"), "confirm_duplicate": data.pop("confirm_duplicate")}
    return services.referral_create(by=by, oncologist=oncologist, data=data, **options)


def contained_patient(service_request: dict) -> dict:
    subject = str((service_request.get("subject") or {}).get("reference") or "")
    for resource in service_request.get("contained") or []:
        if resource.get("resourceType") == "Patient" and subject == f"#{resource.get('id')}":
            return resource
    raise FhirError(400, "required", SUBJECT_REQUIRED, expression="ServiceRequest.subject")


# -- Task updates -> transitions --------------------------------------------------------------------------

# The transitions a Task update takes (all those with a target status; re-referring makes a new referral).
TASK_TRANSITIONS = tuple(name for name, t in services.TRANSITIONS.items() if t.target is not None)


def transition_for(task: dict, referral: Referral) -> str:
    """The transition that moves `referral` to the Task.status asked for (businessStatus choosing between two
    OncoDir statuses of one Task.status); the first candidate when none is allowed now, for its service to
    refuse (409)."""
    asked = task.get("status")
    current_task_status = STATUSES[referral.status][1]
    business = set(_codes(task.get("businessStatus"), REFERRAL_STATUS_SYSTEM)) - {referral.status}
    if asked == current_task_status and not business:
        raise FhirError(400, "invalid", UNCHANGED, expression="Task.status")
    candidates = [n for n in TASK_TRANSITIONS if STATUSES[services.TRANSITIONS[n].target][1] == asked]
    if business:
        candidates = [n for n in candidates if services.TRANSITIONS[n].target in business] or candidates
    if not candidates:
        message = NO_SUCH_CHANGE.format(status=str(asked)[:40])
        raise FhirError(400, "not-supported", message, expression="Task.status")
    allowed = [n for n in candidates if referral.status in services.TRANSITIONS[n].sources]
    return (allowed or candidates)[0]


def _typed(items, code: str) -> dict:
    return next((i for i in items or [] if code in _codes(i.get("type"), TASK_PARAMETER_SYSTEM)), {})


def transition_data(task: dict, version: int) -> dict:
    """What a Task says, under the names of the transitions' serializers (each takes the fields it knows)."""
    reason = task.get("statusReason") or {}
    note = _first(task.get("note")).get("text", "")
    restriction = ((task.get("restriction") or {}).get("period") or {}).get("start")
    data = {
        "version": version,
        "comment": reason.get("text") or note,
        "reason_code": next(iter(_codes(reason, REJECTION_REASON_SYSTEM)), ""),
        "question": reason.get("text", ""),
        "answer": reason.get("text", ""),
        "reason": reason.get("text", ""),
        "appointment_at": restriction,
        "place": _typed(task.get("input"), APPOINTMENT_PLACE).get("valueString", ""),
    }
    for field, code in OUTCOME_OUTPUTS.items():
        data[field.removeprefix("outcome_")] = _typed(task.get("output"), code).get("valueString", "")
    return data


def update_task(*, by, referral: Referral, task: dict, version: int) -> tuple[str, Referral]:
    name = structured(transition_for, task, referral)
    transition = services.TRANSITIONS[name]
    serializer = transition.serializer(data=structured(transition_data, task, version))
    serializer.is_valid(raise_exception=True)
    return name, transition.service(referral=referral, by=by, **serializer.service_kwargs())


# -- DocumentReference -> an attachment ---------------------------------------------------------------


def attachment_upload(document: dict) -> SimpleUploadedFile:
    attachment = _first(document.get("content")).get("attachment") or {}
    try:
        data = base64.b64decode(str(attachment.get("data") or ""), validate=True)
    except (binascii.Error, ValueError):
        data = b""
    if not attachment.get("data"):
        raise FhirError(400, "required", ATTACHMENT_DATA, expression="DocumentReference.content.attachment.data")
    name = str(attachment.get("title") or "attachment")
    return SimpleUploadedFile(name, data, content_type=str(attachment.get("contentType") or ""))


def attachment_referral_id(document: dict) -> str:
    related = _first((document.get("context") or {}).get("related"))
    reference = str(related.get("reference") or "")
    if not reference.startswith("ServiceRequest/"):
        raise FhirError(400, "required", ATTACHMENT_CONTEXT, expression="DocumentReference.context.related")
    return reference.removeprefix("ServiceRequest/")


def task_documentation() -> str:
    """The two tables as the CapabilityStatement says them: each OncoDir status as (Task.status,
    businessStatus), and which Task.status change is which action."""
    statuses = ", ".join(f"{ours} = `{pair[1]}`" for ours, pair in STATUSES.items())
    actions = "; ".join(
        f"`{STATUSES[t.target][1]}` from {'/'.join(t.sources)}: {name} ({t.role})"
        for name, t in ((n, services.TRANSITIONS[n]) for n in TASK_TRANSITIONS)
    )
    return (
        f"One Task per referral (its id is the referral's). Its businessStatus is OncoDir's status "
        f"({REFERRAL_STATUS_SYSTEM}), its status FHIR's: {statuses}. Act on a referral by updating its Task's "
        f'status (PUT, with the version read as `If-Match: W/"<versionId>"` or `meta.versionId`; a stale one '
        f"is a 409): {actions}. businessStatus chooses when one Task.status has two (completed: complete or "
        f"acknowledge). Inputs: statusReason (coding {REJECTION_REASON_SYSTEM} and text: a rejection's reason "
        f"and comment, or a question, answer or reason), note (a comment), restriction.period.start and input "
        f"`{APPOINTMENT_PLACE}` ({TASK_PARAMETER_SYSTEM}) for an appointment, output findings, recommendations, "
        "diagnosis and letter for the outcome."
    )
