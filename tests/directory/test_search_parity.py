"""The search page and the API answer every search parameter alike: the same physicians in the same order,
and for a bad value the same error (parameter and message), on the same data.

Each case runs through the real stack twice: GET /physicians/ (every page of results, by page number) and
GET /api/v1/physicians/ (every page, following `next`).
"""

import datetime
import html
import re
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from apps.directory.forms import SEX_UNKNOWN
from apps.directory.models import Board, CertificationStatus, InsurancePlan, Physician
from tests.directory.bad_search_values import BAD_SEARCH_VALUES
from tests.factories import (
    BoardCertificationFactory,
    InvestigatorMatchFactory,
    PhysicianFactory,
    PracticeLocationFactory,
    TrialFactory,
)

pytestmark = pytest.mark.django_db

PAGE, API = "/physicians/", "/api/v1/physicians/"
RESULT = re.compile(r'<h3 id="result-(\d{10})">')
ERROR = re.compile(r'<li><a href="#id_(\w+)">[^<]*</a>: ([^<]*)</li>')


@pytest.fixture
def api(settings):
    # Each case sends a few requests from one address: rate limits are not what is compared here.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None}}
    cache.clear()
    yield APIClient()
    cache.clear()


@pytest.fixture
def directory():
    """Twenty-six physicians (two pages) over four cities, with every trait a parameter filters on; names
    repeat so that the tie-breaks (first name, NPI) decide part of every order."""
    zips = ["10001", "11201", "19103", "02116"]
    traits = [
        {"cancers": ["breast"], "languages": ["en", "es"], "sex": "F", "telehealth": True},
        {"cancers": ["lung"], "languages": ["en"], "sex": "M", "primary_specialty": "2085R0001X", "telehealth": None},
        {"cancers": ["breast", "lung"], "languages": ["zh"], "sex": "F", "primary_specialty": "207RH0003X"},
        {"cancers": ["lymphoma"], "languages": ["en", "fr"], "sex": "M", "telehealth": True},
    ]
    names = ["Smith", "Smyth", "Garcia", "Nguyen", "Lee", "Smith"]
    abim, abr = Board.objects.get(code="ABIM"), Board.objects.get(code="ABR")
    aetna_ppo, aetna_hmo, medicare = (
        InsurancePlan.objects.get(carrier__slug=slug, plan_type=kind)
        for slug, kind in [("aetna", "ppo"), ("aetna", "hmo"), ("medicare", "medicare")]
    )
    plans = [[aetna_ppo], [medicare], [], [aetna_ppo, medicare]]
    # Clinical trials: linked automatically, by a curator, waiting for review (not linked), or closed, in turn
    open_trial, closed_trial = TrialFactory(), TrialFactory(status="COMPLETED")
    trial_links = [("auto", open_trial), ("pending", open_trial), ("confirmed", open_trial), ("auto", closed_trial)]
    for index in range(26):
        physician = PhysicianFactory(
            first_name=["Ann", "Bo", "Cy"][index % 3], last_name=names[index % len(names)], **traits[index % 4]
        )
        if index % 3 == 0:
            status, trial = trial_links[index % 4]
            InvestigatorMatchFactory(physician=physician, trial=trial, status=status)
        # Accepting new patients: yes, no and not known in turn.
        accepting = (True, False, None)[index % 3]
        primary = PracticeLocationFactory(
            physician=physician, zip_code=zips[index % 4], accepting_new_patients=accepting
        )
        # Insurance: Aetna PPO, Medicare, or not known in turn (another cycle than accepting's)
        primary.plans.set(plans[index % 4])
        if index % 5 == 0:
            far = PracticeLocationFactory(physician=physician, zip_code="60601", is_primary=False)
            far.plans.set([aetna_hmo])
        if index % 2 == 0:
            BoardCertificationFactory(physician=physician, board=abim if index % 4 == 0 else abr)
        elif index % 7 == 1:
            BoardCertificationFactory(physician=physician, status=CertificationStatus.LAPSED)
        elif index % 7 == 3:
            BoardCertificationFactory(
                physician=physician,
                first_certified_on=datetime.date(2010, 1, 1),
                expires_on=timezone.localdate() - datetime.timedelta(days=1),
            )


def page_results(client, params: dict) -> list[str]:
    found, number = [], 1
    while True:
        response = client.get(f"{PAGE}?{urlencode({**params, 'page': number})}")
        assert response.status_code == 200
        content = response.content.decode()
        assert "Please check your search" not in content, content
        found += RESULT.findall(content)
        if f"page={number + 1}" not in content:
            return found
        number += 1


def api_results(api, params: dict) -> list[str]:
    found, url = [], f"{API}?{urlencode(params)}"
    while url:
        response = api.get(url)
        assert response.status_code == 200, response.content
        found += [item["npi"] for item in response.json()["results"]]
        url = response.json()["next"]
    return found


