"""Finding 1: the referral changelist's query string can only filter on what the user may see, and every
admin list is logged with its query."""

from urllib.parse import urlencode

import pytest
from django.urls import reverse

from apps.referrals.models import AccessLog
from tests.referrals.factories import make_referral

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:referrals_referral_changelist")


@pytest.mark.parametrize(
    "query",
    [
        "patient_last_name__startswith=Q",
        "patient_first_name__regex=^Ad",
        "clinical_question__icontains=BI-RADS",
        "outcome_diagnosis__icontains=carcinoma",
        "patient_date_of_birth=1961-03-14",
        "replaces__patient_last_name__startswith=Q",
        "events__reason__icontains=x",
        "referring_gp__email__startswith=g",
    ],
    ids=["last-name", "first-name-regex", "clinical-question", "diagnosis", "birth-date", "through-replaces",
         "through-events", "through-gp"],
)  # fmt: skip
def test_a_curator_without_the_clinical_permission_cannot_filter_on_patient_data(client, curator, query):
    referral = make_referral("under_review")
    client.force_login(curator)

    response = client.get(f"{CHANGELIST}?reference={referral.reference}&{query}")

    # Django answers a refused lookup with 400 (DisallowedModelAdminLookup): no row count to read
    assert response.status_code == 400
    assert referral.reference.encode() not in response.content


def test_a_clinical_curator_may_filter_on_what_they_see(client, clinical_curator):
    referral = make_referral("under_review")
    client.force_login(clinical_curator)

    hit = client.get(f"{CHANGELIST}?patient_last_name__startswith=Q")
    miss = client.get(f"{CHANGELIST}?patient_last_name__startswith=Z")

    assert (hit.status_code, miss.status_code) == (200, 200)
    assert referral.reference.encode() in hit.content
    assert referral.reference.encode() not in miss.content


def test_status_filters_still_work_for_every_curator(client, curator):
    accepted, submitted = make_referral("accepted"), make_referral("submitted")
    client.force_login(curator)

    response = client.get(f"{CHANGELIST}?status__exact=accepted&o=1")

    assert response.status_code == 200
    assert accepted.reference.encode() in response.content
    assert submitted.reference.encode() not in response.content


def test_the_access_log_records_the_admin_list_query_and_the_referrals_it_showed(client, curator):
    accepted, _submitted = make_referral("accepted"), make_referral("submitted")
    client.force_login(curator)
    # A long query (every word must match) is kept whole, not cut at the old 100 characters.
    query = urlencode({"status__exact": "accepted", "q": " ".join([accepted.reference] * 12)})

    response = client.get(f"{CHANGELIST}?{query}")

    assert response.status_code == 200
    rows = AccessLog.objects.filter(user=curator, channel="admin", action="list", object_type="referral")
    assert len(query) > 100
    assert rows.get(object_id="").detail == f"1 shown: {query}"
    assert list(rows.exclude(object_id="").values_list("object_id", flat=True)) == [str(accepted.pk)]
