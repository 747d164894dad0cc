from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for a developer's machine: it may know every app (the directory, referrals); no app knows it."""

    name = "apps.demo"
    label = "demo"
    verbose_name = "Demo data"

    def ready(self):
        from . import checks  # noqa: F401 (registers the deploy check)
