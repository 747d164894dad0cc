"""The page and the API are two doors to one set of referral rules: each case here runs through both, on
two referrals in the same state between the same people, and the outcomes must be the same: status code
class, the referral's resulting state, its events, the access-log rows, the emails, the validation errors
(same field, same message) and, for lists, the results."""

import datetime
import re

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.utils import ContextList
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from apps.referrals import services
from apps.referrals.models import AccessLog, Attachment, Message, Referral
from tests.factories import GPFactory, OncologistUserFactory, cancer_type

from .factories import make_referral
from .files import PDF, PNG

pytestmark = pytest.mark.django_db

REFERENCE = re.compile(r"R-[0-9A-Z]{8}")
IN_A_WEEK = (timezone.localtime() + datetime.timedelta(days=7)).replace(second=0, microsecond=0)
YESTERDAY = timezone.localtime() - datetime.timedelta(days=1)


def local(moment: datetime.datetime) -> str:
    """What a datetime-local input sends, and what an API client may send too."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


# -- what an outcome is ----------------------------------------------------------------------------


def kind(status_code: int) -> str:
    if status_code in (200, 201, 204, 302):
        return "ok"
    return str(status_code)


def referral_state(referral: Referral) -> dict:
    """Every field but the identity; timestamps only as set or not (the two runs are a moment apart)."""
    referral.refresh_from_db()
    state = {}
    for field in Referral._meta.concrete_fields:
        if field.name in ("id", "reference"):
            continue
        value = getattr(referral, field.attname)
        if isinstance(value, datetime.datetime) and field.name != "appointment_at":
            value = "set"
        state[field.name] = value
    return state


def normalized(text: str, referral: Referral) -> str:
    return REFERENCE.sub("R-*", text.replace(str(referral.pk), "<pk>"))


def events(referral: Referral) -> list[tuple]:
    return [
        (e.action, e.from_status, e.to_status, normalized(e.reason, referral), e.actor_id)
        for e in referral.events.order_by("id")
    ]


def access_rows(since: int, referral: Referral, *, reads: bool = True) -> list[tuple]:
    rows = AccessLog.objects.filter(id__gt=since).order_by("id")
    if not reads:  # a page that shows its form again with errors has shown the referral again
        rows = rows.exclude(action__in=("view", "list"))
    return [
        (
            row.user_id,
            row.role,
            row.action,
            row.object_type,
            "self" if row.object_id == str(referral.pk) else "other",
            row.detail,
        )
        for row in rows
    ]


def emails(referral: Referral) -> list[tuple]:
    return [(normalized(m.subject, referral), normalized(m.body, referral), sorted(m.to)) for m in mail.outbox]


def _forms_in(value):
    if isinstance(value, forms.BaseForm):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _forms_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _forms_in(item)


def page_errors(response) -> dict:
    """{field: [messages]} from every form the page shows again, and its error notices (field None)."""
    errors: dict = {}
    contexts = response.context if isinstance(response.context, ContextList) else [response.context]
    shown = {id(form): form for context in filter(None, contexts) for form in _forms_in(context.flatten())}
    for form in shown.values():
        for field, messages in form.errors.items():
            errors.setdefault(None if field == "__all__" else field, []).extend(messages)
    for message in get_messages(response.wsgi_request):
        if message.level_tag == "error":
            errors.setdefault(None, []).append(message.message)
    return errors


def api_errors(response) -> dict:
    errors: dict = {}
    if response.status_code >= 400:
        for item in response.json()["errors"]:
            errors.setdefault(item["field"], []).append(item["message"])
    return errors


def outcome(response, errors, referral, since, *, reads=False) -> dict:
    if response.status_code == 403:
        errors = "refused"  # Django's own 403 page, outside the referral templates, does not say why
    return {
        "kind": kind(response.status_code),
        "state": referral_state(referral),
        "events": events(referral),
        "access": access_rows(since, referral, reads=reads),
        "emails": emails(referral),
        "errors": errors,
        "created": sorted(r.status for r in Referral.objects.filter(replaces=referral)),
        "messages": [m.body for m in Message.objects.filter(referral=referral)],
        "attachments": [
            (a.content_type, a.original_name, a.size) for a in Attachment.objects.filter(referral=referral)
        ],
    }


class Doors:
    """Runs one request through the page and through the API, each on its own twin referral."""

    def __init__(self, client, captured):
        self.client = client
        self.api = APIClient()
        self.captured = captured

    def _run(self, call):
        mail.outbox.clear()
        since = AccessLog.objects.order_by("-id").values_list("id", flat=True).first() or 0
        with self.captured(execute=True):
            response = call()
        return response, since

    def page(self, user, referral, method, url, data=None, *, reads=False):
        self.client.force_login(user)
        response, since = self._run(lambda: getattr(self.client, method)(url, data or {}))
        return outcome(response, page_errors(response), referral, since, reads=reads)

    def api_call(self, user, referral, method, url, data=None, *, reads=False, fmt="json"):
        self.api.force_authenticate(user)
        if method == "get":
            response, since = self._run(lambda: self.api.get(url, data or {}))
        else:
            response, since = self._run(lambda: getattr(self.api, method)(url, data or {}, format=fmt))
        return outcome(response, api_errors(response), referral, since, reads=reads)


@pytest.fixture
def doors(client, django_capture_on_commit_callbacks):
    return Doors(client, django_capture_on_commit_callbacks)


@pytest.fixture
def people():
    return GPFactory(), OncologistUserFactory()


def twins(people, status, **kwargs):
    gp, oncologist = people
    if status == "scheduled":
        kwargs.setdefault("appointment_at", IN_A_WEEK)  # the same moment for both twins
    return [make_referral(status, referring_gp=gp, oncologist=oncologist.physician, **kwargs) for _ in range(2)]


def actor(people, role):
    return {"gp": people[0], "oncologist": people[1]}[role]


# -- every action ----------------------------------------------------------------------------------

ACTION_CASES = [
    # (case id, status, role, action, inputs)
    ("submit", "draft", "gp", "submit", {}),
    ("open", "submitted", "oncologist", "open", {}),
    ("request-info", "under_review", "oncologist", "request_info", {"question": "Latest FBC, please."}),
    ("request-info-blank", "under_review", "oncologist", "request_info", {"question": "  "}),
    ("respond", "info_requested", "gp", "respond", {"answer": "FBC attached: normal."}),
    ("respond-blank", "info_requested", "gp", "respond", {"answer": ""}),
    ("accept", "submitted", "oncologist", "accept", {"comment": "Happy to see her."}),
    ("reject", "under_review", "oncologist", "reject", {"reason_code": "out_of_scope", "comment": "Hematology."}),
    ("reject-no-comment", "under_review", "oncologist", "reject", {"reason_code": "other", "comment": ""}),
    ("reject-no-code", "under_review", "oncologist", "reject", {"reason_code": "", "comment": "Hematology."}),
    (
        "reject-unknown-colleague",
        "under_review",
        "oncologist",
        "reject",
        {"reason_code": "other", "comment": "See a colleague.", "suggested_colleague_npi": "1234567893"},
    ),
    ("schedule", "accepted", "oncologist", "schedule", {"appointment_at": local(IN_A_WEEK), "place": "Suite 4"}),
    ("schedule-past", "accepted", "oncologist", "schedule", {"appointment_at": local(YESTERDAY), "place": "Suite 4"}),
    ("schedule-no-place", "accepted", "oncologist", "schedule", {"appointment_at": local(IN_A_WEEK), "place": ""}),
    ("reschedule", "scheduled", "oncologist", "reschedule", {"appointment_at": local(IN_A_WEEK), "place": "Suite 5"}),
    ("no-show", "scheduled", "oncologist", "no_show", {"comment": ""}),
    ("complete", "scheduled", "oncologist", "complete", {"findings": "Benign.", "recommendations": "Follow-up."}),
    ("complete-no-findings", "scheduled", "oncologist", "complete", {"findings": "", "recommendations": "None."}),
    ("acknowledge", "completed", "gp", "acknowledge", {}),
    ("cancel", "submitted", "gp", "cancel", {"reason": "The patient moved away."}),
    ("cancel-no-reason", "submitted", "gp", "cancel", {"reason": ""}),
    ("fail", "accepted", "oncologist", "fail", {"reason": "Unreachable."}),
    ("re-refer", "rejected", "gp", "re_refer", {}),
    ("wrong-role", "submitted", "gp", "accept", {}),
    ("wrong-state", "completed", "oncologist", "accept", {}),
]


@pytest.mark.parametrize(
    ("status", "role", "action", "inputs"), [c[1:] for c in ACTION_CASES], ids=[c[0] for c in ACTION_CASES]
)
def test_every_action_has_one_outcome_on_the_page_and_the_api(doors, people, status, role, action, inputs):
    on_page, on_api = twins(people, status)
    user = actor(people, role)

    page = doors.page(
        user, on_page, "post", reverse("referrals:action", args=[on_page.pk, action]), {"version": 1, **inputs}
    )
    api = doors.api_call(
        user, on_api, "post", f"/api/v1/referrals/{on_api.pk}/{action.replace('_', '-')}/", {"version": 1, **inputs}
    )

    assert page == api


def test_a_stale_version_is_the_same_conflict_on_both(doors, people):
    on_page, on_api = twins(people, "under_review", version=3)
    user = people[1]
    page = doors.page(user, on_page, "post", reverse("referrals:action", args=[on_page.pk, "accept"]), {"version": 2})
    api = doors.api_call(user, on_api, "post", f"/api/v1/referrals/{on_api.pk}/accept/", {"version": 2})
    assert page == api
    assert page["kind"] == "409"
    assert page["errors"] == {None: [services.STALE_VERSION]}


def test_the_curator_enters_in_error_the_same_way_on_both(doors, people, clinical_curator):
    on_page, on_api = twins(people, "accepted")
    data = {"version": 1, "reason": "Duplicate entry."}
    page = doors.page(
        clinical_curator, on_page, "post", reverse("referrals:action", args=[on_page.pk, "enter_in_error"]), data
    )
    api = doors.api_call(clinical_curator, on_api, "post", f"/api/v1/referrals/{on_api.pk}/enter-in-error/", data)
    assert page == api
    assert page["state"]["status"] == "entered_in_error"


# -- creating and changing drafts ------------------------------------------------------------------

REFERRAL_INPUT = {
    "patient_first_name": "Ada",
    "patient_last_name": "Quilliam",
    "patient_date_of_birth": "1961-03-14",
    "patient_sex": "F",
    "patient_phone": "212-555-0199",
    "priority": "urgent",
    "icd10_code": "C50.911",
    "clinical_question": "Palpable lump: please assess.",
}
CREATE_CASES = [
    ("draft", {}, False),
    ("submitted", {}, True),
    ("born-in-the-future", {"patient_date_of_birth": "2999-01-01"}, False),
    ("no-question", {"clinical_question": ""}, False),
    ("bad-icd10", {"icd10_code": "breast"}, False),
    ("no-consent-on-submit", {"patient_consent": False}, True),
]


def create_on_page(doors, gp, oncologist, inputs, submit):
    data = {**REFERRAL_INPUT, "cancer_type": cancer_type("breast").pk, "patient_consent": "on", **inputs}
    if data["patient_consent"] is False:
        del data["patient_consent"]
    data["submit" if submit else "save"] = "1"
    doors.client.force_login(gp)
    return doors._run(lambda: doors.client.post(reverse("referrals:create", args=[oncologist.physician.npi]), data))


def create_on_api(doors, gp, oncologist, inputs, submit):
    body = {**REFERRAL_INPUT, "cancer_type": "breast", "patient_consent": True, **inputs}
    body.update(oncologist_npi=oncologist.physician.npi, submit=submit)
    doors.api.force_authenticate(gp)
    return doors._run(lambda: doors.api.post("/api/v1/referrals/", body, format="json"))


def created_outcome(response, errors, since, before):
    referral = Referral.objects.exclude(pk__in=before).first()
    made = None
    if referral is not None:
        made = {
            "state": referral_state(referral),
            "events": events(referral),
            "access": access_rows(since, referral),
            "emails": emails(referral),
        }
        # Close the page's twin, so that it is no open duplicate of the one the API creates next.
        Referral.objects.filter(pk=referral.pk).update(status="cancelled", closing_reason="twin")
    return {"kind": kind(response.status_code), "errors": errors, "made": made}


@pytest.mark.parametrize(("inputs", "submit"), [c[1:] for c in CREATE_CASES], ids=[c[0] for c in CREATE_CASES])
def test_creating_a_referral_has_one_outcome_on_the_page_and_the_api(doors, people, inputs, submit):
    gp, oncologist = people
    before = list(Referral.objects.values_list("pk", flat=True))
    response, since = create_on_page(doors, gp, oncologist, inputs, submit)
    page = created_outcome(response, page_errors(response), since, before)
    before = list(Referral.objects.values_list("pk", flat=True))
    response, since = create_on_api(doors, gp, oncologist, inputs, submit)
    api = created_outcome(response, api_errors(response), since, before)
    assert page == api


def test_a_birth_date_in_the_future_is_refused_on_both_with_one_message(doors, people):
    gp, oncologist = people
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response, _ = create_on_page(doors, gp, oncologist, {"patient_date_of_birth": tomorrow}, False)
    assert response.status_code == 400
    assert page_errors(response) == {"patient_date_of_birth": ["The date of birth cannot be in the future."]}
    response, _ = create_on_api(doors, gp, oncologist, {"patient_date_of_birth": tomorrow}, False)
    assert response.status_code == 400
    assert api_errors(response) == {"patient_date_of_birth": ["The date of birth cannot be in the future."]}
    assert Referral.objects.count() == 0


def test_a_draft_changed_to_a_future_birth_date_is_refused_on_both(doors, people):
    on_page, on_api = twins(people, "draft")
    gp = people[0]
    data = {**REFERRAL_INPUT, "patient_date_of_birth": "2999-01-01", "version": 1}
    page = doors.page(
        gp,
        on_page,
        "post",
        reverse("referrals:edit", args=[on_page.pk]),
        {**data, "cancer_type": cancer_type("breast").pk, "patient_consent": "on"},
    )
    api = doors.api_call(gp, on_api, "patch", f"/api/v1/referrals/{on_api.pk}/", {**data, "cancer_type": "breast"})
    assert page == api
    assert page["errors"] == {"patient_date_of_birth": ["The date of birth cannot be in the future."]}


def test_a_duplicate_referral_needs_the_same_confirmation_on_both(doors, people):
    gp, oncologist = people
    make_referral(
        "submitted",
        referring_gp=gp,
        oncologist=oncologist.physician,
        patient_first_name="Ada",
        patient_last_name="Quilliam",
    )
    before = Referral.objects.count()
    page, _ = create_on_page(doors, gp, oncologist, {}, False)
    api, _ = create_on_api(doors, gp, oncologist, {}, False)
    assert page.status_code == api.status_code == 400
    assert api_errors(api) == page_errors(page) == {"confirm_duplicate": [services.DUPLICATE_REFERRAL]}
    assert Referral.objects.count() == before


# -- reads -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reader", "status_after"),
    [(1, "under_review"), (0, "submitted")],
    ids=["the-oncologist-opens-it", "the-gp-changes-nothing"],
)
def test_reading_a_submitted_referral_has_one_outcome_on_page_and_api(doors, people, reader, status_after):
    on_page, on_api = twins(people, "submitted")
    page = doors.page(people[reader], on_page, "get", on_page.get_absolute_url(), reads=True)
    api = doors.api_call(people[reader], on_api, "get", f"/api/v1/referrals/{on_api.pk}/", reads=True)
    assert page == api
    assert page["state"]["status"] == status_after


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [("scan.pdf", PDF, "application/pdf"), ("x.png", PNG, "image/png")],
    ids=["pdf", "png"],
)
def test_an_attachment_downloads_with_one_set_of_headers(client, people, name, content, content_type):
    referral = twins(people, "submitted")[0]
    gp = people[0]
    attachment = services.attachment_add(referral=referral, by=gp, upload=SimpleUploadedFile(name, content))
    client.force_login(gp)
    page = client.get(attachment.get_absolute_url())
    api = APIClient()
    api.force_authenticate(gp)
    served = api.get(f"/api/v1/referrals/{referral.pk}/attachments/{attachment.pk}/download/")

    headers = (
        "Content-Type",
        "Content-Disposition",
        "X-Content-Type-Options",
        "Content-Security-Policy",
        "Cache-Control",
    )
    assert [page.get(h) for h in headers] == [served.get(h) for h in headers]
    assert page["Content-Security-Policy"] == "sandbox"
    assert page["Content-Type"] == content_type
    assert b"".join(page.streaming_content) == b"".join(served.streaming_content) == content
    rows = AccessLog.objects.filter(action="download", object_id=str(attachment.pk)).order_by("id")
    assert [(r.user_id, r.channel) for r in rows] == [(gp.pk, "page"), (gp.pk, "api")]


def both_lists(client, user, query):
    """The referral list for `user` with the same `query`, as the page and as the API serve it."""
    client.force_login(user)
    page = client.get(reverse("referrals:list"), query)
    api = APIClient()
    api.force_authenticate(user)
    return page, api.get("/api/v1/referrals/", query)


@pytest.mark.parametrize(
    "query",
    [
        {"status": "under_review"},
        {"status": ["under_review", "accepted"], "priority": "urgent"},
        {"priority": "routine"},
    ],
    ids=["one-status", "two-statuses-and-priority", "priority"],
)
def test_the_oncologists_list_filters_give_the_same_referrals(client, people, query):
    gp, oncologist = people
    for status in ("submitted", "under_review", "accepted", "scheduled"):
        for priority in ("routine", "urgent"):
            make_referral(status, referring_gp=gp, oncologist=oncologist.physician, priority=priority)
    page, served = both_lists(client, oncologist, query)
    assert page.status_code == served.status_code == 200
    shown = {str(r.pk) for r in page.context["referrals"]}
    assert shown == {item["id"] for item in served.json()["results"]}
    assert shown


@pytest.mark.parametrize(
    "query",
    [{"status": "bogus"}, {"priority": "<script>"}, {"status": ["accepted", "lost"]}],
    ids=["status", "priority", "one-bad-of-two"],
)
def test_a_bad_list_filter_is_the_same_clear_error_on_both(client, people, query):
    oncologist = people[1]
    make_referral("accepted", oncologist=oncologist.physician)
    page, served = both_lists(client, oncologist, query)
    assert page.status_code == served.status_code == 400
    assert page_errors(page) == api_errors(served)
    assert set(page_errors(page)) == set(query)


# -- messages and attachments ----------------------------------------------------------------------


@pytest.mark.parametrize("body", ["Quilliam prefers mornings.", "  "], ids=["message", "blank"])
def test_a_message_has_one_outcome(doors, people, body):
    on_page, on_api = twins(people, "accepted")
    gp = people[0]
    page = doors.page(gp, on_page, "post", reverse("referrals:message-create", args=[on_page.pk]), {"body": body})
    api = doors.api_call(gp, on_api, "post", f"/api/v1/referrals/{on_api.pk}/messages/", {"body": body})
    assert page == api


def upload_on_both(doors, gp, on_page, on_api, name, content):
    """The same file uploaded by the GP to one twin through the page and to the other through the API."""
    page = doors.page(
        gp, on_page, "post", reverse("referrals:attachment-upload", args=[on_page.pk]),
        {"file": SimpleUploadedFile(name, content)},
    )  # fmt: skip
    api = doors.api_call(
        gp, on_api, "post", f"/api/v1/referrals/{on_api.pk}/attachments/",
        {"file": SimpleUploadedFile(name, content)}, fmt="multipart",
    )  # fmt: skip
    return page, api


@pytest.mark.parametrize(
    ("name", "content"),
    [("scan.pdf", PDF), ("photo.pdf", PNG), ("report.pdf", b"MZ\x90\x00" * 64), ("empty.pdf", b"")],
    ids=["pdf", "png-named-pdf", "exe", "empty"],
)
def test_an_upload_has_one_outcome(doors, people, name, content):
    on_page, on_api = twins(people, "accepted")
    page, api = upload_on_both(doors, people[0], on_page, on_api, name, content)
    assert page == api


@pytest.mark.parametrize("status", ["completed", "cancelled"])
def test_an_upload_to_a_closed_referral_is_the_same_conflict_on_both(doors, people, status):
    on_page, on_api = twins(people, status, closing_reason="Closed." if status == "cancelled" else "")
    page, api = upload_on_both(doors, people[0], on_page, on_api, "scan.pdf", PDF)
    assert page == api
    assert (page["kind"], page["errors"]) == ("409", {None: [services.REFERRAL_CLOSED]})