VALID = [
    {},
    {"q": "smith"},
    {"q": "smtih garcia"},
    {"q": "  smith  "},
    {"specialty": "medical-oncology"},
    {"specialty": "2085R0001X"},
    {"cancer": "breast"},
    {"insurance": "aetna"},
    {"insurance": "aetna:hmo"},
    {"insurance": "medicare", "cancer": "breast", "sort": "name"},
    {"insurance": "aetna:ppo", "near": "10001", "radius": "500"},
    {"insurance": "aetna:hmo", "near": "60601", "radius": "20"},
    {"near": "10001"},
    {"near": " 10001 "},
    {"near": "10001-0001", "radius": "120"},
    {"near": "10001", "radius": ""},
    {"near": "10001", "radius": "250.004"},
    {"accepting": "1"},
    {"accepting": "true"},
    {"accepting": "0"},
    {"telehealth": "1"},
    {"certified": "1"},
    {"trials": "1"},
    {"trials": "true", "cancer": "breast", "near": "10001", "radius": "500"},
    {"trials": "0"},
    {"certified": "false"},
    {"language": "es"},
    {"sex": "F"},
    {"board": "abim"},
    {"board": "abr", "near": "10001", "radius": "500"},
    {"sort": "name"},
    {"sort": "relevance"},
    {"q": "smith", "sort": "name"},
    {"near": "02116", "radius": "500", "sort": "distance"},
    {"near": "02116", "radius": "500", "sort": "name"},
    {"near": "10001", "radius": "500", "accepting": "1"},
    {"q": "smith", "near": "10001", "radius": "500"},
    {"cancer": "breast", "sex": "F", "language": "es", "telehealth": "1"},
    {"specialty": "medical-oncology", "cancer": "lung", "certified": "1", "near": "19103", "radius": "200"},
    {"q": "lee", "specialty": "hematology-oncology", "accepting": "1", "sort": "name"},
    # the box read as a person means it (apps/directory/reading.py), or word for word with literal
    {"q": "breast cancer specialist 10001"},
    {"q": "smith lung 19103", "radius": "200"},
    {"q": "radiation oncologist near Boston, MA"},
    {"q": "lymphoma", "cancer": "breast"},
    {"q": "smith oncologist", "literal": "1"},
    {"q": "smith aetna ppo 10001", "radius": "500"},
]


@pytest.mark.parametrize("params", VALID, ids=lambda params: urlencode(params) or "none")
def test_page_and_api_find_the_same_physicians_in_the_same_order(client, api, directory, params):
    # when the same search is run through the page and the API
    on_the_page, from_the_api = page_results(client, params), api_results(api, params)
    # then both list the same physicians in the same order
    assert on_the_page == from_the_api


def test_the_cases_cover_every_parameter_and_find_people():
    from apps.directory.filters import PARAMETERS

    assert {name for params in VALID for name in params} == {p.name for p in PARAMETERS}


@pytest.mark.parametrize(
    ("params", "known_yes"),
    [
        ({"accepting": "1"}, lambda p: p.locations.filter(accepting_new_patients=True).exists()),
        ({"telehealth": "1"}, lambda p: p.telehealth is True),
        (
            {"trials": "1"},
            lambda p: p.trial_matches.filter(status__in=["auto", "confirmed"], trial__status="RECRUITING").exists(),
        ),
        # 60601 is 700 miles away: only the primary location counts
        (
            {"near": "10001", "radius": "500", "accepting": "1"},
            lambda p: p.locations.get(is_primary=True).accepting_new_patients is True,
        ),
        ({"insurance": "aetna"}, lambda p: p.locations.filter(plans__carrier__slug="aetna").exists()),
        # the Aetna HMO practices are in 60601, 700 miles away: the PPO ones count, and only they
        (
            {"near": "10001", "radius": "500", "insurance": "aetna:hmo"},
            lambda p: False,
        ),
        (
            {"near": "10001", "radius": "500", "insurance": "aetna:ppo"},
            lambda p: p.locations.filter(is_primary=True, plans__plan_type="ppo").exists(),
        ),
    ],
    ids=["accepting", "telehealth", "trials", "accepting-near", "insurance", "insurance-far", "insurance-near"],
)
def test_a_yes_filter_finds_a_known_yes_only_on_page_and_api(client, api, directory, params, known_yes):
    # given physicians with yes, no and not known (telehealth: True, None, False, True in turn)
    expected = sorted(p.npi for p in Physician.objects.all() if known_yes(p))
    assert len(expected) < 26 and Physician.objects.filter(telehealth__isnull=True).exists()
    assert expected or params.get("insurance") == "aetna:hmo"
    # when the filter is on / then page and API list exactly the known yeses
    assert sorted(page_results(client, params)) == sorted(api_results(api, params)) == expected


def test_the_broad_search_spans_two_pages(client, api, directory):
    assert len(page_results(client, {})) == len(api_results(api, {})) == 26


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        *BAD_SEARCH_VALUES,
        pytest.param(
            {"radius": "abc", "near": "00000", "accepting": "maybe", "sex": "X"}, "sex", SEX_UNKNOWN, id="four-at-once"
        ),
    ],
)
def test_page_and_api_refuse_a_bad_value_with_the_same_message(client, api, directory, params, field, message):
    # when
    page = client.get(PAGE, params)
    response = api.get(API, params)
    # then: the page explains, the API answers 400; both name the same parameters with the same messages
    assert page.status_code == 200 and response.status_code == 400
    on_the_page = {(name, html.unescape(message)) for name, message in ERROR.findall(page.content.decode())}
    from_the_api = {(error["field"], error["message"]) for error in response.json()["errors"]}
    assert on_the_page == from_the_api
    assert (field, message) in on_the_page
