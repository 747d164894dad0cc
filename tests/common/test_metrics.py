"""/metrics: Prometheus's text format, counting requests per view, for allowed addresses or the bearer token only."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.django_db

OUTSIDER = "203.0.113.9"


def sample(client, name: str, **labels) -> float:
    """A sample's value in what /metrics shows now (0 when it has none yet)."""
    response = client.get("/metrics")
    assert response.status_code == 200
    for family in text_string_to_metric_families(response.content.decode()):
        for found in family.samples:
            if found.name == name and found.labels == labels:
                return found.value
    return 0.0


def test_a_request_is_counted_and_timed_under_its_view_method_and_status_class(client):
    labels = {"view": "healthz-live", "method": "GET", "status": "2xx"}
    before = sample(client, "oncodir_http_requests_total", **labels)
    timed_before = sample(client, "oncodir_http_request_duration_seconds_count", **labels)

    client.get("/healthz/live")

    assert sample(client, "oncodir_http_requests_total", **labels) == before + 1
    assert sample(client, "oncodir_http_request_duration_seconds_count", **labels) == timed_before + 1
    assert sample(client, "oncodir_http_request_duration_seconds_bucket", **labels, le="+Inf") == timed_before + 1


def test_a_404_and_an_unknown_method_are_counted_in_bounded_labels(client):
    unresolved = {"view": "<unresolved>", "method": "GET", "status": "4xx"}
    brewed = {"view": "healthz-live", "method": "other", "status": "4xx"}
    before = (
        sample(client, "oncodir_http_requests_total", **unresolved),
        sample(client, "oncodir_http_requests_total", **brewed),
    )

    client.get("/no-such-page/1234567/")
    client.generic("BREW", "/healthz/live")

    after = (
        sample(client, "oncodir_http_requests_total", **unresolved),
        sample(client, "oncodir_http_requests_total", **brewed),
    )
    assert after == (before[0] + 1, before[1] + 1)


def test_database_time_is_measured_per_view(client):
    ready_before = sample(client, "oncodir_http_request_db_seconds_sum", view="healthz-ready")
    live_before = sample(client, "oncodir_http_request_db_seconds_sum", view="healthz-live")
    live_count = sample(client, "oncodir_http_request_db_seconds_count", view="healthz-live")

    client.get("/healthz/ready")  # SELECT 1
    client.get("/healthz/live")  # no query

    assert sample(client, "oncodir_http_request_db_seconds_sum", view="healthz-ready") > ready_before
    assert sample(client, "oncodir_http_request_db_seconds_sum", view="healthz-live") == live_before
    assert sample(client, "oncodir_http_request_db_seconds_count", view="healthz-live") == live_count + 1


def test_the_metrics_are_served_to_loopback_in_the_text_format(client):
    response = client.get("/metrics", REMOTE_ADDR="::1")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert "# TYPE oncodir_http_requests_total counter" in response.content.decode()


@pytest.mark.parametrize(
    ("address", "headers"),
    [
        (OUTSIDER, {}),
        ("127.0.0.1", {"X-Forwarded-For": OUTSIDER}),
        ("127.0.0.1", {"X-Forwarded-Proto": "https"}),
        (OUTSIDER, {"Authorization": "Bearer "}),
    ],
    ids=["other-address", "through-a-proxy", "through-a-tls-proxy", "empty-token"],
)
def test_the_metrics_are_a_404_to_anyone_else(client, address, headers):
    response = client.get("/metrics", REMOTE_ADDR=address, headers=headers)

    assert response.status_code == 404
    assert b"oncodir_http" not in response.content


def test_the_bearer_token_opens_the_metrics_from_anywhere(client, settings):
    settings.METRICS_TOKEN = "s3cret-scraper-token"

    right = client.get("/metrics", REMOTE_ADDR=OUTSIDER, headers={"Authorization": "Bearer s3cret-scraper-token"})
    wrong = client.get("/metrics", REMOTE_ADDR=OUTSIDER, headers={"Authorization": "Bearer s3cret-scraper-tokeN"})

    assert right.status_code == 200 and b"oncodir_http_requests_total" in right.content
    assert wrong.status_code == 404


def test_an_allowed_network_opens_the_metrics(client, settings):
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]

    assert client.get("/metrics", REMOTE_ADDR="10.20.30.40").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404


def test_the_middleware_sends_no_query(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        client.get("/healthz/live")
    with django_assert_num_queries(2):  # the readiness checks' own: the database's and the job queue's
        client.get("/healthz/ready")
