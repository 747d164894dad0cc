"""Every write to a referral: creation, the state machine, messages and attachments.

Each transition is atomic, locks the referral row (select_for_update), checks the version the caller saw,
records a ReferralEvent, and queues the other party's email in the same transaction (apps/notifications: sent by a
worker once it commits), without any clinical detail.
A caller who may never do an action gets ReferralPermissionDenied (HTTP 403); a caller who may, but not
now (wrong state, stale version), gets ReferralConflict (HTTP 409). Bad input raises ValidationError (400).
"""

import contextvars
import datetime
import logging
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import Role, User
from apps.directory.models import Physician
from apps.notifications.models import Notification
from apps.notifications.services import notification_queue, notifications_queue_once

from . import forms
from .api import serializers
from .models import (
    DRAFT_FIELDS,
    OPEN_STATUSES,
    Attachment,
    EventAction,
    Message,
    Referral,
    ReferralEvent,
    RejectionReason,
    Status,
    add_business_days,
    response_target_days,
)
from .uploads import detect_content_type, received

logger = logging.getLogger(__name__)

# Permission errors (403)
ROLE_NOT_ALLOWED = "Your role cannot do this to a referral."
NOT_A_PARTY = "Only the referring GP or the receiving oncologist can do this."
ONLY_GPS_REFER = "Only GPs can refer patients."
# State conflicts (409)
WRONG_STATE = "This cannot be done to a referral in its current status."
STALE_VERSION = "This referral has changed since you loaded it: reload it and try again."
ONLY_DRAFTS_DELETED = "Only drafts can be deleted."
NO_MESSAGES_ON_DRAFT = "Messages can be sent once the referral is submitted."
REFERRAL_CLOSED = "This referral is closed: no more attachments can be added."
# Input errors (400)
REASON_REQUIRED = "Give a reason."
QUESTION_REQUIRED = "Say what information you need."
ANSWER_REQUIRED = "Answer the information request."
REJECTION_CODE_REQUIRED = "Choose a reason for the rejection."
REJECTION_COMMENT_REQUIRED = "Explain the rejection to the GP."
APPOINTMENT_REQUIRED = "Give the appointment date and place."
APPOINTMENT_IN_PAST = "The appointment must be in the future."
OUTCOME_REQUIRED = "Record the findings and the recommendations."
CONSENT_REQUIRED = "The patient must consent to sharing before the referral is submitted."
NOT_AN_ONCOLOGIST = "Referrals go to an active oncologist with an OncoDir account."
NO_ACTIVE_PHYSICIAN = "No active physician has this NPI."
DUPLICATE_REFERRAL = (
    "This patient already has an open referral to this oncologist: confirm to create another one anyway."
)
MESSAGE_REQUIRED = "Write a message."
FILE_EMPTY = "The file is empty."
FILE_TOO_LARGE = "The file is larger than 10 MB."
FILE_TYPE_REFUSED = (
    "Only PDF, PNG and JPEG files are accepted, and only whole, readable ones without web page code "
    "(the content decides, not the file name)."
)


class ReferralPermissionDenied(PermissionDenied):
    """The caller may never do this to this referral (HTTP 403)."""


class DuplicateReferral(ValidationError):
    """The patient already has an open referral to this oncologist (HTTP 400 until the GP confirms)."""

    def __init__(self, duplicates: list[Referral]):
        super().__init__({"confirm_duplicate": DUPLICATE_REFERRAL})
        self.duplicates = duplicates


