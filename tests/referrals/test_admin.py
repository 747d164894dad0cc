import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from apps.referrals.models import AccessLog, Referral

from .factories import CLINICAL_MARKERS, OUTCOME_MARKERS, make_referral

pytestmark = pytest.mark.django_db


@pytest.fixture
def referral():
    return make_referral("under_review")


def test_a_curator_without_the_permission_sees_status_and_dates_only(client, curator, referral):
    client.force_login(curator)
    listing = client.get(reverse("admin:referrals_referral_changelist"))
    assert listing.status_code == 200
    assert referral.reference.encode() in listing.content

    page = client.get(reverse("admin:referrals_referral_change", args=[referral.pk]))
    assert page.status_code == 200
    assert b"Under review" in page.content
    for marker in CLINICAL_MARKERS:
        assert marker.encode() not in page.content
    assert (
        AccessLog.objects.filter(user=curator, channel="admin", action="view", object_id=str(referral.pk)).count() == 1
    )
    listed = AccessLog.objects.filter(user=curator, channel="admin", action="list")
    assert sorted(listed.values_list("object_id", "detail")) == [("", "1 shown"), (str(referral.pk), "listed")]


def test_a_curator_with_the_permission_sees_clinical_content_read_only(client, clinical_curator, referral):
    client.force_login(clinical_curator)
    url = reverse("admin:referrals_referral_change", args=[referral.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert b"Quilliam" in page.content and b"BI-RADS" in page.content

    response = client.post(url, {"status": "accepted"})
    assert response.status_code == 403
    referral.refresh_from_db()
    assert referral.status == "under_review"


def test_the_outcome_is_clinical_content_too(client, curator, clinical_curator):
    referral = make_referral("completed")
    url = reverse("admin:referrals_referral_change", args=[referral.pk])
    client.force_login(curator)
    page = client.get(url)
    assert page.status_code == 200
    for marker in OUTCOME_MARKERS:
        assert marker.encode() not in page.content

    client.force_login(clinical_curator)
    page = client.get(url)
    for marker in OUTCOME_MARKERS:
        assert marker.encode() in page.content


def test_the_admin_never_lists_drafts_or_lets_anyone_delete(client, curator):
    draft = make_referral("draft")
    client.force_login(curator)
    listing = client.get(reverse("admin:referrals_referral_changelist"))
    assert draft.reference.encode() not in listing.content
    assert client.get(reverse("admin:referrals_referral_change", args=[draft.pk])).status_code == 302
    assert client.post(reverse("admin:referrals_referral_delete", args=[draft.pk])).status_code in (302, 403)
    assert Referral.objects.filter(pk=draft.pk).exists()


def test_the_changelist_has_a_fixed_query_count(client, curator, django_assert_max_num_queries):
    for status in ["submitted", "accepted", "scheduled"] * 5:
        make_referral(status)
    client.force_login(curator)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("admin:referrals_referral_changelist"))
    assert response.status_code == 200


def test_gps_cannot_open_the_admin(client, gp, referral):
    client.force_login(gp)
    response = client.get(reverse("admin:referrals_referral_change", args=[referral.pk]))
    assert response.status_code == 302
    assert b"Quilliam" not in response.content


def test_a_curator_marks_referrals_entered_in_error_with_a_reason(
    client, clinical_curator, mailoutbox, django_capture_on_commit_callbacks
):
    # the action needs the clinical permission and the explicit "change referral" one (tests/security)
    clinical_curator.user_permissions.add(Permission.objects.get(codename="change_referral"))
    curator = type(clinical_curator).objects.get(pk=clinical_curator.pk)
    referral = make_referral("accepted")
    done = make_referral("entered_in_error", closing_reason="dup")
    client.force_login(curator)
    url = reverse("admin:referrals_referral_changelist")
    data = {"action": "enter_in_error", "_selected_action": [str(referral.pk), str(done.pk)]}

    # the first step asks for a reason and changes nothing
    asked = client.post(url, data)
    assert asked.status_code == 200
    assert b"Reason (required)" in asked.content
    missing = client.post(url, {**data, "confirm": "1", "reason": " "})
    assert b"Give a reason." in missing.content
    referral.refresh_from_db()
    assert referral.status == "accepted"

    # with a reason it goes through the service, once per referral it can apply to
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {**data, "confirm": "1", "reason": "Duplicate of another referral"}, follow=True)
    assert response.status_code == 200
    referral.refresh_from_db()
    assert (referral.status, referral.closing_reason) == ("entered_in_error", "Duplicate of another referral")
    assert referral.events.get().actor == curator
    assert AccessLog.objects.filter(channel="admin", action="transition", object_id=str(referral.pk)).count() == 1
    assert len(mailoutbox) == 1
    assert done.reference.encode() in response.content  # the one already closed is reported, not changed
