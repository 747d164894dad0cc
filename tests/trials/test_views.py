"""The trials pages: /trials/ (recruiting near a ZIP code), a trial's page, and the profile's trials."""

import re

import pytest

from apps.directory.forms import CANCER_UNKNOWN, RADIUS_RANGE, ZIP_FORMAT, ZIP_UNKNOWN
from apps.trials.forms import ZIP_REQUIRED
from apps.trials.models import InvestigatorMatch, Trial
from apps.trials.rules import NCT_ID_FORMAT
from tests.factories import InvestigatorMatchFactory, PhysicianFactory, TrialFactory

from .ctgov_files import nct, site, study
from .scenario import MIDTOWN, NEAR_BREAST, load

pytestmark = pytest.mark.django_db

CARD = re.compile(r'<h3 id="trial-(NCT\d{8})">')
RESULT = re.compile(r'<h3 id="result-(\d{10})">')


@pytest.fixture
def world(import_trials, tmp_path):
    return load(import_trials, tmp_path)


def listed(response) -> list[str]:
    assert response.status_code == 200
    return CARD.findall(response.content.decode())


def test_breast_trials_near_10001_nearest_site_first(client, world):
    response = client.get("/trials/", {"near": "10001", "cancer": "breast"})
    assert listed(response) == NEAR_BREAST
    html = response.content.decode()
    assert "2 recruiting trials for breast cancer within 25 miles of 10001" in html
    # each with its nearest site, its distance, phase and eligibility, and the oncologist linked there
    first, second = html.split('id="trial-NCT00000002"')
    assert "Midtown Cancer Institute, New York, New York" in first and "Boston" not in first
    assert re.search(r"\((1\.\d) miles from 10001\)", first)
    assert "Ages: 18 years and older. Sex: All." in first
    assert (
        f'href="{world.doe.get_absolute_url()}">{world.doe.display_name}</a> <span class="muted">(Principal investigator)'
        in first
    )
    assert "Phase 1/2" in second and "Newark Breast Center" in second
    assert f'{world.roe.display_name}</a> <span class="muted">(Sub-investigator)' in second
    assert 'href="https://clinicaltrials.gov/study/NCT00000001"' in first


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({"near": "10001"}, [nct(1), nct(3), nct(2)], id="any-cancer"),
        pytest.param({"near": "10001", "cancer": "lung"}, [nct(3)], id="lung"),
        pytest.param({"near": "10001", "radius": "5"}, [nct(1), nct(3)], id="small-radius"),
        # Chicago's site is 710 miles away; the Canadian site (its coordinates wrongly in New York) is never listed
        pytest.param({"near": "10001", "radius": "500", "cancer": "breast"}, [nct(1), nct(2)], id="500-miles"),
        pytest.param({"near": "60611", "radius": "10"}, [nct(5)], id="chicago"),
    ],
)
def test_only_recruiting_trials_with_a_recruiting_us_site_in_the_radius(client, world, params, expected):
    assert listed(client.get("/trials/", params)) == expected


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        pytest.param({"near": "10001", "cancer": "bogus"}, "cancer", CANCER_UNKNOWN % {"value": "bogus"}, id="cancer"),
        pytest.param({"near": "1000"}, "near", ZIP_FORMAT, id="zip-format"),
        pytest.param({"near": "00000"}, "near", ZIP_UNKNOWN % {"zip": "00000"}, id="zip-unknown"),
        pytest.param({"cancer": "breast"}, "near", ZIP_REQUIRED, id="zip-missing"),
        pytest.param({"near": "10001", "radius": "9000"}, "radius", RADIUS_RANGE, id="radius"),
    ],
)
def test_bad_input_is_a_form_error_naming_the_field(client, world, params, field, message):
    response = client.get("/trials/", params)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Please check your search" in html and CARD.findall(html) == []
    assert f'<a href="#id_{field}">' in html and message.replace("'", "&#x27;") in html


def test_the_empty_form_asks_for_a_zip_code(client, world):
    response = client.get("/trials/")
    assert response.status_code == 200 and "Enter your ZIP code" in response.content.decode()


