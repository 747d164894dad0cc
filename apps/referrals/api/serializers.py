"""Referral API serializers: every field listed explicitly; writes go through services."""

from django.core.exceptions import FieldDoesNotExist
from django.core.validators import RegexValidator
from django.db import models
from django.http import QueryDict
from django.urls import reverse
from rest_framework import serializers

from apps.directory.models import CancerType

from ..models import CASE_FIELDS, PATIENT_FIELDS, Attachment, Message, Referral, ReferralEvent, RejectionReason


def _model_field(name: str):
    try:
        return Referral._meta.get_field(name)
    except FieldDoesNotExist:
        return None


class ReferralSerializer(serializers.ModelSerializer):
    """A referral as its GP, its oncologist or a curator with the clinical permission sees it."""

    oncologist_npi = serializers.CharField(source="oncologist.npi", read_only=True)
    oncologist_name = serializers.CharField(source="oncologist.display_name", read_only=True)
    referring_gp_name = serializers.CharField(source="referring_gp.full_name", read_only=True)
    cancer_type = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    suggested_colleague_npi = serializers.CharField(source="suggested_colleague.npi", read_only=True, allow_null=True)
    is_overdue = serializers.BooleanField(read_only=True)
    patient_email = serializers.CharField(read_only=True, allow_blank=True, help_text="Blank when not given.")
    url = serializers.SerializerMethodField()

    class Meta:
        model = Referral
        fields = [
            "id",
            "reference",
            "url",
            "status",
            "version",
            "priority",
            "is_overdue",
            "response_due_at",
            "referring_gp_name",
            "oncologist_npi",
            "oncologist_name",
            *PATIENT_FIELDS,
            "patient_consent",
            *CASE_FIELDS,
            "created_at",
            "submitted_at",
            "first_reviewed_at",
            "info_requested_at",
            "info_provided_at",
            "decided_at",
            "accepted_at",
            "rejected_at",
            "scheduled_at",
            "completed_at",
            "acknowledged_at",
            "cancelled_at",
            "failed_at",
            "entered_in_error_at",
            "appointment_at",
            "appointment_place",
            "rejection_reason",
            "rejection_comment",
            "rejection_advice",
            "suggested_colleague_npi",
            "closing_reason",
            "outcome_findings",
            "outcome_diagnosis",
            "outcome_recommendations",
            "outcome_letter",
            "replaces",
        ]
        read_only_fields = fields

    def get_url(self, obj) -> str:
        return reverse("api:referral-detail", kwargs={"pk": obj.pk})

    def get_fields(self):
        """Say what the model allows: read-only fields lose DRF's `allow_blank`, and non-editable ones their
        `allow_null`, so the schema would promise values that a draft or an open referral does not have."""
        fields = super().get_fields()
        for name, field in fields.items():
            model_field = _model_field(field.source or name)
            if model_field is None:
                continue
            if model_field.null:
                field.allow_null = True
            if model_field.blank and hasattr(field, "allow_blank"):
                field.allow_blank = True
        return fields


