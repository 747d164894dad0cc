"""Every response carries the request's id: the caller's X-Request-ID when it is well formed, else a new one."""

import re

import pytest

from apps.common.request_ids import current_request_id, request_id_bound

pytestmark = pytest.mark.django_db

GENERATED = re.compile(r"[0-9a-f]{32}")


def test_an_id_is_generated_when_the_request_has_none(client):
    first = client.get("/healthz/live")["X-Request-ID"]
    second = client.get("/healthz/live")["X-Request-ID"]

    assert GENERATED.fullmatch(first) and GENERATED.fullmatch(second)
    assert first != second


@pytest.mark.parametrize("incoming", ["abc", "Trace-01.a_b", "x" * 64], ids=["short", "all-characters", "64-long"])
def test_a_well_formed_id_is_echoed(client, incoming):
    response = client.get("/healthz/live", headers={"X-Request-ID": incoming})

    assert response["X-Request-ID"] == incoming


@pytest.mark.parametrize(
    "incoming",
    ["", "has space", "semi;colon", "new\\nline", "ünïcode", "x" * 65],
    ids=["empty", "space", "semicolon", "backslash", "non-ascii", "65-long"],
)
def test_a_malformed_or_too_long_id_is_replaced(client, incoming):
    response = client.get("/healthz/live", headers={"X-Request-ID": incoming})

    assert GENERATED.fullmatch(response["X-Request-ID"])


def test_an_id_is_bound_only_inside_its_block_and_blocks_nest():
    assert current_request_id() is None
    with request_id_bound("outer"):
        with request_id_bound("inner"):
            assert current_request_id() == "inner"
        assert current_request_id() == "outer"
    assert current_request_id() is None


def test_no_id_is_left_bound_after_a_request(client):
    client.get("/healthz/live", headers={"X-Request-ID": "gone-after"})

    assert current_request_id() is None
