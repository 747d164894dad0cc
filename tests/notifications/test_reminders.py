"""The scheduled reminders: referrals nearing or past their answer-by time, and listings a year unverified. Each
is queued once however often its schedule runs."""

import datetime

import pytest
from django.utils import timezone

from apps.directory.services import listing_verification_reminders_queue
from apps.notifications.models import Notification
from apps.referrals.services import referral_reminders_queue
from tests.factories import OncologistUserFactory
from tests.referrals.factories import make_referral

pytestmark = pytest.mark.django_db


def due_in(referral, delta):
    referral.response_due_at = timezone.now() + delta
    referral.save(update_fields=["response_due_at"])
    return referral


def test_a_referral_due_soon_reminds_its_oncologist_once(mailoutbox):
    referral = due_in(make_referral("submitted"), datetime.timedelta(hours=5))
    due_in(make_referral("submitted"), datetime.timedelta(days=3))  # not yet near
    due_in(make_referral("accepted"), datetime.timedelta(hours=5))  # answered already

    assert referral_reminders_queue() == 1
    assert referral_reminders_queue() == 0  # the next hour's run

    notification = Notification.objects.get()
    assert notification.recipients == [referral.oncologist.account.email]
    assert referral.reference in notification.subject
    assert "due soon" in notification.subject
    assert f"/referrals/{referral.pk}/" in notification.body


def test_an_overdue_referral_reminds_both_parties_once_per_answer_by_time():
    referral = due_in(make_referral("under_review"), -datetime.timedelta(hours=2))

    assert referral_reminders_queue() == 1
    notification = Notification.objects.get()
    assert notification.recipients == [referral.oncologist.account.email, referral.referring_gp.email]
    assert "overdue" in notification.subject
    assert referral_reminders_queue() == 0

    # a restarted clock (the GP answered a question) that runs out again is reminded again
    due_in(referral, -datetime.timedelta(minutes=5))
    assert referral_reminders_queue() == 1
    assert Notification.objects.count() == 2


def test_a_listing_a_year_unverified_reminds_its_oncologist_once():
    today = timezone.localdate()
    stale = OncologistUserFactory(physician__last_verified_on=today - datetime.timedelta(days=400))
    never = OncologistUserFactory(physician__last_verified_on=None)
    OncologistUserFactory(physician__last_verified_on=today - datetime.timedelta(days=300))  # recent enough
    OncologistUserFactory(physician__last_verified_on=None, is_active=False)  # no working account

    assert listing_verification_reminders_queue() == 2
    assert listing_verification_reminders_queue() == 0
    assert sorted(r for n in Notification.objects.all() for r in n.recipients) == sorted([stale.email, never.email])
    assert "/my-listing/" in Notification.objects.first().body
