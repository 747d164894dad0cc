"""/fhir/ (mounted by oncodir/urls.py): metadata, search and read; anything else a 404 OperationOutcome."""

from django.urls import path, re_path

from . import views

app_name = "fhir"

urlpatterns = [
    path("", views.not_found, name="base"),
    re_path(r"^metadata/?$", views.metadata, name="metadata"),
    re_path(r"^(?P<resource_type>[A-Za-z]+)/?$", views.search_type, name="search"),
    re_path(r"^(?P<resource_type>[A-Za-z]+)/(?P<resource_id>[^/]+)/?$", views.read, name="read"),
    re_path(r"^(?P<path>.*)$", views.not_found, name="not-found"),
]
