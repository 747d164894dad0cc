"""Referrals from GPs to oncologists: the referral, its append-only events, messages, attachments and
the access log that the database refuses to rewrite."""

import datetime
import secrets
import uuid
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import Storage, storages
from django.db import models
from django.db.models import Case, Q, Value, When
from django.db.models.functions import Now
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Role
from apps.directory.validators import validate_icd10_code

from .permissions import has_clinical_permission

REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L, U: easy to read aloud


def new_reference() -> str:
    """A short human reference such as R-7K3QXM2D: random, so it says nothing about the patient."""
    return "R-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


def add_business_days(start: datetime.datetime, days: int) -> datetime.datetime:
    """`start` plus `days` weekdays (Saturday and Sunday do not count, in local time), same time of day."""
    current = timezone.localtime(start) if timezone.is_aware(start) else start
    remaining = days
    while remaining > 0:
        current += datetime.timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    UNDER_REVIEW = "under_review", "Under review"
    INFO_REQUESTED = "info_requested", "Information requested"
    ACCEPTED = "accepted", "Accepted"
    SCHEDULED = "scheduled", "Scheduled"
    COMPLETED = "completed", "Completed"
    ACKNOWLEDGED = "acknowledged", "Outcome acknowledged"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"
    FAILED = "failed", "Failed"
    ENTERED_IN_ERROR = "entered_in_error", "Entered in error"


# Sent, and neither decided-and-closed nor withdrawn: a GP may cancel these.
OPEN_STATUSES = (
    Status.SUBMITTED,
    Status.UNDER_REVIEW,
    Status.INFO_REQUESTED,
    Status.ACCEPTED,
    Status.SCHEDULED,
)
# Waiting for the oncologist's answer: the response clock runs.
AWAITING_RESPONSE_STATUSES = (Status.SUBMITTED, Status.UNDER_REVIEW)
FINAL_STATUSES = (
    Status.ACKNOWLEDGED,
    Status.REJECTED,
    Status.CANCELLED,
    Status.FAILED,
    Status.ENTERED_IN_ERROR,
)


class Priority(models.TextChoices):
    ROUTINE = "routine", "Routine"
    URGENT = "urgent", "Urgent"
    URGENT_SUSPECTED_CANCER = "urgent_suspected_cancer", "Urgent: suspected cancer"


class PatientSex(models.TextChoices):
    FEMALE = "F", "Female"
    MALE = "M", "Male"
    OTHER = "X", "Other"
    UNKNOWN = "U", "Not stated"


class RejectionReason(models.TextChoices):
    OUT_OF_SCOPE = "out_of_scope", "Outside my scope of practice"
    NOT_INDICATED = "not_indicated", "Specialist care not indicated"
    INSUFFICIENT_INFORMATION = "insufficient_information", "Insufficient information"
    NOT_ACCEPTING = "not_accepting", "Not accepting new patients"
    BETTER_ELSEWHERE = "better_elsewhere", "Better served by another service"
    OTHER = "other", "Other"


# Who the patient is, and what the GP says about the case: the two halves of the GP's referral.
PATIENT_FIELDS = (
    "patient_first_name",
    "patient_last_name",
    "patient_date_of_birth",
    "patient_sex",
    "patient_phone",
    "patient_email",
    "patient_mrn",
)
CASE_FIELDS = (
    "cancer_type",
    "icd10_code",
    "clinical_question",
    "history",
    "investigations",
    "medications",
    "allergies",
)
# What the oncologist writes back about the patient: the appointment, the refusal, the outcome.
ANSWER_FIELDS = (
    "appointment_place",
    "rejection_reason",
    "rejection_comment",
    "rejection_advice",
    "suggested_colleague",
    "closing_reason",
    "outcome_findings",
    "outcome_diagnosis",
    "outcome_recommendations",
    "outcome_letter",
)
# What the GP writes, and may change while the referral is a draft (in the order the form shows it).
DRAFT_FIELDS = (*PATIENT_FIELDS, "priority", *CASE_FIELDS, "patient_consent")
# Everything that identifies the patient or says something about their health: shown only to the two
# parties and to curators holding the "view clinical data" permission.
CLINICAL_FIELDS = (*PATIENT_FIELDS, "patient_consent", *CASE_FIELDS, *ANSWER_FIELDS)
BIRTH_DATE_IN_FUTURE = "The date of birth cannot be in the future."


def response_target_days(priority: str) -> int:
    return int(settings.REFERRAL_RESPONSE_TARGETS[priority])


