"""/healthz/live answers while the process serves; /healthz/ready (and /healthz, docker-compose.yml's health check)
only while the database and the job queue answer, naming what is down (not the cache: the site serves without Redis,
tests/common/test_redis_down.py). The outages are real: a cache on a closed port, and a production-like gunicorn
(two workers, JSON logs, HTTPS redirects) whose database is on one."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
CLOSED_PORT = 1  # nothing listens there: a connection is refused at once
UP = {"status": "ok", "database": "up", "queue": "up"}  # the job queue is a table of the database


def test_live_answers_200_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("url", ["/healthz/ready", "/healthz"])
def test_ready_answers_200_when_the_database_answers(client, url):
    response = client.get(url)

    assert response.status_code == 200
    assert response.json() == UP
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.parametrize("url", ["/healthz/ready", "/healthz"])
def test_ready_answers_200_when_the_cache_does_not_answer(client, settings, url):
    # Redis down: the rate limits count in each process's memory (apps/common/cache.py), the site serves
    settings.CACHES = {
        "default": {
            "BACKEND": "apps.common.cache.RedisWithLocalFallbackCache",
            "LOCATION": f"redis://127.0.0.1:{CLOSED_PORT}/0",
        }
    }

    response = client.get(url)

    assert response.status_code == 200
    assert response.json() == UP


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str, **headers: str) -> tuple[int, dict, bytes]:
    """One GET, redirects not followed."""
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (our own test server)
    try:
        with urllib.request.build_opener(NoRedirects).open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture
def server_without_database(tmp_path):
    """gunicorn with production settings (DEBUG off: JSON logs, HTTPS redirects), two workers sharing their
    metrics through PROMETHEUS_MULTIPROC_DIR, and a DATABASE_URL on a closed port. Yields (base URL, its stderr
    file)."""
    port = free_port()
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_"))}
    environment |= {
        "DJANGO_SETTINGS_MODULE": "oncodir.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "s" * 60,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{CLOSED_PORT}/oncodir",
        "CACHE_URL": "locmemcache://",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    stderr = tmp_path / "stderr.log"
    with stderr.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "oncodir.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", "2", "--timeout", "30"],
            cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=log,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz/live", timeout=1)  # noqa: S310
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise AssertionError(stderr.read_text()) from None
                time.sleep(0.2)
        yield base, stderr
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.slow
def test_ready_answers_503_naming_the_database_when_it_does_not_answer(server_without_database):
    base, stderr = server_without_database

    live = fetch(f"{base}/healthz/live")
    ready = fetch(f"{base}/healthz/ready", **{"X-Request-ID": "probe-1"})
    legacy = fetch(f"{base}/healthz")

    assert live[0] == 200  # served over plain HTTP: no redirect to HTTPS for the probes
    assert (ready[0], json.loads(ready[2])) == (503, {"status": "unavailable", "database": "down", "queue": "down"})
    assert ready[1]["X-Request-ID"] == "probe-1"
    assert legacy[0] == 503
    assert fetch(f"{base}/physicians/?q=x")[0] == 301  # every other page still goes to HTTPS

    # production logs: one JSON object a line, the readiness failure under the probe's request id
    records = [json.loads(line) for line in stderr.read_text().splitlines() if line.startswith("{")]
    failure = next(r for r in records if r["logger"] == "apps.common.health")
    assert failure["request_id"] == "probe-1" and "database" in failure["message"]
    assert any(r.get("path") == "/healthz/ready" and r.get("status") == 503 for r in records)


@pytest.mark.slow
def test_the_metrics_add_up_every_workers_requests(server_without_database):
    base, _ = server_without_database

    for _ in range(10):
        fetch(f"{base}/healthz/live")
    status, _, body = fetch(f"{base}/metrics")

    assert status == 200
    counted = [
        line for line in body.decode().splitlines()
        if line.startswith("oncodir_http_requests_total{") and 'view="healthz-live"' in line
    ]  # fmt: skip
    # the fixture's own readiness polls count too: at least the 10 sent here, whichever worker served them
    assert len(counted) == 1 and float(counted[0].split()[-1]) >= 10
