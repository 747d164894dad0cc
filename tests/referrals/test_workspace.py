"""The referral workspace: a summary that says who is waiting on whom and what happens next, only the actions
this user can take now (the main choice first, each its own short form), messages and events as one timeline,
and a printable referral letter."""

import html as html_text
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.referrals import services
from apps.referrals.models import AccessLog, Status
from tests.factories import GPFactory

from .files import PDF

pytestmark = pytest.mark.django_db


def page(client, user, referral) -> str:
    client.force_login(user)
    response = client.get(referral.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def waiting(html: str) -> str:
    said = re.sub(r"<[^>]+>", "", re.search(r'<p class="waiting">(.*?)</p>', html, re.S).group(1))
    return " ".join(html_text.unescape(said).split())


def test_every_status_says_what_happens_next():
    assert set(services.NEXT_STEPS) == set(Status.values)


def test_the_summary_says_who_is_waiting_on_whom(client, gp, oncologist, referral_between):
    referral = referral_between("info_requested")
    assert waiting(page(client, gp, referral)).startswith("Waiting on you. The GP answers the oncologist's question")
    assert waiting(page(client, oncologist, referral)).startswith(f"Waiting on {gp.full_name}.")
    accepted = referral_between("accepted")
    assert waiting(page(client, gp, accepted)).startswith(f"Waiting on {oncologist.physician.display_name}.")
    closed = referral_between("acknowledged")
    assert waiting(page(client, gp, closed)) == "Closed: the GP has acknowledged the outcome."


def test_only_the_actions_open_now_main_choice_first_each_its_own_form(client, oncologist, referral_between):
    html = page(client, oncologist, referral_between("under_review"))
    offered = re.findall(r'class="action action-([a-z_]+)"', html)
    assert offered == ["accept", "request_info", "reject"]
    # a choice with fields opens its own short form; one without is a button
    assert '<details class="action action-reject">' in html and "<summary>Reject</summary>" in html
    draft = referral_between("draft")
    assert '<div class="action action-submit">' in page(client, draft.referring_gp, draft)


def test_a_form_with_errors_comes_back_open(client, oncologist, referral_between):
    referral = referral_between("under_review")
    client.force_login(oncologist)
    response = client.post(
        f"/referrals/{referral.pk}/actions/reject/", {"version": referral.version, "reason_code": "out_of_scope"}
    )
    assert response.status_code == 400
    assert '<details class="action action-reject" open>' in response.content.decode()


def test_messages_and_events_are_one_timeline_in_time_order(client, gp, oncologist, referral_between):
    referral = referral_between("submitted")
    services.message_create(referral=referral, by=gp, body="Patient prefers mornings.")
    referral.refresh_from_db()
    services.referral_open(referral=referral, by=oncologist, version=referral.version)
    referral.refresh_from_db()
    services.message_create(referral=referral, by=oncologist, body="Mornings are fine.")
    html = page(client, gp, referral)
    timeline = html[html.index('id="timeline-heading"') :]
    order = [
        timeline.index(text)
        for text in ("created as a draft", "Patient prefers mornings.", "Under review", "Mornings are fine.")
    ]
    assert order == sorted(order)


def test_the_letter_has_what_the_receiving_practice_needs_and_is_logged(client, gp, oncologist, referral_between):
    referral = referral_between("submitted", history="Mother had breast cancer at 45.", allergies="")
    services.attachment_add(referral=referral, by=gp, upload=SimpleUploadedFile("mammogram.pdf", PDF))
    client.force_login(oncologist)
    response = client.get(f"/referrals/{referral.pk}/letter/")
    assert response.status_code == 200
    html = response.content.decode()
    for expected in (
        referral.reference, referral.patient_last_name, "1961", referral.patient_phone, gp.full_name,
        oncologist.physician.display_name, referral.clinical_question, "Mother had breast cancer at 45.",
        "mammogram.pdf", "Allergies</dt><dd>None given.",
    ):  # fmt: skip
        assert str(expected) in html, expected
    assert AccessLog.objects.filter(
        user=oncologist, action="view", detail="letter", object_id=str(referral.pk)
    ).exists()


def test_the_letter_is_for_the_parties_only(client, referral_between):
    referral = referral_between("submitted")
    client.force_login(GPFactory())
    assert client.get(f"/referrals/{referral.pk}/letter/").status_code == 404
    assert AccessLog.objects.filter(detail="refused").exists()


def test_the_letter_runs_a_fixed_number_of_queries(client, gp, referral_between, django_assert_num_queries):
    referral = referral_between("submitted")
    client.force_login(gp)
    client.get(f"/referrals/{referral.pk}/letter/")
    for name in ("a.pdf", "b.pdf", "c.pdf"):
        services.attachment_add(referral=referral, by=gp, upload=SimpleUploadedFile(name, PDF))
    # session, user, the referral with its parties, the access log row, the attachments
    with django_assert_num_queries(5):
        assert client.get(f"/referrals/{referral.pk}/letter/").status_code == 200
