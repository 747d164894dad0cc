import pytest
from django.core.cache import cache
from django.test import Client

from apps.directory.reference import reference_data
from tests.trials.conftest import import_trials  # noqa: F401 - the trials tests' fixture, for ResearchStudy


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    """A test reads hundreds of resources in a second: the limits are tested on their own (test_errors.py)."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": None, "user": None},
    }


@pytest.fixture
def fhir():
    """A client that asks for FHIR JSON, as FHIR clients do."""
    return Client(headers={"Accept": "application/fhir+json"})


@pytest.fixture
def warm_reference(db):
    """The reference tables read once (as a running server has them), so query counts are those of a request."""
    return reference_data()
