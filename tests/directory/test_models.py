"""Every constraint of the directory and account models: the database refuses the row (IntegrityError naming
the constraint) and model validation refuses it with the constraint's message (what the admin shows)."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.accounts.models import Role, User
from apps.directory.models import (
    Affiliation,
    Board,
    BoardCertification,
    CancerType,
    Institution,
    Physician,
    PhysicianSpecialty,
    PracticeLocation,
    Specialty,
)
from tests.factories import (
    AffiliationFactory,
    BoardCertificationFactory,
    InstitutionFactory,
    PhysicianFactory,
    PracticeLocationFactory,
    board,
    next_npi,
    specialty,
)

pytestmark = pytest.mark.django_db


@dataclass
class Case:
    build: Callable[[], object]  # an unsaved instance breaking one rule (related rows may be created)
    constraint: str  # the database constraint's name (or the unique index's column, for unique=True fields)
    message: str  # what full_clean() says


def _physician(**fields):
    return Physician(**({"npi": next_npi(), "first_name": "Ada", "last_name": "Lovelace"} | fields))


def _duplicate_npi():
    existing = PhysicianFactory()
    return _physician(npi=existing.npi)


def _second_specialty_row():
    physician = PhysicianFactory()  # primary medical oncology
    return PhysicianSpecialty(physician=physician, specialty=specialty("207RX0202X"), is_primary=False)


def _second_primary_specialty():
    physician = PhysicianFactory()
    return PhysicianSpecialty(physician=physician, specialty=specialty("207RH0003X"), is_primary=True)


def _certification(**fields):
    return BoardCertification(
        physician=PhysicianFactory(),
        board=board("ABIM"),
        certificate_name="Medical Oncology",
        first_certified_on=datetime.date(2015, 6, 1),
        **fields,
    )


def _duplicate_certificate():
    existing = BoardCertificationFactory()
    return BoardCertification(
        physician=existing.physician,
        board=existing.board,
        certificate_name=existing.certificate_name,
        first_certified_on=datetime.date(2019, 1, 1),
    )


def _location(**fields):
    values = {"address_line1": "1 Main St", "city": "New York", "state": "NY", "zip_code": "10001"} | fields
    return PracticeLocation(physician=PhysicianFactory(), **values)


def _second_primary_location():
    existing = PracticeLocationFactory(is_primary=True)
    return PracticeLocation(
        physician=existing.physician,
        address_line1="2 Side St",
        city="New York",
        state="NY",
        zip_code="10002",
        is_primary=True,
    )


def _duplicate_affiliation():
    existing = AffiliationFactory()
    return Affiliation(physician=existing.physician, institution=existing.institution)


def _duplicate_institution():
    existing = InstitutionFactory(name="Mercy Hospital", city="Boston", state="MA")
    return Institution(name=existing.name, city="Boston", state="MA")


CASES = {
    "specialty-code-format": Case(
        lambda: Specialty(code="207RX0202", display_name="Bad", classification="Bad"),
        "specialty_code_format",
        "A NUCC taxonomy code is 10 characters: 3 digits, 6 digits or capital letters, then X.",
    ),
    "specialty-code-unique": Case(
        lambda: Specialty(code="207RX0202X", display_name="Again", classification="Internal Medicine"),
        "directory_specialty_code_key",
        "Specialty with this NUCC code already exists.",
    ),
    "cancer-type-name-unique": Case(
        lambda: CancerType(name="Breast cancer", slug="breast-2"),
        "directory_cancertype_name_key",
        "Cancer type with this Name already exists.",
    ),
    "cancer-type-slug-unique": Case(
        lambda: CancerType(name="Breast cancers", slug="breast"),
        "directory_cancertype_slug_key",
        "Cancer type with this Slug already exists.",
    ),
    "board-code-unique": Case(
        lambda: Board(code="ABIM", name="Again", kind="abms"),
        "directory_board_code_key",
        "Board with this Code already exists.",
    ),
    "institution-unique-name-place": Case(
        _duplicate_institution,
        "institution_unique_name_place",
        "This institution is already listed in this city.",
    ),
    "physician-npi-unique": Case(
        _duplicate_npi, "directory_physician_npi_key", "Physician with this NPI already exists."
    ),
    "physician-npi-ten-digits": Case(
        lambda: _physician(npi="123456789"), "physician_npi_ten_digits", "An NPI is exactly 10 digits."
    ),
    "physician-inactive-has-date": Case(
        lambda: _physician(is_active=False, deactivated_on=None),
        "physician_inactive_has_date",
        "An inactive physician needs a deactivation date.",
    ),
    "physician-sex-valid": Case(lambda: _physician(sex="X"), "physician_sex_valid", "Value 'X' is not a valid choice."),
    "physician-specialty-unique": Case(
        _second_specialty_row,
        "physician_specialty_unique",
        "This specialty is already listed for this physician.",
    ),
    "physician-one-primary-specialty": Case(
        _second_primary_specialty,
        "physician_one_primary_specialty",
        "A physician has only one primary specialty.",
    ),
    "certification-expires-after-start": Case(
        lambda: _certification(expires_on=datetime.date(2015, 6, 1)),
        "certification_expires_after_start",
        "A certificate must expire after it was first granted.",
    ),
    "certification-verified-after-start": Case(
        lambda: _certification(verified_on=datetime.date(2015, 5, 31)),
        "certification_verified_after_start",
        "A certificate cannot be verified before it was first granted.",
    ),
    "certification-unique-per-board": Case(
        _duplicate_certificate,
        "certification_unique_per_board",
        "This physician already has this certificate from this board.",
    ),
    "location-one-primary": Case(
        _second_primary_location, "location_one_primary", "A physician has only one primary location."
    ),
    "location-zip-format": Case(
        lambda: _location(zip_code="1000"), "location_zip_format", "A ZIP code has 5 or 9 digits."
    ),
    "location-coordinates-valid": Case(
        lambda: _location(latitude=95.0, longitude=-73.0),
        "location_coordinates_valid",
        "Latitude and longitude are given together and within range.",
    ),
    "affiliation-unique": Case(
        _duplicate_affiliation, "affiliation_unique", "This physician is already affiliated with this institution."
    ),
    "user-oncologist-has-physician": Case(
        lambda: User(email="onc@example.com", full_name="Onc", role=Role.ONCOLOGIST, password="x"),
        "oncologist_has_physician",
        "An oncologist account must be linked to a physician record.",
    ),
    "user-only-oncologists-link-physician": Case(
        lambda: User(email="gp@example.com", full_name="GP", role=Role.GP, physician=PhysicianFactory(), password="x"),
        "only_oncologists_link_physician",
        "Only oncologist accounts are linked to a physician record.",
    ),
}


def _count(instance) -> int:
    return type(instance).objects.count()


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_the_database_refuses_a_row_breaking_the_rule(case):
    # Given a row breaking one rule
    instance = case.build()
    before = _count(instance)

    # When it is written without validation
    with pytest.raises(IntegrityError) as error, transaction.atomic():
        instance.save()

    # Then PostgreSQL names the constraint, and nothing was written
    assert case.constraint in str(error.value)
    assert _count(instance) == before


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_model_validation_refuses_a_row_breaking_the_rule_with_a_clear_message(case):
    # Given a row breaking one rule
    instance = case.build()

    # When it is validated as the admin's forms do
    with pytest.raises(ValidationError) as error:
        instance.full_clean(exclude=["password"])

    # Then the message says what is wrong
    assert case.message in error.value.messages


@pytest.mark.parametrize(
    "build",
    [
        lambda: _physician(),
        lambda: _physician(is_active=False, deactivated_on=datetime.date(2024, 1, 2)),
        lambda: _certification(expires_on=None, verified_on=datetime.date(2015, 6, 1)),
        lambda: _location(zip_code="10001-1234"),
        lambda: _location(zip_code="100011234"),
    ],
    ids=["physician", "inactive-with-date", "lifetime-certificate-verified-on-grant-day", "zip-plus-4", "zip-9-digits"],
)
def test_rows_obeying_the_rules_validate_and_save(build):
    instance = build()

    instance.full_clean()
    instance.save()

    assert type(instance).objects.filter(pk=instance.pk).exists()


@pytest.mark.parametrize(
    ("build", "field", "message"),
    [
        (lambda: _location(state="XX"), "state", "Value 'XX' is not a valid choice."),
        (lambda: _physician(npi="1234567890"), "npi", "This NPI's check digit is wrong: please check each digit."),
        (
            lambda: _physician(languages=["eng"]),
            "languages",
            "Item 1 in the array did not validate: Ensure this value has at most 2 characters (it has 3).",
        ),
    ],
    ids=["unknown-state", "npi-check-digit", "language-code-too-long"],
)
def test_field_validation_refuses_bad_values(build, field, message):
    instance = build()

    with pytest.raises(ValidationError) as error:
        instance.full_clean()

    assert error.value.message_dict[field] == [message]


def test_a_location_takes_its_coordinates_from_the_zip_centroid():
    location = _location(zip_code="10001", latitude=None, longitude=None)

    location.save()

    assert location.latitude == pytest.approx(40.75, abs=0.05)
    assert location.longitude == pytest.approx(-73.99, abs=0.05)


def test_a_physician_may_hold_one_primary_and_other_secondary_specialties():
    physician = PhysicianFactory()  # primary 207RX0202X

    PhysicianSpecialty.objects.create(physician=physician, specialty=specialty("207RH0003X"), is_primary=False)
    PhysicianSpecialty.objects.create(physician=physician, specialty=specialty("207RH0000X"), is_primary=False)

    assert physician.physician_specialties.count() == 3
    assert physician.physician_specialties.filter(is_primary=True).count() == 1


def test_stale_means_not_verified_for_over_a_year_or_never():
    today = datetime.date.today()
    fresh = PhysicianFactory(last_verified_on=today - datetime.timedelta(days=365))
    old = PhysicianFactory(last_verified_on=today - datetime.timedelta(days=400))
    never = PhysicianFactory(last_verified_on=None)

    stale = set(Physician.objects.stale())

    assert stale == {old, never}
    assert fresh.verification_is_stale is False
    assert old.verification_is_stale is True
