"""Clinical trials as FHIR R4 `ResearchStudy` resources, beside resources.py's directory ones: one plain-dict
mapping, its tables declared once (the search parameters of study_parameters.py read the same tables).

A Trial is a ResearchStudy whose id is its NCT id. Its sites are contained Locations (`#site-<position>`), its
eligibility (ages, sex) a contained Group (`#eligibility`) its `enrollment` points to, its cancer types
codings of OncoDir's cancer-type system beside the conditions as published, and its principal investigator a
Practitioner only when the directory's physician is linked to the study's overall PI (a confident automatic
link or a curator's: InvestigatorMatch.objects.principal_investigators). A study that left ClinicalTrials.gov's
file keeps its last status and says it has gone in a `note`.
"""

import re

from apps.trials.models import status_words

from .referral_resources import CANCER_TYPE_SYSTEM
from .resources import _instant, _reference, practitioner_id

# ClinicalTrials.gov's identifier system. HL7 Terminology (THO) registers ClinicalTrials.gov under the URL
# http://clinicaltrials.gov (OID 2.16.840.1.113883.3.1077; first as CodeSystem ClinicalTrialsGov, retired in
# 2026 for NamingSystem ClinicalTrials-Gov, "an identifier system"), and CodeX/mCODE's clinical trial matching
# services put NCT ids in ResearchStudy.identifier under the same host (http://clinicaltrials.gov/).
CTGOV_SYSTEM = "http://clinicaltrials.gov"
PHASE_SYSTEM = "http://terminology.hl7.org/CodeSystem/research-study-phase"
GENDER_SYSTEM = "http://hl7.org/fhir/administrative-gender"
UCUM = "http://unitsofmeasure.org"
SITE_PREFIX = "site-"
ELIGIBILITY_ID = "eligibility"

# ClinicalTrials.gov's overall status -> R4 ResearchStudy.status (required binding, no "unknown" code).
# UNKNOWN (ClinicalTrials.gov: not verified for over 2 years after its last status, which was open) reads as
# closed-to-accrual: OncoDir already counts it closed (rules.CLOSED_STATUSES: never listed as recruiting), and
# R4 forces a claim; closed-to-accrual tells no one to enrol while claiming nothing about how it ended. A
# status ClinicalTrials.gov adds later reads as UNKNOWN does. Every resource's `note` keeps the published status.
STATUSES = {
    "RECRUITING": "active",
    "ENROLLING_BY_INVITATION": "active",
    "NOT_YET_RECRUITING": "approved",
    "ACTIVE_NOT_RECRUITING": "closed-to-accrual",
    "COMPLETED": "completed",
    "TERMINATED": "administratively-completed",
    "SUSPENDED": "temporarily-closed-to-accrual",
    "WITHDRAWN": "withdrawn",
    "UNKNOWN": "closed-to-accrual",
}
UNKNOWN_STATUS = "UNKNOWN"
# The published phases (Trial.phases) -> research-study-phase code and its display; none published: no phase.
PHASES = {
    ("NA",): ("n-a", "N/A"),
    ("EARLY_PHASE1",): ("early-phase-1", "Early Phase 1"),
    ("PHASE1",): ("phase-1", "Phase 1"),
    ("PHASE1", "PHASE2"): ("phase-1-phase-2", "Phase 1/Phase 2"),
    ("PHASE2",): ("phase-2", "Phase 2"),
    ("PHASE2", "PHASE3"): ("phase-2-phase-3", "Phase 2/Phase 3"),
    ("PHASE3",): ("phase-3", "Phase 3"),
    ("PHASE4",): ("phase-4", "Phase 4"),
}
# A published age ("18 Years") as a UCUM quantity.
AGE = re.compile(r"(?P<value>\d+(\.\d+)?) (?P<unit>Years?|Months?|Weeks?|Days?|Hours?|Minutes?)", re.IGNORECASE)
AGE_UNITS = {"year": "a", "month": "mo", "week": "wk", "day": "d", "hour": "h", "minute": "min"}
SEXES = {"FEMALE": "female", "MALE": "male"}  # ALL, or not given: no condition on sex


def fhir_status(status: str) -> str:
    return STATUSES.get(status, STATUSES[UNKNOWN_STATUS])


