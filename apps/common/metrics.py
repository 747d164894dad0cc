"""The Prometheus metrics, declared once, and who may read them.

Under gunicorn each worker is a process of its own: with PROMETHEUS_MULTIPROC_DIR set (to an empty directory,
which gunicorn.conf.py empties at each start) every worker writes its values there and a scrape of any worker
adds them all up (prometheus_client's multiprocess mode). Without it (runserver, tests) the values are this
process's own.
"""

import hmac
import ipaddress
import os

from django.conf import settings
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

# view: the URL pattern's name (bounded by the URLconf, never the path); status: "2xx", "4xx", ...
REQUESTS = Counter("oncodir_http_requests_total", "Requests served.", ["view", "method", "status"])
REQUEST_SECONDS = Histogram(
    "oncodir_http_request_duration_seconds", "Time to serve a request.", ["view", "method", "status"]
)
REQUEST_DB_SECONDS = Histogram(
    "oncodir_http_request_db_seconds", "Time a request spent waiting on the database.", ["view"]
)
# Each attempt at sending an email from the outbox: sent, failed (to be tried again), gave_up.
NOTIFICATIONS = Counter("oncodir_notification_attempts_total", "Attempts at sending an email.", ["outcome"])
UNRESOLVED_VIEW = "<unresolved>"  # answered before URL routing (a redirect to HTTPS, a static file) or a 404

# Values read when Prometheus scrapes (the job queue's depth and failures, counted from its table): append a
# Collector here and every scrape exports it, in either mode. A counter or histogram a worker updates is
# declared above instead; a Gauge needs a `multiprocess_mode`.
SCRAPE_COLLECTORS: list[Collector] = []


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus's text format, and its content type."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(REGISTRY)
    for collector in SCRAPE_COLLECTORS:
        registry.register(collector)
    return generate_latest(registry), CONTENT_TYPE_LATEST


def may_read_metrics(request) -> bool:
    """With the bearer token METRICS_TOKEN (when set), or straight from an address in METRICS_ALLOWED_IPS.

    Not by address when a proxy forwarded the request: its REMOTE_ADDR is the proxy's (often 127.0.0.1),
    whoever sent it."""
    token = settings.METRICS_TOKEN
    authorization = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(authorization.encode(), f"Bearer {token}".encode()):
        return True
    if "X-Forwarded-For" in request.headers or "X-Forwarded-Proto" in request.headers:
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(allowed, strict=False) for allowed in settings.METRICS_ALLOWED_IPS)
