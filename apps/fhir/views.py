"""/fhir/: thin views. Parsing and searching live in search.py, reads in reads.py, JSON in resources.py."""

import functools
import logging
import math

from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from rest_framework.settings import api_settings

from apps.common.api_views import cached_as_public
from apps.common.conditional import conditional_read
from apps.common.exceptions import database_unavailable

from . import reads, search
from .capability import READABLE, capability_statement
from .responses import (
    NOT_FOUND,
    READ_ONLY,
    SERVER_ERROR,
    TOO_MANY_REQUESTS,
    UNKNOWN_ID,
    UNKNOWN_TYPE,
    FhirError,
    error_response,
    fhir_response,
    negotiate,
)
from .values import ID_PATTERN

logger = logging.getLogger(__name__)
SOFTWARE_DATE = "2026-12-04"


def fhir_view(view):
    """GET only, FHIR JSON only, and every failure an OperationOutcome (never Django's HTML pages)."""

    @csrf_exempt  # nothing here changes state: a POST is answered 405, not refused as a forgery
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            if request.method not in ("GET", "HEAD"):
                response = error_response(FhirError(405, "not-supported", READ_ONLY))
                response["Allow"] = "GET, HEAD"
                return response
            negotiate(request)
            throttle(request)
            # A search's body depends on Prefer (handling=lenient) too; its format is always FHIR JSON.
            response = conditional_read(
                request,
                lambda version: fhir_response(view(request, *args, **kwargs)),
                request.headers.get("Prefer", ""),
            )
            return cached_as_public(request, response)
        except FhirError as error:
            response = error_response(error)
            if error.retry_after is not None:
                response["Retry-After"] = str(error.retry_after)
            return response
        except Exception as error:
            if database_unavailable(error):
                raise  # the site's 503 with Retry-After (apps/common/views.server_error)
            logger.exception("FHIR request failed: %s", request.get_full_path())
            return error_response(FhirError(500, "exception", SERVER_ERROR))

    return wrapped


def throttle(request) -> None:
    """The directory API's rate limits (DEFAULT_THROTTLE_CLASSES and RATES), counted with the API's: one
    budget per client for the public directory, whichever door it reads through."""
    for limit in (throttle_class() for throttle_class in api_settings.DEFAULT_THROTTLE_CLASSES):
        if not limit.allow_request(request, None):
            wait = limit.wait()
            retry_after = math.ceil(wait) if wait is not None else None
            raise FhirError(429, "throttled", TOO_MANY_REQUESTS, retry_after=retry_after)


def base_url(request) -> str:
    return request.build_absolute_uri(reverse("fhir:base"))


@fhir_view
def metadata(request):
    return capability_statement(base_url(request), SOFTWARE_DATE)


@fhir_view
def search_type(request, resource_type: str):
    if resource_type not in search.RUNNERS:
        _unknown_type(resource_type)
    lenient = "handling=lenient" in request.headers.get("Prefer", "").replace(" ", "")
    return search.run(resource_type, request.GET, base_url(request), lenient=lenient)


@fhir_view
def read(request, resource_type: str, resource_id: str):
    if resource_type not in READABLE:
        _unknown_type(resource_type)
    resource = reads.READERS[resource_type](resource_id) if ID_PATTERN.fullmatch(resource_id) else None
    if resource is None:
        raise FhirError(404, "not-found", UNKNOWN_ID.format(type=resource_type, id=resource_id[:64]))
    return resource


@fhir_view
def not_found(request, path: str = ""):
    raise FhirError(404, "not-found", NOT_FOUND)


def _unknown_type(resource_type: str):
    raise FhirError(404, "not-found", UNKNOWN_TYPE.format(type=resource_type[:64]))