class ReferralConflict(Exception):
    """The caller may do this, but not in the referral's current state or version (HTTP 409)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Transition:
    """One action of the state machine: who may take it from which statuses, where it leads, and what the
    pages and the API need to offer it (its button label, its form, its serializer, its service)."""

    action: EventAction
    role: str
    sources: tuple[str, ...]
    target: str | None  # None: stays in its status
    label: str
    service: Callable[..., Referral]
    form: type
    serializer: type


ENTERABLE_IN_ERROR = tuple(s for s in Status.values if s not in (Status.DRAFT, Status.ENTERED_IN_ERROR))
RE_REFERRABLE = (
    Status.REJECTED,
    Status.CANCELLED,
    Status.FAILED,
    Status.COMPLETED,
    Status.ACKNOWLEDGED,
    Status.ENTERED_IN_ERROR,
)

# -- checks -----------------------------------------------------------------------------------------


def _check_actor(transition: Transition, referral: Referral, user: User) -> None:
    if not user.is_authenticated or not user.is_active or user.role != transition.role:
        raise ReferralPermissionDenied(ROLE_NOT_ALLOWED)
    if transition.role == Role.GP and not referral.referred_by(user):
        raise ReferralPermissionDenied(NOT_A_PARTY)
    if transition.role == Role.ONCOLOGIST and referral.oncologist_id != user.physician_id:
        raise ReferralPermissionDenied(NOT_A_PARTY)


def _required(value: str | None, message: str, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    return value


def _lock(referral: Referral) -> Referral:
    return Referral.objects.select_for_update().get(pk=referral.pk)


# -- notifications ----------------------------------------------------------------------------------


def _oncologist_emails(referral: Referral) -> list[str]:
    return list(
        User.objects.filter(physician_id=referral.oncologist_id, is_active=True).values_list("email", flat=True)
    )


def _recipients(referral: Referral, actor: User) -> list[str]:
    """The other party: the GP's actions go to the oncologist, the oncologist's to the GP, a curator's to both."""
    if actor.role == Role.GP:
        return _oncologist_emails(referral)
    if actor.role == Role.ONCOLOGIST:
        return [referral.referring_gp.email]
    return [referral.referring_gp.email, *_oncologist_emails(referral)]


_notifications_enabled = contextvars.ContextVar("referral_notifications_enabled", default=True)


@contextmanager
def notifications_suppressed() -> Iterator[None]:
    """Create demo data without emailing the demo accounts."""
    token = _notifications_enabled.set(False)
    try:
        yield
    finally:
        _notifications_enabled.reset(token)


def _email_body(referral: Referral, what: str) -> str:
    return (
        f"Referral {referral.reference}: {what}.\n\n"
        f"Open it in OncoDir to see the details: {settings.SITE_URL}{referral.get_absolute_url()}\n\n"
        "For the patient's privacy this email contains no clinical information."
    )


def _notify(referral: Referral, actor: User, what: str) -> None:
    """Queue the other party's email in this transaction (the outbox): sent once it commits, never if it does not."""
    if not _notifications_enabled.get():
        return
    notification_queue(
        subject=f"OncoDir referral {referral.reference}: {what}",
        body=_email_body(referral, what),
        recipients=_recipients(referral, actor),
    )


# A reminder goes this long before a referral's answer is due, and again once it is overdue.
REMINDER_NOTICE = datetime.timedelta(days=1)


def referral_reminders_queue(*, now: datetime.datetime | None = None) -> int:
    """The scheduled reminders (hourly): the oncologist when an answer is due within REMINDER_NOTICE, the oncologist
    and the GP once it is overdue. Each goes once per answer-by time (a restarted clock gets its own). How many."""
    now = now or timezone.now()
    due_soon = Referral.objects.response_due_within(REMINDER_NOTICE, now=now).select_related("referring_gp")
    overdue = Referral.objects.overdue(now).select_related("referring_gp")
    referrals = [*due_soon, *overdue]
    oncologists = dict(
        User.objects.filter(physician_id__in={r.oncologist_id for r in referrals}, is_active=True).values_list(
            "physician_id", "email"
        )
    )

    def reminder(referral: Referral, kind: str, what: str, recipients: list[str]) -> Notification:
        return Notification(
            key=f"referral-{kind}:{referral.pk}:{referral.response_due_at.isoformat()}",
            subject=f"OncoDir referral {referral.reference}: {what}",
            body=_email_body(referral, what),
            recipients=[r for r in recipients if r],
        )

    return notifications_queue_once(
        [
            *(reminder(r, "due-soon", "an answer is due soon", [oncologists.get(r.oncologist_id)]) for r in due_soon),
            *(
                reminder(
                    r, "overdue", "the answer is overdue", [oncologists.get(r.oncologist_id), r.referring_gp.email]
                )
                for r in overdue
            ),
        ]
    )


# -- the state machine ------------------------------------------------------------------------------


