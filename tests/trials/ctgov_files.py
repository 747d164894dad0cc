"""ClinicalTrials.gov study files for the trials tests: the real samples shipped in data/, and generated
studies in the same API v2 shape, written as a bulk zip, a directory or a search response."""

import json
import zipfile
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
SAMPLE_STUDY = DATA / "NCT06131398.json"  # Amgen, 15 sites in 6 countries, geoPoint missing for 2
SAMPLE_FIELD_SELECTION = DATA / "NCT02576665.json"  # terminated, 12 conditions, 3 US sites
SAMPLE_SEARCH_MELANOMA = DATA / "search_melanoma_recruiting_page.json"
SAMPLE_SEARCH_KEYTRUDA = DATA / "search_keytruda_page.json"


def nct(number: int) -> str:
    return f"NCT{number:08d}"


def site(
    facility="Memorial Cancer Center",
    city="Boston",
    state="Massachusetts",
    zip_code="02215",
    country="United States",
    geo=(42.3584, -71.0598),
    status="RECRUITING",
    contacts=(),
) -> dict:
    location = {"facility": facility, "city": city, "country": country}
    if state is not None:
        location["state"] = state
    if zip_code is not None:
        location["zip"] = zip_code
    if geo is not None:
        location["geoPoint"] = {"lat": geo[0], "lon": geo[1]}
    if status is not None:
        location["status"] = status
    if contacts:
        location["contacts"] = [{"name": name, "role": role} for name, role in contacts]
    return location


def study(
    number: int,
    *,
    status="RECRUITING",
    conditions=("Breast Cancer",),
    study_type="INTERVENTIONAL",
    phases=("PHASE2",),
    sites=None,
    officials=(),
    meshes=(),
    title=None,
) -> dict:
    """One study as the API serves it (the modules the import reads)."""
    document = {
        "protocolSection": {
            "identificationModule": {"nctId": nct(number), "briefTitle": title or f"Study {number}"},
            "statusModule": {"overallStatus": status, "startDateStruct": {"date": "2024-01"}},
            "sponsorCollaboratorsModule": {"leadSponsor": {"name": "Sponsor Inc."}},
            "conditionsModule": {"conditions": list(conditions)},
            "designModule": {"studyType": study_type, "phases": list(phases)},
            "eligibilityModule": {"minimumAge": "18 Years", "sex": "ALL"},
            "contactsLocationsModule": {
                "locations": [site()] if sites is None else list(sites),
                "overallOfficials": [
                    {"name": name, "affiliation": affiliation, "role": role} for name, affiliation, role in officials
                ],
            },
        },
    }
    if meshes:
        document["derivedSection"] = {
            "conditionBrowseModule": {"meshes": [{"id": "D000000", "term": term} for term in meshes]}
        }
    return document


def write_zip(path: Path, studies, extra: dict[str, bytes] | None = None) -> Path:
    """The bulk download: one NCTxxxxxxxx.json per study (and `extra` members as given)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for document in studies:
            number = document["protocolSection"]["identificationModule"]["nctId"]
            archive.writestr(f"{number}.json", json.dumps(document, indent=2))
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


def write_directory(path: Path, studies) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for document in studies:
        number = document["protocolSection"]["identificationModule"]["nctId"]
        (path / f"{number}.json").write_text(json.dumps(document))
    return path