@pytest.mark.parametrize("extra", [0, 12], ids=["two", "fourteen"])
def test_the_list_runs_a_fixed_number_of_queries(client, import_trials, tmp_path, django_assert_num_queries, extra):
    pi = [("Jane Doe", "PRINCIPAL_INVESTIGATOR")]
    load(import_trials, tmp_path, [study(100 + n, sites=[site(**MIDTOWN, contacts=pi)]) for n in range(extra)])
    client.get("/trials/", {"near": "10001", "cancer": "breast"})  # the reference tables, read once a process
    # the directory's version (ETag), the page with its count, its nearest sites and the oncologists linked there
    with django_assert_num_queries(4):
        response = client.get("/trials/", {"near": "10001", "cancer": "breast"})
    assert len(listed(response)) == 2 + extra
    assert response.content.decode().count("(Principal investigator)") == 1 + extra


def test_a_later_page_keeps_the_count_and_a_page_past_the_end_says_so(client, import_trials, tmp_path):
    load(import_trials, tmp_path, [study(100 + n, sites=[site(**MIDTOWN)]) for n in range(22)])  # 24 in all
    second = client.get("/trials/", {"near": "10001", "cancer": "breast", "page": "2"})
    assert len(listed(second)) == 4
    assert "24 recruiting trials for breast cancer" in second.content.decode()
    beyond = client.get("/trials/", {"near": "10001", "cancer": "breast", "page": "9"})
    assert listed(beyond) == listed(second)
    assert "There are only 2 pages: showing the last one." in beyond.content.decode()
    assert "The page number was not a number" in client.get("/trials/", {"near": "10001", "page": "x"}).content.decode()


