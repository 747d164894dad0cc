"""Referrals as FHIR R4 resources: one plain-dict mapping per resource, beside resources.py's directory ones.

A Referral is, under its own id (the referral's UUID):
- a `ServiceRequest` (intent order, category referral): the GP's request, with its reason, notes, priority
  and attachments (`supportingInfo`, each a `DocumentReference` with the attachment's id);
- a `Task` whose focus is that ServiceRequest: the oncologist's work on it, its status the state machine's;
- a `Patient`: the person the referral is about, as the GP entered them (visible only to whoever may see the
  referral).
`meta.versionId` is the referral's `version` for all three: the version a client sends back on a write.
"""

from django.urls import reverse

from apps.referrals.models import PatientSex, Priority, RejectionReason, Status

from .resources import _instant, _reference

ONCODIR = "urn:oncodir:fhir"
REFERRAL_STATUS_SYSTEM = f"{ONCODIR}:referral-status"
REJECTION_REASON_SYSTEM = f"{ONCODIR}:rejection-reason"
TASK_PARAMETER_SYSTEM = f"{ONCODIR}:task-parameter"
NOTE_KIND_EXTENSION = f"{ONCODIR}:note-kind"
CONSENT_EXTENSION = f"{ONCODIR}:patient-consent"
CANCER_TYPE_SYSTEM = f"{ONCODIR}:cancer-type"
REFERENCE_SYSTEM = f"{ONCODIR}:referral-reference"
ICD10CM_SYSTEM = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"
REFERRAL_CATEGORY = {"coding": [{"system": SNOMED, "code": "3457005", "display": "Patient referral"}]}
MRN_TYPE = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]}

# OncoDir's status -> (ServiceRequest.status, Task.status). Task.businessStatus is OncoDir's own status (code
# and label), so the pair (Task.status, businessStatus) is one-to-one with the state machine's statuses.
STATUSES: dict[str, tuple[str, str]] = {
    Status.DRAFT: ("draft", "draft"),
    Status.SUBMITTED: ("active", "requested"),
    Status.UNDER_REVIEW: ("active", "received"),
    Status.INFO_REQUESTED: ("on-hold", "on-hold"),
    Status.ACCEPTED: ("active", "accepted"),
    Status.SCHEDULED: ("active", "in-progress"),
    Status.COMPLETED: ("completed", "completed"),
    Status.ACKNOWLEDGED: ("completed", "completed"),
    Status.REJECTED: ("revoked", "rejected"),
    Status.CANCELLED: ("revoked", "cancelled"),
    Status.FAILED: ("revoked", "failed"),
    Status.ENTERED_IN_ERROR: ("entered-in-error", "entered-in-error"),
}
# OncoDir's priority <-> FHIR's request priority (FHIR's `stat` has no OncoDir equivalent).
PRIORITIES = {Priority.ROUTINE: "routine", Priority.URGENT: "urgent", Priority.URGENT_SUSPECTED_CANCER: "asap"}
GENDERS = {
    PatientSex.FEMALE: "female",
    PatientSex.MALE: "male",
    PatientSex.OTHER: "other",
    PatientSex.UNKNOWN: "unknown",
}
# The GP's case text, each an Annotation of ServiceRequest.note marked with its kind (in this order).
NOTE_KINDS = {
    "clinical_question": "clinical-question",
    "history": "history",
    "investigations": "investigations",
    "medications": "medications",
    "allergies": "allergies",
}
# The oncologist's outcome: Task.output (and Task.input when completing), typed by these codes.
OUTCOME_OUTPUTS = {
    "outcome_findings": "findings",
    "outcome_recommendations": "recommendations",
    "outcome_diagnosis": "diagnosis",
    "outcome_letter": "letter",
}
APPOINTMENT_PLACE = "appointment-place"


def business_status(status: str) -> dict:
    return {"coding": [{"system": REFERRAL_STATUS_SYSTEM, "code": status, "display": Status(status).label}],
            "text": Status(status).label}  # fmt: skip


def task_parameter(code: str) -> dict:
    return {"coding": [{"system": TASK_PARAMETER_SYSTEM, "code": code}], "text": code}


def _meta(referral) -> dict:
    return {"versionId": str(referral.version), "lastUpdated": _instant(referral.updated_at)}


def _identifier(referral) -> list[dict]:
    return [{"system": REFERENCE_SYSTEM, "value": referral.reference}]


def _requester(referral) -> dict:
    return {"type": "Practitioner", "display": referral.referring_gp.full_name}


def _performer(referral) -> dict:
    location_id = getattr(referral, "performer_location_id", None)
    if location_id is not None:
        return _reference("PractitionerRole", location_id, referral.oncologist.display_name)
    return _reference("Practitioner", referral.oncologist.npi, referral.oncologist.display_name)


