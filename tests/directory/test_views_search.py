"""The home page and the results page, GET /physicians/, through the real stack."""

import html
import re

import pytest
from django.urls import reverse

from apps.directory.filters import BOARD_UNKNOWN
from apps.directory.models import Board, CertificationStatus
from tests.directory.bad_search_values import BAD_SEARCH_VALUES
from tests.factories import BoardCertificationFactory, PhysicianFactory, PracticeLocationFactory

pytestmark = pytest.mark.django_db

URL = "/physicians/"


def result_names(response) -> list[str]:
    return re.findall(r'<h3 id="result-\d+"><a href="[^"]*">([^<]*)</a>', response.content.decode())


@pytest.fixture
def three():
    adams = PhysicianFactory(first_name="Ann", last_name="Adams", cancers=["breast"], telehealth=True)
    PracticeLocationFactory(physician=adams, zip_code="10001", name="Chelsea Oncology", phone="(212) 555-0101")
    baker = PhysicianFactory(first_name="Bo", last_name="Baker", primary_specialty="2085R0001X", cancers=["lung"])
    PracticeLocationFactory(physician=baker, zip_code="19103", city="Philadelphia", state="PA", name="Penn Clinic")
    garcia = PhysicianFactory(first_name="José", last_name="García", cancers=["breast"], languages=["es"])
    PracticeLocationFactory(
        physician=garcia,
        zip_code="02116",
        city="Boston",
        state="MA",
        accepting_new_patients=False,
        name="Fenway Care",
    )
    return adams, baker, garcia


