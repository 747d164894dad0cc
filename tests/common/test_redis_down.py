"""Redis down (apps/common/cache.py): the site keeps serving, rate limits still limit (per process), readiness
does not depend on Redis, and Redis is used again once it is back. The Redis is real, a redis-server of the
test's own on a free port, stopped (refusing connections) or frozen with SIGSTOP (connections accepted, no
reply: what a hung or unreachable server looks like to the client, where only the timeouts help)."""

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import Client

from tests.factories import PhysicianFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = "/usr/bin/redis-server"
TIMEOUT = 0.25  # the client's connect and read timeouts, as CACHE_REDIS_TIMEOUT's default
BREAKER_SECONDS = 2.0
LIMIT = 3


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A redis-server of the test's own: started, stopped, frozen and thawed on demand."""

    def __init__(self):
        self.port = _free_port()
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                if self.client().ping():
                    return
            except redis.ConnectionError:
                assert time.monotonic() < deadline and self.process.poll() is None, "redis-server did not start"
                time.sleep(0.02)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)

    def freeze(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=1)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


@pytest.fixture
def redis_server(settings):
    """A fresh redis-server, and CACHES["default"] on it as production configures a redis:// CACHE_URL (with a
    shorter breaker, to keep the test short). Clearing django.core.cache.caches follows the CACHES change."""
    server = RedisServer()
    server.start()
    settings.CACHES = {
        "default": {
            "BACKEND": "apps.common.cache.RedisWithLocalFallbackCache",
            "LOCATION": server.url,
            "KEY_PREFIX": "test",
            "OPTIONS": {
                "socket_connect_timeout": TIMEOUT,
                "socket_timeout": TIMEOUT,
                "breaker_seconds": BREAKER_SECONDS,
            },
        }
    }
    settings.REST_FRAMEWORK = django_settings.REST_FRAMEWORK | {
        "DEFAULT_THROTTLE_RATES": django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] | {"anon": f"{LIMIT}/minute"}
    }
    settings.API_PUBLIC_SERVER_CACHE_SECONDS = 60  # the public API's server cache uses the cache too
    try:
        yield server
    finally:
        server.thaw()
        server.stop()


@pytest.fixture
def physician():
    return PhysicianFactory(last_name="Quenneville")


def _timed_get(client: Client, url: str):
    started = time.perf_counter()
    response = client.get(url)
    return response, time.perf_counter() - started


def test_the_settings_give_a_redis_url_timeouts_and_the_fallback():
    # given production's CACHE_URL naming Redis, when the settings are read
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "CACHE_"))}
    environment |= {"CACHE_URL": "redis://127.0.0.1:6399/2?socket_timeout=0.5", "CACHE_REDIS_RETRY_SECONDS": "3"}
    done = subprocess.run(
        [sys.executable, "-c", "import json, oncodir.settings as s; print(json.dumps(s.CACHES['default']))"],
        cwd=ROOT, env=environment, capture_output=True, text=True, check=True,
    )  # fmt: skip
    # then the cache falls back, gives up on a connection after 0.25 s and on a reply after the URL's 0.5 s
    assert json.loads(done.stdout) == {
        "BACKEND": "apps.common.cache.RedisWithLocalFallbackCache",
        "LOCATION": "redis://127.0.0.1:6399/2",
        "KEY_PREFIX": "oncodir",
        "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.5, "breaker_seconds": 3.0},
    }


