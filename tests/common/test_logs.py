"""The console's log lines as written (the handler's own formatter and filter): one JSON object a line with the
request's id, and nothing of a query string, a body, a cookie or a header."""

import io
import json
import logging

import pytest

from apps.common.logs import JsonFormatter

pytestmark = pytest.mark.django_db

SECRET = "jane-doe-breast-cancer"  # stands for patient data in a query string, a body, a cookie, a header


@pytest.fixture
def console():
    """What the console handler writes, formatted as JSON (the production default), one object a line."""
    handler = next(handler for handler in logging.getLogger().handlers if handler.name == "console")
    stream, formatter = io.StringIO(), handler.formatter
    previous = handler.setStream(stream)
    handler.setFormatter(JsonFormatter())
    try:
        yield stream
    finally:
        handler.setStream(previous)
        handler.setFormatter(formatter)


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_each_line_is_a_json_object_with_the_request_id(client, console):
    response = client.get("/healthz/live", headers={"X-Request-ID": "req-42"})

    [line] = lines(console)
    assert line["request_id"] == "req-42" == response["X-Request-ID"]
    assert line["level"] == "INFO" and line["logger"] == "oncodir.requests"
    assert line["time"].endswith("+00:00")
    assert {key: line[key] for key in ("method", "path", "status", "view")} == {
        "method": "GET",
        "path": "/healthz/live",
        "status": 200,
        "view": "healthz-live",
    }
    assert isinstance(line["duration_ms"], float)
    assert line["message"].startswith("GET /healthz/live 200 ")


def test_djangos_own_record_of_a_request_carries_its_id_method_path_and_status(client, console):
    response = client.get("/no-such-page/", headers={"X-Request-ID": "req-404"})

    not_found = next(line for line in lines(console) if line["logger"] == "django.request")
    assert response.status_code == 404
    assert not_found["request_id"] == "req-404"
    assert not_found["level"] == "WARNING"
    assert (not_found["method"], not_found["path"], not_found["status"]) == ("GET", "/no-such-page/", 404)
    assert "request" not in not_found and "status_code" not in not_found


def test_no_query_string_body_cookie_or_header_reaches_a_log_line(client, console):
    client.cookies["sessionid"] = SECRET
    client.get(f"/no-such-page/?q={SECRET}", headers={"X-Note": SECRET})
    client.post(f"/no-such-page/?q={SECRET}", {"note": SECRET}, headers={"X-Note": SECRET})

    written = console.getvalue()
    assert len(lines(console)) == 4  # each request's own line and Django's 404 warning
    assert [line["path"] for line in lines(console)] == ["/no-such-page/"] * 4
    assert SECRET not in written and "?" not in written


def test_a_line_outside_any_request_has_a_null_request_id(console):
    logging.getLogger("tests.outside").warning("no request here")

    [line] = lines(console)
    assert line["request_id"] is None
    assert (line["logger"], line["level"], line["message"]) == ("tests.outside", "WARNING", "no request here")
