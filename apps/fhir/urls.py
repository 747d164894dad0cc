"""/fhir/ (mounted by oncodir/urls.py): metadata, search and read of the directory; read, search and writes of
referrals (referral_views.py); anything else a 404 OperationOutcome."""

from django.urls import path, re_path

from . import referral_views, views

app_name = "fhir"
REFERRAL_TYPES = "|".join(referral_views.REFERRAL_TYPES)

urlpatterns = [
    path("", referral_views.base, name="base"),
    re_path(r"^metadata/?$", views.metadata, name="metadata"),
    re_path(rf"^(?P<resource_type>{REFERRAL_TYPES})/?$", referral_views.type_level, name="referral-type"),
    re_path(
        rf"^(?P<resource_type>{REFERRAL_TYPES})/(?P<resource_id>[^/]+)/?$",
        referral_views.instance,
        name="referral-instance",
    ),  # fmt: skip
    re_path(r"^(?P<resource_type>[A-Za-z]+)/?$", views.search_type, name="search"),
    re_path(r"^(?P<resource_type>[A-Za-z]+)/(?P<resource_id>[^/]+)/?$", views.read, name="read"),
    re_path(r"^(?P<path>.*)$", views.not_found, name="not-found"),
]
