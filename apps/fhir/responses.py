"""Every /fhir/ response: FHIR JSON (`application/fhir+json`), and every error an OperationOutcome."""

import json
import logging

from django.http import HttpResponse
from django.utils.cache import patch_cache_control

logger = logging.getLogger(__name__)

FHIR_JSON = "application/fhir+json"
# What `_format` and `Accept` may ask for: FHIR JSON under its names (R4 and the older DSTU2 one), and JSON.
JSON_FORMATS = frozenset({"json", FHIR_JSON, "application/json", "application/json+fhir", "text/json"})
ACCEPTABLE = JSON_FORMATS | {"*/*", "application/*"}

NOT_ACCEPTABLE = "This server speaks FHIR JSON only: ask for application/fhir+json (or _format=json)."
READ_ONLY = "The directory is read-only: only GET (read, search and metadata) is supported."
UNKNOWN_TYPE = "This server has no resource type {type}: see /fhir/metadata for the resources it supports."
UNKNOWN_ID = "No {type} with id {id} is in the directory."
NOT_FOUND = "Nothing here: see /fhir/metadata for what this server supports."
SERVER_ERROR = "The server failed to answer this request; it has been logged."
TOO_MANY_REQUESTS = "Too many requests from this client: wait as long as Retry-After says, then try again."


class FhirError(Exception):
    """An error answered as an OperationOutcome: HTTP status, issue code, diagnostics, and the parameter."""

    def __init__(
        self, status: int, code: str, diagnostics: str, *, expression: str | None = None, retry_after: int | None = None
    ):
        super().__init__(diagnostics)
        self.status, self.code, self.diagnostics, self.expression = status, code, diagnostics, expression
        self.retry_after = retry_after


def fhir_response(resource: dict, status: int = 200) -> HttpResponse:
    response = HttpResponse(
        json.dumps(resource, ensure_ascii=False, separators=(",", ":")),
        status=status,
        content_type=f"{FHIR_JSON}; charset=utf-8",
    )
    if status != 200:
        patch_cache_control(response, no_store=True)  # an error (a rate limit, a bad request) is never kept
    return response


def issue(severity: str, code: str, diagnostics: str, expression: str | None = None) -> dict:
    found = {"severity": severity, "code": code, "diagnostics": diagnostics}
    return {**found, "expression": [expression]} if expression else found


def operation_outcome(*issues: dict) -> dict:
    return {"resourceType": "OperationOutcome", "issue": list(issues)}


def error_response(error: FhirError) -> HttpResponse:
    return fhir_response(
        operation_outcome(issue("error", error.code, error.diagnostics, error.expression)), status=error.status
    )


def negotiate(request) -> None:
    """Refuse (406) a request that asks only for a format other than FHIR JSON."""
    asked = request.GET.get("_format")
    if asked is not None:
        if asked.split(";")[0].strip().lower() not in JSON_FORMATS:
            raise FhirError(406, "not-supported", NOT_ACCEPTABLE, expression="_format")
        return
    accept = request.headers.get("Accept", "")
    media = {part.split(";")[0].strip().lower() for part in accept.split(",") if part.strip()}
    if media and not media & ACCEPTABLE:
        raise FhirError(406, "not-supported", NOT_ACCEPTABLE)
