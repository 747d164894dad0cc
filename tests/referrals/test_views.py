import datetime
import hashlib
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from apps.accounts.middleware import LAST_ACTIVITY_KEY
from apps.referrals import services
from apps.referrals.models import AccessLog, Attachment, Referral
from tests.factories import PracticeLocationFactory, cancer_type

from .factories import make_referral
from .files import PDF, PNG

pytestmark = pytest.mark.django_db


def form_data(**overrides):
    data = {
        "patient_first_name": "Ada",
        "patient_last_name": "Quilliam",
        "patient_date_of_birth": "1961-03-14",
        "patient_sex": "F",
        "patient_phone": "212-555-0199",
        "priority": "urgent_suspected_cancer",
        "cancer_type": cancer_type("breast").pk,
        "icd10_code": "C50.911",
        "clinical_question": "Palpable lump: please assess.",
        "patient_consent": "on",
    }
    data.update(overrides)
    return data


# -- GP: referring -------------------------------------------------------------------------------


def test_the_form_saves_a_draft_and_logs_the_write(client, gp, oncologist):
    PracticeLocationFactory(physician=oncologist.physician)
    client.force_login(gp)
    url = reverse("referrals:create", args=[oncologist.physician.npi])

    page = client.get(url)
    assert page.status_code == 200
    assert b"not accepting new patients" not in page.content

    response = client.post(url, form_data(save="1"))

    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response["Location"] == referral.get_absolute_url()
    assert (referral.status, referral.referring_gp, referral.oncologist) == ("draft", gp, oncologist.physician)
    assert AccessLog.objects.filter(user=gp, action="create", object_id=str(referral.pk)).count() == 1
    # no patient data in the URL
    assert "Quilliam" not in response["Location"]


def test_the_form_submits_straight_away(client, gp, oncologist, mailoutbox, django_capture_on_commit_callbacks):
    client.force_login(gp)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("referrals:create", args=[oncologist.physician.npi]), form_data(submit="1"))
    referral = Referral.objects.get()
    assert referral.status == "submitted"
    assert referral.response_due_at > timezone.now()
    assert [m.to for m in mailoutbox] == [[oncologist.email]]


def test_the_form_warns_when_the_physician_is_not_accepting(client, gp, oncologist):
    PracticeLocationFactory(physician=oncologist.physician, accepting_new_patients=False)
    client.force_login(gp)
    page = client.get(reverse("referrals:create", args=[oncologist.physician.npi]))
    assert b"not accepting new patients" in page.content


def test_an_open_referral_for_the_same_patient_is_warned_about_before_saving(client, gp, oncologist):
    existing = make_referral("under_review", referring_gp=gp, oncologist=oncologist.physician)
    client.force_login(gp)
    url = reverse("referrals:create", args=[oncologist.physician.npi])

    first = client.post(url, form_data(patient_first_name="ADA", save="1"))
    assert first.status_code == 400  # the service refuses it until the GP confirms
    assert b"already has an open referral" in first.content
    assert existing.reference.encode() in first.content
    assert Referral.objects.count() == 1

    confirmed = client.post(url, form_data(save="1", confirm_duplicate="1"))
    assert confirmed.status_code == 302
    assert Referral.objects.count() == 2


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"clinical_question": ""}, "clinical_question"),
        ({"icd10_code": "breast"}, "icd10_code"),
        ({"patient_date_of_birth": "2999-01-01"}, "patient_date_of_birth"),
    ],
    ids=["no-question", "bad-icd10", "future-birth"],
)
def test_bad_input_is_a_form_error_and_saves_nothing(client, gp, oncologist, overrides, field):
    client.force_login(gp)
    response = client.post(
        reverse("referrals:create", args=[oncologist.physician.npi]), form_data(save="1", **overrides)
    )
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert Referral.objects.count() == 0


def test_submitting_without_consent_is_refused_with_a_message(client, gp, oncologist):
    client.force_login(gp)
    data = form_data(submit="1")
    del data["patient_consent"]
    response = client.post(reverse("referrals:create", args=[oncologist.physician.npi]), data)
    assert response.status_code == 400
    assert services.CONSENT_REQUIRED in response.content.decode()
    assert Referral.objects.count() == 0


def test_oncologists_cannot_refer(client, oncologist):
    client.force_login(oncologist)
    response = client.get(reverse("referrals:create", args=[oncologist.physician.npi]))
    assert response.status_code == 403


