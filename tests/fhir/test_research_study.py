"""Clinical trials as FHIR ResearchStudy: read by NCT id, search, the CapabilityStatement, fixed query counts,
and every resource valid FHIR (fhir.resources). Studies go through the real import and matching."""

import datetime

import pytest
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class

from apps.directory.forms import RADIUS_RANGE, ZIP_FORMAT, ZIP_UNKNOWN
from apps.fhir.parameters import SEARCH_PARAMETERS
from apps.fhir.study_resources import STATUSES
from apps.trials.forms import ZIP_REQUIRED, TrialSearchForm
from apps.trials.models import InvestigatorMatch, Trial
from tests.factories import PhysicianFactory, PracticeLocationFactory
from tests.trials import scenario
from tests.trials.ctgov_files import nct, site, study, write_zip

from .helpers import link, matches, url

pytestmark = pytest.mark.django_db

RESEARCH_STUDY = SEARCH_PARAMETERS["ResearchStudy"]

CTGOV = "http://clinicaltrials.gov"
CANCER_TYPE = "urn:oncodir:fhir:cancer-type"
PI = "PRINCIPAL_INVESTIGATOR"
BOSTON = {"city": "Boston", "state": "MA", "zip_code": "02215"}
TORONTO = {"facility": "Toronto Cancer Centre", "city": "Toronto", "state": "Ontario", "zip_code": "M5G 2M9",
           "country": "Canada", "geo": None}  # fmt: skip


def valid(resource: dict) -> dict:
    """The resource, after fhir.resources has validated it (it raises on anything FHIR does not allow)."""
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return resource


def doctor(first="Ann", last="Lee"):
    physician = PhysicianFactory(first_name=first, last_name=last)
    PracticeLocationFactory(physician=physician, **BOSTON)
    return physician


def led_by(number: int, name: str, **kwargs) -> dict:
    """A study whose overall principal investigator is `name`, affiliated with its Boston site's hospital."""
    return study(number, officials=[(name, "Memorial Cancer Center", PI)], **kwargs)


@pytest.fixture
def load(import_trials, tmp_path):
    def run(*studies):
        return import_trials(write_zip(tmp_path / f"studies-{Trial.objects.count()}.zip", studies))

    return run


def read(fhir, nct_id: str) -> dict:
    response = fhir.get(f"/fhir/ResearchStudy/{nct_id}")
    assert response.status_code == 200, response.content
    return valid(response.json())


def search(fhir, **params) -> dict:
    response = fhir.get(url("ResearchStudy", **params))
    assert response.status_code == 200, response.content
    return valid(response.json())


def ids(bundle: dict) -> list[str]:
    return [resource["id"] for resource in matches(bundle)]