def research_study(trial, sites: list, principal_investigator=None) -> dict:
    """ResearchStudy: the study as published, its `sites` (the study's Site rows, in its order) contained,
    `principal_investigator` (an InvestigatorMatch with its physician, or None). Needs cancer_types
    prefetched."""
    contained = [_site(site) for site in sites]
    eligibility = _eligibility(trial)
    resource = {
        "resourceType": "ResearchStudy",
        "id": trial.nct_id,
        "meta": {"lastUpdated": _instant(trial.updated_at)},
        "contained": [*contained, eligibility],
        "identifier": [{"use": "official", "system": CTGOV_SYSTEM, "value": trial.nct_id}],
        "title": trial.title,
        "status": fhir_status(trial.status),
        "condition": [
            *({"text": condition} for condition in trial.conditions),
            *(
                {"coding": [{"system": CANCER_TYPE_SYSTEM, "code": c.slug, "display": c.name}], "text": c.name}
                for c in sorted(trial.cancer_types.all(), key=lambda c: c.name)
            ),
        ],
        "relatedArtifact": [{"type": "documentation", "label": "ClinicalTrials.gov", "url": trial.study_url}],
        "enrollment": [{"reference": f"#{ELIGIBILITY_ID}", "display": eligibility["name"]}],
        "site": [{"reference": f"#{site['id']}", **({"display": site["name"]} if "name" in site else {})}
                 for site in contained],
        "note": [{"text": _status_note(trial)}],
    }  # fmt: skip
    phase = PHASES.get(tuple(trial.phases))
    if phase:
        code, display = phase
        resource["phase"] = {"coding": [{"system": PHASE_SYSTEM, "code": code, "display": display}],
                             "text": trial.phase_display}  # fmt: skip
    period = {key: value for key, value in (("start", trial.start_date), ("end", trial.completion_date)) if value}
    if period:
        resource["period"] = period
    if trial.sponsor:
        resource["sponsor"] = {"display": trial.sponsor}
    if principal_investigator is not None:
        physician = principal_investigator.physician
        resource["principalInvestigator"] = _reference(
            "Practitioner", practitioner_id(physician), physician.display_name
        )
    for key in ("condition", "site"):
        if not resource[key]:
            del resource[key]
    return resource


def _status_note(trial) -> str:
    published = f"Overall status on ClinicalTrials.gov: {status_words(trial.status)}."
    if trial.in_source:
        return published
    since = f" since {trial.left_source_at.date().isoformat()}" if trial.left_source_at else ""
    return f"No longer listed on ClinicalTrials.gov{since}; its last published status is shown. {published}"


def _site(site) -> dict:
    """A contained Location: the site as published, its position when it has coordinates."""
    address = {key: value for key, value in (("city", site.city), ("state", site.state),
                                             ("postalCode", site.zip_code), ("country", site.country)) if value}  # fmt: skip
    location = {"resourceType": "Location", "id": f"{SITE_PREFIX}{site.position}"}
    if site.facility:
        location["name"] = site.facility
    notes = [f"Site status: {status_words(site.status)}." if site.status else ""]
    if site.latitude is not None and site.longitude is not None:
        location["position"] = {"latitude": site.latitude, "longitude": site.longitude}
        notes.append("Position: the ZIP code's centre." if site.coordinates_from_zip else "")
    description = " ".join(note for note in notes if note)
    if description:
        location["description"] = description
    if address:
        location["address"] = {"text": ", ".join(address.values()), **address}
    return location


def _eligibility(trial) -> dict:
    """A contained Group: who may enrol, by age and sex (the study's criteria in full are on its page)."""
    characteristics = []
    low, high = _age(trial.minimum_age), _age(trial.maximum_age)
    if low or high:
        age = {**({"low": low} if low else {}), **({"high": high} if high else {})}
        characteristics.append({"code": {"text": "Age"}, "valueRange": age, "exclude": False})
    if trial.sex in SEXES:
        gender = {"system": GENDER_SYSTEM, "code": SEXES[trial.sex], "display": SEXES[trial.sex].capitalize()}
        characteristics.append(
            {"code": {"text": "Sex"}, "valueCodeableConcept": {"coding": [gender]}, "exclude": False}
        )
    group = {
        "resourceType": "Group",
        "id": ELIGIBILITY_ID,
        "type": "person",
        "actual": False,
        "name": f"Ages: {trial.age_display}. Sex: {trial.sex_display}.",
    }
    if characteristics:
        group["characteristic"] = characteristics
    return group


def _age(text: str) -> dict | None:
    found = AGE.fullmatch(text.strip())
    if not found:
        return None
    unit = found["unit"].lower().rstrip("s")
    value = float(found["value"])
    return {"value": int(value) if value.is_integer() else value, "unit": f"{unit}s" if value != 1 else unit,
            "system": UCUM, "code": AGE_UNITS[unit]}  # fmt: skip
