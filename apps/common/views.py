from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from apps.common.health import readiness
from apps.common.metrics import exposition, may_read_metrics


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