def test_a_study_reads_by_nct_id_as_published(fhir, load):
    lee = doctor()
    load(
        led_by(
            1,
            "Ann Lee, MD",
            title="Breast study",
            phases=("PHASE1", "PHASE2"),
            conditions=("Breast Cancer", "HER2-positive Breast Cancer"),
            sites=[site(), site(**TORONTO, status=None)],
        )
    )

    study_ = read(fhir, nct(1))

    assert study_["id"] == nct(1)
    assert study_["identifier"] == [{"use": "official", "system": CTGOV, "value": nct(1)}]
    assert study_["title"] == "Breast study" and study_["status"] == "active"
    assert study_["phase"]["coding"] == [
        {
            "system": "http://terminology.hl7.org/CodeSystem/research-study-phase",
            "code": "phase-1-phase-2",
            "display": "Phase 1/Phase 2",
        }
    ]
    assert study_["condition"] == [
        {"text": "Breast Cancer"},
        {"text": "HER2-positive Breast Cancer"},
        {"coding": [{"system": CANCER_TYPE, "code": "breast", "display": "Breast cancer"}], "text": "Breast cancer"},
    ]
    assert study_["sponsor"] == {"display": "Sponsor Inc."}
    assert study_["period"] == {"start": "2024-01"}
    assert study_["relatedArtifact"] == [
        {"type": "documentation", "label": "ClinicalTrials.gov", "url": f"https://clinicaltrials.gov/study/{nct(1)}"}
    ]
    assert study_["principalInvestigator"] == {"reference": f"Practitioner/{lee.npi}", "display": lee.display_name}
    # the sites, contained, in the study's order; a position only where there are coordinates
    contained = {resource["id"]: resource for resource in study_["contained"]}
    assert [s["reference"] for s in study_["site"]] == ["#site-1", "#site-2"]
    boston, toronto = contained["site-1"], contained["site-2"]
    assert boston["address"] == {
        "text": "Boston, Massachusetts, 02215, United States",
        "city": "Boston",
        "state": "Massachusetts",
        "postalCode": "02215",
        "country": "United States",
    }
    assert boston["position"] == {"latitude": 42.3584, "longitude": -71.0598}
    assert boston["description"] == "Site status: Recruiting."
    assert toronto["name"] == "Toronto Cancer Centre" and "position" not in toronto and "description" not in toronto
    # eligibility: a contained Group, age from 18 years, any sex
    assert study_["enrollment"] == [{"reference": "#eligibility", "display": "Ages: 18 years and older. Sex: All."}]
    group = contained["eligibility"]
    assert group["characteristic"] == [
        {
            "code": {"text": "Age"},
            "valueRange": {"low": {"value": 18, "unit": "years", "system": "http://unitsofmeasure.org", "code": "a"}},
            "exclude": False,
        }
    ]
    assert study_["note"] == [{"text": "Overall status on ClinicalTrials.gov: Recruiting."}]


@pytest.mark.parametrize(
    ("published", "code"),
    [
        ("RECRUITING", "active"),
        ("ENROLLING_BY_INVITATION", "active"),
        ("NOT_YET_RECRUITING", "approved"),
        ("ACTIVE_NOT_RECRUITING", "closed-to-accrual"),
        ("COMPLETED", "completed"),
        ("TERMINATED", "administratively-completed"),
        ("SUSPENDED", "temporarily-closed-to-accrual"),
        ("WITHDRAWN", "withdrawn"),
        ("UNKNOWN", "closed-to-accrual"),
    ],
)
def test_overall_statuses_map_to_research_study_statuses(fhir, load, published, code):
    load(study(1, status=published))
    study_ = read(fhir, nct(1))
    assert study_["status"] == code
    assert study_["note"][0]["text"].startswith("Overall status on ClinicalTrials.gov: ")


@pytest.mark.parametrize(
    ("phases", "code"),
    [
        (("NA",), "n-a"),
        (("EARLY_PHASE1",), "early-phase-1"),
        (("PHASE1",), "phase-1"),
        (("PHASE2", "PHASE3"), "phase-2-phase-3"),
        (("PHASE3",), "phase-3"),
        (("PHASE4",), "phase-4"),
        ((), None),
    ],
)
def test_phases_are_research_study_phase_codes(fhir, load, phases, code):
    load(study(1, phases=phases))
    study_ = read(fhir, nct(1))
    assert (study_["phase"]["coding"][0]["code"] if code else study_.get("phase")) == code


def test_only_a_linked_principal_investigator_is_named(fhir, load):
    lee = doctor()
    load(led_by(1, "Ann Lee"), study(2, sites=[site(contacts=[("Ann Lee", PI)])]))
    assert InvestigatorMatch.objects.linked().count() == 2

    # a study's own PI is referenced; a site's PI is not the study's
    assert read(fhir, nct(1))["principalInvestigator"]["reference"] == f"Practitioner/{lee.npi}"
    assert "principalInvestigator" not in read(fhir, nct(2))

    # a pair waiting for a curator (or rejected) is never shown
    for status in ("pending", "rejected"):
        InvestigatorMatch.objects.filter(trial__nct_id=nct(1)).update(status=status)
        assert "principalInvestigator" not in read(fhir, nct(1))
        assert ids(search(fhir, principalinvestigator=f"Practitioner/{lee.npi}")) == []


