"""The search form's fields and messages: every parameter of /physicians/, of the API and of the admin is
checked by one of these (filters.PARAMETERS says which), so the page and the API report the same errors."""

import re
from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.conf.locale import LANG_INFO
from django.utils.choices import BaseChoiceIterator, flatten_choices, normalize_choices

from .geo import zip_centroid, zip_place
from .models import ListingProblem, ListingReport, Physician
from .reference import ReferenceData, reference_data

DEFAULT_RADIUS_MILES = 25
MAX_RADIUS_MILES = 500
MIN_RADIUS_MILES = 1
MAX_QUERY_LENGTH = 200

# Error messages tests (and API clients) can rely on.
QUERY_TOO_LONG = f"Search text is limited to {MAX_QUERY_LENGTH} characters."
NULL_CHARACTERS = "This value contains a null character, which is not allowed."
ZIP_FORMAT = "Enter a US ZIP code of 5 digits (or ZIP+4), for example 10001."
ZIP_UNKNOWN = "We do not know the ZIP code %(zip)s. Please check it, or try a nearby ZIP code."
RADIUS_INVALID = "Enter the radius as a number of miles, for example 25."
RADIUS_RANGE = f"The radius must be between {MIN_RADIUS_MILES} and {MAX_RADIUS_MILES} miles."
SPECIALTY_UNKNOWN = "Unknown specialty %(value)s: choose one from the list or give a NUCC taxonomy code we list."
CANCER_UNKNOWN = "Unknown cancer type %(value)s: choose one from the list."
INSURANCE_UNKNOWN = "Unknown insurance %(value)s: choose your carrier (and plan type) from the list."
LANGUAGE_UNKNOWN = "Unknown language %(value)s: give a two-letter ISO 639-1 code such as es."
SEX_UNKNOWN = "Sex is F (female) or M (male)."
FLAG_INVALID = "Use 1 to turn this filter on (or leave it out)."
SORT_UNKNOWN = "Sort by relevance, distance or name."
SORT_DISTANCE_NEEDS_ZIP = "Sorting by distance needs a ZIP code."

# Switches take exactly these values (a checkbox sends 1): the API's schema lists them as its enum.
TRUE_VALUES = ("1", "true")
FALSE_VALUES = ("", "0", "false")
FLAG_VALUES = ["", "0", "1", "false", "true"]
# What ZipField accepts, surrounding spaces included (they are stripped): the API's schema pattern.
ZIP_PATTERN = r"^\s*([0-9]{5}(-?[0-9]{4})?)?\s*$"
NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
RADIUS_STEP = Decimal("0.01")

# ISO 639-1 languages: Django's list plus those common among US patients that Django has no translation for.
EXTRA_LANGUAGES = {
    "zh": "Chinese",
    "tl": "Tagalog",
    "ht": "Haitian Creole",
    "so": "Somali",
    "am": "Amharic",
    "yo": "Yoruba",
    "ha": "Hausa",
    "gu": "Gujarati",
    "lo": "Lao",
    "sm": "Samoan",
    "to": "Tongan",
    "ps": "Pashto",
    "yi": "Yiddish",
    "ti": "Tigrinya",
    "om": "Oromo",
    "rw": "Kinyarwanda",
    "ku": "Kurdish",
    "si": "Sinhala",
    "mt": "Maltese",
    "la": "Latin",
}
LANGUAGE_CHOICES = sorted(
    {
        **{code: info["name"] for code, info in LANG_INFO.items() if len(code) == 2 and "name" in info},
        **EXTRA_LANGUAGES,
    }.items(),
    key=lambda choice: choice[1],
)
LANGUAGE_NAMES = dict(LANGUAGE_CHOICES)
SEX_CHOICES = [("F", "Female"), ("M", "Male")]


def reject_null_characters(value: str) -> str:
    if "\x00" in (value or ""):
        raise forms.ValidationError(NULL_CHARACTERS, code="null_characters")
    return value


class QueryField(forms.CharField):
    """Free text: at most MAX_QUERY_LENGTH characters as sent (spaces included), then spaces collapsed."""

    def __init__(self, **kwargs):
        super().__init__(
            required=False,
            strip=False,
            max_length=MAX_QUERY_LENGTH,
            error_messages={"max_length": QUERY_TOO_LONG},
            **kwargs,
        )

    def to_python(self, value):
        return reject_null_characters(super().to_python(value))

    def clean(self, value):
        return " ".join(super().clean(value).split())