def test_home_page_has_a_labelled_search_form(client):
    response = client.get(reverse("directory:home"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'action="/physicians/"' in html and 'role="search"' in html
    for name in ("q", "near", "specialty", "cancer"):
        assert f'<label for="id_{name}">' in html
        assert f'id="id_{name}"' in html
    assert 'class="skip-link" href="#main"' in html


def test_results_list_active_physicians_with_count(client, three):
    PhysicianFactory(last_name="Gone", is_active=False, deactivated_on="2024-01-01")
    response = client.get(URL)
    assert response.status_code == 200
    assert result_names(response) == ["Ann Adams, MD", "Bo Baker, MD", "José García, MD"]
    assert "3 oncologists" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=zqxjv", []),
        ("q=bakr", ["Bo Baker, MD"]),
        ("q=Garcia", ["José García, MD"]),
        ("q=jose+GARCÍA", ["José García, MD"]),
        ("specialty=radiation-oncology", ["Bo Baker, MD"]),
        ("cancer=breast", ["Ann Adams, MD", "José García, MD"]),
        ("near=10001&radius=100", ["Ann Adams, MD", "Bo Baker, MD"]),
        ("accepting=1", ["Ann Adams, MD", "Bo Baker, MD"]),
        ("telehealth=1", ["Ann Adams, MD"]),
        ("language=es", ["José García, MD"]),
        ("cancer=breast&near=02116&radius=500&sort=name", ["Ann Adams, MD", "José García, MD"]),
        ("cancer=breast&near=02116&radius=500", ["José García, MD", "Ann Adams, MD"]),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_filters_on_the_page(client, three, query, expected):
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 200
    assert result_names(response) == expected


def test_near_shows_the_distance_of_the_nearest_location(client, three):
    adams = three[0]
    PracticeLocationFactory(physician=adams, zip_code="19103", is_primary=False, name="Philly Annex")
    response = client.get(f"{URL}?near=19103&radius=100")
    html = response.content.decode()
    # Adams practises at 19103 too: the nearest location (0.0 miles) is the one shown
    assert re.search(r'<strong class="distance">0\.0 miles</strong>\s*·\s*Philly Annex', html)
    assert f"{adams.get_absolute_url()}?near=19103" in html
    # from Manhattan, Baker's Philadelphia practice is about 83 miles away
    html = client.get(f"{URL}?near=10001&radius=100&specialty=radiation-oncology").content.decode()
    assert re.search(r'<strong class="distance">8[23]\.\d miles</strong>', html)


def test_results_show_phone_link_accepting_and_verification(client, three):
    html = client.get(URL).content.decode()
    assert '<a href="tel:+12125550101">(212) 555-0101</a>' in html
    assert "Not accepting new patients" in html
    assert "Information last verified on" in html


def test_pagination_is_stable_and_complete(client):
    # given 45 physicians, some with the same name
    for index in range(45):
        PhysicianFactory(first_name="Sam", last_name=f"Lee{index % 10}")
    # when
    pages = [client.get(f"{URL}?page={number}") for number in (1, 2, 3)]
    # then
    names = [result_names(page) for page in pages]
    assert [len(n) for n in names] == [20, 20, 5]
    npis = [re.findall(r'id="result-(\d+)"', page.content.decode()) for page in pages]
    flat = [npi for page in npis for npi in page]
    assert len(set(flat)) == 45
    assert "Page 2 of 3" in pages[1].content.decode()
    assert 'rel="next"' in pages[0].content.decode() and 'rel="prev"' not in pages[0].content.decode()
    assert client.get(f"{URL}?page=2").content == pages[1].content  # same order every time


@pytest.mark.parametrize(
    ("page", "notice", "shown"),
    [
        ("abc", "The page number was not a number: showing the first page.", "Page 1 of 2"),
        ("0", "Pages start at 1: showing the first page.", "Page 1 of 2"),
        ("99", "There are only 2 pages: showing the last one.", "Page 2 of 2"),
        ("9" * 5000, "The page number was not a number: showing the first page.", "Page 1 of 2"),
        ("1\x00", "The page number was not a number: showing the first page.", "Page 1 of 2"),
    ],
    ids=["letters", "zero", "too-far", "huge", "nul"],
)
def test_bad_page_numbers_show_a_real_page_with_a_notice(client, page, notice, shown):
    for _ in range(25):
        PhysicianFactory()
    response = client.get(URL, {"page": page})
    html = response.content.decode()
    assert response.status_code == 200
    assert notice in html
    assert shown in html


def test_facets_show_counts_under_the_other_filters(client, three):
    html = client.get(f"{URL}?cancer=breast").content.decode()
    facets = html[html.index('id="facets-title"') :]
    # specialty counts are among breast cancer physicians; cancer counts ignore the cancer filter
    assert re.search(r'>Medical oncology</a> <span class="count">2<', facets)
    assert "Radiation oncology" not in facets  # it would find nobody
    assert re.search(r'<strong aria-current="true">Breast cancer</strong> <span class="count">2<', facets)
    assert re.search(r'>Lung cancer</a> <span class="count">1<', facets)
    remove = re.search(r'<a href="\?([^"]*)">Remove<span class="visually-hidden"> Breast cancer', facets).group(1)
    assert "cancer" not in remove


def test_empty_result_says_why_and_offers_ways_out(client, three):
    response = client.get(f"{URL}?near=10001&radius=10&cancer=lung&telehealth=1")
    html = response.content.decode()
    assert result_names(response) == []
    assert "No physician matches all of these." in html
    assert "?q=&amp;" not in html
    assert "radius=25" in html and "Search within 25 miles instead" in html
    assert "Remove “offering telehealth”" in html
    assert "Remove “within 10 miles of 10001”" in html
    remove_lung = re.search(r'<a href="\?([^"]*)">Remove “treating Lung cancer”', html).group(1)
    assert "cancer" not in remove_lung and "telehealth=1" in remove_lung


@pytest.mark.parametrize(("params", "field", "message"), BAD_SEARCH_VALUES)
def test_bad_input_gives_a_normal_page_with_a_clear_message(client, three, params, field, message):
    response = client.get(URL, params)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Please check your search" in page
    assert f'<a href="#id_{field}">' in page
    assert message in html.unescape(page)
    assert result_names(response) == []
    assert "\x00" not in page


def test_unknown_parameters_are_ignored_with_a_notice(client, three):
    response = client.get(f"{URL}?colour=blue&x%00y=1&q=adams")
    html = response.content.decode()
    assert response.status_code == 200
    assert result_names(response) == ["Ann Adams, MD"]
    assert "We ignored search options we do not know: colour, x\N{REPLACEMENT CHARACTER}y." in html


def test_post_is_not_allowed(client):
    assert client.post(URL).status_code == 405


def _physicians(count: int, locations: int) -> None:
    for index in range(count):
        physician = PhysicianFactory(last_name=f"Lee{index:02d}", cancers=["breast", "lung"])
        for number in range(locations):
            PracticeLocationFactory(physician=physician, zip_code="10001", is_primary=number == 0)
        BoardCertificationFactory(physician=physician)


@pytest.mark.parametrize(("count", "locations"), [(2, 1), (25, 4)], ids=["few", "many"])
@pytest.mark.parametrize("broad", [False, True], ids=["one-query-path", "queryset-path"])
@pytest.mark.parametrize(
    "query", ["", "?q=lee&near=10001&cancer=breast&specialty=medical-oncology&accepting=1", "?sort=name&page=2"]
)
def test_the_results_page_runs_a_fixed_number_of_queries(
    client, django_assert_num_queries, monkeypatch, count, locations, broad, query
):
    # given: few or many matches, each with one or several locations; a narrow search or (with the facets'
    # limit at 0) a broad one
    _physicians(count, locations)
    if broad:
        monkeypatch.setattr("apps.directory.filters.FACET_MAX_MATCHES", 0)
    # then: the specialty, cancer type, board and insurance plan tables, the facets with the number of matches, the page's physicians
    # and their locations; sorted by name, first a count up to its cap (1,000); a broad search is counted by
    # the page's query (count(*) OVER ()) when ranked
    sorted_by_name = "q=" not in query
    with django_assert_num_queries(9 if sorted_by_name else 8):  # + the directory's version (ETag)
        response = client.get(f"{URL}{query}")
    assert response.status_code == 200
    shown = len(result_names(response))
    if "page=2" in query:  # 25: the last 5; 2: one page only, so it is shown instead
        assert shown == (5 if count == 25 else 2)
    else:
        assert shown == min(count, 20)


@pytest.mark.parametrize(
    ("patch", "queries"),
    [
        # the walk passes the circle's 100 locations (walk + its farthest), then counted with the facets
        ({}, 10),
        # the walk finds more than the cap: no count, the page read from the small circle
        ({"apps.directory.views.NEAREST_COUNT_CAP": 10}, 8),
        # the walk gives up at once: counted up to the cap (25), so counted again with the facets
        ({"apps.directory.views.NEAREST_COUNT_CAP": 30, "apps.directory.search.NEAREST_WALK_LAST": 64}, 9),
        # the same with a cap under the count: no facets, the page read from the whole circle
        ({"apps.directory.views.NEAREST_COUNT_CAP": 20, "apps.directory.search.NEAREST_WALK_LAST": 64}, 8),
    ],
    ids=["walked-past-the-circle", "broad", "walk-gave-up", "walk-gave-up-broad"],
)
def test_a_search_by_distance_runs_a_fixed_number_of_queries(
    client, django_assert_num_queries, monkeypatch, patch, queries
):
    # given 25 physicians with 4 locations each at 10001
    _physicians(25, 4)
    for name, value in patch.items():
        monkeypatch.setattr(name, value)
    # then: the directory's version, the specialty, cancer type, board and insurance plan tables, the walk's
    # queries, the count, the page's physicians and their locations
    with django_assert_num_queries(queries):
        response = client.get(f"{URL}?near=10001&radius=50")
    assert response.status_code == 200
    assert len(result_names(response)) == 20


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?cancer=breast",
        "?near=10001&radius=500",
        "?near=02116&radius=500&sort=name",
        "?q=garcia&language=es",
        "?near=10001&radius=500&accepting=1&specialty=medical-oncology",
        "?near=10001&radius=500&page=9",
        "?q=garcia&page=0",
        "?sort=name&page=x",
    ],
)
def test_broad_and_narrow_searches_show_the_same_page(client, three, monkeypatch, query):
    narrow = client.get(f"{URL}{query}").content.decode()
    monkeypatch.setattr("apps.directory.filters.FACET_MAX_MATCHES", 0)
    broad = client.get(f"{URL}{query}").content.decode()

    def results(html: str) -> str:
        return html[html.index('<section class="results"') : html.index('id="facets-title"')]

    assert results(broad) == results(narrow)
    assert ("showing the" in results(narrow)) == ("page=" in query)  # the notice for a page that is not there
    assert '<span class="count">' in narrow and '<span class="count">' not in broad  # facets: narrow only


