"""/api/v1/trials/, /api/v1/trials/<nct_id>/ and the physician detail's trials: the pages' answers."""

import re

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from apps.directory.forms import CANCER_UNKNOWN, ZIP_FORMAT, ZIP_UNKNOWN
from apps.trials.api.views import TRIAL_NOT_FOUND
from apps.trials.forms import ZIP_REQUIRED
from apps.trials.models import InvestigatorMatch
from apps.trials.rules import NCT_ID_FORMAT

from .ctgov_files import nct, site, study
from .scenario import MIDTOWN, NEAR_BREAST, load

pytestmark = pytest.mark.django_db

CARD = re.compile(r'<h3 id="trial-(NCT\d{8})">')


@pytest.fixture
def api(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None}}
    cache.clear()
    yield APIClient()
    cache.clear()


@pytest.fixture
def world(import_trials, tmp_path):
    return load(import_trials, tmp_path)


def api_trials(api, params) -> list[str]:
    found, url, pages = [], "/api/v1/trials/", 0
    response = api.get(url, params)
    while True:
        assert response.status_code == 200, response.content
        found += [trial["nct_id"] for trial in response.json()["results"]]
        pages += 1
        if not response.json()["next"]:
            return found
        response = api.get(response.json()["next"])


def test_breast_trials_near_10001_nearest_site_first(api, world):
    body = api.get("/api/v1/trials/", {"near": "10001", "cancer": "breast"}).json()
    assert [trial["nct_id"] for trial in body["results"]] == NEAR_BREAST
    first = body["results"][0]
    assert first["nearest_site"]["facility"] == "Midtown Cancer Institute"
    assert 0.9 < first["nearest_site"]["distance_miles"] < 1.1
    assert body["results"][1]["nearest_site"]["distance_miles"] > first["nearest_site"]["distance_miles"]
    assert (first["phases"], first["phase_display"], first["minimum_age"], first["sex"]) == (
        ["PHASE2"],
        "Phase 2",
        "18 Years",
        "ALL",
    )
    assert first["study_url"] == "https://clinicaltrials.gov/study/NCT00000001"
    assert [(o["npi"], o["role"]) for o in first["oncologists"]] == [(world.doe.npi, "PRINCIPAL_INVESTIGATOR")]
    assert first["oncologists"][0]["profile_url"].endswith(world.doe.get_absolute_url())


@pytest.mark.parametrize(
    "params",
    [
        {"near": "10001", "cancer": "breast"},
        {"near": "10001"},
        {"near": "10001", "radius": "5"},
        {"near": "10001", "radius": "500", "cancer": "breast"},
        {"near": "60611", "radius": "10"},
    ],
    ids=lambda params: "&".join(f"{k}={v}" for k, v in params.items()),
)
def test_page_and_api_list_the_same_trials_in_the_same_order(client, api, world, params):
    page = CARD.findall(client.get("/trials/", params).content.decode())
    assert page and api_trials(api, params) == page


def test_the_api_pages_by_cursor_in_the_same_order(api, import_trials, tmp_path):
    load(import_trials, tmp_path, [study(300 + n, sites=[site(**MIDTOWN)]) for n in range(4)])
    everything = api_trials(api, {"near": "10001"})
    assert api_trials(api, {"near": "10001", "page_size": "2"}) == everything and len(everything) == 7


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        pytest.param({"near": "10001", "cancer": "bogus"}, "cancer", CANCER_UNKNOWN % {"value": "bogus"}, id="cancer"),
        pytest.param({"near": "1000"}, "near", ZIP_FORMAT, id="zip-format"),
        pytest.param({"near": "00000"}, "near", ZIP_UNKNOWN % {"zip": "00000"}, id="zip-unknown"),
        pytest.param({}, "near", ZIP_REQUIRED, id="zip-missing"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, world, params, field, message):
    response = api.get("/api/v1/trials/", params)
    assert response.status_code == 400
    assert [(e["field"], e["message"]) for e in response.json()["errors"]] == [(field, message)]


