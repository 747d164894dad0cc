"""Finding 4: closing a referral from the admin needs the clinical permission (as on page and API) and the
explicit "change referral" permission."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from apps.referrals.models import AccessLog
from tests.referrals.factories import make_referral

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:referrals_referral_changelist")


def grant(user, *codenames):
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return type(user).objects.get(pk=user.pk)  # a fresh instance: permissions are cached per instance


def enter_in_error(client, referral):
    data = {"action": "enter_in_error", "_selected_action": [str(referral.pk)], "confirm": "1", "reason": "dup"}
    return client.post(CHANGELIST, data, follow=True)


@pytest.mark.parametrize(
    "codenames",
    [(), ("view_clinical_data",), ("change_referral",)],
    ids=["no-permission", "clinical-only", "change-only"],
)
def test_a_curator_without_both_permissions_cannot_close_a_referral(client, curator, mailoutbox, codenames):
    referral = make_referral("accepted")
    client.force_login(grant(curator, *codenames))

    listing = client.get(CHANGELIST)
    response = enter_in_error(client, referral)

    assert b"enter_in_error" not in listing.content  # not offered
    assert response.status_code == 200
    referral.refresh_from_db()
    assert (referral.status, referral.events.count(), len(mailoutbox)) == ("accepted", 0, 0)
    assert not AccessLog.objects.filter(action="transition").exists()


def test_a_curator_with_both_permissions_closes_it(client, curator, django_capture_on_commit_callbacks):
    referral = make_referral("accepted")
    client.force_login(grant(curator, "view_clinical_data", "change_referral"))

    with django_capture_on_commit_callbacks(execute=True):
        enter_in_error(client, referral)

    referral.refresh_from_db()
    assert referral.status == "entered_in_error"
