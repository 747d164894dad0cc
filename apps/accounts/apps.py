from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from .middleware import start_idle_clock

        user_logged_in.connect(start_idle_clock, dispatch_uid="start_idle_clock")
