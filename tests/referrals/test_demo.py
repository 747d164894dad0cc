import pytest

from apps.accounts.models import Role, User
from apps.referrals.demo import DEMO_GP_EMAIL, DEMO_ONCOLOGIST_EMAIL, seed_demo_referrals
from apps.referrals.models import Referral
from tests.factories import PhysicianFactory

pytestmark = pytest.mark.django_db


def test_demo_referrals_cover_several_states_once_and_send_no_email(mailoutbox, django_capture_on_commit_callbacks):
    gp = User.objects.create_user(DEMO_GP_EMAIL, "x" * 12, full_name="Demo GP", role=Role.GP)
    User.objects.create_user(
        DEMO_ONCOLOGIST_EMAIL, "x" * 12, full_name="Demo Onc", role=Role.ONCOLOGIST, physician=PhysicianFactory()
    )
    with django_capture_on_commit_callbacks(execute=True):
        created = seed_demo_referrals()
    assert created == 6
    statuses = set(Referral.objects.for_gp(gp).values_list("status", flat=True))
    assert statuses == {"draft", "submitted", "info_requested", "accepted", "scheduled", "completed"}
    assert Referral.objects.overdue().count() == 1
    assert mailoutbox == []
    assert seed_demo_referrals() == 0
    assert Referral.objects.count() == 6


def test_demo_referrals_need_the_demo_accounts():
    assert seed_demo_referrals() == 0
