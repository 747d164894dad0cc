"""Everything under /api/: version 1 of each app's endpoints, the OpenAPI schema and its docs.

Each domain app owns its endpoints in `apps/<app>/api/urls.py`; add its include to `v1` below.
Every other address under /api/ answers a 404 in the API's error shape.
"""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from apps.common.api_views import APIDocsView, APINotFoundView

app_name = "api"

v1 = [
    path("", include("apps.directory.api.urls")),
    path("", include("apps.referrals.api.urls")),
    path("", include("apps.trials.api.urls")),
]

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", APIDocsView.as_view(url_name="api:schema"), name="docs"),
    re_path(r"^", APINotFoundView.as_view(), name="not-found"),
]