def _transition(
    name: str,
    *,
    referral: Referral,
    by: User,
    version: int,
    apply: Callable[[Referral, datetime.datetime], None] | None = None,
    reason: str = "",
) -> Referral:
    transition = TRANSITIONS[name]
    _check_actor(transition, referral, by)
    with transaction.atomic():
        locked = _lock(referral)
        if locked.status not in transition.sources:
            raise ReferralConflict(WRONG_STATE)
        if locked.version != version:
            raise ReferralConflict(STALE_VERSION)
        from_status = locked.status
        now = timezone.now()
        if transition.target is not None:
            locked.status = transition.target
        if apply is not None:
            apply(locked, now)
        locked.version += 1
        locked.full_clean()
        locked.save()
        ReferralEvent.objects.create(
            referral=locked,
            actor=by,
            action=transition.action,
            from_status=from_status,
            to_status=locked.status,
            reason=reason,
        )
        _notify(locked, by, transition.action.label.lower())
    return locked


def _restart_response_clock(referral: Referral, now: datetime.datetime) -> None:
    referral.response_due_at = add_business_days(now, response_target_days(referral.priority))


def referral_submit(*, referral: Referral, by: User, version: int) -> Referral:
    def apply(r: Referral, now: datetime.datetime) -> None:
        if not r.patient_consent:
            raise ValidationError({"patient_consent": CONSENT_REQUIRED})
        r.submitted_at = now
        _restart_response_clock(r, now)

    return _transition("submit", referral=referral, by=by, version=version, apply=apply)


def referral_open(*, referral: Referral, by: User, version: int) -> Referral:
    def apply(r: Referral, now: datetime.datetime) -> None:
        r.first_reviewed_at = r.first_reviewed_at or now

    return _transition("open", referral=referral, by=by, version=version, apply=apply)


def referral_read(*, referral: Referral, by: User) -> tuple[Referral, bool]:
    """What reading a referral does, on the page and in the API alike: the receiving oncologist's first read
    of a submitted referral puts it under review, so the GP sees it has been read. Returns the referral as it
    is now and whether this read opened it."""
    if referral.status != Status.SUBMITTED or not referral.received_by(by):
        return referral, False
    try:
        return referral_open(referral=referral, by=by, version=referral.version), True
    except ReferralConflict:
        referral.refresh_from_db()  # someone acted first (the GP cancelled, say): show what it is now
        return referral, False


def _first_response(r: Referral, now: datetime.datetime) -> None:
    r.first_reviewed_at = r.first_reviewed_at or now
    r.first_response_at = r.first_response_at or now


def referral_request_info(*, referral: Referral, by: User, version: int, question: str) -> Referral:
    question = _required(question, QUESTION_REQUIRED, "question")

    def apply(r: Referral, now: datetime.datetime) -> None:
        _first_response(r, now)
        r.info_requested_at = now

    return _transition("request_info", referral=referral, by=by, version=version, apply=apply, reason=question)


def referral_respond(*, referral: Referral, by: User, version: int, answer: str) -> Referral:
    answer = _required(answer, ANSWER_REQUIRED, "answer")

    def apply(r: Referral, now: datetime.datetime) -> None:
        r.info_provided_at = now
        _restart_response_clock(r, now)

    return _transition("respond", referral=referral, by=by, version=version, apply=apply, reason=answer)


def referral_accept(*, referral: Referral, by: User, version: int, comment: str = "") -> Referral:
    def apply(r: Referral, now: datetime.datetime) -> None:
        _first_response(r, now)
        r.accepted_at = r.decided_at = now

    return _transition("accept", referral=referral, by=by, version=version, apply=apply, reason=comment.strip())


def referral_reject(
    *,
    referral: Referral,
    by: User,
    version: int,
    reason_code: str,
    comment: str,
    advice: str = "",
    suggested_colleague_npi: str = "",
) -> Referral:
    if reason_code not in RejectionReason.values:
        raise ValidationError({"reason_code": REJECTION_CODE_REQUIRED})
    comment = _required(comment, REJECTION_COMMENT_REQUIRED, "comment")
    npi = (suggested_colleague_npi or "").strip()
    suggested_colleague = physician_by_npi(npi, field="suggested_colleague_npi") if npi else None

    def apply(r: Referral, now: datetime.datetime) -> None:
        _first_response(r, now)
        r.rejected_at = r.decided_at = now
        r.rejection_reason = reason_code
        r.rejection_comment = comment
        r.rejection_advice = (advice or "").strip()
        r.suggested_colleague = suggested_colleague

    return _transition(
        "reject",
        referral=referral,
        by=by,
        version=version,
        apply=apply,
        reason=f"{RejectionReason(reason_code).label}: {comment}",
    )