@pytest.mark.parametrize("extra", [0, 12], ids=["two", "fourteen"])
def test_the_list_runs_a_fixed_number_of_queries(api, import_trials, tmp_path, django_assert_num_queries, extra):
    pi = [("Jane Doe", "PRINCIPAL_INVESTIGATOR")]
    load(import_trials, tmp_path, [study(100 + n, sites=[site(**MIDTOWN, contacts=pi)]) for n in range(extra)])
    api.get("/api/v1/trials/", {"near": "10001"})  # the reference tables, read once a process
    # the page (keyset: no count), its nearest sites and the oncologists linked at them
    with django_assert_num_queries(4):  # + the directory's version (ETag)
        response = api.get("/api/v1/trials/", {"near": "10001", "cancer": "breast", "page_size": "100"})
    assert len(response.json()["results"]) == 2 + extra


def test_a_trial_with_its_sites_nearest_first(api, world):
    body = api.get(f"/api/v1/trials/{nct(1)}/", {"near": "10001"}).json()
    assert [s["facility"] for s in body["sites"]] == ["Midtown Cancer Institute", "Boston Cancer Hospital"]
    assert body["sites"][0]["distance_miles"] < body["sites"][1]["distance_miles"]
    assert [o["npi"] for o in body["sites"][0]["oncologists"]] == [world.doe.npi]
    assert body["sites"][1]["oncologists"] == [] and body["leaders"] == []
    assert body["cancer_types"] == ["breast"]
    plain = api.get(f"/api/v1/trials/{nct(1)}/").json()
    assert [s["facility"] for s in plain["sites"]] == ["Boston Cancer Hospital", "Midtown Cancer Institute"]
    assert plain["sites"][0]["distance_miles"] is None


@pytest.mark.parametrize("sites", [1, 8], ids=["one-site", "eight-sites"])
def test_the_detail_runs_a_fixed_number_of_queries(api, import_trials, tmp_path, django_assert_num_queries, sites):
    pi = [("Jane Doe", "PRINCIPAL_INVESTIGATOR")]
    many = [site(**{**MIDTOWN, "facility": f"Site {n}"}, contacts=pi) for n in range(sites)]
    load(import_trials, tmp_path, [study(50, sites=many)])
    # the trial, its cancer types, its sites and its linked people
    with django_assert_num_queries(5):  # + the directory's version (ETag)
        response = api.get(f"/api/v1/trials/{nct(50)}/", {"near": "10001"})
    assert len(response.json()["sites"]) == sites


@pytest.mark.parametrize("bad", ["NCT123", "nct00000001", "NCT0000000x"])
def test_a_malformed_nct_id_is_a_400(api, world, bad):
    response = api.get(f"/api/v1/trials/{bad}/")
    assert response.status_code == 400
    assert [(e["field"], e["message"]) for e in response.json()["errors"]] == [("nct_id", NCT_ID_FORMAT)]


def test_an_unknown_nct_id_is_a_404(api, world):
    response = api.get(f"/api/v1/trials/{nct(99)}/")
    assert response.status_code == 404 and response.json()["errors"][0]["message"] == TRIAL_NOT_FOUND


def test_a_bad_zip_on_the_detail_is_a_400(api, world):
    response = api.get(f"/api/v1/trials/{nct(1)}/", {"near": "1"})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "near"


def test_the_physician_detail_lists_the_trials_the_profile_shows(api, client, world):
    body = api.get(f"/api/v1/physicians/{world.doe.npi}/").json()
    assert [(t["trial"]["nct_id"], t["role"]) for t in body["trials"]] == [
        (nct(1), "PRINCIPAL_INVESTIGATOR"),
        (nct(3), "PRINCIPAL_INVESTIGATOR"),
    ]
    assert body["trials"][0]["nearest_site"]["facility"] == "Midtown Cancer Institute"
    profile = client.get(world.doe.get_absolute_url()).content.decode().split('id="trials-title"')[1]
    assert CARD.findall(profile) == [t["trial"]["nct_id"] for t in body["trials"]]
    InvestigatorMatch.objects.filter(physician=world.doe).update(status="pending")
    cache.clear()
    assert api.get(f"/api/v1/physicians/{world.doe.npi}/").json()["trials"] == []
