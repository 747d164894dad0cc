"""Finding 8, second half: a refused read of someone else's referral is logged (without clinical data),
and a list read records which referrals it showed, on the page and in the API alike."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from apps.referrals.models import AccessLog
from tests.factories import GPFactory, OncologistUserFactory
from tests.referrals.factories import CLINICAL_MARKERS, make_referral

pytestmark = pytest.mark.django_db


def assert_clean(rows):
    for row in rows:
        for marker in CLINICAL_MARKERS:
            assert marker not in " ".join(str(v) for v in row.__dict__.values())


def test_a_refused_page_read_of_someone_elses_referral_is_logged(client):
    referral = make_referral("under_review")
    outsider = GPFactory()
    client.force_login(outsider)

    assert client.get(referral.get_absolute_url()).status_code == 404

    rows = list(AccessLog.objects.all())
    assert [(r.user, r.action, r.object_type, r.object_id, r.detail, r.channel) for r in rows] == [
        (outsider, "view", "referral", str(referral.pk), "refused", "page")
    ]
    assert_clean(rows)


@pytest.mark.parametrize(
    "path", ["", "events/", "messages/", "attachments/"], ids=["detail", "events", "messages", "attachments"]
)
def test_a_refused_api_read_of_someone_elses_referral_is_logged(path):
    referral = make_referral("accepted")
    outsider = OncologistUserFactory()
    api = APIClient()
    api.force_authenticate(outsider)

    assert api.get(f"/api/v1/referrals/{referral.pk}/{path}").status_code == 404

    rows = list(AccessLog.objects.all())
    assert [(r.user, r.action, r.object_type, r.object_id, r.detail, r.channel) for r in rows] == [
        (outsider, "view", "referral", str(referral.pk), "refused", "api")
    ]
    assert_clean(rows)


def test_a_refused_write_is_logged_as_refused_too(client):
    referral = make_referral("submitted")
    outsider = GPFactory()
    client.force_login(outsider)
    response = client.post(reverse("referrals:action", args=[referral.pk, "cancel"]), {"version": 1, "reason": "x"})
    assert response.status_code == 404
    assert list(AccessLog.objects.values_list("object_id", "detail")) == [(str(referral.pk), "refused")]


def test_the_api_list_records_which_referrals_it_returned():
    gp = GPFactory()
    mine = [make_referral("submitted", referring_gp=gp) for _ in range(3)]
    make_referral("submitted")  # someone else's: never listed, never logged
    api = APIClient()
    api.force_authenticate(gp)

    response = api.get("/api/v1/referrals/")

    returned = {item["id"] for item in response.json()["results"]}
    assert returned == {str(r.pk) for r in mine}
    listed = AccessLog.objects.filter(user=gp, action="list", channel="api")
    assert set(listed.exclude(object_id="").values_list("object_id", flat=True)) == returned
    assert listed.filter(object_id="").values_list("detail", flat=True).get() == "3 shown"


def test_the_inbox_page_records_which_referrals_it_showed(client):
    oncologist = OncologistUserFactory()
    shown = [make_referral("under_review", oncologist=oncologist.physician) for _ in range(2)]
    make_referral("rejected", oncologist=oncologist.physician)  # not in the default inbox
    client.force_login(oncologist)

    response = client.get(reverse("referrals:list"))

    assert {r.pk for r in response.context["referrals"]} == {r.pk for r in shown}
    listed = AccessLog.objects.filter(user=oncologist, action="list", channel="page").exclude(object_id="")
    assert set(listed.values_list("object_id", flat=True)) == {str(r.pk) for r in shown}


def test_the_gp_dashboard_records_which_referrals_it_showed(client):
    gp = GPFactory()
    shown = [make_referral(status, referring_gp=gp) for status in ("draft", "submitted", "cancelled")]
    client.force_login(gp)
    client.get(reverse("referrals:list"))
    listed = AccessLog.objects.filter(user=gp, action="list").exclude(object_id="")
    assert sorted(listed.values_list("object_id", flat=True)) == sorted(str(r.pk) for r in shown)


def test_recording_the_listed_referrals_is_one_insert_whatever_their_number():
    def queries(count: int) -> int:
        gp = GPFactory()
        for _ in range(count):
            make_referral("submitted", referring_gp=gp)
        api = APIClient()
        api.force_authenticate(gp)
        with CaptureQueriesContext(connection) as captured:
            assert api.get("/api/v1/referrals/").status_code == 200
        return len(captured.captured_queries)

    assert queries(1) == queries(12)
