"""/fhir/ServiceRequest, Task, Patient, DocumentReference and the transaction endpoint: referrals, behind the
API's authentication and object-level rules (Referral.objects.visible_to), through the referral services,
every read, list, refusal and change in the access log (channel `fhir`)."""

from apps.referrals import services
from apps.referrals.access import log_access, log_list, log_refused
from apps.referrals.models import AccessLog, Attachment, Referral

from . import referral_resources, referral_writes, search, views
from .clinical import (
    CHANNEL,
    NOT_VISIBLE,
    as_uuid,
    body,
    clinical_view,
    referrals,
    resource_response,
    version_sent,
    visible_referral,
)
from .referral_parameters import ReferralCriteria
from .responses import FhirError

ONE_PATIENT_ONE_REQUEST = (
    "A transaction here creates one referral: a Patient entry (POST Patient, a fullUrl) and a ServiceRequest "
    "entry (POST ServiceRequest) whose subject is that fullUrl."
)
TRANSACTIONS_ONLY = "POST a Bundle of type `transaction` here (a Patient and its ServiceRequest)."
PATIENT_READ_ONLY = "A Patient is created with its ServiceRequest: POST the ServiceRequest with the Patient contained."

# Each referral resource: its mapping function and whether it shows the attachments.
REFERRAL_RESOURCES = {
    "ServiceRequest": (referral_resources.service_request, True),
    "Task": (referral_resources.task, False),
    "Patient": (referral_resources.patient, False),
}
REFERRAL_TYPES = (*REFERRAL_RESOURCES, "DocumentReference")


def _base_url(request) -> str:
    return views.base_url(request)


def _log(request, **kwargs):
    return log_access(request, channel=CHANNEL, **kwargs)


def _resource(resource_type: str, referral: Referral) -> dict:
    return REFERRAL_RESOURCES[resource_type][0](referral)


def _fresh(request, resource_type: str, referral: Referral) -> Referral:
    """The referral after a service changed it, loaded as the resource needs it."""
    attachments = REFERRAL_RESOURCES[resource_type][1]
    return referrals(request.user, attachments=attachments).get(pk=referral.pk)


def _location(request, resource_type: str, referral: Referral) -> str:
    return f"{_base_url(request)}{resource_type}/{referral.pk}/_history/{referral.version}"


# -- read, search, create, update -----------------------------------------------------------------------


@clinical_view("GET", "HEAD", "PUT")
def instance(request, resource_type: str, resource_id: str):
    if resource_type == "DocumentReference":
        return _document_reference(request, resource_id)
    if request.method == "PUT":
        if resource_type != "Task":
            raise FhirError(405, "not-supported", f"{resource_type} is not updated: update its Task.")
        return _update_task(request, resource_id)
    _, attachments = REFERRAL_RESOURCES[resource_type]
    referral = visible_referral(request, resource_type, resource_id, attachments=attachments)
    # Reading a referral is reading it as on the page and in the API: the oncologist's first read opens it.
    current, opened = services.referral_read(referral=referral, by=request.user)
    if opened:
        _log(request, action=AccessLog.Action.TRANSITION, obj=current, detail="open")
        referral = _fresh(request, resource_type, current)
    _log(request, action=AccessLog.Action.VIEW, obj=referral, detail=resource_type)
    return resource_response(_resource(resource_type, referral))


@clinical_view("GET", "HEAD", "POST")
def type_level(request, resource_type: str):
    if request.method == "POST":
        if resource_type == "ServiceRequest":
            return _create_service_request(request)
        if resource_type == "DocumentReference":
            return _create_document_reference(request)
        raise FhirError(405, "not-supported", PATIENT_READ_ONLY if resource_type == "Patient" else
                        f"A {resource_type} is created with its referral: POST a ServiceRequest.")  # fmt: skip
    lenient = "handling=lenient" in request.headers.get("Prefer", "").replace(" ", "")
    parsed = search.parse(resource_type, request.GET, lenient=lenient, criteria=ReferralCriteria())
    query = f"{resource_type}?{request.GET.urlencode()}"
    if resource_type == "DocumentReference":
        visible = Referral.objects.visible_to(request.user)
        queryset = parsed.criteria.applied(Attachment.objects.filter(referral__in=visible), through="referral__")
        queryset, object_type = queryset.order_by("created_at", "pk"), "attachment"
    else:
        queryset = referrals(request.user, attachments=REFERRAL_RESOURCES[resource_type][1])
        queryset, object_type = parsed.criteria.applied(queryset).order_by("-created_at", "-pk"), "referral"
    total = queryset.count()
    page = list(queryset[parsed.offset : parsed.offset + parsed.count]) if parsed.count else []
    log_list(request, page, channel=CHANNEL, query=query, object_type=object_type)
    if resource_type == "DocumentReference":
        matches = [referral_resources.document_reference(found, _base_url(request)) for found in page]
    else:
        matches = [_resource(resource_type, found) for found in page]
    return resource_response(search.bundle(parsed, search.Page(matches, total), _base_url(request)))


