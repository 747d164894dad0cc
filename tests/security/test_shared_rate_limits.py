"""Finding 5: API rate limits are counted in the shared cache (Redis), so three gunicorn workers together let
through exactly the limit, not three times it."""

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from tests.databases import database_url

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 7


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (our own test server)
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def three_workers():
    port = free_port()
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_"))}
    environment |= {
        "DJANGO_SETTINGS_MODULE": "oncodir.settings",
        "DATABASE_URL": database_url(connection.settings_dict),
        "CACHE_URL": "redis://127.0.0.1:6379/0",
        "CACHE_KEY_PREFIX": f"test-{secrets.token_hex(8)}",  # this run's own counters on a shared server
        "API_THROTTLE_ANON": f"{LIMIT}/minute",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "oncodir.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "3", "--worker-class", "sync"],
        cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)  # noqa: S310
                break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_three_workers_together_let_through_exactly_the_limit(three_workers):
    statuses = [status(f"{three_workers}/api/v1/specialties/") for _ in range(LIMIT * 4)]

    assert statuses == [200] * LIMIT + [429] * (LIMIT * 3)
