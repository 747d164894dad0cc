"""Typed factory_boy factories shared by every test module."""

import datetime
import itertools

import factory
from django.utils import timezone

from apps.accounts.models import Role, User
from apps.directory.models import (
    Affiliation,
    Board,
    BoardCertification,
    CancerType,
    CertificationStatus,
    Institution,
    InsurancePlan,
    Physician,
    PhysicianSpecialty,
    PracticeLocation,
    Specialty,
)
from apps.directory.validators import npi_with_check_digit
from apps.trials.models import InvestigatorMatch, Trial

_npi_stems = itertools.count(100000001)


def next_npi() -> str:
    """A fresh NPI with a valid check digit."""
    return npi_with_check_digit(str(next(_npi_stems)))


class SpecialtyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Specialty
        django_get_or_create = ("code",)

    code = "207RX0202X"
    display_name = "Medical Oncology Physician"
    classification = "Internal Medicine"
    specialization = "Medical Oncology"
    category = "medical-oncology"


def specialty(code: str) -> Specialty:
    """A specialty seeded by the reference-data migration."""
    return Specialty.objects.get(code=code)


def cancer_type(slug: str) -> CancerType:
    return CancerType.objects.get(slug=slug)


def board(code: str) -> Board:
    return Board.objects.get(code=code)


def insurance_plan(carrier: str, plan_type: str) -> InsurancePlan:
    """A carrier's plan of a type, as the reference-data migration seeds them: insurance_plan("aetna", "ppo")."""
    return InsurancePlan.objects.get(carrier__slug=carrier, plan_type=plan_type, name="")


class PhysicianFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Physician
        skip_postgeneration_save = True

    npi = factory.LazyFunction(next_npi)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    credentials = "MD"
    sex = "F"
    languages = factory.LazyFunction(lambda: ["en"])
    telehealth = False
    is_active = True
    last_verified_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))
    source = Physician.Source.MANUAL

    @factory.post_generation
    def primary_specialty(self, create, extracted, **kwargs):
        """PhysicianFactory(primary_specialty="2085R0001X"); default: medical oncology."""
        if not create or extracted is False:
            return
        PhysicianSpecialty.objects.create(
            physician=self, specialty=specialty(extracted or "207RX0202X"), is_primary=True
        )

    @factory.post_generation
    def cancers(self, create, extracted, **kwargs):
        """PhysicianFactory(cancers=["breast", "lung"])."""
        if create and extracted:
            self.cancer_types.add(*CancerType.objects.filter(slug__in=extracted))


class PracticeLocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PracticeLocation

    physician = factory.SubFactory(PhysicianFactory)
    # Not Faker's company names: they are made of surnames ("Smith, Jones and Brown"), and a location's
    # name is searched with the physician's, so a test searching for "smtih" failed now and then.
    name = factory.Sequence(lambda n: f"Practice {n}")
    address_line1 = factory.Faker("street_address")
    city = "New York"
    state = "NY"
    zip_code = "10001"
    phone = "212-555-0100"
    accepting_new_patients = True
    is_primary = True


class BoardCertificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BoardCertification

    physician = factory.SubFactory(PhysicianFactory)
    board = factory.LazyFunction(lambda: board("ABIM"))
    certificate_name = "Medical Oncology"
    status = CertificationStatus.CERTIFIED
    first_certified_on = datetime.date(2015, 6, 1)
    expires_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=365 * 3))
    verified_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=10))
    verification_source = "ABMS Certification Matters"


class InstitutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Institution

    name = factory.Sequence(lambda n: f"General Hospital {n}")
    kind = Institution.Kind.HOSPITAL
    city = "Boston"
    state = "MA"


class AffiliationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Affiliation

    physician = factory.SubFactory(PhysicianFactory)
    institution = factory.SubFactory(InstitutionFactory)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    role = Role.GP
    password = factory.PostGenerationMethodCall("set_password", "a-long-test-password")

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()


class GPFactory(UserFactory):
    role = Role.GP
    practice_name = "Main Street Family Practice"


class OncologistUserFactory(UserFactory):
    role = Role.ONCOLOGIST
    physician = factory.SubFactory(PhysicianFactory)


class CuratorFactory(UserFactory):
    role = Role.CURATOR
    is_staff = True


class TrialFactory(factory.django.DjangoModelFactory):
    """A study as the import leaves it (tests of the import itself go through import_trials)."""

    class Meta:
        model = Trial

    nct_id = factory.Sequence(lambda n: f"NCT{90000000 + n:08d}")
    title = factory.Sequence(lambda n: f"Study {n}")
    status = "RECRUITING"
    phases = factory.LazyFunction(lambda: ["PHASE2"])
    content_hash = "0" * 40


class InvestigatorMatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InvestigatorMatch

    trial = factory.SubFactory(TrialFactory)
    physician = factory.SubFactory(PhysicianFactory)
    name = factory.LazyAttribute(lambda match: f"{match.physician.first_name} {match.physician.last_name}")
    name_key = factory.LazyAttribute(lambda match: match.name.lower())
    status = InvestigatorMatch.Status.AUTO
