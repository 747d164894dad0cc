"""The error shape and the error responses, as drf-spectacular documents them."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import serializers


class ErrorItemSerializer(serializers.Serializer):
    field = serializers.CharField(
        allow_null=True,
        help_text="The query parameter or body field at fault (dotted when nested), or null for the request as a whole.",
    )
    code = serializers.CharField(help_text="Stable machine-readable code, for example `invalid`, `not_found`.")
    message = serializers.CharField(help_text="What went wrong, for people.")


class ErrorSerializer(serializers.Serializer):
    """The body of every 4xx response."""

    errors = ErrorItemSerializer(many=True)


def _example(status: int, field, code: str, message: str) -> OpenApiExample:
    return OpenApiExample(
        f"{status} {code}",
        value={"errors": [{"field": field, "code": code, "message": message}]},
        status_codes=[str(status)],
        response_only=True,
    )


_ERRORS = {
    400: (
        "Invalid query parameters or body; `field` names each one at fault.",
        "radius",
        "invalid",
        "Enter a whole number of miles from 1 to 500.",
    ),
    401: (
        "Credentials were sent but are not valid (unknown token, expired session).",
        None,
        "authentication_failed",
        "Invalid token.",
    ),
    403: (
        "Authenticated, but not allowed to do this.",
        None,
        "permission_denied",
        "You do not have permission to perform this action.",
    ),
    404: ("No such resource (for a list: the `cursor` is not one of ours).", None, "not_found", "Not found."),
    406: (
        "The `Accept` header asks for a media type other than JSON.",
        None,
        "not_acceptable",
        "Could not satisfy the request Accept header.",
    ),
    410: ("The resource was withdrawn.", None, "gone", "This resource is no longer available."),
    429: (
        "Too many requests; the `Retry-After` header says when to try again.",
        None,
        "throttled",
        "Request was throttled. Expected available in 42 seconds.",
    ),
}


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """``extend_schema(responses={200: ..., **error_responses(400, 404)})``."""
    responses = {}
    for status in statuses:
        description, field, code, message = _ERRORS[status]
        responses[status] = OpenApiResponse(
            response=ErrorSerializer,
            description=description,
            examples=[_example(status, field, code, message)],
        )
    return responses


READ_ERRORS = (401, 406, 429)
"""What any public read can answer besides its own errors: bad credentials, an Accept it cannot serve, a rate limit."""
