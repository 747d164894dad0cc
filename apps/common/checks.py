"""Deploy checks of our own, beside Django's: `check --deploy` fails on a key that was ever published."""

from django.conf import settings
from django.core.checks import Error, Tags, register

PUBLISHED_KEY_CHECK = "oncodir.E001"


@register(Tags.security, deploy=True)
def secret_key_not_published(app_configs=None, **kwargs):
    if settings.SECRET_KEY not in settings.KNOWN_DEFAULT_SECRET_KEYS:
        return []
    return [
        Error(
            "DJANGO_SECRET_KEY is a published default: anyone can sign sessions and password-reset links.",
            hint="Set DJANGO_SECRET_KEY to a long random value of your own.",
            id=PUBLISHED_KEY_CHECK,
        )
    ]
