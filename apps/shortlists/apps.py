from django.apps import AppConfig


class ShortlistsConfig(AppConfig):
    name = "apps.shortlists"
    verbose_name = "Shortlists"
    default_auto_field = "django.db.models.BigAutoField"
