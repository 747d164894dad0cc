import pytest


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Keep files a test writes out of the real private media folder."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture(autouse=True)
def _fresh_reference_data():
    """Each test starts without the specialty and cancer tables a previous test's search kept (its rows
    were rolled back)."""
    from apps.directory.reference import forget

    forget()
    yield
    forget()


@pytest.fixture
def admin_user(db, django_user_model):
    """pytest-django's admin_user, with the full name our User requires (admin_client signs in as this user)."""
    return django_user_model.objects.create_superuser("admin@example.com", "password", full_name="Ada Admin")
