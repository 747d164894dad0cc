"""Investigators matched to directory physicians: by name and place, only confident ones linked."""

import datetime

import pytest

from apps.trials import matching
from apps.trials.models import Investigator, InvestigatorMatch
from apps.trials.services import investigator_link, investigator_match_decide
from tests.factories import (
    AffiliationFactory,
    InstitutionFactory,
    PhysicianFactory,
    PracticeLocationFactory,
    UserFactory,
)

from .ctgov_files import site, study, write_zip

pytestmark = pytest.mark.django_db

BOSTON = {"city": "Boston", "state": "MA", "zip_code": "02215"}


def physician(first, last, middle="", **place):
    doctor = PhysicianFactory(first_name=first, last_name=last, middle_name=middle)
    PracticeLocationFactory(physician=doctor, **(place or BOSTON))
    return doctor


def boston_study(number=1, *people):
    """A study with one Boston site whose contacts are `people` (principal investigators)."""
    return study(number, sites=[site(contacts=[(name, "PRINCIPAL_INVESTIGATOR") for name in people])])


def matches() -> list[tuple[str, int, str]]:
    return sorted(InvestigatorMatch.objects.values_list("name_key", "physician_id", "status"))


def test_an_exact_name_in_the_same_city_is_linked(import_trials, tmp_path):
    doctor = physician("Jane", "Doe")
    import_trials(write_zip(tmp_path / "a.zip", [boston_study(1, "Jane Doe")]))
    match = InvestigatorMatch.objects.get()
    assert (match.name_key, match.physician_id, match.status, match.reasons) == (
        "jane doe",
        doctor.pk,
        "auto",
        "name,place",
    )
    assert match.confidence == pytest.approx(matching.AUTO_LINK_CONFIDENCE)
    assert list(InvestigatorMatch.objects.linked()) == [match]


@pytest.mark.parametrize(
    "written",
    [
        pytest.param("José García-López", id="accents"),
        pytest.param("Dr. Jose A. Garcia-Lopez", id="dr-and-middle-initial"),
        pytest.param("Jose Garcia-Lopez, MD, PhD", id="credentials-after-comma"),
        pytest.param("JOSE ANTONIO GARCIA LOPEZ MD", id="capitals-middle-name-credential"),
    ],
)
def test_forms_of_the_same_name_link(import_trials, tmp_path, written):
    doctor = physician("José", "García-López", middle="Antonio")
    import_trials(write_zip(tmp_path / "a.zip", [boston_study(1, written)]))
    assert [(m.physician_id, m.status) for m in InvestigatorMatch.objects.all()] == [(doctor.pk, "auto")]


def test_a_different_middle_initial_is_not_the_same_person(import_trials, tmp_path):
    physician("Jane", "Doe", middle="Beth")
    import_trials(write_zip(tmp_path / "a.zip", [boston_study(1, "Jane Q. Doe")]))
    assert matches() == []


def test_the_same_name_in_another_state_does_not_link(import_trials, tmp_path):
    physician("Jane", "Doe", city="Austin", state="TX", zip_code="78701")
    import_trials(write_zip(tmp_path / "a.zip", [boston_study(1, "Jane Doe")]))
    assert matches() == []


def test_the_same_name_in_the_same_state_but_another_city_waits_for_review(import_trials, tmp_path):
    doctor = physician("Jane", "Doe", city="Worcester", state="MA", zip_code="01608")
    import_trials(write_zip(tmp_path / "a.zip", [boston_study(1, "Jane Doe")]))
    assert matches() == [("jane doe", doctor.pk, "pending")]
    assert not InvestigatorMatch.objects.linked().exists()


def test_two_candidates_in_the_same_city_go_to_review_not_linked(import_trials, tmp_path):
    first, second = physician("Jane", "Doe"), physician("Jane", "Doe")
    import_trials(write_zip(tmp_path / "a.zip", [boston_study(1, "Jane Doe")]))
    assert matches() == sorted([("jane doe", first.pk, "pending"), ("jane doe", second.pk, "pending")])
    assert InvestigatorMatch.objects.to_review().count() == 2


