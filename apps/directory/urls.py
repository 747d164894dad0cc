from django.urls import path

from . import views

app_name = "directory"

urlpatterns = [
    path("", views.home, name="home"),
    path("physicians/", views.physician_list, name="physician-list"),
    path("my-listing/", views.my_listing, name="my-listing"),
    path("physicians/<str:npi>/report/", views.listing_report, name="listing-report"),
    path("physicians/<str:npi>/", views.physician_detail, name="physician-detail-short"),
    path("physicians/<str:npi>/<str:slug>/", views.physician_detail, name="physician-detail"),
]