@pytest.fixture
def certified():
    """Ann: current ABIM; Bo: lapsed ABIM, current ABR; Cy: expired ABIM."""
    abim, abr = Board.objects.get(code="ABIM"), Board.objects.get(code="ABR")
    ann, bo, cy = (PhysicianFactory(first_name=first, last_name="Lee") for first in ("Ann", "Bo", "Cy"))
    BoardCertificationFactory(physician=ann, board=abim)
    BoardCertificationFactory(physician=bo, board=abim, status=CertificationStatus.LAPSED)
    BoardCertificationFactory(physician=bo, board=abr)
    BoardCertificationFactory(
        physician=cy, board=abim, first_certified_on="2001-01-01", expires_on="2011-01-01", verified_on="2011-01-01"
    )


def test_board_lists_who_holds_a_current_certificate_from_it(client, certified):
    response = client.get(URL, {"board": "abim"})
    assert result_names(response) == ["Ann Lee, MD"]
    assert "certified by American Board of Internal Medicine" in response.content.decode()
    assert result_names(client.get(URL, {"board": "abr"})) == ["Bo Lee, MD"]
    assert (
        '<option value="abim" selected>American Board of Internal Medicine (ABIM)</option>' in response.content.decode()
    )


def test_an_unknown_board_is_a_clear_error(client, certified):
    response = client.get(URL, {"board": "ABIM"})
    assert "Please check your search" in response.content.decode()
    assert (BOARD_UNKNOWN % {"value": "ABIM"}) in response.content.decode()
    assert result_names(response) == []