def _appointment(appointment_at: datetime.datetime | None, place: str) -> tuple[datetime.datetime, str]:
    place = (place or "").strip()
    if appointment_at is None or not place:
        raise ValidationError({"appointment_at": APPOINTMENT_REQUIRED})
    if appointment_at <= timezone.now():
        raise ValidationError({"appointment_at": APPOINTMENT_IN_PAST})
    return appointment_at, place


def _schedule(name: str, *, referral, by, version, appointment_at, place) -> Referral:
    appointment_at, place = _appointment(appointment_at, place)

    def apply(r: Referral, now: datetime.datetime) -> None:
        r.scheduled_at = now
        r.appointment_at = appointment_at
        r.appointment_place = place

    return _transition(name, referral=referral, by=by, version=version, apply=apply)


def referral_schedule(
    *, referral: Referral, by: User, version: int, appointment_at: datetime.datetime, place: str
) -> Referral:
    return _schedule("schedule", referral=referral, by=by, version=version, appointment_at=appointment_at, place=place)


def referral_reschedule(
    *, referral: Referral, by: User, version: int, appointment_at: datetime.datetime, place: str
) -> Referral:
    return _schedule(
        "reschedule", referral=referral, by=by, version=version, appointment_at=appointment_at, place=place
    )


def referral_mark_no_show(*, referral: Referral, by: User, version: int, comment: str = "") -> Referral:
    def apply(r: Referral, now: datetime.datetime) -> None:
        r.appointment_at = None
        r.appointment_place = ""

    return _transition("no_show", referral=referral, by=by, version=version, apply=apply, reason=comment.strip())


def referral_complete(
    *,
    referral: Referral,
    by: User,
    version: int,
    findings: str,
    recommendations: str,
    diagnosis: str = "",
    letter: str = "",
) -> Referral:
    findings = _required(findings, OUTCOME_REQUIRED, "findings")
    recommendations = _required(recommendations, OUTCOME_REQUIRED, "recommendations")

    def apply(r: Referral, now: datetime.datetime) -> None:
        r.completed_at = now
        r.outcome_findings = findings
        r.outcome_recommendations = recommendations
        r.outcome_diagnosis = (diagnosis or "").strip()
        r.outcome_letter = (letter or "").strip()

    return _transition("complete", referral=referral, by=by, version=version, apply=apply)


def referral_acknowledge(*, referral: Referral, by: User, version: int) -> Referral:
    def apply(r: Referral, now: datetime.datetime) -> None:
        r.acknowledged_at = now

    return _transition("acknowledge", referral=referral, by=by, version=version, apply=apply)


def _closing(name: str, stamp: str, *, referral, by, version, reason) -> Referral:
    reason = _required(reason, REASON_REQUIRED, "reason")

    def apply(r: Referral, now: datetime.datetime) -> None:
        setattr(r, stamp, now)
        r.closing_reason = reason

    return _transition(name, referral=referral, by=by, version=version, apply=apply, reason=reason)


def referral_cancel(*, referral: Referral, by: User, version: int, reason: str) -> Referral:
    return _closing("cancel", "cancelled_at", referral=referral, by=by, version=version, reason=reason)


def referral_fail(*, referral: Referral, by: User, version: int, reason: str) -> Referral:
    return _closing("fail", "failed_at", referral=referral, by=by, version=version, reason=reason)


def referral_enter_in_error(*, referral: Referral, by: User, version: int, reason: str) -> Referral:
    return _closing("enter_in_error", "entered_in_error_at", referral=referral, by=by, version=version, reason=reason)


# -- drafts -----------------------------------------------------------------------------------------


def physician_by_npi(npi: str, *, field: str) -> Physician:
    """The active physician with this NPI, or a ValidationError on `field`."""
    physician = Physician.objects.active().filter(npi=npi).first() if npi.isdigit() and len(npi) == 10 else None
    if physician is None:
        raise ValidationError({field: NO_ACTIVE_PHYSICIAN})
    return physician


def check_oncologist(physician: Physician) -> None:
    if (
        physician is None
        or not physician.is_active
        or not User.objects.oncologists().filter(physician_id=physician.pk).exists()
    ):
        raise ValidationError({"oncologist": NOT_AN_ONCOLOGIST})