def _update_task(request, resource_id: str):
    task = body(request, "Task")
    if str(task.get("id", resource_id)) != resource_id:
        raise FhirError(400, "invalid", referral_writes.TASK_ID_MISMATCH, expression="Task.id")
    referral = visible_referral(request, "Task", resource_id)
    name, changed = referral_writes.update_task(
        by=request.user, referral=referral, task=task, version=version_sent(request, task)
    )
    _log(request, action=AccessLog.Action.TRANSITION, obj=referral, detail=name)
    return resource_response(_resource("Task", _fresh(request, "Task", changed)))


def _create(request, service_request: dict, patient: dict) -> Referral:
    referral = referral_writes.create_referral(by=request.user, service_request=service_request, patient=patient)
    _log(request, action=AccessLog.Action.CREATE, obj=referral)
    return _fresh(request, "ServiceRequest", referral)


def _create_service_request(request):
    service_request = body(request, "ServiceRequest")
    patient = referral_writes.structured(referral_writes.contained_patient, service_request)
    referral = _create(request, service_request, patient)
    return resource_response(
        _resource("ServiceRequest", referral), status=201, location=_location(request, "ServiceRequest", referral)
    )


def base(request):
    """/fhir/ itself: a transaction is POSTed here; anything else is not found."""
    return transaction(request) if request.method == "POST" else views.not_found(request)


@clinical_view("POST")
def transaction(request):
    """POST /fhir/: a transaction Bundle of a Patient and the ServiceRequest about it."""
    bundle = body(request, "Bundle")
    if bundle.get("type") != "transaction":
        raise FhirError(400, "invalid", TRANSACTIONS_ONLY, expression="Bundle.type")
    patient, service_request = referral_writes.structured(_transaction_entries, bundle)
    referral = _create(request, service_request, patient)
    response_entries = []
    for resource_type in ("Patient", "ServiceRequest"):
        location = _location(request, resource_type, referral)
        response_entries.append({
            "fullUrl": f"{_base_url(request)}{resource_type}/{referral.pk}",
            "resource": _resource(resource_type, referral),
            "response": {"status": "201 Created", "location": location, "etag": f'W/"{referral.version}"'},
        })  # fmt: skip
    return resource_response({"resourceType": "Bundle", "type": "transaction-response", "entry": response_entries})


def _transaction_entries(bundle: dict) -> tuple[dict, dict]:
    """The Patient and the ServiceRequest of a transaction, the ServiceRequest's subject the Patient's fullUrl."""
    entries = bundle.get("entry") or []
    by_type = {entry["resource"]["resourceType"]: entry for entry in entries}
    patient, service_request = by_type.get("Patient"), by_type.get("ServiceRequest")
    if len(entries) != 2 or not patient or not service_request:
        raise FhirError(400, "invalid", ONE_PATIENT_ONE_REQUEST, expression="Bundle.entry")
    subject = (service_request["resource"].get("subject") or {}).get("reference")
    if not patient.get("fullUrl") or subject != patient["fullUrl"]:
        raise FhirError(400, "invalid", ONE_PATIENT_ONE_REQUEST, expression="ServiceRequest.subject")
    for entry in (patient, service_request):
        if (entry.get("request") or {}).get("method") != "POST":
            raise FhirError(400, "invalid", ONE_PATIENT_ONE_REQUEST, expression="Bundle.entry.request")
    return patient["resource"], service_request["resource"]


# -- DocumentReference: a referral's attachment -------------------------------------------------------------


def _document_reference(request, resource_id: str):
    if request.method == "PUT":
        raise FhirError(405, "not-supported", "An attachment is not changed: POST a new DocumentReference.")
    pk = as_uuid(resource_id)
    visible = Referral.objects.visible_to(request.user)
    attachment = Attachment.objects.filter(pk=pk, referral__in=visible).first() if pk else None
    if attachment is None:
        if pk is not None:
            log_refused(request, referral_id=pk, channel=CHANNEL, object_type="attachment")
        raise FhirError(404, "not-found", NOT_VISIBLE.format(type="DocumentReference", id=resource_id[:64]))
    _log(request, action=AccessLog.Action.VIEW, obj=attachment)
    return resource_response(referral_resources.document_reference(attachment, _base_url(request)))


def _create_document_reference(request):
    document = body(request, "DocumentReference")
    referral_id = referral_writes.structured(referral_writes.attachment_referral_id, document)
    referral = visible_referral(request, "ServiceRequest", referral_id)
    upload = referral_writes.structured(referral_writes.attachment_upload, document)
    attachment = services.attachment_add(referral=referral, by=request.user, upload=upload)
    _log(request, action=AccessLog.Action.CREATE, obj=attachment)
    resource = referral_resources.document_reference(attachment, _base_url(request))
    return resource_response(resource, status=201, location=f"{_base_url(request)}DocumentReference/{attachment.pk}")
