"""Forms of the referral pages: parsing input only; every write goes through services."""

from django import forms

from apps.directory.models import CancerType

from .models import Attachment, Referral, RejectionReason


class ReferralForm(forms.ModelForm):
    """The GP's referral: patient, clinical content, priority and consent (Referral.DRAFT_FIELDS). The model
    validates them (its clean() included), so the page refuses exactly what the API refuses."""

    confirm_duplicate = forms.BooleanField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Referral
        fields = Referral.DRAFT_FIELDS
        widgets = {
            "patient_date_of_birth": forms.DateInput(attrs={"type": "date"}),
            "clinical_question": forms.Textarea(attrs={"rows": 4}),
            "history": forms.Textarea(attrs={"rows": 4}),
            "investigations": forms.Textarea(attrs={"rows": 3}),
            "medications": forms.Textarea(attrs={"rows": 2}),
            "allergies": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {"patient_date_of_birth": "Patient's date of birth"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cancer_type"].queryset = CancerType.objects.order_by("name")

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class VersionForm(forms.Form):
    """Every action carries the version the user saw, so a stale page cannot overwrite a newer decision."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def service_kwargs(self) -> dict:
        """Each field is the service's keyword of the same name, as in the API's action serializers."""
        return {name: self.cleaned_data[name] for name in self.fields}


class CommentForm(VersionForm):
    comment = forms.CharField(required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))


# The action forms only parse: a missing question, reason or appointment is refused by the service, with
# the same message the API gives.


class QuestionForm(VersionForm):
    question = forms.CharField(
        required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3}), label="What do you need?"
    )


class AnswerForm(VersionForm):
    answer = forms.CharField(
        required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3}), label="Your answer"
    )


class RejectForm(VersionForm):
    reason_code = forms.CharField(
        required=False, label="Reason", widget=forms.Select(choices=[("", "Choose a reason"), *RejectionReason.choices])
    )
    comment = forms.CharField(
        required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3}), label="Explanation"
    )
    advice = forms.CharField(
        required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2}), label="Advice for the GP"
    )
    suggested_colleague_npi = forms.CharField(required=False, label="Suggested colleague (NPI)")


class ScheduleForm(VersionForm):
    appointment_at = forms.DateTimeField(
        required=False,
        label="Appointment date and time",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    place = forms.CharField(required=False, max_length=300, label="Place")


class CompleteForm(VersionForm):
    findings = forms.CharField(required=False, max_length=8000, widget=forms.Textarea(attrs={"rows": 3}))
    diagnosis = forms.CharField(required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))
    recommendations = forms.CharField(required=False, max_length=8000, widget=forms.Textarea(attrs={"rows": 3}))
    letter = forms.CharField(
        required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 5}), label="Outcome letter"
    )


class ReasonForm(VersionForm):
    reason = forms.CharField(required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))


class MessageForm(forms.Form):
    body = forms.CharField(required=False, max_length=8000, widget=forms.Textarea(attrs={"rows": 3}), label="Message")


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label="Attach a file (PDF, PNG or JPEG, at most 10 MB)",
        allow_empty_file=True,  # the service refuses empty files with its own clear message
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(Attachment.Kind.values)}),
    )
