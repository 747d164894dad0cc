"""What every FHIR referral request shares: the API's authentication (a token or a session), the services'
refusals as OperationOutcomes, the referral query, versions (ETag / If-Match), and responses never cached."""

import functools
import json
import logging
import uuid

from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Prefetch, Subquery
from django.utils.cache import patch_cache_control
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings

from apps.common.exceptions import database_unavailable
from apps.directory.models import PracticeLocation
from apps.referrals import services
from apps.referrals.access import log_refused
from apps.referrals.models import Attachment, Referral

from .responses import SERVER_ERROR, FhirError, error_response, fhir_response, negotiate
from .views import throttle

logger = logging.getLogger(__name__)

CHANNEL = "fhir"  # the access log's channel for everything read or written through /fhir/
NOT_AUTHENTICATED = "Referrals need authentication: send `Authorization: Token <key>` (or sign in)."
NOT_VISIBLE = "No {type} with id {id} that you may see."
BAD_JSON = "The body is not a FHIR JSON resource."
WRONG_TYPE = "The body is a {given}: send a {expected}."
VERSION_REQUIRED = 'Send the version you read: `If-Match: W/"<versionId>"` or `meta.versionId`.'
BAD_VERSION = "The version is a whole number, as `meta.versionId` gives it."
METHOD_NOT_ALLOWED = "{method} is not supported here: this address takes {allowed}."


def authenticate(request) -> None:
    """The API's authenticators (DEFAULT_AUTHENTICATION_CLASSES: a token, or a session with its CSRF check on
    writes) decide who is asking; nobody, or a bad or expired token, is a 401, a missing CSRF token a 403."""
    drf_request = Request(request, authenticators=[cls() for cls in api_settings.DEFAULT_AUTHENTICATION_CLASSES])
    try:
        user = drf_request.user
    except exceptions.AuthenticationFailed as failed:
        raise FhirError(401, "login", str(failed.detail)) from failed
    except exceptions.PermissionDenied as denied:
        raise FhirError(403, "forbidden", str(denied.detail)) from denied
    if not user.is_authenticated:
        raise FhirError(401, "login", NOT_AUTHENTICATED)
    request.user = user


def clinical_view(*methods: str):
    """A view of referral data: only `methods`, authenticated as the API is, rate-limited with it, every
    refusal of the services an OperationOutcome (403, 409, 400 naming the field), nothing cached."""

    def decorate(view):
        @csrf_exempt  # SessionAuthentication checks CSRF itself, exactly as for /api/v1/
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            try:
                if request.method not in methods:
                    allowed = ", ".join(methods)
                    message = METHOD_NOT_ALLOWED.format(method=request.method[:10], allowed=allowed)
                    response = error_response(FhirError(405, "not-supported", message))
                    response["Allow"] = allowed
                    return response
                negotiate(request)
                authenticate(request)
                throttle(request)
                try:
                    response = view(request, *args, **kwargs)
                except services.ReferralPermissionDenied as denied:
                    raise FhirError(403, "forbidden", str(denied)) from denied
                except services.ReferralConflict as conflict:
                    raise FhirError(409, "conflict", conflict.message) from conflict
                except (ValidationError, exceptions.ValidationError) as invalid:
                    raise invalid_input(invalid, kwargs.get("resource_type", "")) from invalid
            except FhirError as error:
                response = error_response(error)
                if error.status == 401:
                    response["WWW-Authenticate"] = "Token"
                if error.retry_after is not None:
                    response["Retry-After"] = str(error.retry_after)
            except Exception as error:
                if database_unavailable(error):
                    raise  # the site's 503 with Retry-After (apps/common/views.server_error)
                logger.exception("FHIR request failed: %s", request.path)  # never the query: it may name a patient
                response = error_response(FhirError(500, "exception", SERVER_ERROR))
            patch_cache_control(response, private=True, no_store=True)
            return response

        return wrapped

    return decorate


