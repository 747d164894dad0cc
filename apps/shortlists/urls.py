from django.urls import path

from . import views

app_name = "shortlists"

urlpatterns = [
    path("", views.current, name="current"),
    path("new/", views.start, name="start"),
    path("add/<str:npi>/", views.add, name="add"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/entries/<int:entry_pk>/<str:action>/", views.entry_action, name="entry-action"),
    path("shared/<str:token>/", views.shared, name="shared"),
]
