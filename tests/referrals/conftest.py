import pytest

from tests.factories import CuratorFactory, GPFactory, OncologistUserFactory

from .factories import make_referral


@pytest.fixture
def gp():
    return GPFactory()


@pytest.fixture
def oncologist():
    return OncologistUserFactory()


@pytest.fixture
def curator():
    return CuratorFactory()


@pytest.fixture
def clinical_curator():
    from django.contrib.auth.models import Permission

    user = CuratorFactory()
    user.user_permissions.add(Permission.objects.get(codename="view_clinical_data"))
    return user


@pytest.fixture
def referral_between(gp, oncologist):
    """make_referral(status) between the `gp` and `oncologist` fixtures."""

    def build(status="draft", **kwargs):
        return make_referral(status, referring_gp=gp, oncologist=oncologist.physician, **kwargs)

    return build
