import pytest

from apps.directory.validators import npi_check_digit_ok
from tests.factories import (
    BoardCertificationFactory,
    CuratorFactory,
    GPFactory,
    OncologistUserFactory,
    PracticeLocationFactory,
)

pytestmark = pytest.mark.django_db


def test_factories_build_a_consistent_directory_entry():
    location = PracticeLocationFactory(zip_code="02115")
    certification = BoardCertificationFactory(physician=location.physician)

    physician = location.physician
    assert npi_check_digit_ok(physician.npi)
    assert physician.physician_specialties.get(is_primary=True).specialty.code == "207RX0202X"
    assert location.latitude == pytest.approx(42.34, abs=0.05)
    assert certification.is_current


def test_user_factories_cover_each_role():
    assert GPFactory().is_gp
    oncologist = OncologistUserFactory()
    assert oncologist.is_oncologist and oncologist.physician_id
    curator = CuratorFactory()
    assert curator.is_curator and curator.check_password("a-long-test-password")
