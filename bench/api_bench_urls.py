"""The site's URLs plus the benchmark's baseline: a trivial JSON view doing one primary-key query."""

from django.http import JsonResponse
from django.urls import path

from apps.directory.models import Physician
from oncodir.urls import urlpatterns as site_urlpatterns


def trivial_physician(request, pk: int):
    """The floor: the same middleware stack, one indexed single-row query, a small JSON body."""
    row = Physician.objects.values("npi", "first_name", "last_name").get(pk=pk)
    return JsonResponse(row)


urlpatterns = [path("bench/trivial/<int:pk>/", trivial_physician), *site_urlpatterns]
