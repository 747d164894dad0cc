"""Rate limits that read their rates from settings on every request.

DRF's own throttles copy ``DEFAULT_THROTTLE_RATES`` into a class attribute at import time, so a
settings change (an override in a test, a reloaded configuration) never reaches them. These read
``api_settings`` when a request arrives, and a rate of ``None`` switches the limit off.
"""

from django.core.exceptions import ImproperlyConfigured
from rest_framework import throttling
from rest_framework.settings import api_settings


class _RatesFromSettings:
    def get_rate(self):
        rates = api_settings.DEFAULT_THROTTLE_RATES
        if self.scope not in rates:
            raise ImproperlyConfigured(f"DEFAULT_THROTTLE_RATES has no rate for the {self.scope!r} scope.")
        return rates[self.scope]


class AnonRateThrottle(_RatesFromSettings, throttling.AnonRateThrottle):
    """Anonymous clients, keyed by address: ``DEFAULT_THROTTLE_RATES["anon"]``."""


class UserRateThrottle(_RatesFromSettings, throttling.UserRateThrottle):
    """Authenticated clients, keyed by user: ``DEFAULT_THROTTLE_RATES["user"]``."""


class ListingReportRateThrottle(_RatesFromSettings, throttling.SimpleRateThrottle):
    """Reports of wrong listings (a public form), keyed by address whoever sends them, signed in or not:
    ``DEFAULT_THROTTLE_RATES["listing_report"]``. Counted in CACHES["default"], shared by every worker."""

    scope = "listing_report"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
