"""The read interaction: one resource by id, whatever its state (a deactivated physician reads as active=false)."""

from apps.directory.models import Affiliation, Institution, Physician, PracticeLocation
from apps.trials.forms import nct_id_error
from apps.trials.models import InvestigatorMatch, Site, Trial

from . import resources, study_resources
from .resources import AFFILIATION_PREFIX, INSTITUTION_PREFIX, PRACTICE_PREFIX


def _number(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None


def practitioner(resource_id: str) -> dict | None:
    physician = Physician.objects.for_practitioner().filter(npi=resource_id).first()
    return resources.practitioner(physician) if physician else None


def _location(resource_id: str) -> PracticeLocation | None:
    pk = _number(resource_id)
    return PracticeLocation.objects.for_roles().filter(pk=pk).first() if pk is not None else None


def practitioner_role(resource_id: str) -> dict | None:
    if resource_id.startswith(AFFILIATION_PREFIX):
        pk = _number(resource_id.removeprefix(AFFILIATION_PREFIX))
        found = Affiliation.objects.for_roles().filter(pk=pk).first() if pk is not None else None
        return resources.affiliation_role(found) if found else None
    location = _location(resource_id)
    return resources.practitioner_role(location) if location else None


def location(resource_id: str) -> dict | None:
    found = _location(resource_id)
    return resources.location_resource(found) if found else None


def organization(resource_id: str) -> dict | None:
    if resource_id.startswith(PRACTICE_PREFIX):
        pk = _number(resource_id.removeprefix(PRACTICE_PREFIX))
        found = PracticeLocation.objects.filter(pk=pk).first() if pk is not None else None
        return resources.practice_organization(found) if found else None
    if resource_id.startswith(INSTITUTION_PREFIX):
        pk = _number(resource_id.removeprefix(INSTITUTION_PREFIX))
        found = Institution.objects.filter(pk=pk).first() if pk is not None else None
        return resources.institution_organization(found) if found else None
    return None


def research_study(resource_id: str) -> dict | None:
    """A study by NCT id, as the trial page finds it (whatever its status, listed or not)."""
    if nct_id_error(resource_id):
        return None
    trial = Trial.objects.prefetch_related("cancer_types").filter(nct_id=resource_id).first()
    return research_studies([trial])[0] if trial else None


def research_studies(trials: list[Trial]) -> list[dict]:
    """The ResearchStudy of each trial (cancer_types prefetched): its sites in the study's order and its linked
    principal investigator (of_trial's order, first), two queries whatever the number of trials and sites."""
    if not trials:
        return []
    sites: dict[int, list[Site]] = {}
    for site in Site.objects.filter(trial__in=trials).nearest_first(None):
        sites.setdefault(site.trial_id, []).append(site)
    leaders: dict[int, InvestigatorMatch] = {}
    found = InvestigatorMatch.objects.principal_investigators().filter(trial__in=trials).select_related("physician")
    for match in found.order_by("physician__last_name", "physician__first_name", "id"):
        leaders.setdefault(match.trial_id, match)
    return [study_resources.research_study(trial, sites.get(trial.pk, []), leaders.get(trial.pk)) for trial in trials]


READERS = {
    "Practitioner": practitioner,
    "PractitionerRole": practitioner_role,
    "Location": location,
    "Organization": organization,
    "ResearchStudy": research_study,
}
