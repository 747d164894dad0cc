from django.contrib import admin
from django.urls import include, path

from apps.common.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/", include("oncodir.api_urls")),
    path("fhir/", include("apps.fhir.urls")),
    path("accounts/", include("apps.accounts.urls")),
    path("referrals/", include("apps.referrals.urls")),
    path("shortlists/", include("apps.shortlists.urls")),
    path("trials/", include("apps.trials.urls")),
    path("", include("apps.directory.urls")),
]
