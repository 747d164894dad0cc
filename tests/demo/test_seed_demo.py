"""seed_demo (apps/demo): a realistic directory, the same for the same seed, idempotent, the demo accounts and their referrals."""

import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction

from apps.accounts.models import Role, User
from apps.directory import demo
from apps.directory.models import (
    Affiliation,
    BoardCertification,
    Institution,
    ListingReport,
    Physician,
    PhysicianSpecialty,
    PracticeLocation,
)
from apps.directory.reference import forget
from apps.directory.validators import npi_check_digit_ok, npi_with_check_digit
from apps.referrals.models import Referral
from tests.factories import PhysicianFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def table_counts() -> dict[str, int]:
    return {
        "physicians": Physician.objects.count(),
        "specialties": PhysicianSpecialty.objects.count(),
        "cancer_types": Physician.cancer_types.through.objects.count(),
        "certifications": BoardCertification.objects.count(),
        "locations": PracticeLocation.objects.count(),
        "affiliations": Affiliation.objects.count(),
        "institutions": Institution.objects.count(),
        "users": User.objects.count(),
    }


def snapshot() -> list[tuple]:
    """Everything generated, keyed by NPI and free of database ids, in a stable order."""
    rows = []
    for physician in Physician.objects.order_by("npi").prefetch_related(
        "physician_specialties__specialty", "cancer_types", "certifications__board", "locations", "institutions"
    ):
        rows.append(
            (
                physician.npi, physician.first_name, physician.middle_name, physician.last_name, physician.sex,
                physician.credentials, tuple(physician.languages), physician.telehealth, physician.is_active,
                physician.last_verified_on, physician.bio,
                sorted((s.specialty.code, s.is_primary) for s in physician.physician_specialties.all()),
                sorted(c.slug for c in physician.cancer_types.all()),
                sorted((c.board.code, c.certificate_name, c.status, c.first_certified_on, c.expires_on)
                       for c in physician.certifications.all()),
                sorted((loc.zip_code, loc.city, loc.name, loc.phone, loc.is_primary) for loc in physician.locations.all()),
                sorted(i.name for i in physician.institutions.all()),
            )
        )  # fmt: skip
    return rows


def seeded_then_rolled_back(*args: str) -> list[tuple]:
    """Seed in a savepoint, take its snapshot, roll it back: the directory is empty again (the app role the
    tests run as may not empty the append-only referral tables the demo also fills)."""
    with transaction.atomic():
        seed(*args)
        rows = snapshot()
        transaction.set_rollback(True)
    forget()  # the reference tables cached while seeding
    return rows


# --- determinism and idempotency -----------------------------------------------------------------------


def test_the_same_seed_gives_the_same_directory_in_an_emptied_database():
    first = seeded_then_rolled_back("--physicians", "150", "--seed", "7")
    assert not Physician.objects.exists()

    seed("--physicians", "150", "--seed", "7")

    assert len(first) == 150
    assert snapshot() == first


def test_another_seed_gives_other_physicians():
    first = {row[0] for row in seeded_then_rolled_back("--physicians", "50", "--seed", "7")}
    assert not Physician.objects.exists()

    seed("--physicians", "50", "--seed", "8")

    assert first.isdisjoint({row[0] for row in snapshot()})


def test_a_second_run_changes_nothing():
    output = seed("--physicians", "120", "--seed", "5")
    counts, rows = table_counts(), snapshot()

    again = seed("--physicians", "120", "--seed", "5")

    assert table_counts() == counts
    assert snapshot() == rows
    assert "Created 120 physicians" in output and "3 accounts" in output
    assert "Created 0 physicians, 0 specialties, 0 cancer types, 0 certifications, 0 locations" in again
    assert "0 accounts" in again


def test_a_larger_run_keeps_the_first_physicians_and_adds_the_rest():
    seed("--physicians", "60", "--seed", "5")
    smaller = snapshot()

    seed("--physicians", "90", "--seed", "5")

    larger = {row[0]: row for row in snapshot()}
    assert len(larger) == 90
    assert all(larger[row[0]] == row for row in smaller)


def test_if_empty_does_nothing_when_any_physician_exists():
    existing = PhysicianFactory()

    output = seed("--physicians", "30", "--if-empty")

    assert "nothing to do" in output
    assert list(Physician.objects.all()) == [existing]
    assert not User.objects.exists()


def test_if_empty_seeds_an_empty_directory():
    output = seed("--physicians", "30", "--if-empty")

    assert Physician.objects.count() == 30
    assert re.search(r"Created 30 physicians, .* in \d+\.\ds\.", output)