def service_request(referral) -> dict:
    """The GP's request. Needs the referral with referring_gp, oncologist, cancer_type and attachments loaded."""
    sr_status, _ = STATUSES[referral.status]
    reason = [{"system": CANCER_TYPE_SYSTEM, "code": referral.cancer_type.slug, "display": referral.cancer_type.name}]
    if referral.icd10_code:
        reason.insert(0, {"system": ICD10CM_SYSTEM, "code": referral.icd10_code})
    notes = [
        {"extension": [{"url": NOTE_KIND_EXTENSION, "valueCode": kind}], "text": getattr(referral, field)}
        for field, kind in NOTE_KINDS.items()
        if getattr(referral, field)
    ]
    resource = {
        "resourceType": "ServiceRequest",
        "id": str(referral.pk),
        "meta": _meta(referral),
        "extension": [{"url": CONSENT_EXTENSION, "valueBoolean": referral.patient_consent}],
        "identifier": _identifier(referral),
        "status": sr_status,
        "intent": "order",
        "category": [REFERRAL_CATEGORY],
        "priority": PRIORITIES[referral.priority],
        "subject": _reference("Patient", referral.pk),
        "authoredOn": _instant(referral.submitted_at or referral.created_at),
        "requester": _requester(referral),
        "performer": [_performer(referral)],
        "reasonCode": [{"coding": reason, "text": referral.cancer_type.name}],
        "note": notes,
        "supportingInfo": [_reference("DocumentReference", a.pk) for a in referral.attachments.all()],
    }
    return {key: value for key, value in resource.items() if value != []}


def task(referral) -> dict:
    """The oncologist's task on the referral: its status, the reason for a rejection, the appointment, the
    outcome. Needs the referral with referring_gp and oncologist loaded."""
    _, task_status = STATUSES[referral.status]
    resource = {
        "resourceType": "Task",
        "id": str(referral.pk),
        "meta": _meta(referral),
        "identifier": _identifier(referral),
        "status": task_status,
        "businessStatus": business_status(referral.status),
        "intent": "order",
        "priority": PRIORITIES[referral.priority],
        "focus": _reference("ServiceRequest", referral.pk),
        "for": _reference("Patient", referral.pk),
        "authoredOn": _instant(referral.created_at),
        "lastModified": _instant(referral.updated_at),
        "requester": _requester(referral),
        "owner": _reference("Practitioner", referral.oncologist.npi, referral.oncologist.display_name),
    }
    if referral.status == Status.REJECTED:
        code = referral.rejection_reason
        resource["statusReason"] = {
            "coding": [{"system": REJECTION_REASON_SYSTEM, "code": code, "display": RejectionReason(code).label}],
            "text": referral.rejection_comment,
        }
    if referral.appointment_at:
        resource["restriction"] = {"period": {"start": _instant(referral.appointment_at)}}
        resource["input"] = [{"type": task_parameter(APPOINTMENT_PLACE), "valueString": referral.appointment_place}]
    outputs = [
        {"type": task_parameter(code), "valueString": getattr(referral, field)}
        for field, code in OUTCOME_OUTPUTS.items()
        if getattr(referral, field)
    ]
    if outputs:
        resource["output"] = outputs
    return resource


def patient(referral) -> dict:
    """The patient as the GP entered them on this referral."""
    telecom = [{"system": "phone", "value": referral.patient_phone}]
    if referral.patient_email:
        telecom.append({"system": "email", "value": referral.patient_email})
    resource = {
        "resourceType": "Patient",
        "id": str(referral.pk),
        "meta": _meta(referral),
        "name": [{"family": referral.patient_last_name, "given": [referral.patient_first_name]}],
        "telecom": telecom,
        "gender": GENDERS[referral.patient_sex],
        "birthDate": referral.patient_date_of_birth.isoformat(),
    }
    if referral.patient_mrn:
        resource["identifier"] = [{"type": MRN_TYPE, "value": referral.patient_mrn}]
    return resource


def document_reference(attachment, base_url: str) -> dict:
    """An attachment of a referral; its content is the API's download (the same checks and access log)."""
    download = reverse(
        "api:referral-attachment-download", kwargs={"pk": attachment.referral_id, "attachment_pk": attachment.pk}
    )
    origin = base_url.split("/fhir/", 1)[0]
    return {
        "resourceType": "DocumentReference",
        "id": str(attachment.pk),
        "meta": {"lastUpdated": _instant(attachment.created_at)},
        "status": "current",
        "subject": _reference("Patient", attachment.referral_id),
        "date": _instant(attachment.created_at),
        "content": [
            {
                "attachment": {
                    "contentType": attachment.content_type,
                    "url": f"{origin}{download}",
                    "size": attachment.size,
                    "title": attachment.original_name,
                    "creation": _instant(attachment.created_at),
                }
            }
        ],
        "context": {"related": [_reference("ServiceRequest", attachment.referral_id)]},
    }