class _StrictTextMixin:
    """Text as the schema says it: a JSON string (DRF would turn a number into one), and `maxLength` and
    `pattern` hold for the text as sent, not only once surrounding spaces are trimmed."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        if data != data.strip():
            for validator in self.validators:
                if isinstance(validator, RegexValidator):
                    raise serializers.ValidationError(validator.message, code=validator.code)
        return super().to_internal_value(data)


class _StrictCharField(_StrictTextMixin, serializers.CharField):
    pass


class _StrictEmailField(_StrictTextMixin, serializers.EmailField):
    pass


class _StrictBooleanField(serializers.BooleanField):
    """In JSON, true or false as the schema says (DRF would also take "yes", 1 or "on"); a form sends text."""

    def to_internal_value(self, data):
        if isinstance(self.root.initial_data, QueryDict):
            return super().to_internal_value(data)
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class ReferralWriteSerializer(serializers.ModelSerializer):
    """The GP's input for a new referral or a draft's changes (Referral.DRAFT_FIELDS). The model validates
    them, its clean() included; an empty required field reads as the page says it: "This field is required."."""

    cancer_type = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=CancerType.objects.all(),
        help_text="The slug of a cancer type the directory knows (for example `breast`); any other is a 400.",
    )

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: _StrictCharField,
        models.TextField: _StrictCharField,
        models.EmailField: _StrictEmailField,
        models.BooleanField: _StrictBooleanField,
    }

    class Meta:
        model = Referral
        fields = list(Referral.DRAFT_FIELDS)
        extra_kwargs = {"patient_date_of_birth": {"help_text": "Not in the future (otherwise a 400)."}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.error_messages["blank"] = field.error_messages["null"] = field.error_messages["required"]


class ReferralCreateSerializer(ReferralWriteSerializer):
    oncologist_npi = _StrictCharField(
        help_text="The receiving oncologist's NPI: an active physician with an OncoDir oncologist account "
        "(otherwise a 400)."
    )
    submit = _StrictBooleanField(default=False, help_text="Submit at once instead of saving a draft.")
    confirm_duplicate = _StrictBooleanField(
        default=False,
        help_text="Create it even though the patient has an open referral to this oncologist (otherwise a 400).",
    )

    class Meta(ReferralWriteSerializer.Meta):
        fields = [*ReferralWriteSerializer.Meta.fields, "oncologist_npi", "submit", "confirm_duplicate"]


class ReferralUpdateSerializer(ReferralWriteSerializer):
    version = serializers.IntegerField(min_value=1, help_text="The version you loaded; a stale one is a 409.")

    class Meta(ReferralWriteSerializer.Meta):
        fields = [*ReferralWriteSerializer.Meta.fields, "version"]


# -- actions ------------------------------------------------------------------------------------


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, help_text="The version you loaded; a stale one is a 409.")

    def service_kwargs(self) -> dict:
        return dict(self.validated_data)


# The action serializers only parse: a missing question, reason or appointment is refused by the service,
# with the same message the page gives.


def _text(max_length: int, help_text: str = "") -> serializers.CharField:
    return _StrictCharField(
        required=False, allow_blank=True, max_length=max_length, default="", help_text=help_text or None
    )


class CommentSerializer(VersionSerializer):
    comment = _text(4000)


class QuestionSerializer(VersionSerializer):
    question = _text(4000, "What you need from the GP (required).")


class AnswerSerializer(VersionSerializer):
    answer = _text(4000, "The answer to the information request (required).")


class RejectSerializer(VersionSerializer):
    reason_code = _StrictCharField(
        required=False, allow_blank=True, default="", help_text=f"One of: {', '.join(RejectionReason.values)}."
    )
    comment = _text(4000, "The explanation for the GP (required).")
    advice = _text(4000)
    suggested_colleague_npi = _StrictCharField(
        required=False, allow_blank=True, allow_null=True, default="", help_text="An active physician's NPI."
    )


class ScheduleSerializer(VersionSerializer):
    appointment_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="Required, and in the future (otherwise a 400)."
    )
    place = _text(300, "Where (required).")


class CompleteSerializer(VersionSerializer):
    findings = _text(8000, "Required.")
    recommendations = _text(8000, "Required.")
    diagnosis = _text(4000)
    letter = _text(20000)


class ReasonSerializer(VersionSerializer):
    reason = _text(4000, "Why (required).")


# -- messages, attachments, events ----------------------------------------------------------------


class MessageSerializer(serializers.ModelSerializer):
    author_name = serializers.CharField(source="author.full_name", read_only=True)

    class Meta:
        model = Message
        fields = ["id", "author_name", "body", "created_at"]
        read_only_fields = ["id", "author_name", "created_at"]
        extra_kwargs = {"body": {"allow_blank": True}}  # the service says "Write a message."


class AttachmentSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "original_name", "content_type", "size", "sha256", "created_at", "download_url"]
        read_only_fields = fields

    def get_download_url(self, obj) -> str:
        return reverse("api:referral-attachment-download", kwargs={"pk": obj.referral_id, "attachment_pk": obj.pk})


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=True,
        help_text="A whole, readable PDF, PNG or JPEG of at most 10 MB, without web page code; anything else "
        "(an empty file, a GIF, a renamed program, a PDF/HTML polyglot) is a 400.",
    )


class EventSerializer(serializers.ModelSerializer):
    actor_name = serializers.CharField(source="actor.full_name", read_only=True)

    class Meta:
        model = ReferralEvent
        fields = ["id", "action", "from_status", "to_status", "reason", "actor_name", "created_at"]
        read_only_fields = fields
