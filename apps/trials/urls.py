from django.urls import path

from . import views

app_name = "trials"

urlpatterns = [
    path("", views.trial_list, name="list"),
    path("<str:nct_id>/", views.trial_detail, name="detail"),
]