def referral_create(
    *, by: User, oncologist: Physician, data: dict, submit: bool = False, confirm_duplicate: bool = False
) -> Referral:
    """A new draft from `data` (keys from DRAFT_FIELDS); submitted straight away when `submit`. A second open
    referral of the same patient to the same oncologist needs `confirm_duplicate` (DuplicateReferral)."""
    if not by.is_authenticated or not by.is_active or by.role != Role.GP:
        raise ReferralPermissionDenied(ONLY_GPS_REFER)
    check_oncologist(oncologist)
    with transaction.atomic():
        referral = Referral(referring_gp=by, oncologist=oncologist)
        for field in DRAFT_FIELDS:
            if field in data:
                setattr(referral, field, data[field])
        referral.full_clean()
        if not confirm_duplicate:
            _check_duplicates(referral)
        referral.save()
        if submit:
            referral = referral_submit(referral=referral, by=by, version=referral.version)
    return referral


def _check_duplicates(referral: Referral) -> None:
    duplicates = list(
        Referral.objects.for_gp(referral.referring_gp).duplicates_of(
            first_name=referral.patient_first_name,
            last_name=referral.patient_last_name,
            date_of_birth=referral.patient_date_of_birth,
            oncologist=referral.oncologist,
        )
    )
    if duplicates:
        raise DuplicateReferral(duplicates)


def referral_update_draft(*, referral: Referral, by: User, version: int, data: dict) -> Referral:
    if not referral.referred_by(by):
        raise ReferralPermissionDenied(NOT_A_PARTY)
    with transaction.atomic():
        locked = _lock(referral)
        if locked.status != Status.DRAFT:
            raise ReferralConflict(WRONG_STATE)
        if locked.version != version:
            raise ReferralConflict(STALE_VERSION)
        for field in DRAFT_FIELDS:
            if field in data:
                setattr(locked, field, data[field])
        locked.version += 1
        locked.full_clean()
        locked.save()
    return locked


def referral_delete_draft(*, referral: Referral, by: User, version: int) -> None:
    if not referral.referred_by(by):
        raise ReferralPermissionDenied(NOT_A_PARTY)
    with transaction.atomic():
        locked = _lock(referral)
        if locked.status != Status.DRAFT:
            raise ReferralConflict(ONLY_DRAFTS_DELETED)
        if locked.version != version:
            raise ReferralConflict(STALE_VERSION)
        names = [attachment.storage_name for attachment in locked.attachments.all()]
        locked.delete()
        transaction.on_commit(partial(_delete_stored, names))


def _delete_stored(names) -> None:
    """Delete attachments' files from the storage; one that cannot be deleted now is logged by name."""
    storage = Attachment.storage()
    for name in names:
        try:
            storage.delete(name)  # a missing one is no error
        except Exception:
            logger.exception("Attachment file %s could not be deleted: it has no row, delete it by hand", name)


def referral_re_refer(*, referral: Referral, by: User, version: int, oncologist: Physician | None = None) -> Referral:
    """A new draft with the same patient and clinical content, linked to the referral it replaces."""
    new_oncologist = oncologist or referral.oncologist
    _check_actor(TRANSITIONS["re_refer"], referral, by)
    check_oncologist(new_oncologist)
    with transaction.atomic():
        new = Referral(referring_gp=by, oncologist=new_oncologist)
        old = _transition(
            "re_refer", referral=referral, by=by, version=version, reason=f"Re-referred as {new.reference}"
        )
        new.replaces = old
        for field in DRAFT_FIELDS:
            setattr(new, field, getattr(old, field))
        new.full_clean()
        new.save()
    return new


# -- messages and attachments -----------------------------------------------------------------------


def _check_party(referral: Referral, user: User) -> None:
    if not referral.is_party(user):
        raise ReferralPermissionDenied(NOT_A_PARTY)


def message_create(*, referral: Referral, by: User, body: str) -> Message:
    _check_party(referral, by)
    body = _required(body, MESSAGE_REQUIRED, "body")
    with transaction.atomic():
        locked = _lock(referral)
        if not locked.takes_messages:
            raise ReferralConflict(NO_MESSAGES_ON_DRAFT if locked.status == Status.DRAFT else WRONG_STATE)
        message = Message(referral=locked, author=by, body=body)
        message.full_clean()
        message.save()
        _notify(locked, by, "new message")
    return message


