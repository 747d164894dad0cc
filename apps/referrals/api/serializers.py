"""Referral API serializers: every field listed explicitly; writes go through services."""

from django.urls import reverse
from rest_framework import serializers

from apps.directory.models import CancerType, Physician

from ..models import Attachment, Message, Referral, ReferralEvent, RejectionReason


class ReferralSerializer(serializers.ModelSerializer):
    """A referral as its GP, its oncologist or a curator with the clinical permission sees it."""

    oncologist_npi = serializers.CharField(source="oncologist.npi", read_only=True)
    oncologist_name = serializers.CharField(source="oncologist.display_name", read_only=True)
    referring_gp_name = serializers.CharField(source="referring_gp.full_name", read_only=True)
    cancer_type = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    suggested_colleague_npi = serializers.CharField(source="suggested_colleague.npi", read_only=True, allow_null=True)
    is_overdue = serializers.BooleanField(read_only=True)
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
            "patient_first_name",
            "patient_last_name",
            "patient_date_of_birth",
            "patient_sex",
            "patient_phone",
            "patient_email",
            "patient_mrn",
            "patient_consent",
            "cancer_type",
            "icd10_code",
            "clinical_question",
            "history",
            "investigations",
            "medications",
            "allergies",
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


class ReferralWriteSerializer(serializers.ModelSerializer):
    """The GP's input for a new referral or a draft's changes."""

    cancer_type = serializers.SlugRelatedField(slug_field="slug", queryset=CancerType.objects.all())

    class Meta:
        model = Referral
        fields = [
            "patient_first_name",
            "patient_last_name",
            "patient_date_of_birth",
            "patient_sex",
            "patient_phone",
            "patient_email",
            "patient_mrn",
            "patient_consent",
            "priority",
            "cancer_type",
            "icd10_code",
            "clinical_question",
            "history",
            "investigations",
            "medications",
            "allergies",
        ]


class ReferralCreateSerializer(ReferralWriteSerializer):
    oncologist_npi = serializers.RegexField(r"^\d{10}$", help_text="The receiving oncologist's NPI.")
    submit = serializers.BooleanField(default=False, help_text="Submit at once instead of saving a draft.")

    class Meta(ReferralWriteSerializer.Meta):
        fields = [*ReferralWriteSerializer.Meta.fields, "oncologist_npi", "submit"]

    def validate_oncologist_npi(self, value):
        physician = Physician.objects.active().filter(npi=value).first()
        if physician is None:
            raise serializers.ValidationError("No active physician has this NPI.")
        return physician


class ReferralUpdateSerializer(ReferralWriteSerializer):
    version = serializers.IntegerField(min_value=1, help_text="The version you loaded; a stale one is a 409.")

    class Meta(ReferralWriteSerializer.Meta):
        fields = [*ReferralWriteSerializer.Meta.fields, "version"]


# -- actions ------------------------------------------------------------------------------------


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, help_text="The version you loaded; a stale one is a 409.")

    def service_kwargs(self) -> dict:
        return dict(self.validated_data)


class CommentSerializer(VersionSerializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")


class QuestionSerializer(VersionSerializer):
    question = serializers.CharField(max_length=4000)


class AnswerSerializer(VersionSerializer):
    answer = serializers.CharField(max_length=4000)


class RejectSerializer(VersionSerializer):
    reason_code = serializers.ChoiceField(choices=RejectionReason.choices)
    comment = serializers.CharField(max_length=4000)
    advice = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")
    suggested_colleague_npi = serializers.RegexField(r"^\d{10}$", required=False, allow_null=True, default=None)

    def validate_suggested_colleague_npi(self, value):
        if value is None:
            return None
        physician = Physician.objects.active().filter(npi=value).first()
        if physician is None:
            raise serializers.ValidationError("No active physician has this NPI.")
        return physician

    def service_kwargs(self) -> dict:
        data = dict(self.validated_data)
        data["suggested_colleague"] = data.pop("suggested_colleague_npi")
        return data


class ScheduleSerializer(VersionSerializer):
    appointment_at = serializers.DateTimeField()
    place = serializers.CharField(max_length=300)


class CompleteSerializer(VersionSerializer):
    findings = serializers.CharField(max_length=8000)
    recommendations = serializers.CharField(max_length=8000)
    diagnosis = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")
    letter = serializers.CharField(required=False, allow_blank=True, max_length=20000, default="")


class ReasonSerializer(VersionSerializer):
    reason = serializers.CharField(max_length=4000)


ACTION_SERIALIZERS: dict[str, type[VersionSerializer]] = {
    "submit": VersionSerializer,
    "open": VersionSerializer,
    "request_info": QuestionSerializer,
    "respond": AnswerSerializer,
    "accept": CommentSerializer,
    "reject": RejectSerializer,
    "schedule": ScheduleSerializer,
    "reschedule": ScheduleSerializer,
    "no_show": CommentSerializer,
    "complete": CompleteSerializer,
    "acknowledge": VersionSerializer,
    "cancel": ReasonSerializer,
    "fail": ReasonSerializer,
    "enter_in_error": ReasonSerializer,
    "re_refer": VersionSerializer,
}


# -- messages, attachments, events ----------------------------------------------------------------


class MessageSerializer(serializers.ModelSerializer):
    author_name = serializers.CharField(source="author.full_name", read_only=True)

    class Meta:
        model = Message
        fields = ["id", "author_name", "body", "created_at"]
        read_only_fields = ["id", "author_name", "created_at"]


class AttachmentSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "original_name", "content_type", "size", "sha256", "created_at", "download_url"]
        read_only_fields = fields

    def get_download_url(self, obj) -> str:
        return reverse("api:referral-attachment-download", kwargs={"pk": obj.referral_id, "attachment_pk": obj.pk})


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True, help_text="PDF, PNG or JPEG, at most 10 MB.")


class EventSerializer(serializers.ModelSerializer):
    actor_name = serializers.CharField(source="actor.full_name", read_only=True)

    class Meta:
        model = ReferralEvent
        fields = ["id", "action", "from_status", "to_status", "reason", "actor_name", "created_at"]
        read_only_fields = fields
