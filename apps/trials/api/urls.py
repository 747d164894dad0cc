"""The trials endpoints under /api/v1/ (names in the `api` namespace)."""

from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("trials", views.TrialViewSet, basename="trial")

urlpatterns = router.urls
