"""The search parameters of ResearchStudy, declared once like the directory's (parameters.py lists them in
SEARCH_PARAMETERS, so the CapabilityStatement shows exactly these). Each narrows `StudyCriteria` with the
trials' own QuerySet methods and validators (apps/trials: TrialQuerySet, InvestigatorMatch's linked pairs,
TrialSearchForm's cancer type). (parameters.py imports this module after declaring FhirParameter.)"""

from dataclasses import dataclass, field

from django import forms

from apps.directory import forms as search_forms
from apps.trials.forms import TrialSearchForm
from apps.trials.models import InvestigatorMatch, Trial

from . import values
from .parameters import FhirParameter
from .referral_resources import CANCER_TYPE_SYSTEM
from .study_resources import CTGOV_SYSTEM, STATUSES

BASE = "http://hl7.org/fhir/SearchParameter"


@dataclass
class StudyCriteria:
    """A ResearchStudy search as its parameters build it. A study that left ClinicalTrials.gov's file is found
    only when the search names it (`_id`, `identifier`), as a read by id finds it; other searches list the
    studies of the last file (TrialQuerySet.in_source)."""

    trials: object = field(default_factory=lambda: Trial.objects.all())
    named: bool = False
    near: dict = field(default_factory=dict)  # TrialSearchForm data (`near`, `radius`): the /trials/ search

    def listed(self):
        return self.trials if self.named else self.trials.in_source()

    def found(self):
        """The matching studies in the search's order: by NCT id; with `near`, /trials/'s search through its
        form (TrialSearchForm.trials: recruiting studies with a recruiting US site in the radius, nearest
        first, each with `distance_miles`), a 400 naming the parameter when the form refuses a value."""
        if not self.near:
            return self.listed().order_by("nct_id")
        form = TrialSearchForm(self.near)
        if not form.is_valid():
            name, messages = next(iter(form.errors.items()))
            raise values.invalid(name, " ".join(messages))
        return form.trials(self.listed())


def _ids(value: str, criteria: StudyCriteria) -> None:
    criteria.trials = criteria.trials.filter(nct_id__in=[values.token("_id", part) for part in value.split(",")])
    criteria.named = True


def _identifiers(value: str, criteria: StudyCriteria) -> None:
    ids = [values.token("identifier", part, system=CTGOV_SYSTEM) for part in value.split(",")]
    criteria.trials = criteria.trials.filter(nct_id__in=ids)
    criteria.named = True


def _status(value: str, criteria: StudyCriteria) -> None:
    known = sorted(set(STATUSES.values()))
    codes = {values.token("status", code) for code in value.split(",")}
    if not codes <= set(known):
        raise values.invalid("status", f"use one of {', '.join(known)}.")
    criteria.trials = criteria.trials.filter(status__in=[s for s, code in STATUSES.items() if code in codes])


def _condition(value: str, criteria: StudyCriteria) -> None:
    """An OncoDir cancer type, checked by the trials search's own field (its choices and message)."""
    slug = values.token("condition", value, system=CANCER_TYPE_SYSTEM)
    form = TrialSearchForm()
    try:
        form.fields["cancer"].clean(slug)
    except forms.ValidationError as error:
        raise values.invalid("condition", " ".join(error.messages)) from None
    criteria.trials = criteria.trials.for_cancer(form.cancer_by_slug[slug].id)


def _principal_investigators(value: str, criteria: StudyCriteria) -> None:
    npis = [values.reference("principalinvestigator", part, "Practitioner") for part in value.split(",")]
    led = InvestigatorMatch.objects.principal_investigators().filter(physician__npi__in=npis)
    criteria.trials = criteria.trials.filter(pk__in=led.values("trial_id"))


def _form_value(name: str):
    """A value of /trials/'s search form, as it is: TrialSearchForm validates it when the search runs."""

    def apply(value: str, criteria: StudyCriteria) -> None:
        criteria.near[name] = value

    return apply


def _last_updated(value: str, criteria: StudyCriteria) -> None:
    for lookup, when in values.date_comparison("_lastUpdated", value):
        criteria.trials = criteria.trials.changed(lookup, when)


RESEARCH_STUDY = (
    FhirParameter("_id", "token", "The NCT id (a study no longer listed on ClinicalTrials.gov is found too).",
                  _ids, f"{BASE}/Resource-id", many=True),
    FhirParameter("_lastUpdated", "date", "When OncoDir's import last changed the study, with prefix eq, gt, "
                  "ge, lt or le.", _last_updated, f"{BASE}/Resource-lastUpdated", repeatable=True),
    FhirParameter("identifier", "token", f"The NCT id ({CTGOV_SYSTEM}|<NCT id> or the NCT id alone; a study no "
                  "longer listed is found too).", _identifiers, f"{BASE}/ResearchStudy-identifier", many=True),
    FhirParameter("status", "token", f"One of {', '.join(sorted(set(STATUSES.values())))} (ClinicalTrials.gov's "
                  "overall status, mapped).", _status, f"{BASE}/ResearchStudy-status", many=True),
    FhirParameter("condition", "token", f"An OncoDir cancer type ({CANCER_TYPE_SYSTEM}|<slug> or the slug; see "
                  "/api/v1/cancer-types/): the studies OncoDir files under it.", _condition,
                  f"{BASE}/ResearchStudy-condition"),
    FhirParameter("principalinvestigator", "reference", "Practitioner/<NPI>: the studies whose overall principal "
                  "investigator is linked to that physician.", _principal_investigators,
                  f"{BASE}/ResearchStudy-principalinvestigator", many=True),
    FhirParameter("near", "token", "OncoDir's trials search (/trials/): a US ZIP code; recruiting studies with a "
                  "recruiting US site within `radius`, nearest first (each entry's search extension gives the "
                  "distance).", _form_value("near")),
    FhirParameter("radius", "number", f"With `near`: the distance in miles ({search_forms.DEFAULT_RADIUS_MILES} "
                  "when left out), as /trials/ takes it.", _form_value("radius")),
)  # fmt: skip
STUDY_SEARCH_PARAMETERS = {"ResearchStudy": RESEARCH_STUDY}
