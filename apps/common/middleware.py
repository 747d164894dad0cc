"""What every request goes through, whichever app's view serves it: its id, log line and metrics, and the
response headers every response (or every API response) needs."""

import logging
import time
from contextlib import ExitStack

from django.conf import settings
from django.db import connections
from django.utils.cache import patch_cache_control
from django.utils.log import log_response

from apps.common import metrics
from apps.common.request_ids import HEADER, request_id_bound, request_id_for

logger = logging.getLogger("oncodir.requests")
# A client may send any method name: the metrics' labels take these, and "other" for the rest.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

API_PREFIX = "/api/"


class APICacheControlMiddleware:
    """Anything under /api/ that did not choose its caching is ``private, no-store``.

    Public directory reads opt into shared caching themselves (``PublicReadOnlyAPIMixin``); referral
    data, authenticated reads and errors must never sit in a proxy or a browser cache.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path_info.startswith(API_PREFIX) and not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response


class PermissionsPolicyMiddleware:
    """``Permissions-Policy: settings.PERMISSIONS_POLICY`` on every response: features no page uses are off,
    for our pages and anything that might ever be framed or injected into them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class RequestObservabilityMiddleware:
    """First in MIDDLEWARE, so it sees every request, redirects to HTTPS included: binds the request's id
    (X-Request-ID when well formed, else a new one) and returns it in X-Request-ID; logs one line per request
    (method, path without the query string, status, duration, view: nothing else, see apps/common/logs.py);
    counts it, its duration and its database time in the Prometheus metrics. It sends no query of its own."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with request_id_bound(request_id_for(request.headers.get(HEADER))) as request_id:
            db_seconds = [0.0]
            started = time.perf_counter()
            with ExitStack() as timing:
                for database in connections.all():  # the replicas' too (apps/common/replicas.py)
                    timing.enter_context(database.execute_wrapper(_timed(db_seconds)))
                response = self.get_response(request)
            seconds = time.perf_counter() - started
            response[HEADER] = request_id
            if response.status_code >= 400:
                # Django logs an error response after the middleware, where no request id is bound: log it
                # here, as Django would (log_response marks it logged, so Django does not log it again).
                log_response("%s: %s", response.reason_phrase, request.path, response=response, request=request)
            match = request.resolver_match
            view = match.view_name if match else metrics.UNRESOLVED_VIEW
            method = request.method if request.method in METHODS else "other"
            status = f"{response.status_code // 100}xx"
            metrics.REQUESTS.labels(view, method, status).inc()
            metrics.REQUEST_SECONDS.labels(view, method, status).observe(seconds)
            metrics.REQUEST_DB_SECONDS.labels(view).observe(db_seconds[0])
            logger.info(
                "%s %s %s %.1f ms %s",
                request.method,
                request.path,
                response.status_code,
                seconds * 1000,
                view,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round(seconds * 1000, 1),
                    "view": view,
                },
            )
        return response


def _timed(total: list[float]):
    """A database execute wrapper adding each statement's time to total[0]."""

    def wrapper(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            total[0] += time.perf_counter() - started

    return wrapper