def test_namesakes_waiting_for_review_are_not_named(fhir, load):
    doctor(), doctor()
    load(led_by(1, "Ann Lee"))
    assert set(InvestigatorMatch.objects.values_list("status", flat=True)) == {"pending"}
    assert "principalInvestigator" not in read(fhir, nct(1))


@pytest.mark.parametrize("bad", ["NCT123", "nct00000001", "NCT0000000x", "NCT00000099"])
def test_a_malformed_or_unknown_nct_id_is_a_404_operation_outcome(fhir, load, bad):
    load(study(1))
    response = fhir.get(f"/fhir/ResearchStudy/{bad}")
    assert response.status_code == 404
    outcome = valid(response.json())
    assert outcome["resourceType"] == "OperationOutcome" and outcome["issue"][0]["code"] == "not-found"


def test_search_by_identifier_id_status_and_condition(fhir, load):
    load(
        study(1),
        study(2, status="COMPLETED"),
        study(3, conditions=("Non-small Cell Lung Cancer",)),
        study(4, status="NOT_YET_RECRUITING", conditions=("Prostate Cancer",)),
    )

    assert ids(search(fhir)) == [nct(1), nct(2), nct(3), nct(4)]
    assert ids(search(fhir, identifier=f"{CTGOV}|{nct(2)}")) == [nct(2)]
    assert ids(search(fhir, identifier=f"{nct(3)},{nct(1)}")) == [nct(1), nct(3)]
    assert ids(search(fhir, _id=nct(4))) == [nct(4)]
    assert ids(search(fhir, status="active")) == [nct(1), nct(3)]
    assert ids(search(fhir, status="completed,approved")) == [nct(2), nct(4)]
    assert ids(search(fhir, condition="lung")) == [nct(3)]
    assert ids(search(fhir, condition=f"{CANCER_TYPE}|breast", status="active")) == [nct(1)]
    assert ids(search(fhir, condition="kidney")) == []


def test_search_by_principal_investigator(fhir, load):
    lee, roe = doctor(), doctor("Richard", "Roe")
    load(led_by(1, "Ann Lee"), led_by(2, "Richard Roe"), led_by(3, "Ann Lee, MD"), study(4))
    assert ids(search(fhir, principalinvestigator=f"Practitioner/{lee.npi}")) == [nct(1), nct(3)]
    assert ids(search(fhir, principalinvestigator=f"{roe.npi},Practitioner/{lee.npi}")) == [nct(1), nct(2), nct(3)]


def test_last_updated_compares_with_the_imports_change_time(fhir, load):
    load(study(1), study(2))
    changed = timezone.now() - datetime.timedelta(days=10)
    Trial.objects.filter(nct_id=nct(1)).update(updated_at=changed)
    assert read(fhir, nct(1))["meta"]["lastUpdated"] == changed.isoformat(timespec="milliseconds")
    day = (changed + datetime.timedelta(days=1)).date().isoformat()
    assert ids(search(fhir, _lastUpdated=f"lt{day}")) == [nct(1)]
    assert ids(search(fhir, _lastUpdated=f"ge{day}")) == [nct(2)]


def test_a_study_gone_from_the_source_reads_with_its_last_status_and_is_found_only_by_name(fhir, load):
    load(study(1), study(2))
    load(study(2))  # a full file without study 1
    gone = Trial.objects.get(nct_id=nct(1))
    assert not gone.in_source

    study_ = read(fhir, nct(1))
    assert study_["status"] == "active"  # its last status, as published
    assert study_["note"][0]["text"].startswith(
        f"No longer listed on ClinicalTrials.gov since {gone.left_source_at.date().isoformat()}"
    )
    assert ids(search(fhir, _id=nct(1))) == [nct(1)]
    assert ids(search(fhir, identifier=nct(1))) == [nct(1)]
    assert ids(search(fhir)) == [nct(2)]
    assert ids(search(fhir, status="active", condition="breast")) == [nct(2)]