@pytest.mark.parametrize("outage", ["stopped", "frozen"])
def test_with_redis_down_pages_api_reads_and_readiness_answer_quickly(client, redis_server, physician, outage):
    # given Redis answering (each address asked once: templates and queries warm), then stopped (connections
    # refused) or frozen (connections accepted, never answered)
    urls = ["/api/v1/specialties/", "/", "/physicians/?q=Quenneville", physician.get_absolute_url(),
            "/api/v1/physicians/?q=Quenneville", "/healthz/ready"]  # fmt: skip
    warm = [_timed_get(client, url) for url in urls]
    assert [response.status_code for response, _ in warm] == [200] * len(urls)
    assert redis_server.client().keys("test:*throttle_anon*")  # the API's rate limit counted in Redis
    if outage == "stopped":
        redis_server.stop()
    else:
        redis_server.freeze()

    # when the same pages, API reads (rate-limited, and kept in the server cache) and readiness are asked for
    timed = [_timed_get(client, url) for url in urls]

    # then every one answers 200, and readiness says nothing of the cache
    assert [response.status_code for response, _ in timed] == [200] * len(urls)
    assert "Quenneville" in timed[2][0].content.decode()
    assert timed[-1][0].json()["database"] == "up" and "cache" not in timed[-1][0].json()
    # and only the first cache operation waited for Redis (a frozen one: its read timeout); the breaker sent the
    # others to memory at once, where each API read would otherwise wait four timeouts (throttle and server cache)
    extra = [seconds - before for (_, seconds), (_, before) in zip(timed, warm, strict=True)]
    if outage == "frozen":
        assert timed[0][1] >= TIMEOUT
    assert max(extra[1:]) < 2 * TIMEOUT, extra
    assert cache.using_fallback


def test_with_redis_frozen_cache_operations_wait_once_per_breaker_period(redis_server):
    # given Redis frozen: a connection is accepted and never answered
    cache.set("greeting", "hello")
    redis_server.freeze()

    # when the cache is used a hundred times
    started = time.perf_counter()
    cache.set("greeting", "bonjour")
    first = time.perf_counter() - started
    started = time.perf_counter()
    values = [cache.get("greeting") for _ in range(100)]
    rest = time.perf_counter() - started

    # then only the first operation waited for the read timeout; the others read this process's memory
    assert TIMEOUT <= first < 4 * TIMEOUT
    assert rest < TIMEOUT
    assert values == ["bonjour"] * 100


def test_with_redis_down_a_throttle_still_limits_per_process(client, redis_server):
    # given a client that used one of its LIMIT requests while Redis answered
    assert client.get("/api/v1/specialties/").status_code == 200
    redis_server.stop()

    # when it goes on asking with Redis stopped
    statuses = [client.get("/api/v1/specialties/").status_code for _ in range(LIMIT + 2)]

    # then this process counts from scratch in its own memory: LIMIT more, then 429 (never a 500)
    assert statuses == [200] * LIMIT + [429, 429]
    throttled = client.get("/api/v1/specialties/")
    assert throttled.status_code == 429 and int(throttled["Retry-After"]) > 0
    assert throttled.json()["errors"][0]["code"] == "throttled"


def test_when_redis_is_back_it_is_used_again_with_one_warning_each_way(client, redis_server, caplog):
    # given Redis stopped, seen failing by a request
    redis_server.stop()
    with caplog.at_level(logging.WARNING, logger="apps.common.cache"):
        for _ in range(LIMIT - 1):
            assert client.get("/api/v1/specialties/").status_code == 200
        assert cache.using_fallback

        # when Redis starts again on the same port, and the breaker's seconds have passed
        redis_server.start()
        assert client.get("/api/v1/specialties/").status_code == 200  # still in memory: the breaker is open
        assert redis_server.client().keys("test:*") == []
        time.sleep(BREAKER_SECONDS)
        assert client.get("/api/v1/specialties/").status_code == 200

    # then the throttle counts in Redis again, from that request on
    (key,) = redis_server.client().keys("test:*throttle_anon*")
    assert len(cache.get(key.decode().removeprefix("test:1:"))) == 1
    assert not cache.using_fallback
    # and the log says it once when Redis failed and once when it was back
    messages = [record.getMessage() for record in caplog.records if record.name == "apps.common.cache"]
    assert len(messages) == 2, messages
    assert messages[0].startswith("Redis cache unavailable (ConnectionError")
    assert messages[1].startswith("Redis cache available again after")
