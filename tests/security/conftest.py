import pytest
from django.contrib.auth.models import Permission

from tests.factories import CuratorFactory


@pytest.fixture
def curator(db):
    """A curator without "view clinical data": status and dates only."""
    return CuratorFactory()


@pytest.fixture
def clinical_curator(db):
    user = CuratorFactory()
    user.user_permissions.add(Permission.objects.get(codename="view_clinical_data"))
    return user