@pytest.mark.parametrize(
    ("params", "parameter", "message"),
    [
        ({"status": "recruiting"}, "status", "use one of"),
        ({"condition": "bogus"}, "condition", "Unknown cancer type bogus"),
        ({"condition": "http://snomed.info/sct|254837009"}, "condition", "unknown system"),
        ({"condition": "breast,lung"}, "condition", "takes one value"),
        ({"identifier": "http://example.org|NCT00000001"}, "identifier", "unknown system"),
        ({"principalinvestigator": "Organization/1"}, "principalinvestigator", "refer to a Practitioner"),
        ({"_lastUpdated": "yesterday"}, "_lastUpdated", "give a date"),
        ({"sponsor": "Amgen"}, "sponsor", "not supported on ResearchStudy"),
        ({"status:not": "active"}, "status:not", "modifiers"),
    ],
)
def test_a_bad_parameter_is_a_400_operation_outcome_naming_it(fhir, load, params, parameter, message):
    load(study(1))
    response = fhir.get(url("ResearchStudy", **params))
    assert response.status_code == 400
    issue = valid(response.json())["issue"][0]
    assert issue["expression"] == [parameter] and message in issue["diagnostics"]


def test_an_unknown_parameter_is_ignored_when_lenient(fhir, load):
    load(study(1))
    response = fhir.get(url("ResearchStudy", sponsor="Amgen"), headers={"Prefer": "handling=lenient"})
    assert response.status_code == 200 and ids(response.json()) == [nct(1)]


def test_the_condition_parameter_checks_as_the_trials_search_does(fhir, load):
    # the same cancer types and message as /trials/ (TrialSearchForm's field)
    load(study(1))
    form = TrialSearchForm({"near": "10001", "cancer": "bogus"})
    assert not form.is_valid()
    response = fhir.get(url("ResearchStudy", condition="bogus"))
    assert response.json()["issue"][0]["diagnostics"] == f"Parameter `condition`: {form.errors['cancer'][0]}"


def test_pages_follow_next_links_and_see_every_study_once(fhir, load):
    load(*(study(n) for n in range(1, 8)))
    seen, address = [], url("ResearchStudy", status="active", _count=3)
    while address:
        bundle = valid(fhir.get(address).json())
        assert bundle["total"] == 7
        seen += ids(bundle)
        address = link(bundle, "next")
    assert seen == [nct(n) for n in range(1, 8)]
    past = fhir.get(url("ResearchStudy", _count=3, _offset=30)).json()
    assert past["total"] == 7 and past["entry"] == []


def test_capability_statement_lists_research_study_and_its_parameters(fhir):
    statement = valid(fhir.get("/fhir/metadata").json())
    resource = next(r for r in statement["rest"][0]["resource"] if r["type"] == "ResearchStudy")
    assert [i["code"] for i in resource["interaction"]] == ["read", "search-type"]
    assert [p["name"] for p in resource["searchParam"]] == [
        "_id",
        "_lastUpdated",
        "identifier",
        "status",
        "condition",
        "principalinvestigator",
        "near",
        "radius",
    ]
    assert [p["name"] for p in resource["searchParam"]] == [p.name for p in RESEARCH_STUDY]
    status = next(p for p in resource["searchParam"] if p["name"] == "status")
    assert all(code in status["documentation"] for code in set(STATUSES.values()))


def test_every_declared_parameter_is_accepted(fhir, load):
    lee = doctor()
    load(led_by(1, "Ann Lee"))
    valid_values = {
        "_id": nct(1),
        "_lastUpdated": "ge2000-01-01",
        "identifier": nct(1),
        "status": "active",
        "condition": "breast",
        "principalinvestigator": f"Practitioner/{lee.npi}",
        "near": "02215",
        "radius": "10",
    }
    for parameter in RESEARCH_STUDY:
        given = {parameter.name: valid_values[parameter.name]}
        if parameter.name == "radius":
            given["near"] = valid_values["near"]
        assert ids(search(fhir, **given)) == [nct(1)], parameter.name


