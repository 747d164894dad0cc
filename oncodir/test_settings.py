"""Test overrides: fast hashing, in-memory email, no throttling surprises."""

from oncodir.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
# pytest-django runs tests with DEBUG off; the demo data's own tests still seed it.
DEMO_DATA = True
# The test client's login() authenticates without a request, which django-axes refuses; the throttling's own
# tests (tests/security/test_login_throttling.py) switch it on.
AXES_ENABLED = False
# Jobs run inline, in the test's process, when they are enqueued (a worker's own tests start `qcluster`).
Q_CLUSTER = {**Q_CLUSTER, "sync": True}  # noqa: F405
