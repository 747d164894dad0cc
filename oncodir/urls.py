from django.contrib import admin
from django.urls import include, path

from apps.common.views import healthz_live, healthz_ready, metrics

# A 500 that is the database being unavailable is a 503 to retry (apps/common/views.server_error).
handler500 = "apps.common.views.server_error"

urlpatterns = [
    path("healthz", healthz_ready, name="healthz"),  # docker-compose.yml's health check before /healthz/ready
    path("healthz/live", healthz_live, name="healthz-live"),
    path("healthz/ready", healthz_ready, name="healthz-ready"),
    path("metrics", metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/", include("oncodir.api_urls")),
    path("fhir/", include("apps.fhir.urls")),
    path("accounts/", include("apps.accounts.urls")),
    path("referrals/", include("apps.referrals.urls")),
    path("shortlists/", include("apps.shortlists.urls")),
    path("trials/", include("apps.trials.urls")),
    path("", include("apps.directory.urls")),
]