class ReferralQuerySet(models.QuerySet):
    def sent(self):
        """Everything but drafts: drafts are the GP's alone."""
        return self.exclude(status=Status.DRAFT)

    def for_gp(self, user):
        return self.filter(referring_gp=user)

    def for_oncologist(self, user):
        if not user.physician_id:
            return self.none()
        return self.sent().filter(oncologist_id=user.physician_id)

    def visible_to(self, user):
        """The referrals whose clinical content `user` may see: their own as GP or oncologist, or every sent
        referral for a curator holding the "view clinical data" permission. Nothing for anyone else."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.role == Role.GP:
            return self.for_gp(user)
        if user.role == Role.ONCOLOGIST:
            return self.for_oncologist(user)
        if has_clinical_permission(user):
            return self.sent()
        return self.none()

    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def with_statuses(self, statuses):
        """Only these statuses; every status when `statuses` is empty."""
        return self.filter(status__in=statuses) if statuses else self

    def with_priorities(self, priorities):
        """Only these priorities; every priority when `priorities` is empty."""
        return self.filter(priority__in=priorities) if priorities else self

    def overdue(self, now=None):
        return self.filter(status__in=AWAITING_RESPONSE_STATUSES, response_due_at__lt=now or timezone.now())

    def response_due_within(self, notice: datetime.timedelta, now=None):
        """Awaiting the oncologist's answer, due within `notice` from now and not yet overdue."""
        now = now or timezone.now()
        return self.filter(
            status__in=AWAITING_RESPONSE_STATUSES, response_due_at__gte=now, response_due_at__lt=now + notice
        )

    def with_overdue_flag(self):
        """Annotate `overdue` (bool) so lists can put overdue referrals first in SQL."""
        return self.annotate(
            overdue=Case(
                When(Q(status__in=AWAITING_RESPONSE_STATUSES, response_due_at__lt=Now()), then=Value(True)),
                default=Value(False),
                output_field=models.BooleanField(),
            )
        )

    def for_list(self):
        """What dashboards and inboxes show, in one query: overdue first, then most urgent, then oldest."""
        priority_rank = Case(
            When(priority=Priority.URGENT_SUSPECTED_CANCER, then=Value(0)),
            When(priority=Priority.URGENT, then=Value(1)),
            default=Value(2),
            output_field=models.IntegerField(),
        )
        return (
            self.with_overdue_flag()
            .select_related("referring_gp", "oncologist", "cancer_type")
            .annotate(priority_rank=priority_rank)
            .order_by("-overdue", "priority_rank", "response_due_at", "created_at", "pk")  # pk: pages stay stable
        )

    def duplicates_of(self, *, first_name, last_name, date_of_birth, oncologist, exclude_pk=None):
        """Open referrals of the same patient (name and date of birth) to the same oncologist."""
        qs = self.open().filter(
            patient_first_name__iexact=first_name.strip(),
            patient_last_name__iexact=last_name.strip(),
            patient_date_of_birth=date_of_birth,
            oncologist=oncologist,
        )
        return qs.exclude(pk=exclude_pk) if exclude_pk else qs


