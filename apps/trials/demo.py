"""Demo clinical trials for seed_demo: synthetic studies in ClinicalTrials.gov's API v2 shape, written as study
files and loaded through the real import (services.trials_import), which then runs the real matching.

The studies are built around the demo directory's physicians: most name a physician as the principal
investigator of a site at their own practice (written as studies write names: "Dr.", credentials, capitals,
a middle initial), so they are linked; some name near-misses that the matching must not link (the same name
with another middle initial, the same name in another state) or only queue for review (an overall official
known by affiliation alone). Same seed, same studies; NCT ids start at NCT99, which no real study has yet.
"""

import json
import random
import tempfile
from pathlib import Path

from localflavor.us.us_states import US_STATES

from apps.directory.geo import zip_centroid
from apps.directory.models import CancerType, PracticeLocation
from apps.registry.models import ImportRun

from .services import trials_import

FIRST_NCT = 99_000_000
SHOWCASE_ZIP = "10001"
STATE_NAMES = {code: str(name) for code, name in US_STATES}
# Condition as studies write it, per OncoDir cancer type (rules.CANCER_TYPE_PATTERNS files them back).
CONDITIONS = {
    "breast": ["Breast Cancer", "HER2-positive Breast Cancer", "Triple Negative Breast Cancer"],
    "lung": ["Non-small Cell Lung Cancer", "Small Cell Lung Cancer"],
    "colorectal": ["Colorectal Cancer", "Metastatic Colon Cancer"],
    "prostate": ["Prostate Cancer", "Metastatic Castration-resistant Prostate Cancer"],
    "pancreatic": ["Pancreatic Ductal Adenocarcinoma"],
    "melanoma": ["Melanoma"],
    "leukemia": ["Acute Myeloid Leukemia", "Chronic Lymphocytic Leukemia"],
    "lymphoma": ["Diffuse Large B-Cell Lymphoma", "Hodgkin Lymphoma"],
    "myeloma": ["Multiple Myeloma"],
    "ovarian": ["Ovarian Cancer"],
}
TREATMENTS = [
    "Pembrolizumab", "Trastuzumab Deruxtecan", "Olaparib", "Sotorasib", "Nivolumab and Ipilimumab",
    "Hypofractionated Radiation Therapy", "Exercise During Chemotherapy", "Circulating Tumor DNA-guided Therapy",
    "Sacituzumab Govitecan", "CAR T-cell Therapy", "Palbociclib", "Stereotactic Body Radiation Therapy",
]  # fmt: skip
STATUSES = ["RECRUITING"] * 7 + ["NOT_YET_RECRUITING", "ACTIVE_NOT_RECRUITING", "COMPLETED"]
PHASES = [["PHASE1"], ["PHASE1", "PHASE2"], ["PHASE2"], ["PHASE3"], ["PHASE2"], ["NA"]]
# A Manhattan site for the first studies when New York has too few breast oncologists to lead them, so that
# "breast cancer near 10001" always finds some.
MANHATTAN = {
    "facility": "Memorial Sloan Kettering Cancer Center",
    "city": "New York",
    "state": "New York",
    "zip": "10065",
    "country": "United States",
    "geoPoint": {"lat": 40.7644, "lon": -73.9558},
}
ABROAD = [
    {"facility": "Princess Margaret Cancer Centre", "city": "Toronto", "state": "Ontario", "zip": "M5G 2M9",
     "country": "Canada", "geoPoint": {"lat": 43.6581, "lon": -79.3907}},
    {"facility": "The Royal Marsden", "city": "London", "zip": "SW3 6JJ", "country": "United Kingdom",
     "geoPoint": {"lat": 51.4904, "lon": -0.1716}},
]  # fmt: skip
COORDINATORS = ["Pat Morgan, RN", "Sam Rivera, BSN", "Alex Chen, CCRP"]


def _written(rng: random.Random, first: str, middle: str, last: str) -> str:
    """A name as a study may write it: with "Dr.", credentials, capitals or a middle initial."""
    form = rng.randrange(5)
    if form == 0:
        return f"Dr. {first} {last}"
    if form == 1:
        return f"{first} {last}, MD"
    if form == 2:
        return f"{first} {last}".upper()
    if form == 3 and middle:
        return f"{first} {middle[0]}. {last}, MD, PhD"
    return f"{first} {last}"


def _site(location: PracticeLocation, status: str, contacts: list[tuple[str, str]]) -> dict:
    return {
        "facility": location.name or "Oncology Practice",
        "status": status,
        "city": location.city.title(),
        "state": STATE_NAMES.get(location.state, location.state),
        "zip": location.zip_code[:5],
        "country": "United States",
        "contacts": [{"name": name, "role": role} for name, role in contacts],
        "geoPoint": {"lat": location.latitude, "lon": location.longitude},
    }


