import pytest


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Keep files a test writes out of the real private media folder."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