def test_the_gp_edits_and_submits_a_draft_then_cannot_delete_it(client, gp, referral_between):
    draft = referral_between("draft")
    client.force_login(gp)
    response = client.post(
        reverse("referrals:edit", args=[draft.pk]), form_data(version=draft.version, history="New history.", submit="1")
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.status, draft.history, draft.version) == ("submitted", "New history.", 3)

    refused = client.post(reverse("referrals:delete", args=[draft.pk]), {"version": draft.version})
    assert refused.status_code == 302
    assert Referral.objects.filter(pk=draft.pk).exists()


def test_the_gp_deletes_a_draft(client, gp, referral_between):
    draft = referral_between("draft")
    client.force_login(gp)
    response = client.post(reverse("referrals:delete", args=[draft.pk]), {"version": draft.version})
    assert response.status_code == 302
    assert not Referral.objects.filter(pk=draft.pk).exists()
    assert AccessLog.objects.filter(action="delete", object_id=str(draft.pk)).count() == 1


# -- transitions over HTTP --------------------------------------------------------------------------


def test_a_transition_through_the_page_works_and_is_logged(client, oncologist, referral_between):
    referral = referral_between("under_review")
    client.force_login(oncologist)
    response = client.post(reverse("referrals:action", args=[referral.pk, "accept"]), {"version": referral.version})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == "accepted"
    assert AccessLog.objects.filter(action="transition", detail="accept", object_id=str(referral.pk)).count() == 1


def test_a_wrong_role_gets_403_and_a_wrong_state_409_and_nothing_changes(client, gp, oncologist, referral_between):
    referral = referral_between("under_review")
    client.force_login(gp)
    forbidden = client.post(reverse("referrals:action", args=[referral.pk, "accept"]), {"version": referral.version})
    assert forbidden.status_code == 403

    client.force_login(oncologist)
    conflict = client.post(
        reverse("referrals:action", args=[referral.pk, "complete"]),
        {"version": referral.version, "findings": "x", "recommendations": "y"},
    )
    assert conflict.status_code == 409
    assert services.WRONG_STATE in conflict.content.decode()

    stale = client.post(
        reverse("referrals:action", args=[referral.pk, "accept"]), {"version": referral.version - 1 or 99}
    )
    assert stale.status_code == 409
    referral.refresh_from_db()
    assert (referral.status, referral.version, referral.events.count()) == ("under_review", 1, 0)


def test_a_rejection_without_comment_is_a_form_error(client, oncologist, referral_between):
    referral = referral_between("under_review")
    client.force_login(oncologist)
    response = client.post(
        reverse("referrals:action", args=[referral.pk, "reject"]), {"version": referral.version, "reason_code": "other"}
    )
    assert response.status_code == 400
    referral.refresh_from_db()
    assert referral.status == "under_review"


def test_an_unknown_action_is_404(client, oncologist, referral_between):
    referral = referral_between("under_review")
    client.force_login(oncologist)
    assert client.post(reverse("referrals:action", args=[referral.pk, "teleport"]), {"version": 1}).status_code == 404


def test_the_oncologist_opening_a_submitted_referral_puts_it_under_review(client, oncologist, referral_between):
    referral = referral_between("submitted")
    client.force_login(oncologist)
    response = client.get(referral.get_absolute_url())
    assert response.status_code == 200
    referral.refresh_from_db()
    assert referral.status == "under_review"
    assert referral.first_reviewed_at is not None
    assert b"Quilliam" in response.content
    assert AccessLog.objects.filter(user=oncologist, action="view", object_id=str(referral.pk)).count() == 1


def test_the_oncologist_never_sees_drafts(client, oncologist, referral_between):
    draft = referral_between("draft")
    client.force_login(oncologist)
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert draft.reference.encode() not in client.get(reverse("referrals:list")).content


def test_the_detail_page_shows_the_full_timeline(client, gp, oncologist, referral_between):
    referral = referral_between("under_review")
    referral = services.referral_request_info(referral=referral, by=oncologist, version=1, question="Biopsy?")
    referral = services.referral_respond(referral=referral, by=gp, version=referral.version, answer="Booked.")
    client.force_login(gp)
    content = client.get(referral.get_absolute_url()).content.decode()
    assert "Requested information" in content and "Biopsy?" in content
    assert "Answered the information request" in content and "Booked." in content