def test_a_trial_lists_its_sites_nearest_first(client, world):
    response = client.get(f"/trials/{nct(1)}/", {"near": "10001"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Midtown Cancer Institute") < html.index("Boston Cancer Hospital")
    assert "Sites, nearest to 10001 first" in html
    assert f'{world.doe.display_name}</a> <span class="muted">(Principal investigator)' in html
    # without a ZIP code, the study's own order
    plain = client.get(f"/trials/{nct(1)}/").content.decode()
    assert plain.index("Boston Cancer Hospital") < plain.index("Midtown Cancer Institute")


def test_a_site_abroad_has_no_distance_and_comes_last(client, world):
    html = client.get(f"/trials/{nct(5)}/", {"near": "10001"}).content.decode()
    assert html.index("Lakeshore Oncology") < html.index("Toronto Cancer Centre")
    assert html.count("miles from 10001") == 1


@pytest.mark.parametrize("sites", [1, 8], ids=["one-site", "eight-sites"])
def test_the_trial_page_runs_a_fixed_number_of_queries(
    client, import_trials, tmp_path, django_assert_num_queries, sites
):
    pi = [("Jane Doe", "PRINCIPAL_INVESTIGATOR")]
    many = [site(**{**MIDTOWN, "facility": f"Site {n}"}, contacts=pi) for n in range(sites)]
    load(import_trials, tmp_path, [study(50, sites=many)])
    # the trial, its cancer types, its sites and its linked people
    with django_assert_num_queries(5):  # + the directory's version (ETag)
        response = client.get(f"/trials/{nct(50)}/", {"near": "10001"})
    assert response.content.decode().count('class="location-card"') == sites


@pytest.mark.parametrize("bad", ["NCT123", "nct00000001", "12345678901", "NCT0000000x"])
def test_a_malformed_nct_id_is_a_400_saying_what_one_is(client, world, bad):
    response = client.get(f"/trials/{bad}/")
    assert response.status_code == 400
    assert NCT_ID_FORMAT in response.content.decode()


def test_an_unknown_nct_id_is_a_404(client, world):
    assert client.get(f"/trials/{nct(99)}/").status_code == 404


def test_the_profile_shows_the_trials_its_physician_runs(client, world):
    html = client.get(world.doe.get_absolute_url()).content.decode()
    section = html.split('id="trials-title"')[1].split("</section>")[0]
    assert CARD.findall(section) == [nct(1), nct(3)]
    assert section.count("Principal investigator") == 2
    assert "Recruiting" in section and "Phase 2" in section
    # the nearest site to the physician's practice, not the study's first (Boston)
    assert "Nearest site: Midtown Cancer Institute, New York, New York" in section and "Boston" not in section
    assert 'href="https://clinicaltrials.gov/study/NCT00000003"' in section


def test_a_pending_or_rejected_link_is_never_shown(client, world):
    InvestigatorMatch.objects.filter(physician=world.doe, trial__nct_id=nct(1)).update(status="pending")
    InvestigatorMatch.objects.filter(physician=world.doe, trial__nct_id=nct(3)).update(status="rejected")
    html = client.get(world.doe.get_absolute_url()).content.decode()
    assert 'id="trials-title"' not in html
    listing = client.get("/trials/", {"near": "10001"}).content.decode()
    assert world.doe.display_name not in listing
    assert world.doe.display_name not in client.get(f"/trials/{nct(1)}/").content.decode()


def test_a_namesake_elsewhere_shows_no_trial(client, world):
    assert InvestigatorMatch.objects.filter(physician=world.namesake).count() == 0
    assert 'id="trials-title"' not in client.get(world.namesake.get_absolute_url()).content.decode()
    assert Trial.objects.count() == 6


@pytest.mark.parametrize("extra", [0, 6], ids=["two-trials", "eight-trials"])
def test_the_profile_runs_a_fixed_number_of_queries_whatever_its_trials(
    client, import_trials, tmp_path, django_assert_num_queries, extra
):
    pi = [("Jane Doe", "PRINCIPAL_INVESTIGATOR")]
    world = load(import_trials, tmp_path, [study(200 + n, sites=[site(**MIDTOWN, contacts=pi)]) for n in range(extra)])
    # the physician, its 6 prefetches, the care team and its trials (each with role and nearest site)
    with django_assert_num_queries(10):  # + the directory's version (ETag)
        response = client.get(world.doe.get_absolute_url())
    section = response.content.decode().split('id="trials-title"')[1]
    assert len(CARD.findall(section)) == 2 + extra


def test_a_namesake_at_a_site_in_another_state_is_not_shown_there(client, world):
    # given Jane Doe (New York) linked to study 1, which also names a "Jane Doe" at its Boston site
    html = client.get(f"/trials/{nct(1)}/").content.decode()
    boston, midtown = html.split("<h3>Boston Cancer Hospital</h3>")[1].split("<h3>Midtown Cancer Institute</h3>")
    # then she is shown at the New York site only
    assert world.doe.display_name not in boston and world.doe.display_name in midtown


@pytest.mark.parametrize("linked", [2, 14], ids=["two", "fourteen"])
# The page: the directory's version, the count up to its cap (sorted by name), the facets with the matches,
# the page's physicians and their locations. The API: the version and the page.
@pytest.mark.parametrize(("url", "queries"), [("/physicians/", 5), ("/api/v1/physicians/", 2)], ids=["page", "api"])
def test_the_trials_filter_adds_no_query_whatever_the_links(client, django_assert_num_queries, url, queries, linked):
    for _ in range(linked):
        InvestigatorMatchFactory(physician=PhysicianFactory(cancers=["breast"]), trial=TrialFactory())
    PhysicianFactory(cancers=["breast"])  # runs none
    client.get(url, {"cancer": "breast"})  # the reference tables, read once a process
    with django_assert_num_queries(queries):
        client.get(url, {"cancer": "breast"})
    # the same queries with it: the filter is an EXISTS in the search's own query
    with django_assert_num_queries(queries):
        response = client.get(url, {"cancer": "breast", "trials": "1"})
    assert response.status_code == 200
    found = response.json()["results"] if url.startswith("/api/") else RESULT.findall(response.content.decode())
    assert len(found) == linked


def test_every_page_links_the_trials_and_a_search_near_a_place_links_its_trials(client, world):
    home = client.get("/").content.decode()
    assert '<a href="/trials/">Clinical trials</a>' in home
    assert '<a href="/trials/" aria-current="page">Clinical trials</a>' in client.get("/trials/").content.decode()
    search = client.get("/physicians/", {"near": "10001", "cancer": "breast"}).content.decode()
    link = re.search(r'<a href="/trials/\?([^"]+)">Clinical trials recruiting for breast cancer near 10001</a>', search)
    assert link and sorted(link.group(1).split("&amp;")) == ["cancer=breast", "near=10001", "radius=25"]
    # followed, it lists what /trials/ finds for the same search
    assert listed(client.get("/trials/?" + link.group(1).replace("&amp;", "&"))) == NEAR_BREAST
    assert "Clinical trials recruiting" not in client.get("/physicians/", {"cancer": "breast"}).content.decode()
