"""CACHES["default"] in production: Django's RedisCache that keeps serving from this process's memory while Redis
does not answer.

What the cache holds: the API's rate-limit counters (DRF throttles, apps/common/throttling.py) and the public
API's server cache (API_PUBLIC_SERVER_CACHE_SECONDS). Sessions and sign-in lockouts (django-axes) are in the
database, and so is the directory's version that ETags carry, so none of them depends on Redis.

When a Redis operation fails (refused, or no answer within the client's socket timeouts), that operation and every
other one for the next `breaker_seconds` run on a LocMemCache of this process instead: no request waits for Redis
meanwhile. Rate limits then still limit, per process (a client may get the limit once per worker), and the server
cache is per process. Then one operation tries Redis again; when it answers, Redis is used again (its counters as
they were: what the processes counted meanwhile is forgotten). One warning when Redis fails, one when it is back.

django-redis's IGNORE_EXCEPTIONS is not this: a failed read returns None and a write is dropped, so the throttles
would never count (DRF's reads `len(None)`: a 500), and each operation still waits for its timeout.
"""

import logging
import threading
import time
from dataclasses import dataclass, field

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

BREAKER_SECONDS_DEFAULT = 5.0


@dataclass
class _Breaker:
    """Whether this process is using its memory instead of Redis, shared by every thread's cache object."""

    retry_at: float = 0.0  # time.monotonic() before which Redis is not tried
    down_since: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def open(self, seconds: float, error: Exception) -> None:
        with self.lock:
            now = time.monotonic()
            self.retry_at = now + seconds
            if self.down_since is None:
                self.down_since = now
                logger.warning(
                    "Redis cache unavailable (%s: %s): this process counts rate limits in its own memory, and tries "
                    "Redis again every %g s",
                    error.__class__.__name__,
                    str(error).strip().splitlines()[0] if str(error).strip() else "",
                    seconds,
                )

    def close(self) -> None:
        if self.down_since is None:
            return
        with self.lock:
            if self.down_since is not None:
                logger.warning("Redis cache available again after %.1f s", time.monotonic() - self.down_since)
                self.down_since = None
                self.retry_at = 0.0


_breakers: dict[str, _Breaker] = {}
_breakers_lock = threading.Lock()


class RedisWithLocalFallbackCache(RedisCache):
    """RedisCache whose operations run on a per-process LocMemCache while Redis fails (see the module's doc).
    OPTIONS: the Redis client's (socket_connect_timeout, socket_timeout, ...) and `breaker_seconds`."""

    def __init__(self, server, params):
        options = dict(params.get("OPTIONS") or {})
        self.breaker_seconds = float(options.pop("breaker_seconds", BREAKER_SECONDS_DEFAULT))
        super().__init__(server, {**params, "OPTIONS": options})
        location = server if isinstance(server, str) else ",".join(server)
        local = {key: value for key, value in params.items() if key != "OPTIONS"}
        self._fallback = LocMemCache(f"redis-fallback:{location}", local)
        with _breakers_lock:
            self._breaker = _breakers.setdefault(location, _Breaker())

    @property
    def using_fallback(self) -> bool:
        """Whether this process is counting in its own memory now (Redis failed less than breaker_seconds ago)."""
        return self._breaker.down_since is not None

    def _run(self, operation: str, *args, **kwargs):
        if time.monotonic() < self._breaker.retry_at:
            return getattr(self._fallback, operation)(*args, **kwargs)
        try:
            result = getattr(super(), operation)(*args, **kwargs)
        except RedisError as error:
            self._breaker.open(self.breaker_seconds, error)
            return getattr(self._fallback, operation)(*args, **kwargs)
        self._breaker.close()
        return result

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._run("add", key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._run("get", key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._run("set", key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._run("touch", key, timeout, version)

    def delete(self, key, version=None):
        return self._run("delete", key, version)

    def get_many(self, keys, version=None):
        return self._run("get_many", keys, version)

    def has_key(self, key, version=None):
        return self._run("has_key", key, version)

    def incr(self, key, delta=1, version=None):
        return self._run("incr", key, delta, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._run("set_many", data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._run("delete_many", keys, version)

    def clear(self):
        return self._run("clear")
