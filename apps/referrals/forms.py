"""Forms of the referral pages: parsing input only; every write goes through services."""

from django import forms
from django.utils import timezone

from apps.directory.models import CancerType, Physician

from .models import Attachment, Referral, RejectionReason


class ReferralForm(forms.ModelForm):
    """The GP's referral: patient, clinical content, priority and consent. Fields listed explicitly."""

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
            "priority",
            "cancer_type",
            "icd10_code",
            "clinical_question",
            "history",
            "investigations",
            "medications",
            "allergies",
            "patient_consent",
        ]
        widgets = {
            "patient_date_of_birth": forms.DateInput(attrs={"type": "date"}),
            "clinical_question": forms.Textarea(attrs={"rows": 4}),
            "history": forms.Textarea(attrs={"rows": 4}),
            "investigations": forms.Textarea(attrs={"rows": 3}),
            "medications": forms.Textarea(attrs={"rows": 2}),
            "allergies": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cancer_type"].queryset = CancerType.objects.order_by("name")
        self.fields["patient_date_of_birth"].label = "Patient's date of birth"

    def clean_patient_date_of_birth(self):
        value = self.cleaned_data["patient_date_of_birth"]
        if value and value > timezone.localdate():
            raise forms.ValidationError("The date of birth cannot be in the future.")
        return value

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class VersionForm(forms.Form):
    """Every action carries the version the user saw, so a stale page cannot overwrite a newer decision."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def service_kwargs(self) -> dict:
        return {"version": self.cleaned_data["version"]}


class CommentForm(VersionForm):
    comment = forms.CharField(required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))

    def service_kwargs(self) -> dict:
        return {**super().service_kwargs(), "comment": self.cleaned_data["comment"]}


class QuestionForm(VersionForm):
    question = forms.CharField(max_length=4000, widget=forms.Textarea(attrs={"rows": 3}), label="What do you need?")

    def service_kwargs(self) -> dict:
        return {**super().service_kwargs(), "question": self.cleaned_data["question"]}


class AnswerForm(VersionForm):
    answer = forms.CharField(max_length=4000, widget=forms.Textarea(attrs={"rows": 3}), label="Your answer")

    def service_kwargs(self) -> dict:
        return {**super().service_kwargs(), "answer": self.cleaned_data["answer"]}


class RejectForm(VersionForm):
    reason_code = forms.ChoiceField(choices=RejectionReason.choices, label="Reason")
    comment = forms.CharField(max_length=4000, widget=forms.Textarea(attrs={"rows": 3}), label="Explanation")
    advice = forms.CharField(
        required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2}), label="Advice for the GP"
    )
    suggested_colleague_npi = forms.RegexField(
        regex=r"^\d{10}$", required=False, label="Suggested colleague (NPI)", error_messages={"invalid": "10 digits."}
    )

    def clean_suggested_colleague_npi(self):
        npi = self.cleaned_data["suggested_colleague_npi"]
        if not npi:
            return None
        physician = Physician.objects.active().filter(npi=npi).first()
        if physician is None:
            raise forms.ValidationError("No active physician has this NPI.")
        return physician

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            **super().service_kwargs(),
            "reason_code": data["reason_code"],
            "comment": data["comment"],
            "advice": data["advice"],
            "suggested_colleague": data["suggested_colleague_npi"],
        }


class ScheduleForm(VersionForm):
    appointment_at = forms.DateTimeField(
        label="Appointment date and time", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    place = forms.CharField(max_length=300, label="Place")

    def service_kwargs(self) -> dict:
        return {
            **super().service_kwargs(),
            "appointment_at": self.cleaned_data["appointment_at"],
            "place": self.cleaned_data["place"],
        }


class CompleteForm(VersionForm):
    findings = forms.CharField(max_length=8000, widget=forms.Textarea(attrs={"rows": 3}))
    diagnosis = forms.CharField(required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))
    recommendations = forms.CharField(max_length=8000, widget=forms.Textarea(attrs={"rows": 3}))
    letter = forms.CharField(
        required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 5}), label="Outcome letter"
    )

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            **super().service_kwargs(),
            "findings": data["findings"],
            "diagnosis": data["diagnosis"],
            "recommendations": data["recommendations"],
            "letter": data["letter"],
        }


class ReasonForm(VersionForm):
    reason = forms.CharField(max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))

    def service_kwargs(self) -> dict:
        return {**super().service_kwargs(), "reason": self.cleaned_data["reason"]}


class MessageForm(forms.Form):
    body = forms.CharField(max_length=8000, widget=forms.Textarea(attrs={"rows": 3}), label="Message")


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label="Attach a file (PDF, PNG or JPEG, at most 10 MB)",
        allow_empty_file=True,  # the service refuses empty files with its own clear message
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(Attachment.Kind.values)}),
    )


ACTION_FORMS: dict[str, type[VersionForm]] = {
    "submit": VersionForm,
    "open": VersionForm,
    "request_info": QuestionForm,
    "respond": AnswerForm,
    "accept": CommentForm,
    "reject": RejectForm,
    "schedule": ScheduleForm,
    "reschedule": ScheduleForm,
    "no_show": CommentForm,
    "complete": CompleteForm,
    "acknowledge": VersionForm,
    "cancel": ReasonForm,
    "fail": ReasonForm,
    "enter_in_error": ReasonForm,
    "re_refer": VersionForm,
}