# -- lists --------------------------------------------------------------------------------------


def test_the_gp_dashboard_puts_overdue_first_and_groups_by_status(
    client, gp, referral_between, django_assert_max_num_queries
):
    overdue = referral_between("submitted", response_due_at=timezone.now() - datetime.timedelta(hours=1))
    fresh = referral_between("submitted")
    draft = referral_between("draft")
    completed = referral_between("completed")
    client.force_login(gp)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("referrals:list"))
    assert response.status_code == 200
    assert [r.pk for r in response.context["overdue"]] == [overdue.pk]
    groups = dict(response.context["groups"])
    assert [r.pk for r in groups["Submitted"]] == [fresh.pk]
    assert [r.pk for r in groups["Draft"]] == [draft.pk]
    assert [label for label, _ in response.context["groups"]] == ["Completed", "Draft", "Submitted"]
    assert completed.pk in [r.pk for r in groups["Completed"]]
    assert AccessLog.objects.filter(user=gp, action="list", object_id="").count() == 1


def test_the_dashboard_query_count_does_not_grow_with_referrals(
    client, gp, referral_between, django_assert_max_num_queries
):
    for status in ["draft", "submitted", "accepted", "scheduled", "completed", "rejected"] * 5:
        referral_between(status)
    client.force_login(gp)
    with django_assert_max_num_queries(9):  # the closed referrals' count for their pages included
        response = client.get(reverse("referrals:list"))
    assert sum(len(items) for _, items in response.context["groups"]) == 30


def test_the_inbox_filters_by_status_and_priority_overdue_first(
    client, oncologist, referral_between, django_assert_max_num_queries
):
    routine = referral_between("under_review", priority="routine")
    urgent = referral_between("under_review", priority="urgent")
    late = referral_between(
        "submitted", priority="routine", response_due_at=timezone.now() - datetime.timedelta(days=1)
    )
    accepted = referral_between("accepted", priority="urgent")
    referral_between("draft")
    referral_between("rejected")
    for _ in range(10):
        referral_between("scheduled")
    client.force_login(oncologist)

    with django_assert_max_num_queries(8):
        everything = client.get(reverse("referrals:list"))
    ordered = [r.pk for r in everything.context["referrals"]]
    assert ordered[0] == late.pk
    assert ordered.index(urgent.pk) < ordered.index(routine.pk)
    assert len(ordered) == 14

    filtered = client.get(reverse("referrals:list"), {"status": ["under_review", "accepted"], "priority": "urgent"})
    assert [r.pk for r in filtered.context["referrals"]] == [urgent.pk, accepted.pk] or {
        r.pk for r in filtered.context["referrals"]
    } == {urgent.pk, accepted.pk}

    nonsense = client.get(reverse("referrals:list"), {"status": "bogus", "priority": "<script>"})
    assert nonsense.status_code == 400  # the same refusal as the API's, with the same messages
    assert nonsense.context["referrals"] == []
    assert "Unknown value “bogus”" in nonsense.content.decode()
    assert "<script>" not in nonsense.content.decode()


def test_the_inbox_pages_through_every_referral_in_order_keeping_the_filters(
    client, oncologist, referral_between, monkeypatch, django_assert_max_num_queries
):
    from apps.referrals import views

    monkeypatch.setattr(views, "INBOX_SHOWN", 4)
    urgent = [referral_between("under_review", priority="urgent") for _ in range(3)]
    routine = [referral_between("under_review", priority="routine") for _ in range(7)]
    referral_between("accepted", priority="urgent")  # filtered out below
    client.force_login(oncologist)

    pages, url = [], f"{reverse('referrals:list')}?status=under_review"
    while url:
        with django_assert_max_num_queries(8):
            response = client.get(url)
        pages.append([r.pk for r in response.context["referrals"]])
        html = response.content.decode()
        next_link = re.search(r'<a href="\?([^"]+)" rel="next">', html)
        url = f"{reverse('referrals:list')}?{next_link.group(1).replace('&amp;', '&')}" if next_link else None

    # Every referral of the filter exactly once, urgent first, four a page, the filter kept on each link
    assert [len(page) for page in pages] == [4, 4, 2]
    shown = [pk for page in pages for pk in page]
    assert sorted(shown) == sorted(r.pk for r in urgent + routine)
    assert set(shown[:3]) == {r.pk for r in urgent}
    assert "Page 3 of 3 (10 referrals" in html