class FlagInput(forms.CheckboxInput):
    """A checkbox that hands the raw value to the field, so `accepting=maybe` is an error, not True."""

    def __init__(self, attrs=None):
        super().__init__(attrs, check_test=lambda value: str(value) in TRUE_VALUES)

    def value_from_datadict(self, data, files, name):
        return data.get(name, "")

    def format_value(self, value):
        return "1"


class FlagField(forms.Field):
    """accepting=1 style switches: 1 or true turn the filter on; 0, false or nothing leave it off."""

    widget = FlagInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        if value is True or value is False:
            return value
        text = reject_null_characters(str(value if value is not None else ""))
        if text in TRUE_VALUES:
            return True
        if text in FALSE_VALUES:
            return False
        raise forms.ValidationError(FLAG_INVALID, code="invalid")


class ZipField(forms.CharField):
    """A US ZIP code we know the centroid of; cleans to the 5-digit ZIP."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 10)
        kwargs.setdefault("error_messages", {"max_length": ZIP_FORMAT})
        super().__init__(**kwargs)

    def to_python(self, value):
        return reject_null_characters(super().to_python(value))

    def validate(self, value):
        super().validate(value)
        if not value:
            return
        if not re.fullmatch(r"[0-9]{5}(-?[0-9]{4})?", value):
            raise forms.ValidationError(ZIP_FORMAT, code="invalid")
        if zip_centroid(value) is None:
            raise forms.ValidationError(ZIP_UNKNOWN, code="unknown", params={"zip": value[:5]})

    def clean(self, value):
        value = super().clean(value)
        return value[:5] if value else ""


class RadiusField(forms.Field):
    """Miles: empty (the default applies), or a number as written (no spaces, exponent allowed) from
    MIN_RADIUS_MILES to MAX_RADIUS_MILES, then rounded to the hundredth of a mile."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        text = reject_null_characters(str(value if value is not None else ""))
        if not text:
            return None
        if not NUMBER.fullmatch(text):
            raise forms.ValidationError(RADIUS_INVALID, code="invalid")
        try:
            miles = Decimal(text)
            if not MIN_RADIUS_MILES <= miles <= MAX_RADIUS_MILES:
                raise forms.ValidationError(RADIUS_RANGE, code="range")
            return miles if miles == miles.quantize(RADIUS_STEP) else miles.quantize(RADIUS_STEP, ROUND_HALF_UP)
        except ArithmeticError:  # an exponent too large to hold
            raise forms.ValidationError(RADIUS_RANGE, code="range") from None


