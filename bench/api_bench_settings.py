"""Settings for bench/api_bench.py only: the real settings plus a bench-only URL and no throttling.

Never used by the site: gunicorn gets it through DJANGO_SETTINGS_MODULE in the benchmark alone.
"""

from oncodir.settings import *  # noqa: F403

ROOT_URLCONF = "bench.api_bench_urls"
# One client on loopback sends thousands of requests a second: the rate limits would measure themselves.
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None}}  # noqa: F405
LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": "WARNING"}}  # noqa: F405