def _safe_name(name: str) -> str:
    base = os.path.basename((name or "").replace("\\", "/")).strip()
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>|:*?')
    return (cleaned or "attachment")[-200:]


def attachment_add(*, referral: Referral, by: User, upload) -> Attachment:
    """Check `upload` (a Django UploadedFile) by size and by its whole content (uploads.detect_content_type, on a
    private temporary copy), then store it in the attachments' storage under the detected type's extension and
    record it with its SHA-256. A file whose row is not written is deleted again."""
    _check_party(referral, by)
    size = upload.size or 0
    if size == 0:
        raise ValidationError({"file": FILE_EMPTY})
    if size > settings.REFERRAL_ATTACHMENT_MAX_BYTES:
        raise ValidationError({"file": FILE_TOO_LARGE})
    attachment_id = uuid.uuid4()
    with received(upload) as copy:
        if copy.size != size:
            raise ValidationError({"file": FILE_EMPTY if copy.size == 0 else FILE_TOO_LARGE})
        content_type = detect_content_type(copy.path)
        if content_type is None:
            raise ValidationError({"file": FILE_TYPE_REFUSED})
        stored = f"{attachment_id}.{Attachment.EXTENSIONS[content_type]}"
        try:
            stored = Attachment.storage().save(stored, copy.file)  # a new name: the storage keeps it
            with transaction.atomic():
                locked = _lock(referral)
                if not locked.takes_attachments:
                    raise ReferralConflict(REFERRAL_CLOSED)
                attachment = Attachment(
                    id=attachment_id,
                    referral=locked,
                    uploaded_by=by,
                    original_name=_safe_name(upload.name),
                    content_type=content_type,
                    size=copy.size,
                    sha256=copy.sha256,
                    storage_name=stored,
                )
                attachment.full_clean()
                attachment.save()
                if locked.status != Status.DRAFT:
                    _notify(locked, by, "new attachment")
        except BaseException:
            _delete_stored([stored])  # a partial write, or a file without its row
            raise
    return attachment


# -- the state machine: every action, once ---------------------------------------------------------

ENTERABLE_IN_ERROR = tuple(s for s in Status.values if s not in (Status.DRAFT, Status.ENTERED_IN_ERROR))
RE_REFERRABLE = (
    Status.REJECTED,
    Status.CANCELLED,
    Status.FAILED,
    Status.COMPLETED,
    Status.ACKNOWLEDGED,
    Status.ENTERED_IN_ERROR,
)
REVIEWING = (Status.SUBMITTED, Status.UNDER_REVIEW)

