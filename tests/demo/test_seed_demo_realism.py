"""seed_demo (apps/demo): the directory it generates looks like a real one. One 1,200-physician demo is
shared by these read-only checks."""

import collections
import io
import re

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Q

from apps.directory import demo
from apps.directory.geo import zip_place
from apps.directory.models import (
    Affiliation,
    BoardCertification,
    CertificationStatus,
    Institution,
    Physician,
    PhysicianSpecialty,
    PracticeLocation,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def big_demo(django_db_setup, django_db_blocker):
    """One 1,200-physician demo shared by the read-only checks below.

    Seeded inside a transaction that is rolled back afterwards: deleting it instead would leave history
    rows and search terms behind for later tests to trip over.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", "--physicians", "1200", "--seed", "3", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


def test_each_physician_has_one_primary_specialty_and_one_primary_location(big_demo):
    counts = Physician.objects.annotate(
        primary_specialties=Count(
            "physician_specialties", filter=Q(physician_specialties__is_primary=True), distinct=True
        ),
        primary_locations=Count("locations", filter=Q(locations__is_primary=True), distinct=True),
        location_count=Count("locations", distinct=True),
    )

    assert {(p.primary_specialties, p.primary_locations) for p in counts} == {(1, 1)}
    assert {p.location_count for p in counts} == {1, 2, 3}


def test_locations_are_real_zip_centroids_in_every_state(big_demo):
    locations = list(
        PracticeLocation.objects.values_list("zip_code", "city", "state", "latitude", "longitude", "phone")
    )

    assert {state for _, _, state, *_ in locations} >= set(demo.STATE_WEIGHTS)
    for zip_code, city, state, latitude, longitude, phone in locations:
        assert zip_place(zip_code) == (city, state)
        assert latitude and longitude
        assert re.fullmatch(r"\d{3}-555-01\d{2}", phone)


def test_the_specialty_mix_is_mostly_medical_and_hematology_oncology(big_demo):
    mix = collections.Counter(
        PhysicianSpecialty.objects.filter(is_primary=True).values_list("specialty__category", flat=True)
    )

    assert mix["hematology-oncology"] + mix["medical-oncology"] > 0.5 * 1200
    for category in ("radiation-oncology", "surgical-oncology", "gynecologic-oncology",
                     "pediatric-hematology-oncology", "hematology", "palliative-care"):  # fmt: skip
        assert mix[category] > 0, category


@pytest.mark.parametrize(
    ("category", "allowed_cancers", "allowed_boards"),
    [
        ("gynecologic-oncology", {"gynecologic", "ovarian", "cervical", "uterine"}, {"ABOG", "AOBOG"}),
        ("hematology", {"leukemia", "lymphoma", "myeloma"}, {"ABIM", "AOBIM", "ABPath"}),
        ("radiation-oncology", None, {"ABR", "AOBR"}),
        ("surgical-oncology", None, {"ABS", "AOBS"}),
        ("pediatric-hematology-oncology", {"pediatric", "leukemia", "brain", "sarcoma", "lymphoma"}, {"ABP", "AOBP"}),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_cancers_and_boards_fit_the_specialty(big_demo, category, allowed_cancers, allowed_boards):
    physicians = Physician.objects.filter(
        physician_specialties__is_primary=True, physician_specialties__specialty__category=category
    ).prefetch_related("cancer_types", "certifications__board")

    assert physicians
    for physician in physicians:
        if allowed_cancers:
            assert {c.slug for c in physician.cancer_types.all()} <= allowed_cancers
        assert {c.board.code for c in physician.certifications.all()} <= allowed_boards


def test_certifications_are_mostly_current_some_lapsed_or_expired_a_few_lifetime(big_demo):
    statuses = collections.Counter(BoardCertification.objects.values_list("status", flat=True))
    total = sum(statuses.values())

    assert statuses[CertificationStatus.CERTIFIED] > 0.7 * total
    assert statuses[CertificationStatus.LAPSED] > 0 and statuses[CertificationStatus.EXPIRED] > 0
    assert BoardCertification.objects.filter(expires_on__isnull=True, status=CertificationStatus.CERTIFIED).exists()
    assert BoardCertification.objects.current().count() == statuses[CertificationStatus.CERTIFIED]
    aoa = BoardCertification.objects.filter(board__kind="aoa").select_related("physician")
    assert aoa and {c.physician.credentials for c in aoa} == {"DO"}
    assert Physician.objects.filter(certifications__isnull=True).exists()


def test_names_languages_and_verification_dates_are_varied(big_demo):
    last_names = set(Physician.objects.values_list("last_name", flat=True))
    first_names = set(Physician.objects.values_list("first_name", flat=True))
    languages = collections.Counter(
        lang for langs in Physician.objects.values_list("languages", flat=True) for lang in langs
    )
    verified = Physician.objects.exclude(last_verified_on=None).values_list("last_verified_on", flat=True)

    assert {"García", "Nuñez", "Müller"} <= last_names and "Zoë" in first_names
    assert languages["en"] == 1200
    assert {"es", "zh", "vi", "ko", "ru", "ar", "fr", "hi", "pt"} <= set(languages)
    assert (max(verified) - min(verified)).days > 2 * 365
    assert Physician.objects.stale().exists() and Physician.objects.exclude(pk__in=Physician.objects.stale()).exists()
    assert set(Physician.objects.values_list("credentials", flat=True)) >= {"MD", "DO"}
    assert Physician.objects.filter(is_active=False).exclude(deactivated_on=None).exists()
    assert Physician.objects.filter(telehealth=True).exists() and Physician.objects.filter(telehealth=False).exists()
    assert PracticeLocation.objects.filter(accepting_new_patients=False).exists()


def test_some_institutions_are_nci_designated_cancer_centers(big_demo):
    designated = Institution.objects.exclude(nci_designation="")

    assert designated.filter(name="Memorial Sloan Kettering Cancer Center", state="NY").exists()
    assert Affiliation.objects.filter(institution__in=designated).exists()
