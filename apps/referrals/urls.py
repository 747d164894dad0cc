from django.urls import path

from . import views

app_name = "referrals"

urlpatterns = [
    path("", views.referral_list, name="list"),
    path("figures/", views.oncologist_figures, name="figures"),
    path("figures/<slug:name>.svg", views.figure_chart, name="figure-chart"),
    path("new/<str:npi>/", views.referral_create, name="create"),
    path("<uuid:pk>/", views.referral_detail, name="detail"),
    path("<uuid:pk>/edit/", views.referral_edit, name="edit"),
    path("<uuid:pk>/letter/", views.referral_letter, name="letter"),
    path("<uuid:pk>/delete/", views.referral_delete, name="delete"),
    path("<uuid:pk>/actions/<slug:action>/", views.referral_action, name="action"),
    path("<uuid:pk>/messages/", views.message_create, name="message-create"),
    path("<uuid:pk>/attachments/", views.attachment_upload, name="attachment-upload"),
    path("<uuid:pk>/attachments/<uuid:attachment_pk>/", views.attachment_download, name="attachment-download"),
]
