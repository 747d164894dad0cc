"""The directory's endpoints under /api/v1/ (names in the `api` namespace)."""

from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("physicians", views.PhysicianViewSet, basename="physician")
router.register("specialties", views.SpecialtyViewSet, basename="specialty")
router.register("cancer-types", views.CancerTypeViewSet, basename="cancer-type")
router.register("boards", views.BoardViewSet, basename="board")
router.register("insurance-plans", views.InsurancePlanViewSet, basename="insurance-plan")

urlpatterns = router.urls