def demo_studies(*, seed: int, count: int) -> list[dict]:
    """`count` studies around the directory's physicians (none when it has no practice with coordinates)."""
    rng = random.Random(seed)
    slugs = dict(CancerType.objects.values_list("id", "slug"))
    locations = list(
        PracticeLocation.objects.filter(is_primary=True, latitude__isnull=False, physician__is_active=True)
        .select_related("physician")
        .order_by("physician__npi")
    )
    if not locations:
        return []
    # Breast oncologists near 10001 lead the first studies: the demo's "breast cancer near 10001".
    lat, lng = zip_centroid(SHOWCASE_ZIP)
    showcase = [
        loc
        for loc in locations
        if abs(loc.latitude - lat) < 0.25 and abs(loc.longitude - lng) < 0.3 and "breast" in _cancers(loc, slugs)
    ]
    leads = showcase[:6] + rng.sample(locations, min(count, len(locations)))
    studies = []
    for index in range(count):
        lead = leads[index % len(leads)]
        cancers = [slug for slug in _cancers(lead, slugs) if slug in CONDITIONS] or [rng.choice(sorted(CONDITIONS))]
        cancer = "breast" if index < 6 else rng.choice(cancers)
        condition = rng.choice(CONDITIONS[cancer])
        status = "RECRUITING" if index < 6 else rng.choice(STATUSES)
        sites, officials = _people_and_sites(rng, index, lead, locations, showcase, status)
        studies.append(_study(rng, index, cancer, condition, status, sites, officials))
    return studies


def _people_and_sites(rng, index: int, lead, locations: list, showcase: list, status: str) -> tuple[list, list]:
    """The study's sites with their named people, and its officials: the lead's own site and two colleagues',
    and in turn the near-misses that must not link (another middle initial; the same name in another state)."""
    doctor = lead.physician
    pi = (_written(rng, doctor.first_name, doctor.middle_name, doctor.last_name), "PRINCIPAL_INVESTIGATOR")
    sites = [_site(lead, status, [pi, (rng.choice(COORDINATORS), "CONTACT")])]
    if index < 6 and lead not in showcase:  # too few breast oncologists near 10001 in a small directory
        sites.insert(0, {**MANHATTAN, "status": status})
    for other in rng.sample(locations, min(2, len(locations))):
        if other.physician_id != doctor.pk:
            who = other.physician
            sites.append(_site(other, status, [(f"{who.first_name} {who.last_name}", "SUB_INVESTIGATOR")]))
    officials = []
    if index % 4 == 1 and doctor.middle_name:
        # a near-miss: the lead's name with another middle initial (without a known middle name it would fit)
        initial = "Q" if (doctor.middle_name or "Q")[:1].upper() != "Q" else "Z"
        near_miss = f"{doctor.first_name} {initial}. {doctor.last_name}"
        sites.append({**_site(lead, status, [(near_miss, "PRINCIPAL_INVESTIGATOR")]), "facility": "Satellite Clinic"})
    if index % 4 == 2:
        # a near-miss: the lead's name at a site in another state (a namesake, not linked)
        elsewhere = next((loc for loc in locations if loc.state != lead.state), None)
        if elsewhere is not None:
            namesake = (f"{doctor.first_name} {doctor.last_name}", "PRINCIPAL_INVESTIGATOR")
            sites.append({**_site(elsewhere, status, [namesake]), "facility": "Regional Cancer Center"})
    if index % 3 == 0:
        officials.append({"name": pi[0], "affiliation": lead.name or "Oncology Practice", "role": "STUDY_CHAIR"})
    if index % 5 == 0:
        sites.append({**rng.choice(ABROAD), "status": status})
    return sites, officials


def _study(rng, index: int, cancer: str, condition: str, status: str, sites: list, officials: list) -> dict:
    """One study as the registry's API v2 publishes it."""
    max_age = rng.choice(["", "", "75 Years", "85 Years"])
    if cancer in ("breast", "ovarian") and rng.random() < 0.7:
        sex = "FEMALE"
    else:
        sex = "MALE" if cancer == "prostate" else "ALL"
    sponsors = ["National Cancer Institute (NCI)", "Oncology Research Group", "Acme Therapeutics"]
    return {
        "protocolSection": {
            "identificationModule": {
                "nctId": f"NCT{FIRST_NCT + index + 1:08d}",
                "briefTitle": f"{rng.choice(TREATMENTS)} in {condition}",
            },
            "statusModule": {
                "overallStatus": status,
                "startDateStruct": {"date": f"{rng.randint(2022, 2026)}-{rng.randint(1, 12):02d}"},
            },
            "sponsorCollaboratorsModule": {"leadSponsor": {"name": rng.choice(sponsors)}},
            "conditionsModule": {"conditions": [condition]},
            "designModule": {"studyType": "INTERVENTIONAL", "phases": rng.choice(PHASES)},
            "eligibilityModule": {"minimumAge": "18 Years", "sex": sex, **({"maximumAge": max_age} if max_age else {})},
            "contactsLocationsModule": {"locations": sites, "overallOfficials": officials},
        }
    }


def _cancers(location: PracticeLocation, slugs: dict[int, str]) -> list[str]:
    return [slugs[i] for i in location.physician.cancer_type_ids if i in slugs]


def seed_demo_trials(*, seed: int, count: int = 60) -> ImportRun | None:
    """Write the demo studies as study files and import them (and match their people) as a curator would."""
    studies = demo_studies(seed=seed, count=count)
    if not studies:
        return None
    with tempfile.TemporaryDirectory(prefix="demo-trials-") as directory:
        for document in studies:
            nct_id = document["protocolSection"]["identificationModule"]["nctId"]
            (Path(directory) / f"{nct_id}.json").write_text(json.dumps(document))
        return trials_import(path=directory)