@pytest.mark.parametrize("page", ["0", "-1", "abc", "999", "1e9", "2\x00"])
def test_a_bad_inbox_page_number_shows_a_page_not_an_error(client, oncologist, referral_between, monkeypatch, page):
    from apps.referrals import views

    monkeypatch.setattr(views, "INBOX_SHOWN", 2)
    for _ in range(3):
        referral_between("submitted")
    client.force_login(oncologist)

    response = client.get(reverse("referrals:list"), {"page": page})

    assert response.status_code == 200
    assert len(response.context["referrals"]) in (1, 2)


def test_the_gp_reaches_every_closed_referral_a_page_at_a_time(client, gp, referral_between, monkeypatch):
    from apps.referrals import views

    monkeypatch.setattr(views, "RECENT_CLOSED_SHOWN", 3)
    still_open = referral_between("submitted")
    closed = [referral_between("acknowledged") for _ in range(7)]
    client.force_login(gp)

    seen = []
    for number in (1, 2, 3):
        response = client.get(reverse("referrals:list"), {"closed_page": number})
        shown = [r.pk for _, items in response.context["groups"] for r in items]
        assert still_open.pk in shown  # open referrals on every page
        seen.append([pk for pk in shown if pk != still_open.pk])

    assert [len(page) for page in seen] == [3, 3, 1]
    assert sorted(pk for page in seen for pk in page) == sorted(r.pk for r in closed)
    assert seen[0][0] == closed[-1].pk  # the most recently closed first
    last_page = response.content.decode()
    assert 'href="?closed_page=2" rel="prev">More recent closed referrals' in last_page
    assert "Older closed referrals" not in last_page


def test_curators_land_on_the_figures_page(client, curator, referral_between):
    referral = referral_between("submitted")
    services.referral_accept(referral=referral, by=referral.oncologist.account, version=1)
    client.force_login(curator)
    response = client.get(reverse("referrals:list"), follow=True)
    assert response.status_code == 200
    (name, npi, referrals, to_review, to_decision, within) = response.context["figures"]["response"].rows[0]
    assert (npi, referrals, within) == (referral.oncologist.npi, 1, "100% (1 of 1)")
    assert to_decision != "–"
    assert b"Quilliam" not in response.content


def test_gps_cannot_see_the_figures(client, gp):
    client.force_login(gp)
    assert client.get(reverse("referrals:figures")).status_code == 403


# -- messages and attachments -------------------------------------------------------------------


def test_both_parties_write_in_one_thread(client, gp, oncologist, referral_between):
    referral = referral_between("under_review")
    client.force_login(gp)
    client.post(reverse("referrals:message-create", args=[referral.pk]), {"body": "Any news?"})
    client.force_login(oncologist)
    client.post(reverse("referrals:message-create", args=[referral.pk]), {"body": "Reviewing today."})
    assert list(referral.messages.values_list("body", flat=True)) == ["Any news?", "Reviewing today."]
    assert AccessLog.objects.filter(action="create", object_type="message").count() == 2


def upload(client, referral, name, content):
    return client.post(
        reverse("referrals:attachment-upload", args=[referral.pk]), {"file": SimpleUploadedFile(name, content)}
    )


def stored_files(settings):
    folder = settings.PRIVATE_MEDIA_ROOT / "referrals"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_a_pdf_is_stored_privately_with_its_sha256_and_downloaded_as_an_attachment(
    client, gp, referral_between, settings
):
    referral = referral_between("submitted")
    client.force_login(gp)
    response = upload(client, referral, "scan.pdf", PDF)
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.content_type == "application/pdf"
    assert attachment.sha256 == hashlib.sha256(PDF).hexdigest()
    assert attachment.size == len(PDF)
    assert stored_files(settings) == [attachment.path]
    assert str(settings.PRIVATE_MEDIA_ROOT) in str(attachment.path)

    download = client.get(attachment.get_absolute_url())
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == PDF
    assert AccessLog.objects.filter(action="download", object_id=str(attachment.pk)).count() == 1


