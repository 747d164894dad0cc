"""What a log line holds: the console handler's filter adds the request id (and a Django request's method,
path and status) to every record; `JsonFormatter` writes it as one JSON object a line.

Referrals hold patient data, and query strings (searches) and bodies can carry it: no log line may hold a
query string, a body, a cookie or a header. So a record's `request` object (whose repr holds the query
string) is reduced to its method and path (`request.path` never has the query), and never written itself.
"""

import logging

from django.http import HttpRequest
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as BaseJsonFormatter

from apps.common.request_ids import current_request_id

# Attributes Django puts on its records that must not reach a log line as they are.
WITHHELD_ATTRS = ("request", "status_code", "server_time")


class RequestContext(logging.Filter):
    """Adds `request_id` to every record, and `method`, `path`, `status` to Django's records about a request
    (django.request, django.security), so a 404 or 500 line says which request it was."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        request = getattr(record, "request", None)
        if isinstance(request, HttpRequest) and not hasattr(record, "path"):
            record.method, record.path = request.method, request.path
        if hasattr(record, "status_code") and not hasattr(record, "status"):
            record.status = record.status_code
        return True


class JsonFormatter(BaseJsonFormatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, request_id, and what the record
    adds (a request's method, path, status, duration_ms and view; an exception's traceback)."""

    def __init__(self, **kwargs):
        super().__init__(
            ["levelname", "name", "message", "request_id"],
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",
            reserved_attrs=[*RESERVED_ATTRS, *WITHHELD_ATTRS],
            **kwargs,
        )
