import pytest
from django.core.cache import cache
from django.test import Client

from apps.directory.reference import reference_data


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def fhir():
    """A client that asks for FHIR JSON, as FHIR clients do."""
    return Client(headers={"Accept": "application/fhir+json"})


@pytest.fixture
def warm_reference(db):
    """The reference tables read once (as a running server has them), so query counts are those of a request."""
    return reference_data()
