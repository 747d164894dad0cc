import pytest
from django.core.cache import cache
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _fresh_throttle_history():
    """Throttle counts live in the cache: each test starts with none, whatever ran before it."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api():
    return APIClient()