@pytest.mark.parametrize("sites", [1, 9], ids=["one-site", "nine-sites"])
def test_a_read_runs_a_fixed_number_of_queries(fhir, load, warm_reference, django_assert_num_queries, sites):
    doctor()
    load(led_by(1, "Ann Lee", sites=[site(), *(site(facility=f"Site {n}") for n in range(sites - 1))]))
    # the directory's version (ETag), the study, its cancer types, its sites, its linked principal investigator
    with django_assert_num_queries(5):
        study_ = read(fhir, nct(1))
    assert len(study_["site"]) == sites and "principalInvestigator" in study_


@pytest.mark.parametrize("studies", [2, 12], ids=["two", "twelve"])
def test_a_search_page_runs_a_fixed_number_of_queries(fhir, load, warm_reference, django_assert_num_queries, studies):
    doctor()
    load(*(led_by(n, "Ann Lee", sites=[site(), *(site(facility=f"Site {k}") for k in range(n % 4))])
           for n in range(1, studies + 1)))  # fmt: skip
    # the version, the page with its total, the page's cancer types, sites and principal investigators
    with django_assert_num_queries(5):
        bundle = search(fhir, status="active", condition="breast", _count=100)
    assert len(matches(bundle)) == studies
    assert all("principalInvestigator" in resource for resource in matches(bundle))


# -- near: the /trials/ search ---------------------------------------------------------------------------------


@pytest.fixture
def world(import_trials, tmp_path):
    return scenario.load(import_trials, tmp_path)


def api_trials(client, params: dict) -> list[str]:
    body = client.get("/api/v1/trials/", {**params, "page_size": 100}).json()
    return [trial["nct_id"] for trial in body["results"]]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({"near": "10001"}, [nct(1), nct(3), nct(2)], id="any-cancer"),
        pytest.param({"near": "10001", "cancer": "lung"}, [nct(3)], id="lung"),
        pytest.param({"near": "10001", "radius": "5"}, [nct(1), nct(3)], id="small-radius"),
        pytest.param({"near": "10001", "radius": "500", "cancer": "breast"}, [nct(1), nct(2)], id="500-miles"),
        pytest.param({"near": "60611", "radius": "10"}, [nct(5)], id="chicago"),
    ],
)
def test_near_is_the_trials_search_nearest_first(fhir, client, world, params, expected):
    fhir_params = {("condition" if name == "cancer" else name): value for name, value in params.items()}
    bundle = search(fhir, **fhir_params)
    assert ids(bundle) == expected == api_trials(client, params)
    distances = [entry["search"]["extension"][0]["valueDistance"]["value"] for entry in bundle["entry"]]
    assert distances == sorted(distances)


@pytest.mark.parametrize(
    ("params", "parameter", "message"),
    [
        ({"near": "1000"}, "near", ZIP_FORMAT),
        ({"near": "00000"}, "near", ZIP_UNKNOWN % {"zip": "00000"}),
        ({"near": "10001", "radius": "9000"}, "radius", RADIUS_RANGE),
        ({"radius": "10"}, "near", ZIP_REQUIRED),
    ],
)
def test_near_and_radius_are_checked_by_the_trials_search_form(fhir, world, params, parameter, message):
    response = fhir.get(url("ResearchStudy", **params))
    assert response.status_code == 400
    issue = valid(response.json())["issue"][0]
    assert issue["expression"] == [parameter] and issue["diagnostics"] == f"Parameter `{parameter}`: {message}"


def test_a_near_search_runs_a_fixed_number_of_queries(fhir, world, warm_reference, django_assert_num_queries):
    fhir.get(url("ResearchStudy", near="10001"))  # the ZIP codes' centroids, read once a process
    # the version, the page with its total, the page's cancer types, sites and principal investigators
    with django_assert_num_queries(5):
        bundle = search(fhir, near="10001", radius="500")
    assert ids(bundle) == [nct(1), nct(3), nct(2)]