class Referral(models.Model):
    """A GP's request that an oncologist see a patient, followed until the GP acknowledges the outcome."""

    Status = Status
    Priority = Priority
    DRAFT_FIELDS = DRAFT_FIELDS
    CLINICAL_FIELDS = CLINICAL_FIELDS

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=12, unique=True, default=new_reference, editable=False)

    # The patient
    patient_first_name = models.CharField(max_length=100)
    patient_last_name = models.CharField(max_length=100)
    patient_date_of_birth = models.DateField()
    patient_sex = models.CharField(max_length=1, choices=PatientSex.choices, default=PatientSex.UNKNOWN)
    patient_phone = models.CharField(max_length=30)
    patient_email = models.EmailField(blank=True)
    patient_mrn = models.CharField("medical record number", max_length=40, blank=True)
    patient_consent = models.BooleanField(
        "patient consents to sharing", default=False, help_text="Required before the referral can be submitted."
    )

    # Who
    referring_gp = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="referrals_sent")
    oncologist = models.ForeignKey("directory.Physician", on_delete=models.PROTECT, related_name="referrals_received")

    # The clinical content
    cancer_type = models.ForeignKey(
        "directory.CancerType", on_delete=models.PROTECT, related_name="+", verbose_name="suspected cancer type"
    )
    icd10_code = models.CharField("ICD-10 code", max_length=8, blank=True, validators=[validate_icd10_code])
    clinical_question = models.TextField(max_length=4000)
    history = models.TextField("history", max_length=8000, blank=True)
    investigations = models.TextField("investigations done", max_length=8000, blank=True)
    medications = models.TextField(max_length=4000, blank=True)
    allergies = models.TextField(max_length=2000, blank=True)
    priority = models.CharField(max_length=30, choices=Priority.choices, default=Priority.ROUTINE)

    # The workflow
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(default=1)
    response_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    first_reviewed_at = models.DateTimeField(null=True, blank=True)
    info_requested_at = models.DateTimeField(null=True, blank=True)
    info_provided_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True, help_text="When it was accepted or rejected.")
    first_response_at = models.DateTimeField(
        null=True, blank=True, help_text="The oncologist's first answer: an information request or a decision."
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    entered_in_error_at = models.DateTimeField(null=True, blank=True)

    # The appointment
    appointment_at = models.DateTimeField(null=True, blank=True)
    appointment_place = models.CharField(max_length=300, blank=True)

    # Decisions and reasons
    rejection_reason = models.CharField(max_length=30, choices=RejectionReason.choices, blank=True)
    rejection_comment = models.TextField(max_length=4000, blank=True)
    rejection_advice = models.TextField(max_length=4000, blank=True)
    suggested_colleague = models.ForeignKey(
        "directory.Physician", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    closing_reason = models.TextField(
        max_length=4000, blank=True, help_text="Why it was cancelled, failed or entered in error."
    )

    # The outcome
    outcome_findings = models.TextField(max_length=8000, blank=True)
    outcome_diagnosis = models.TextField(max_length=4000, blank=True)
    outcome_recommendations = models.TextField(max_length=8000, blank=True)
    outcome_letter = models.TextField(max_length=20000, blank=True)

    replaces = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by", editable=False
    )

    objects = ReferralQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        permissions = [("view_clinical_data", "Can view the clinical content of referrals")]
        indexes = [
            # Dashboards and inboxes filter by party and status.
            models.Index(fields=["referring_gp", "status"], name="referral_gp_status_idx"),
            models.Index(fields=["oncologist", "status"], name="referral_onc_status_idx"),
            # The overdue query: open referrals past their response target.
            models.Index(
                fields=["response_due_at"],
                condition=Q(status__in=["submitted", "under_review"]),
                name="referral_awaiting_due_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(version__gte=1), name="referral_version_positive", violation_error_message="Bad version."
            ),
            models.CheckConstraint(
                condition=~Q(status="scheduled") | (Q(appointment_at__isnull=False) & ~Q(appointment_place="")),
                name="referral_scheduled_has_appointment",
                violation_error_message="A scheduled referral needs an appointment date and place.",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | (~Q(rejection_reason="") & ~Q(rejection_comment="")),
                name="referral_rejected_has_reason",
                violation_error_message="A rejection needs a reason code and a comment.",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(patient_consent=True),
                name="referral_sent_has_consent",
                violation_error_message="The patient must consent before the referral is sent.",
            ),
        ]

    def __str__(self):
        return self.reference

    def get_absolute_url(self):
        return reverse("referrals:detail", kwargs={"pk": self.pk})

    def clean(self):
        born = self.patient_date_of_birth
        if isinstance(born, datetime.date) and born > timezone.localdate():
            raise ValidationError({"patient_date_of_birth": BIRTH_DATE_IN_FUTURE})

    # -- who is who on this referral: every page, API endpoint and service asks these

    def referred_by(self, user) -> bool:
        return user.is_authenticated and user.is_active and user.role == Role.GP and self.referring_gp_id == user.pk

    def received_by(self, user) -> bool:
        """The receiving oncologist, once the referral is sent (a draft is the GP's alone)."""
        return (
            user.is_authenticated
            and user.is_active
            and user.role == Role.ONCOLOGIST
            and user.physician_id is not None
            and self.oncologist_id == user.physician_id
            and self.status != Status.DRAFT
        )

    def is_party(self, user) -> bool:
        return self.referred_by(user) or self.received_by(user)

    @property
    def takes_messages(self) -> bool:
        return self.status not in (Status.DRAFT, Status.ENTERED_IN_ERROR)

    @property
    def takes_attachments(self) -> bool:
        return self.status not in (*FINAL_STATUSES, Status.COMPLETED)

    @property
    def patient_name(self) -> str:
        return f"{self.patient_first_name} {self.patient_last_name}"

    @property
    def is_overdue(self) -> bool:
        annotated = getattr(self, "overdue", None)
        if annotated is not None:
            return bool(annotated)
        return (
            self.status in AWAITING_RESPONSE_STATUSES
            and self.response_due_at is not None
            and self.response_due_at < timezone.now()
        )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def answered_within_target(self) -> bool | None:
        if self.first_response_at is None or self.response_due_at is None:
            return None
        return self.first_response_at <= self.response_due_at


class EventAction(models.TextChoices):
    SUBMIT = "submit", "Submitted"
    OPEN = "open", "Opened for review"
    REQUEST_INFO = "request_info", "Requested information"
    RESPOND = "respond", "Answered the information request"
    ACCEPT = "accept", "Accepted"
    REJECT = "reject", "Rejected"
    SCHEDULE = "schedule", "Scheduled"
    RESCHEDULE = "reschedule", "Rescheduled"
    NO_SHOW = "no_show", "Patient did not attend"
    COMPLETE = "complete", "Completed"
    ACKNOWLEDGE = "acknowledge", "Outcome acknowledged"
    CANCEL = "cancel", "Cancelled"
    FAIL = "fail", "Failed"
    ENTER_IN_ERROR = "enter_in_error", "Entered in error"
    RE_REFER = "re_refer", "Re-referred"


class ReferralEvent(models.Model):
    """One step of a referral's life. Append-only: the database refuses UPDATE and DELETE."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=20, choices=EventAction.choices)
    from_status = models.CharField(max_length=20, choices=Status.choices)
    to_status = models.CharField(max_length=20, choices=Status.choices)
    reason = models.TextField(max_length=8000, blank=True)
    created_at = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["referral", "created_at"], name="referral_event_timeline_idx")]

    def __str__(self):
        return f"{self.get_action_display()}: {self.from_status} -> {self.to_status}"


class Message(models.Model):
    """A note between the GP and the oncologist on one referral."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(max_length=8000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self):
        return f"Message {self.pk}"


class Attachment(models.Model):
    """A file on a referral, kept in the private attachments storage and served only by a permission-checking
    view."""

    class Kind(models.TextChoices):
        PDF = "application/pdf", "PDF"
        PNG = "image/png", "PNG image"
        JPEG = "image/jpeg", "JPEG image"

    # Stored and downloaded under the extension of the type its content was found to be.
    EXTENSIONS = {Kind.PDF: "pdf", Kind.PNG: "png", Kind.JPEG: "jpg"}

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="attachments")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=30, choices=Kind.choices)
    size = models.PositiveIntegerField()
    sha256 = models.CharField("SHA-256", max_length=64)
    storage_name = models.CharField(max_length=200, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(size__gt=0), name="attachment_not_empty", violation_error_message="The file is empty."
            ),
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"),
                name="attachment_sha256_hex",
                violation_error_message="A SHA-256 digest is 64 hexadecimal characters.",
            ),
        ]

    def __str__(self):
        return self.original_name

    def get_absolute_url(self):
        return reverse("referrals:attachment-download", kwargs={"pk": self.referral_id, "attachment_pk": self.pk})

    @staticmethod
    def storage() -> Storage:
        """Where every attachment's file is kept under its `storage_name`: settings.STORAGES["attachments"]."""
        return storages["attachments"]

    @staticmethod
    def storage_root() -> Path:
        """The folder of a filesystem storage (an S3 one has none: NotImplementedError)."""
        return Path(Attachment.storage().path(""))

    @property
    def path(self) -> Path:
        """The file itself, on a filesystem storage."""
        return Path(self.storage().path(self.storage_name))

    @property
    def download_name(self) -> str:
        """The uploaded name with the detected type's extension: a PNG uploaded as scan.pdf is scan.png."""
        stem = self.original_name.rsplit(".", 1)[0] if "." in self.original_name else self.original_name
        return f"{stem or 'attachment'}.{self.EXTENSIONS.get(self.content_type, 'bin')}"


# Room for an admin list's whole query string, which is what the log must show of a list read.
DETAIL_MAX_LENGTH = 2000


class AccessLog(models.Model):
    """Who read or wrote which referral, message or attachment, when and from where.

    The database refuses UPDATE and DELETE on this table (a trigger created in a migration).
    """

    class Action(models.TextChoices):
        LIST = "list", "List"
        VIEW = "view", "View"
        CREATE = "create", "Create"
        UPDATE = "update", "Update"
        DELETE = "delete", "Delete"
        TRANSITION = "transition", "Transition"
        DOWNLOAD = "download", "Download"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    role = models.CharField(max_length=20, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    object_type = models.CharField(max_length=30)
    object_id = models.CharField(max_length=64, blank=True)
    detail = models.CharField(
        max_length=DETAIL_MAX_LENGTH, blank=True, help_text="For example the transition's name, or a list's query."
    )
    channel = models.CharField(max_length=10, blank=True, help_text="page, api or admin")
    created_at = models.DateTimeField(db_default=Now(), editable=False)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="accesslog_object_idx")]

    def __str__(self):
        return f"{self.action} {self.object_type} {self.object_id}"
