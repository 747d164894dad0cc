import sys

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.cache import add_never_cache_headers
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from apps.common.exceptions import (
    UNAVAILABLE_CODE,
    UNAVAILABLE_MESSAGE,
    UNAVAILABLE_RETRY_AFTER_SECONDS,
    database_unavailable,
    error_body,
    error_item,
)
from apps.common.health import readiness
from apps.common.metrics import exposition, may_read_metrics
from apps.common.middleware import API_PREFIX
from apps.fhir.responses import FhirError, error_response

FHIR_PREFIX = "/fhir/"


@never_cache
@require_GET
def healthz_live(request):
    """200 whenever the process serves requests: touches neither database nor cache."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def healthz_ready(request):
    """200 when every readiness check answers, else 503 naming each dependency "up" or "down"."""
    results = readiness()
    body = {"status": "ok" if all(results.values()) else "unavailable"}
    body |= {name: "up" if answered else "down" for name, answered in results.items()}
    return JsonResponse(body, status=200 if all(results.values()) else 503)


@never_cache
@require_GET
def metrics(request):
    """The Prometheus metrics; a 404 to anyone not allowed to read them (apps/common/metrics.py)."""
    if not may_read_metrics(request):
        raise Http404
    body, content_type = exposition()
    return HttpResponse(body, content_type=content_type)


def csrf_failure(request, reason=""):
    """The CSRF refusal in the site's frame, with the request (Django's own renders without it, so the header
    would not know who is signed in)."""
    return render(request, "403_csrf.html", status=403)


def server_error(request):
    """handler500: Django's 500 page, unless the exception being handled says the database is unavailable; that is
    a 503 to retry. Django calls it while handling the exception, wherever it was raised (a view, the API's views,
    which re-raise what they do not handle, or a middleware reading the session)."""
    if database_unavailable(sys.exc_info()[1]):
        return unavailable_response(request)
    return defaults.server_error(request)


def unavailable_response(request) -> HttpResponse:
    """The 503 while the database does not answer, with Retry-After: the API's error shape under /api/, an
    OperationOutcome under /fhir/, else the 503 page. The page is rendered without the request, as the 500 page is: the header must not read the session
    or the user from the database."""
    if request.path_info.startswith(API_PREFIX):
        response = JsonResponse(error_body(error_item(UNAVAILABLE_MESSAGE, code=UNAVAILABLE_CODE)), status=503)
    elif request.path_info.startswith(FHIR_PREFIX):
        response = error_response(FhirError(503, "transient", UNAVAILABLE_MESSAGE))
    else:
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response
