"""Deploy checks of our own, beside Django's: `check --deploy` fails on a key that was ever published and on
a cache that each worker keeps to itself."""

from django.conf import settings
from django.core.checks import Error, Tags, register

PUBLISHED_KEY_CHECK = "oncodir.E001"
PER_PROCESS_CACHE_CHECK = "oncodir.E003"
# Caches each process (or host) keeps to itself: rate limits counted there multiply by the number of workers.
PER_PROCESS_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
    "django.core.cache.backends.filebased.FileBasedCache",
)


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


@register(Tags.security, Tags.caches, deploy=True)
def cache_shared_by_every_worker(app_configs=None, **kwargs):
    backend = settings.CACHES["default"]["BACKEND"]
    if backend not in PER_PROCESS_CACHES:
        return []
    return [
        Error(
            f"The default cache ({backend.rsplit('.', 1)[-1]}) is kept per process: API rate limits would be "
            "counted per worker, letting through several times the limit.",
            hint="Set CACHE_URL to a cache every worker and host shares, e.g. redis://127.0.0.1:6379/0.",
            id=PER_PROCESS_CACHE_CHECK,
        )
    ]
