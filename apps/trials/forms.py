"""The one validator of the trials pages and API: /trials/ and /api/v1/trials/ read the same form, with the
directory search's fields and messages for the ZIP code, the radius and the cancer type."""

import re

from django import forms

from apps.directory import forms as search_forms
from apps.directory.geo import zip_centroid
from apps.directory.reference import reference_data

from .rules import NCT_ID_FORMAT, NCT_ID_PATTERN

ZIP_REQUIRED = "Enter your ZIP code to find trials near you, for example 10001."
# What the required `near` accepts: the directory's ZIP_PATTERN without its empty value.
REQUIRED_ZIP_PATTERN = search_forms.ZIP_PATTERN.replace(r")?\s*$", r")\s*$")
assert REQUIRED_ZIP_PATTERN != search_forms.ZIP_PATTERN, "the directory's ZIP pattern changed: update this one"


def nct_id_error(value: str) -> str | None:
    """The message for a malformed NCT id (URL of the trial page and of the API), None when well formed."""
    return None if re.fullmatch(NCT_ID_PATTERN, value) else NCT_ID_FORMAT


class TrialSearchForm(forms.Form):
    """Recruiting trials near a ZIP code, optionally for one cancer type."""

    cancer = search_forms.LookupChoiceField(label="Cancer type", unknown_message=search_forms.CANCER_UNKNOWN)
    near = search_forms.ZipField(label="ZIP code", required=True, error_messages={"required": ZIP_REQUIRED})
    radius = search_forms.RadiusField(label="Within (miles)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cancer_by_slug = {c.slug: c for c in reference_data().cancer_types}
        self.fields["cancer"].choices = [
            ("", "Any cancer type"),
            *((c.slug, c.name) for c in self.cancer_by_slug.values()),
        ]
        self.fields["near"].widget.attrs.update(inputmode="numeric", autocomplete="postal-code", size="10")
        self.fields["near"].widget.attrs.pop("maxlength", None)
        self.fields["radius"].widget.attrs.update(inputmode="decimal", size="5")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("radius") is None and "radius" not in self.errors:
            cleaned["radius"] = search_forms.DEFAULT_RADIUS_MILES
        return cleaned

    def trials(self, queryset):
        """The valid form's search: TrialQuerySet.recruiting_near over `queryset`."""
        data = self.cleaned_data
        cancer = self.cancer_by_slug[data["cancer"]].id if data.get("cancer") else None
        lat, lng = zip_centroid(data["near"])
        return queryset.recruiting_near(lat, lng, float(data["radius"]), cancer_type_id=cancer)


class TrialSitesForm(forms.Form):
    """The trial page's optional ZIP code: its sites nearest to it first."""

    near = search_forms.ZipField(label="ZIP code")

    @property
    def origin(self) -> tuple[float, float] | None:
        near = self.cleaned_data.get("near") if self.is_valid() else None
        return zip_centroid(near) if near else None