class LookupChoiceField(forms.ChoiceField):
    """A choice field whose unknown values get a message naming the value, NULs included (escaped)."""

    def __init__(self, *, unknown_message, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.error_messages["invalid_choice"] = unknown_message

    def validate(self, value):
        reject_null_characters(value)
        super().validate(value)


class PreparedChoices(BaseChoiceIterator):
    """A field's choices normalized once and shared by the forms of every request while the reference tables
    hold: Django normalizes a list each time one is assigned to a field or widget, and a callable's choices
    each time they are read (the hundred-odd languages, for validation and again for the menu).
    `choices`: (value, label) or (group, ((value, label), ...)), as tuples; `labels`: value -> label."""

    def __init__(self, choices):
        self.choices = tuple(
            (value, tuple(map(tuple, label)) if isinstance(label, list | tuple) else label)
            for value, label in normalize_choices(choices)
        )
        self.labels = dict(flatten_choices(self.choices))

    def __iter__(self):
        return iter(self.choices)

    def __deepcopy__(self, memo):
        return self  # never changed once built


# The search's choices and menus, built from the first form after reference_data() gives new tables:
# (reference data, parameters, {name: (choices, menu)}). Building them per form was 1 ms of every search.
_prepared: tuple[ReferenceData, tuple, dict[str, tuple[PreparedChoices, PreparedChoices]]] | None = None


def _prepared_choices(form, reference: ReferenceData) -> dict[str, tuple[PreparedChoices, PreparedChoices]]:
    """Each choice field's choices and its menu: the reference lookups (specialties, cancer types, ...) and the
    fixed lists (languages, sort)."""
    global _prepared
    if _prepared is None or _prepared[0] is not reference or _prepared[1] is not form.parameters:
        prepared = {}
        for parameter in form.parameters:
            field = form.fields[parameter.name]
            if parameter.choices is not None:
                any_choice = (("", f"Any {field.label.lower()}"),)
                prepared[parameter.name] = (
                    PreparedChoices([*any_choice, *parameter.choices(reference)]),
                    PreparedChoices([*any_choice, *(parameter.menu or parameter.choices)(reference)]),
                )
            elif isinstance(field, forms.ChoiceField):
                choices = PreparedChoices(field.choices)
                prepared[parameter.name] = (choices, choices)
        _prepared = (reference, form.parameters, prepared)
    return _prepared[2]


class SearchFormBase(forms.Form):
    """What every search form shares: NUL bytes reported (never echoed), the per-request lookup choices
    (specialties, cancer types) from the kept reference tables, so a search runs a fixed number of queries.
    Its fields are the declared search parameters (filters.PhysicianSearchForm)."""

    parameters = ()

    def __init__(self, data=None, *args, **kwargs):
        # A NUL byte is never valid, and must not be echoed back into the page: remember which fields had
        # one, show the value with a replacement character, and report the error on those fields.
        self.null_fields = set()
        if hasattr(data, "lists") and any("\x00" in value for _, values in data.lists() for value in values):
            clean = data.copy()
            for name, values in data.lists():
                if any("\x00" in value for value in values):
                    self.null_fields.add(name)
                    clean.setlist(name, [value.replace("\x00", "\N{REPLACEMENT CHARACTER}") for value in values])
            data = clean
        super().__init__(data, *args, **kwargs)

    def load_choices(self):
        self.reference = reference = reference_data()
        self.specialties, self.cancer_types = reference.specialties, reference.cancer_types
        self.specialty_codes = {s.code: s for s in self.specialties}
        self.cancer_by_slug = {c.slug: c for c in self.cancer_types}
        for name, (choices, menu) in _prepared_choices(self, reference).items():
            field = self.fields[name]
            field.choices, field.menu_choices = choices, menu.choices
            # The menu (its options may be in groups), plus the value asked for when it is valid but not on
            # the menu (a NUCC code).
            asked = self.data.get(self.add_prefix(name), "") if self.is_bound else ""
            shown = choices.labels.get(asked) if asked not in menu.labels else None
            field.widget.choices = [*menu, (asked, shown)] if shown else menu

    def set_widget_attributes(self):
        """Phone-friendly inputs: the right keyboard, autocomplete hints, no browser-side blocking (the
        server gives clearer messages than the browser would)."""
        attrs = {
            "q": {"type": "search", "autocomplete": "off", "spellcheck": "false"},
            "near": {"inputmode": "numeric", "autocomplete": "postal-code", "size": "10"},
            "radius": {"type": "text", "inputmode": "decimal", "size": "5"},
        }
        for name, extra in attrs.items():
            field = self.fields.get(name)
            if field is not None:
                field.widget.input_type = extra.pop("type", getattr(field.widget, "input_type", "text"))
                field.widget.attrs.update(extra)
                field.widget.attrs.pop("maxlength", None)

    def _clean_fields(self):
        super()._clean_fields()
        for name in self.null_fields & set(self.fields):
            self.errors.pop(name, None)
            self.cleaned_data.pop(name, None)
            self.add_error(name, forms.ValidationError(NULL_CHARACTERS, code="null_characters"))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("near") and cleaned.get("radius") is None and "radius" not in self.errors:
            cleaned["radius"] = Decimal(DEFAULT_RADIUS_MILES)
        return cleaned

    # Derived values the filters and the templates use.
    def choice_label(self, name: str, value: str) -> str:
        return self.fields[name].choices.labels.get(value, value)

    def specialty_ids(self, value: str) -> list[int]:
        if value in self.specialty_codes:
            return [self.specialty_codes[value].id]
        return [s.id for s in self.specialties if s.category == value]

    @property
    def more_fields(self):
        """The fields under the page's "More options", in declaration order."""
        return [self[p.name] for p in self.parameters if p.more]

    @property
    def origin(self) -> tuple[float, float] | None:
        near = self.cleaned_data.get("near") if hasattr(self, "cleaned_data") else None
        return zip_centroid(near) if near else None

    @property
    def near_place(self) -> str:
        near = self.cleaned_data.get("near") if hasattr(self, "cleaned_data") else None
        place = zip_place(near) if near else None
        return f"{place[0].title()}, {place[1]}" if place else ""


class ListingReportForm(forms.ModelForm):
    """The profile's "Report a problem with this listing": no account needed."""

    # A field people never see or fill (hidden, out of the tab order, unnamed for screen readers); a form
    # that comes back with it filled was sent by a robot, and is thanked and dropped.
    website = forms.CharField(required=False, max_length=200)

    class Meta:
        model = ListingReport
        fields = ["problem", "details"]
        labels = {"problem": "What is wrong?", "details": "Details"}
        help_texts = {
            "details": 'Optional, unless you chose "Something else". Please do not include anyone\'s health information.'
        }
        widgets = {"problem": forms.RadioSelect, "details": forms.Textarea(attrs={"rows": 3, "maxlength": 2000})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["problem"].choices = ListingProblem.choices  # no empty "---------" radio button

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("problem") == ListingProblem.OTHER and not cleaned.get("details", "").strip():
            self.add_error("details", "Say what is wrong with this listing.")
        return cleaned

    @property
    def is_robot(self) -> bool:
        return bool(self.cleaned_data.get("website"))

    def cleaned_data_for_report(self) -> dict:
        return {"problem": self.cleaned_data["problem"], "details": self.cleaned_data["details"]}


class YesNoNotKnownField(forms.NullBooleanField):
    """Yes, no or not known (None), as three radio buttons."""

    CHOICES = [("true", "Yes"), ("false", "No"), ("unknown", "Not stated")]

    def __init__(self, **kwargs):
        super().__init__(widget=forms.RadioSelect(choices=self.CHOICES), required=False, **kwargs)

    def prepare_value(self, value):
        # A stored value (True, False, None) or a sent one (text): the radio button to tick.
        return {True: "true", False: "false", "true": "true", "false": "false"}.get(value, "unknown")


class OwnListingForm(forms.ModelForm):
    """What an oncologist keeps on their own listing (services.OWN_LISTING_FIELDS)."""

    telehealth = YesNoNotKnownField(label="Do you offer telehealth visits?")
    languages = forms.MultipleChoiceField(
        choices=LANGUAGE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Languages you speak with patients",
        help_text="None ticked: the listing says the languages are not known.",
    )

    class Meta:
        model = Physician
        fields = ["telehealth", "languages", "bio"]
        widgets = {"bio": forms.Textarea(attrs={"rows": 5, "maxlength": 2000})}
        help_texts = {"bio": "A few sentences for patients: your focus, your approach, what to expect."}

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class OwnLocationForm(forms.Form):
    """One of the oncologist's locations: whether it accepts new patients, and the insurance plans it takes."""

    accepting = YesNoNotKnownField(label="Accepting new patients here?")
    plans = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Insurance plans taken here",
        help_text="None ticked: the listing says the plans are not known, and patients are asked to call.",
    )

    def __init__(self, *args, location, **kwargs):
        """`location` with its `accepted_plans` prefetched."""
        taken = [link.plan_id for link in location.accepted_plans.all()]
        super().__init__(
            *args,
            prefix=f"location-{location.pk}",
            initial={"accepting": location.accepting_new_patients, "plans": taken},
            **kwargs,
        )
        self.location = location
        self.known_plans = {plan.pk: plan for plan in reference_data().insurance_plans}
        self.fields["plans"].choices = [(pk, str(plan)) for pk, plan in self.known_plans.items()]

    def plan_groups(self) -> list[tuple[str, list]]:
        """The plans' checkboxes by carrier, for the page's one fieldset per carrier."""
        groups: dict[str, list] = {}
        for box in self["plans"]:
            plan = self.known_plans[box.data["value"]]
            groups.setdefault(plan.carrier.name, []).append((box, plan.name or plan.get_plan_type_display()))
        return list(groups.items())

    @property
    def taken_count(self) -> int:
        return len(self["plans"].value() or [])

    def chosen_plans(self) -> list:
        return [self.known_plans[pk] for pk in self.cleaned_data["plans"]]
