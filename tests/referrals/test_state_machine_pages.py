"""The same (state, role, action) table through the pages: 302 when allowed, else 403, 409 or 404 (drafts are
invisible to all but their GP), and nothing changes."""

import pytest
from django.urls import reverse

from apps.referrals.models import ReferralEvent

from .cases import ALLOWED, action_kwargs, actor_of, each_case, expected, footprint
from .factories import make_referral

pytestmark = pytest.mark.django_db


def form_kwargs(action):
    data = dict(action_kwargs(action))
    if data.get("appointment_at"):
        data["appointment_at"] = data["appointment_at"].strftime("%Y-%m-%d %H:%M")
    return data


@each_case
def test_every_state_role_action_through_the_pages(client, status, role, action, clinical_curator):
    referral = make_referral(status)
    client.force_login(actor_of(referral, role, clinical_curator))
    before = footprint(referral)

    response = client.post(
        reverse("referrals:action", args=[referral.pk, action]), {"version": referral.version, **form_kwargs(action)}
    )

    referral.refresh_from_db()
    outcome = expected(status, role, action)
    if outcome == "allowed":
        assert response.status_code == 302
        assert referral.status == ALLOWED[(status, role, action)]
        assert ReferralEvent.objects.count() == before[2] + 1
    else:
        if status == "draft" and role != "gp":
            assert response.status_code == 404
        else:
            assert response.status_code == {"permission": 403, "conflict": 409}[outcome]
        assert footprint(referral) == before