def test_a_rejected_pair_stays_rejected_after_a_reimport(import_trials, tmp_path):
    doctor = physician("Jane", "Doe")
    curator = UserFactory()
    import_trials(write_zip(tmp_path / "a.zip", [boston_study(1, "Jane Doe")]))
    assert investigator_match_decide(matches=InvestigatorMatch.objects.all(), by=curator, confirm=False) == 1
    # when the study changes (its sites and people are rewritten) and is imported again
    changed = boston_study(1, "Jane Doe")
    changed["protocolSection"]["statusModule"]["overallStatus"] = "COMPLETED"
    run = import_trials(write_zip(tmp_path / "b.zip", [changed]))
    assert run.updated == 1
    # then the pair is still rejected, and nothing is linked
    assert matches() == [("jane doe", doctor.pk, "rejected")]
    assert not InvestigatorMatch.objects.linked().exists()


def test_a_confirmed_pair_is_kept_when_a_second_candidate_appears(import_trials, tmp_path):
    doctor = physician("Jane", "Doe")
    import_trials(write_zip(tmp_path / "a.zip", [boston_study(1, "Jane Doe")]))
    investigator_match_decide(matches=InvestigatorMatch.objects.all(), by=UserFactory(), confirm=True)
    other = physician("Jane", "Doe")
    matching.match_all()
    assert matches() == sorted([("jane doe", doctor.pk, "confirmed"), ("jane doe", other.pk, "pending")])


def test_an_automatic_link_becomes_a_review_when_a_second_candidate_appears(import_trials, tmp_path):
    doctor = physician("Jane", "Doe")
    import_trials(write_zip(tmp_path / "a.zip", [boston_study(1, "Jane Doe")]))
    other = physician("Jane", "Doe")
    matching.match_all()
    assert matches() == sorted([("jane doe", doctor.pk, "pending"), ("jane doe", other.pk, "pending")])


def test_an_official_is_matched_through_the_affiliation(import_trials, tmp_path):
    doctor = physician("Ann", "Lee")
    AffiliationFactory(physician=doctor, institution=InstitutionFactory(name="Dana-Farber Cancer Institute"))
    document = study(
        1,
        sites=[site(facility="Dana-Farber Cancer Institute")],
        officials=[("Ann Lee, MD", "Dana-Farber Cancer Institute", "PRINCIPAL_INVESTIGATOR")],
    )
    import_trials(write_zip(tmp_path / "a.zip", [document]))
    match = InvestigatorMatch.objects.get()
    assert (match.physician_id, match.status, match.reasons, match.confidence) == (
        doctor.pk,
        "auto",
        "name,place,affiliation",
        1.0,
    )


def test_contacts_without_an_investigator_role_are_not_matched(import_trials, tmp_path):
    physician("Jane", "Doe")
    document = study(1, sites=[site(contacts=[("Jane Doe", "CONTACT")])])
    import_trials(write_zip(tmp_path / "a.zip", [document]))
    assert matches() == []


def test_an_inactive_physician_is_not_a_candidate(import_trials, tmp_path):
    doctor = physician("Jane", "Doe")
    doctor.is_active, doctor.deactivated_on = False, datetime.date(2026, 1, 5)
    doctor.save()
    import_trials(write_zip(tmp_path / "a.zip", [boston_study(1, "Jane Doe")]))
    assert matches() == []


def test_a_curator_links_by_hand(import_trials, tmp_path):
    import_trials(write_zip(tmp_path / "a.zip", [boston_study(1, "Dr. Jane Doe, MD")]))
    doctor = physician("Janet", "Doe-Smith", city="Austin", state="TX", zip_code="78701")
    curator = UserFactory()
    person = Investigator.objects.get()
    match = investigator_link(trial=person.trial, name=person.name, physician=doctor, by=curator)
    assert (match.name_key, match.status, match.decided_by) == ("jane doe", "confirmed", curator)
    matching.match_all()  # a later run keeps it
    assert matches() == [("jane doe", doctor.pk, "confirmed")]


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Dr. José A. García-López, MD, PhD", "jose a garcia lopez"),
        ("Jane Doe MD", "jane doe"),
        ("Prof. Dr. Ann Lee FACP", "ann lee"),
        ("Kim Anh Do, MD", "kim anh do"),
        ("Ann Lee, Jr.", "ann lee"),
    ],
)
def test_name_keys(db, name, key):
    assert matching.name_key(name) == key