# Where each input of the services is in FHIR: a 400 names the element to fix.
FIELD_PATHS = {
    "patient_first_name": "Patient.name.given",
    "patient_last_name": "Patient.name.family",
    "patient_date_of_birth": "Patient.birthDate",
    "patient_sex": "Patient.gender",
    "patient_phone": "Patient.telecom",
    "patient_email": "Patient.telecom",
    "patient_mrn": "Patient.identifier",
    "patient_consent": "ServiceRequest.extension",
    "priority": "ServiceRequest.priority",
    "cancer_type": "ServiceRequest.reasonCode",
    "icd10_code": "ServiceRequest.reasonCode",
    "clinical_question": "ServiceRequest.note",
    "history": "ServiceRequest.note",
    "investigations": "ServiceRequest.note",
    "medications": "ServiceRequest.note",
    "allergies": "ServiceRequest.note",
    "oncologist": "ServiceRequest.performer",
    "oncologist_npi": "ServiceRequest.performer",
    "confirm_duplicate": "ServiceRequest",
    "version": "Task.meta.versionId",
    "comment": "Task.statusReason.text",
    "reason_code": "Task.statusReason.coding",
    "question": "Task.statusReason.text",
    "answer": "Task.statusReason.text",
    "reason": "Task.statusReason.text",
    "advice": "Task.note",
    "suggested_colleague_npi": "Task.note",
    "appointment_at": "Task.restriction.period.start",
    "place": "Task.input",
    "findings": "Task.output",
    "recommendations": "Task.output",
    "diagnosis": "Task.output",
    "letter": "Task.output",
    "file": "DocumentReference.content.attachment",
}


def invalid_input(error, resource_type: str) -> FhirError:
    """A service's or serializer's ValidationError as a 400 naming the FHIR element (and the service's message)."""
    detail = as_serializer_error(error) if isinstance(error, ValidationError) else error.detail
    if not isinstance(detail, dict):
        detail = {"non_field_errors": detail}
    field, messages = next(iter(detail.items()))
    message = messages[0] if isinstance(messages, list) and messages else messages
    path = FIELD_PATHS.get(field, resource_type)
    return FhirError(400, "invalid", f"{path}: {message}", expression=path)


# -- reading referrals ---------------------------------------------------------------------------------


def referrals(user, *, attachments: bool = False):
    """The referrals `user` may see, with what the resources show (the oncologist's primary role as the
    ServiceRequest's performer, the attachments when `attachments`) in a fixed number of queries."""
    role = PracticeLocation.objects.filter(physician=OuterRef("oncologist")).order_by("-is_primary", "pk")
    queryset = (
        Referral.objects.visible_to(user)
        .select_related("referring_gp", "oncologist", "cancer_type")
        .annotate(performer_location_id=Subquery(role.values("pk")[:1]))
    )
    if attachments:
        queryset = queryset.prefetch_related(Prefetch("attachments", Attachment.objects.only("id", "referral_id")))
    return queryset


def as_uuid(resource_id: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(resource_id) if len(resource_id) <= 36 else None
    except ValueError:
        return None


def visible_referral(request, resource_type: str, resource_id: str, *, attachments: bool = False) -> Referral:
    """The referral, when the caller may see it; a logged refusal (404, the same whether it exists or not)."""
    pk = as_uuid(resource_id)
    referral = referrals(request.user, attachments=attachments).filter(pk=pk).first() if pk else None
    if referral is None:
        if pk is not None:
            log_refused(request, referral_id=pk, channel=CHANNEL)
        raise FhirError(404, "not-found", NOT_VISIBLE.format(type=resource_type, id=resource_id[:64]))
    return referral


# -- bodies and versions --------------------------------------------------------------------------------


def body(request, expected: str) -> dict:
    try:
        resource = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise FhirError(400, "structure", BAD_JSON) from None
    if not isinstance(resource, dict):
        raise FhirError(400, "structure", BAD_JSON)
    if resource.get("resourceType") != expected:
        given = str(resource.get("resourceType") or "resource without resourceType")[:64]
        raise FhirError(400, "structure", WRONG_TYPE.format(given=given, expected=expected), expression=expected)
    return resource


def version_sent(request, resource: dict) -> int:
    """The version the client read: If-Match (W/"3") first, else the resource's meta.versionId."""
    given = request.headers.get("If-Match")
    if given is not None:
        given = given.strip().removeprefix("W/").strip('"')
    else:
        given = (resource.get("meta") or {}).get("versionId")
    if given is None:
        raise FhirError(400, "invalid", VERSION_REQUIRED, expression="meta.versionId")
    if not str(given).isascii() or not str(given).isdigit() or len(str(given)) > 9:
        raise FhirError(400, "invalid", BAD_VERSION, expression="meta.versionId")
    return int(given)


def resource_response(resource: dict, *, status: int = 200, location: str = ""):
    response = fhir_response(resource, status=status)
    version = (resource.get("meta") or {}).get("versionId")
    if version:
        response["ETag"] = f'W/"{version}"'
    if location:
        response["Location"] = location
    return response
