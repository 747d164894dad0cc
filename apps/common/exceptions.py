"""One error shape for every 4xx the API returns.

Every error response body is ``{"errors": [{"field": ..., "code": ..., "message": ...}]}``:
``field`` names the query parameter or body field at fault (dotted for nested fields, ``null`` for
errors about the request as a whole), ``code`` is a stable machine-readable string (DRF's error codes:
``invalid``, ``not_found``, ``throttled``, ...) and ``message`` is for people. Clients therefore parse
one shape whatever went wrong, and a 200 never carries an error.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.exceptions import ErrorDetail
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)

NOT_FOUND_MESSAGE = "Not found."
NON_FIELD_KEYS = frozenset({"__all__", "non_field_errors"})
# The 503 every entry point answers while the database does not (apps/common/views.unavailable_response).
UNAVAILABLE_MESSAGE = "The service is briefly unavailable: please try again in a few seconds."
UNAVAILABLE_CODE = "unavailable"
UNAVAILABLE_RETRY_AFTER_SECONDS = 5


def database_unavailable(error: BaseException | None) -> bool:
    """Whether `error` says the database could not serve the request: unreachable, refusing connections, shutting
    down, the connection lost (OperationalError), or a connection already closed (InterfaceError). A request that
    fails so is worth retrying (a 503), not a bug (a 500); its transaction was rolled back or never began."""
    return isinstance(error, OperationalError | InterfaceError)


class Gone(exceptions.APIException):
    """410: the resource existed and was deliberately withdrawn."""

    status_code = status.HTTP_410_GONE
    default_detail = "This resource is no longer available."
    default_code = "gone"


def error_item(message: str, *, field: str | None = None, code: str = "invalid") -> dict[str, Any]:
    return {"field": field, "code": code, "message": str(message)}


def error_body(*items: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return {"errors": list(items)}


def _flatten(detail: Any, field: str | None) -> Iterator[dict[str, Any]]:
    """Walk DRF's nested error detail (dicts of lists of ErrorDetail) into flat error items."""
    if isinstance(detail, Mapping):
        for key, value in detail.items():
            key = str(key)
            if key in NON_FIELD_KEYS or key == api_settings.NON_FIELD_ERRORS_KEY:
                yield from _flatten(value, field)
            else:
                yield from _flatten(value, f"{field}.{key}" if field else key)
    elif isinstance(detail, Sequence) and not isinstance(detail, str):
        for index, value in enumerate(detail):
            # A list of nested objects (a list serializer) carries indexes; a list of messages does not.
            if isinstance(value, Mapping):
                yield from _flatten(value, f"{field}.{index}" if field else str(index))
            else:
                yield from _flatten(value, field)
    else:
        code = getattr(detail, "code", None) or "invalid"
        yield error_item(str(detail), field=field, code=code)


def errors_from_detail(detail: Any, *, default_code: str = "invalid") -> list[dict[str, Any]]:
    if isinstance(detail, str) and not isinstance(detail, ErrorDetail):
        detail = ErrorDetail(detail, code=default_code)
    items = list(_flatten(detail, None))
    return items or [error_item("Invalid request.", code=default_code)]


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER: DRF's status codes and headers, our body.

    Django's ``ValidationError`` (raised by ``full_clean()`` in services) becomes a 400 like a
    serializer's. Anything else that is not an API error is left to Django (a logged 500).
    """
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(NOT_FOUND_MESSAGE)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args[:1])
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.APIException):
        response.data = error_body(*errors_from_detail(exc.detail, default_code=exc.default_code))
    # An error is about this request only: no cache may keep it.
    response["Cache-Control"] = "no-store"
    return response
