"""The id of the request being served, for log lines, the X-Request-ID header and (later) the background jobs a
request starts: a job carries `current_request_id()` and runs inside `request_id_bound(that_id)`."""

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

HEADER = "X-Request-ID"
# What a proxy's or client's id may look like to be kept: short, and nothing that could forge a log line.
WELL_FORMED = re.compile(r"[A-Za-z0-9._-]{1,64}")

_current: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    """The id bound now, or None outside a request (or job) that has one."""
    return _current.get()


@contextmanager
def request_id_bound(value: str | None) -> Iterator[str | None]:
    """Bind `value` as the current request id for the block, and restore the previous one after it."""
    token = _current.set(value)
    try:
        yield value
    finally:
        _current.reset(token)


def request_id_for(incoming: str | None) -> str:
    """The incoming id when it is well formed, else a new one."""
    if incoming and WELL_FORMED.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex
