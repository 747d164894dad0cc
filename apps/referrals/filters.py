"""The referral list filters, parsed once for the oncologist's inbox page and GET /api/v1/referrals/: the
same values are accepted, and an unknown one is the same 400 with the same message on both."""

from django import forms

from .models import Priority, ReferralQuerySet, Status

UNKNOWN_VALUE = "Unknown value “%(value)s”: choose from {choices}."


def _choice_filter(choices, help_text: str) -> forms.MultipleChoiceField:
    values = ", ".join(value for value, _ in choices)
    return forms.MultipleChoiceField(
        required=False,
        choices=choices,
        help_text=help_text,
        error_messages={"invalid_choice": UNKNOWN_VALUE.format(choices=values)},
    )


class ReferralListFilter(forms.Form):
    status = _choice_filter(Status.choices, "Only referrals in these statuses (repeat the parameter for several).")
    priority = _choice_filter(Priority.choices, "Only referrals of these priorities.")

    def filter(self, referrals: ReferralQuerySet, *, default_statuses=()) -> ReferralQuerySet:
        """`referrals` narrowed to the chosen statuses (or `default_statuses` when none) and priorities."""
        return referrals.with_statuses(self.cleaned_data["status"] or default_statuses).with_priorities(
            self.cleaned_data["priority"]
        )

    def error_lists(self) -> dict[str, list[str]]:
        return {field: list(errors) for field, errors in self.errors.items()}