# In the order the page offers them: the step that moves a referral on first, then the other choices, then
# closing it for good.
TRANSITIONS: dict[str, Transition] = {
    "submit": Transition(EventAction.SUBMIT, Role.GP, (Status.DRAFT,), Status.SUBMITTED,
                         "Submit referral", referral_submit, forms.VersionForm, serializers.VersionSerializer),
    "open": Transition(EventAction.OPEN, Role.ONCOLOGIST, (Status.SUBMITTED,), Status.UNDER_REVIEW,
                       "Start review", referral_open, forms.VersionForm, serializers.VersionSerializer),
    "accept": Transition(EventAction.ACCEPT, Role.ONCOLOGIST, REVIEWING, Status.ACCEPTED,
                         "Accept", referral_accept, forms.CommentForm, serializers.CommentSerializer),
    "request_info": Transition(EventAction.REQUEST_INFO, Role.ONCOLOGIST, (Status.UNDER_REVIEW,), Status.INFO_REQUESTED,
                               "Request information", referral_request_info, forms.QuestionForm, serializers.QuestionSerializer),
    "respond": Transition(EventAction.RESPOND, Role.GP, (Status.INFO_REQUESTED,), Status.UNDER_REVIEW,
                          "Send answer", referral_respond, forms.AnswerForm, serializers.AnswerSerializer),
    "reject": Transition(EventAction.REJECT, Role.ONCOLOGIST, (*REVIEWING, Status.INFO_REQUESTED), Status.REJECTED,
                         "Reject", referral_reject, forms.RejectForm, serializers.RejectSerializer),
    "schedule": Transition(EventAction.SCHEDULE, Role.ONCOLOGIST, (Status.ACCEPTED,), Status.SCHEDULED,
                           "Schedule", referral_schedule, forms.ScheduleForm, serializers.ScheduleSerializer),
    "complete": Transition(EventAction.COMPLETE, Role.ONCOLOGIST, (Status.SCHEDULED,), Status.COMPLETED,
                           "Record outcome", referral_complete, forms.CompleteForm, serializers.CompleteSerializer),
    "reschedule": Transition(EventAction.RESCHEDULE, Role.ONCOLOGIST, (Status.SCHEDULED,), Status.SCHEDULED,
                             "Reschedule", referral_reschedule, forms.ScheduleForm, serializers.ScheduleSerializer),
    "no_show": Transition(EventAction.NO_SHOW, Role.ONCOLOGIST, (Status.SCHEDULED,), Status.ACCEPTED,
                          "Patient did not attend", referral_mark_no_show, forms.CommentForm, serializers.CommentSerializer),
    "acknowledge": Transition(EventAction.ACKNOWLEDGE, Role.GP, (Status.COMPLETED,), Status.ACKNOWLEDGED,
                              "Acknowledge outcome", referral_acknowledge, forms.VersionForm, serializers.VersionSerializer),
    "re_refer": Transition(EventAction.RE_REFER, Role.GP, RE_REFERRABLE, None,
                           "Re-refer", referral_re_refer, forms.VersionForm, serializers.VersionSerializer),
    "cancel": Transition(EventAction.CANCEL, Role.GP, OPEN_STATUSES, Status.CANCELLED,
                         "Cancel referral", referral_cancel, forms.ReasonForm, serializers.ReasonSerializer),
    "fail": Transition(EventAction.FAIL, Role.ONCOLOGIST, (Status.ACCEPTED, Status.SCHEDULED), Status.FAILED,
                       "Mark as failed", referral_fail, forms.ReasonForm, serializers.ReasonSerializer),
    "enter_in_error": Transition(EventAction.ENTER_IN_ERROR, Role.CURATOR, ENTERABLE_IN_ERROR, Status.ENTERED_IN_ERROR,
                                 "Mark as entered in error", referral_enter_in_error, forms.ReasonForm, serializers.ReasonSerializer),
}  # fmt: skip


@dataclass(frozen=True)
class NextStep:
    waiting_on: str | None  # the role the referral waits on; None when it is closed
    text: str


# What each status waits for: the page's summary says who is waiting on whom and what happens next.
NEXT_STEPS = {
    Status.DRAFT: NextStep(Role.GP, "The GP completes the draft and submits it."),
    Status.SUBMITTED: NextStep(Role.ONCOLOGIST, "The oncologist reviews it: accepts it, asks for information or declines it."),
    Status.UNDER_REVIEW: NextStep(Role.ONCOLOGIST, "The oncologist accepts it, asks for information or declines it."),
    Status.INFO_REQUESTED: NextStep(Role.GP, "The GP answers the oncologist's question; the review then goes on."),
    Status.ACCEPTED: NextStep(Role.ONCOLOGIST, "The oncologist's practice books the patient's appointment."),
    Status.SCHEDULED: NextStep(Role.ONCOLOGIST, "The patient is seen; the oncologist then records the outcome."),
    Status.COMPLETED: NextStep(Role.GP, "The GP reads the outcome and acknowledges it, which closes the loop."),
    Status.ACKNOWLEDGED: NextStep(None, "Closed: the GP has acknowledged the outcome."),
    Status.REJECTED: NextStep(None, "Declined. The GP may refer the patient again, to another oncologist."),
    Status.CANCELLED: NextStep(None, "Cancelled by the GP."),
    Status.FAILED: NextStep(None, "Closed without an outcome. The GP may refer the patient again."),
    Status.ENTERED_IN_ERROR: NextStep(None, "Entered in error: kept for the record only."),
}  # fmt: skip


def available_actions(referral: Referral, user: User) -> list[str]:
    """The actions `user` may take on `referral` now (what the page offers as buttons)."""
    names = []
    for name, transition in TRANSITIONS.items():
        if referral.status not in transition.sources:
            continue
        try:
            _check_actor(transition, referral, user)
        except ReferralPermissionDenied:
            continue
        names.append(name)
    return names
