"""The review queue in the admin: confirming, rejecting, and linking by hand."""

import pytest
from django.urls import reverse

from apps.trials.models import InvestigatorMatch, Trial

from .ctgov_files import site, study, write_zip
from .test_matching import physician

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_candidates(import_trials, tmp_path):
    first, second = physician("Jane", "Doe"), physician("Jane", "Doe")
    document = study(1, sites=[site(contacts=[("Jane Doe", "PRINCIPAL_INVESTIGATOR")])])
    import_trials(write_zip(tmp_path / "a.zip", [document]))
    return first, second


def test_the_queue_lists_pending_pairs_and_a_curator_confirms_one(admin_client, admin_user, two_candidates):
    first, second = two_candidates
    url = reverse("admin:trials_investigatormatch_changelist")
    page = admin_client.get(url, {"status__exact": "pending"})
    assert page.status_code == 200
    assert page.context["cl"].result_count == 2
    chosen = InvestigatorMatch.objects.get(physician=first)
    response = admin_client.post(url, {"action": "confirm", "_selected_action": [chosen.pk]})
    assert response.status_code == 302
    assert dict(InvestigatorMatch.objects.values_list("physician_id", "status")) == {
        first.pk: "confirmed",
        second.pk: "pending",
    }
    assert InvestigatorMatch.objects.get(physician=first).decided_by == admin_user


def test_rejecting_twice_changes_nothing_the_second_time(admin_client, two_candidates):
    first, _ = two_candidates
    url = reverse("admin:trials_investigatormatch_changelist")
    chosen = InvestigatorMatch.objects.get(physician=first)
    admin_client.post(url, {"action": "reject", "_selected_action": [chosen.pk]})
    decided_at = InvestigatorMatch.objects.get(pk=chosen.pk).decided_at
    admin_client.post(url, {"action": "confirm", "_selected_action": [chosen.pk]})
    chosen.refresh_from_db()
    assert (chosen.status, chosen.decided_at) == ("rejected", decided_at)


def test_a_curator_links_by_hand_in_the_admin(admin_client, import_trials, tmp_path):
    document = study(1, officials=[("Dr. Ann Lee", "Elsewhere Clinic", "STUDY_CHAIR")])
    import_trials(write_zip(tmp_path / "a.zip", [document]))
    doctor = physician("Ann", "Lee-Park", city="Austin", state="TX", zip_code="78701")
    response = admin_client.post(
        reverse("admin:trials_investigatormatch_add"),
        {"trial": Trial.objects.get().pk, "name": "Dr. Ann Lee", "physician": doctor.pk},
    )
    assert response.status_code == 302
    match = InvestigatorMatch.objects.get()
    assert (match.name_key, match.physician_id, match.status, match.reasons) == (
        "ann lee",
        doctor.pk,
        "confirmed",
        "curator",
    )


def test_the_study_pages_are_read_only(admin_client, import_trials, tmp_path):
    import_trials(write_zip(tmp_path / "a.zip", [study(1)]))
    trial = Trial.objects.get()
    assert admin_client.get(reverse("admin:trials_trial_change", args=[trial.pk])).status_code == 200
    assert admin_client.get(reverse("admin:trials_trial_add")).status_code == 403