def test_a_png_named_pdf_is_stored_as_png(client, gp, referral_between):
    referral = referral_between("submitted")
    client.force_login(gp)
    upload(client, referral, "looks-like.pdf", PNG)
    assert Attachment.objects.get().content_type == "image/png"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("report.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, services.FILE_TYPE_REFUSED),
        ("report.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 200, services.FILE_TYPE_REFUSED),
        ("scan.pdf", b"%PDF-" + b"0" * (11 * 1024 * 1024), services.FILE_TOO_LARGE),
        ("empty.pdf", b"", services.FILE_EMPTY),
    ],
    ids=["windows-exe-renamed-pdf", "elf-renamed-pdf", "eleven-mb", "empty"],
)
def test_bad_files_are_refused_with_a_clear_message_and_nothing_is_stored(
    client, gp, referral_between, settings, name, content, message
):
    referral = referral_between("submitted")
    client.force_login(gp)
    response = upload(client, referral, name, content)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Attachment.objects.count() == 0
    assert stored_files(settings) == []


def test_no_attachments_on_a_closed_referral(client, gp, referral_between, settings):
    referral = referral_between("cancelled", closing_reason="moved")
    client.force_login(gp)
    response = upload(client, referral, "scan.pdf", PDF)
    assert response.status_code == 409
    assert Attachment.objects.count() == 0
    assert stored_files(settings) == []


# -- sessions -----------------------------------------------------------------------------------


def test_an_idle_session_ends_on_referral_pages(client, gp, referral_between, settings):
    referral = referral_between("submitted")
    client.force_login(gp)
    assert client.get(referral.get_absolute_url()).status_code == 200
    assert client.session.get_expiry_age() <= settings.SESSION_IDLE_SECONDS

    session = client.session
    session[LAST_ACTIVITY_KEY] = session[LAST_ACTIVITY_KEY] - settings.SESSION_IDLE_SECONDS - 1
    session.save()

    response = client.get(referral.get_absolute_url())
    assert response.status_code == 403
    assert b"Quilliam" not in response.content
    assert b"Sign in" in response.content
    assert client.get(reverse("referrals:list")).status_code == 403


def test_an_active_session_stays_signed_in(client, gp, referral_between, settings):
    referral = referral_between("submitted")
    client.force_login(gp)
    client.get(referral.get_absolute_url())
    session = client.session
    session[LAST_ACTIVITY_KEY] = session[LAST_ACTIVITY_KEY] - settings.SESSION_IDLE_SECONDS + 60
    session.save()
    assert client.get(referral.get_absolute_url()).status_code == 200


# -- sign in ------------------------------------------------------------------------------------


def test_sign_in_with_email_and_password_lands_on_the_referrals(client, gp):
    page = client.get(reverse("accounts:login"))
    assert page.status_code == 200
    response = client.post(reverse("accounts:login"), {"username": gp.email, "password": "a-long-test-password"})
    assert response.status_code == 302
    assert response["Location"] == reverse("referrals:list")
    client.logout()
    bad = client.post(reverse("accounts:login"), {"username": gp.email, "password": "wrong"})
    assert bad.status_code == 200
    assert b"did not match" in bad.content


def test_sign_out_is_a_post(client, gp):
    client.force_login(gp)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_the_figures_page_has_a_fixed_query_count(client, curator, django_assert_num_queries):
    for _ in range(6):
        referral = make_referral("submitted")
        services.referral_accept(referral=referral, by=referral.oncologist.account, version=referral.version)
    client.force_login(curator)
    # session, user, then one per figure: weekly volume, response times, verification, open reports
    with django_assert_num_queries(6):
        response = client.get(reverse("referrals:figures"))
    rows = response.context["figures"]["response"].rows
    assert len(rows) == 6
    assert all(row[-1] == "100% (1 of 1)" for row in rows)


def test_the_dashboard_shows_every_open_referral_but_only_the_recent_closed_ones(
    client, gp, referral_between, settings
):
    from apps.referrals import views

    open_ones = [referral_between("submitted") for _ in range(3)]
    closed = [referral_between("acknowledged") for _ in range(views.RECENT_CLOSED_SHOWN + 2)]
    client.force_login(gp)
    response = client.get(reverse("referrals:list"))
    shown = [r.pk for _, items in response.context["groups"] for r in items]
    assert {r.pk for r in open_ones} <= set(shown)
    assert len([pk for pk in shown if pk in {r.pk for r in closed}]) == views.RECENT_CLOSED_SHOWN
    assert closed[0].pk not in shown and closed[-1].pk in shown  # the oldest are left out