def test_a_negative_size_is_refused():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--physicians must be zero or more"):
        seed("--physicians", "-1")
    assert not Physician.objects.exists()


# --- the demo accounts ---------------------------------------------------------------------------------


def readme_accounts() -> dict[str, str]:
    readme = (ROOT / "README.md").read_text()
    return dict(re.findall(r"\|\s*([\w.-]+@oncodir\.example)\s*\|\s*([\w-]+)\s*\|", readme))


def test_the_readme_lists_exactly_the_demo_accounts_seed_demo_creates():
    assert readme_accounts() == {
        demo.DEMO_CURATOR_EMAIL: demo.DEMO_CURATOR_PASSWORD,
        demo.DEMO_GP_EMAIL: demo.DEMO_GP_PASSWORD,
        demo.DEMO_ONCOLOGIST_EMAIL: demo.DEMO_ONCOLOGIST_PASSWORD,
    }


@pytest.mark.parametrize(
    ("email", "role"),
    [
        (demo.DEMO_CURATOR_EMAIL, Role.CURATOR),
        (demo.DEMO_GP_EMAIL, Role.GP),
        (demo.DEMO_ONCOLOGIST_EMAIL, Role.ONCOLOGIST),
    ],
    ids=["curator", "gp", "oncologist"],
)
def test_the_demo_accounts_sign_in_with_the_readme_passwords(client, email, role):
    seed("--physicians", "20")

    signed_in = client.login(email=email, password=readme_accounts()[email])

    assert signed_in
    assert User.objects.get(email=email).role == role


def test_the_curator_can_use_the_admin_and_the_oncologist_is_a_seeded_physician(client):
    seed("--physicians", "20")
    oncologist = User.objects.get(email=demo.DEMO_ONCOLOGIST_EMAIL)
    client.login(email=demo.DEMO_CURATOR_EMAIL, password=demo.DEMO_CURATOR_PASSWORD)

    response = client.get("/admin/directory/physician/")

    assert response.status_code == 200
    curator = User.objects.get(email=demo.DEMO_CURATOR_EMAIL)
    assert curator.is_staff and curator.is_superuser
    assert oncologist.physician.npi == demo.demo_npis(20, 42)[0]
    assert oncologist.physician.is_active
    assert oncologist.physician.locations.filter(is_primary=True, accepting_new_patients=True).exists()


def test_demo_accounts_are_created_nowhere_else():
    sources = [path for path in (ROOT / "apps").rglob("*.py") if "@oncodir.example" in path.read_text()]

    assert sources == [ROOT / "apps" / "directory" / "demo.py"]


def test_seed_demo_adds_the_demo_referrals_once():
    # given an empty database / when seed_demo runs twice / then six demo referrals exist, once
    call_command("seed_demo", "--physicians", "5", stdout=io.StringIO())
    out = io.StringIO()
    call_command("seed_demo", "--physicians", "5", stdout=out)

    gp = User.objects.get(email=demo.DEMO_GP_EMAIL)
    assert Referral.objects.for_gp(gp).count() == 6
    assert Referral.objects.count() == 6


def test_only_the_demo_app_knows_both_the_directory_and_referrals():
    directory = [path for path in (ROOT / "apps" / "directory").rglob("*.py") if "apps.referrals" in path.read_text()]

    assert directory == []


# --- realism -------------------------------------------------------------------------------------------


def test_npi_check_digits_match_the_validator():
    for stem in ["123456789", "100000001", "199999999", "150000000", "187654321"]:
        assert stem + demo.npi_check_digit(stem) == npi_with_check_digit(stem)
    assert all(npi_check_digit_ok(npi) for npi in demo.demo_npis(2000, 42))
    assert len(set(demo.demo_npis(2000, 42))) == 2000


def test_every_generated_row_passes_model_validation():
    seed("--physicians", "80", "--seed", "11")

    for model in (Physician, PhysicianSpecialty, BoardCertification, PracticeLocation, Affiliation, Institution):
        for instance in model.objects.all():
            instance.full_clean()


def test_seed_demo_fills_the_curators_report_queue_once():
    # given an empty database / when seed_demo runs twice / then the four demo reports exist, open, once
    first = io.StringIO()
    call_command("seed_demo", "--physicians", "5", stdout=first)
    call_command("seed_demo", "--physicians", "5", stdout=io.StringIO())

    reports = ListingReport.objects.open().select_related("physician")
    assert sorted(report.problem for report in reports) == sorted(p for _, p, _ in demo.DEMO_LISTING_REPORTS)
    assert ListingReport.objects.count() == 4
    assert "4 listing reports" in first.getvalue()
    assert {report.physician.account.email for report in reports if hasattr(report.physician, "account")} == set()
