import datetime

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from apps.referrals.models import Referral, add_business_days, response_target_days

from .factories import make_referral

pytestmark = pytest.mark.django_db

FRIDAY = datetime.datetime(2026, 11, 27, 15, 0, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (FRIDAY, 1, datetime.datetime(2026, 11, 30, 15, 0, tzinfo=datetime.UTC)),
        (FRIDAY, 2, datetime.datetime(2026, 12, 1, 15, 0, tzinfo=datetime.UTC)),
        (FRIDAY - datetime.timedelta(days=3), 2, FRIDAY - datetime.timedelta(days=1)),
        (FRIDAY + datetime.timedelta(days=1), 1, datetime.datetime(2026, 11, 30, 15, 0, tzinfo=datetime.UTC)),
    ],
    ids=["friday+1", "friday+2", "tuesday+2", "saturday+1"],
)
def test_business_days_skip_weekends(start, days, expected):
    assert add_business_days(start, days) == expected


def test_response_targets_come_from_settings(settings):
    settings.REFERRAL_RESPONSE_TARGETS = {"routine": 5, "urgent": 2, "urgent_suspected_cancer": 1}
    assert [response_target_days(p) for p in ("routine", "urgent", "urgent_suspected_cancer")] == [5, 2, 1]


def test_overdue_means_awaiting_an_answer_past_the_target():
    past = timezone.now() - datetime.timedelta(minutes=1)
    late = make_referral("submitted", response_due_at=past)
    late_review = make_referral("under_review", response_due_at=past)
    make_referral("accepted", response_due_at=past)  # answered: not overdue
    make_referral("submitted")  # not yet due
    assert set(Referral.objects.overdue()) == {late, late_review}
    assert late.is_overdue
    assert [r.overdue for r in Referral.objects.with_overdue_flag().filter(pk=late.pk)] == [True]


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"status": "scheduled", "appointment_at": None}, "referral_scheduled_has_appointment"),
        ({"status": "rejected", "rejection_reason": ""}, "referral_rejected_has_reason"),
        ({"status": "submitted", "patient_consent": False}, "referral_sent_has_consent"),
    ],
    ids=["scheduled-without-appointment", "rejected-without-reason", "sent-without-consent"],
)
def test_the_database_enforces_each_status_rule(fields, constraint):
    referral = make_referral("draft")
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        Referral.objects.filter(pk=referral.pk).update(**fields)


def test_references_are_short_unique_and_say_nothing_about_the_patient():
    referrals = [make_referral("draft") for _ in range(20)]
    references = {r.reference for r in referrals}
    assert len(references) == 20
    assert all(len(ref) == 10 and ref.startswith("R-") for ref in references)
    assert "Quilliam" not in referrals[0].get_absolute_url()
    assert str(referrals[0].pk) in referrals[0].get_absolute_url()


def test_the_gp_re_refers_a_rejected_referral_from_the_page(client):
    rejected = make_referral("rejected")
    client.force_login(rejected.referring_gp)
    response = client.post(reverse("referrals:action", args=[rejected.pk, "re_refer"]), {"version": rejected.version})
    new = Referral.objects.get(replaces=rejected)
    assert response.status_code == 302
    assert response["Location"] == reverse("referrals:edit", args=[new.pk])
    assert (new.status, new.clinical_question, new.referring_gp) == (
        "draft",
        rejected.clinical_question,
        rejected.referring_gp,
    )
    rejected.refresh_from_db()
    assert rejected.status == "rejected"
    assert new.reference in rejected.events.get().reason
