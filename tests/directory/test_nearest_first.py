"""A broad radius search sorted by distance reads its page nearest-first (PhysicianFilterSet.nearest_first):
its rows, order and distances must be exactly the full search's, page after page, whatever the filters; and
a search too broad to count shows the planner's estimate as one ("About N")."""

import io
import re

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from apps.common import paging
from apps.directory import search as search_sql
from apps.directory import views
from apps.directory.filters import PhysicianFilterSet
from apps.directory.models import Physician

pytestmark = pytest.mark.django_db

PHYSICIANS = 2500
PAGES = 5
PER_PAGE = 20

# Every per-location condition (accepting, insurance), a name, radii from a few miles to the whole map.
SEARCHES = [
    "near=10001&radius=100",
    "specialty=medical-oncology&near=10001&radius=250",
    "near=60601&radius=250&accepting=1",
    "near=94103&radius=500&insurance=medicare",
    "cancer=breast&near=02116&radius=500&telehealth=1",
    "q=center&near=10001&radius=500&sort=distance",
    "near=10001&radius=5",
    # the benchmark's radius searches (bench/search_bench.py), wider: 2,500 physicians are sparse
    "specialty=medical-oncology&near=10001&radius=100",
    "specialty=medical-oncology&near=10001&radius=250&insurance=aetna:hmo",
    "cancer=breast&accepting=1&near=60601&radius=500",
]


@pytest.fixture(scope="module")
def _seeded(django_db_setup, django_db_blocker):
    """seed_demo's directory, made once for the module in a transaction rolled back after its last test (each
    test runs in a savepoint inside it)."""
    with django_db_blocker.unblock(), transaction.atomic():
        with connection.cursor() as cursor:
            # Inside a transaction the GIN indexes' pending lists would hold every physician (see
            # test_name_search_quality).
            cursor.execute("SET LOCAL gin_pending_list_limit = 64")
            call_command("seed_demo", "--physicians", str(PHYSICIANS), stdout=io.StringIO())
            cursor.execute("ANALYZE")
        yield
        transaction.set_rollback(True)


@pytest.fixture
def demo_directory(_seeded, db):
    return None


def _search(query: str) -> PhysicianFilterSet:
    search = PhysicianFilterSet(QueryDict(query), queryset=Physician.objects.active())
    assert search.is_valid(), search.errors
    return search


@pytest.mark.parametrize("query", SEARCHES)
def test_nearest_first_pages_are_the_full_searchs(demo_directory, query):
    # given a radius search sorted by distance over seed_demo's directory
    search = _search(query)
    full = list(search.qs.values_list("pk", "distance_miles")[: PAGES * PER_PAGE + 1])
    assert len(full) > PER_PAGE or query.endswith("radius=5"), "the search must reach past its first page"
    for page in range(1, PAGES + 1):
        count = page * PER_PAGE + 1  # as the page asks: its rows and one more, to know there is a next page
        # when the page is read nearest-first
        nearest = list(search.first_results(count).values_list("pk", "distance_miles")[:count])
        # then its rows, order and distances are the full search's
        assert nearest == full[:count], (query, page)


def test_nearest_first_measures_a_smaller_circle(demo_directory):
    # given a broad search: hundreds of physicians within 500 miles of 10001
    search = _search("near=10001&radius=500")
    everyone = search.qs.count()
    assert everyone > 200
    # when its first page is read nearest-first
    distances = search.nearest_distances(PER_PAGE + 1).distances
    nearest = search.nearest_first(distances)
    # then the circle it measures holds a few more than the page (ties at its edge), not everyone
    assert len(distances) == PER_PAGE + 1 and distances == sorted(distances)
    assert PER_PAGE + 1 <= nearest.count() < everyone / 4


def test_a_walk_that_finds_too_few_falls_back_to_the_whole_circle(demo_directory, monkeypatch):
    # given a walk allowed to read only a few locations, too few to find a page of matches
    monkeypatch.setattr(search_sql, "NEAREST_WALK_FIRST", 8)
    monkeypatch.setattr(search_sql, "NEAREST_WALK_LAST", 64)
    search = _search("specialty=pediatric-hematology-oncology&near=10001&radius=500")
    # then the walk gives up, and the page is the full search's: the whole circle is measured
    assert search.qs.count() > PER_PAGE + 1
    nearest = search.nearest_distances(PER_PAGE + 1)
    assert len(nearest.distances) < PER_PAGE + 1 and not nearest.complete
    assert search.first_results(PER_PAGE + 1).query.sql_with_params() == search.qs.query.sql_with_params()
    # and what it found so far are the first results, exactly
    full = list(search.qs.values_list("distance_miles", flat=True)[: len(nearest.distances)])
    assert nearest.distances == full


def test_a_walk_past_the_circle_finds_every_match(demo_directory):
    # given a small circle: fewer matches than asked for
    search = _search("near=10001&radius=5")
    everyone = list(search.qs.values_list("distance_miles", flat=True))
    # then the walk returns them all, nearest first, and says it has
    nearest = search.nearest_distances(len(everyone) + 10)
    assert (nearest.distances, nearest.complete) == (everyone, True)


@pytest.mark.parametrize("query", ["specialty=medical-oncology&near=10001&radius=250&insurance=aetna:hmo",
                                   "specialty=pediatric-hematology-oncology&near=10001&radius=500"])  # fmt: skip
def test_a_resumed_walk_goes_on_from_the_last_stretch(demo_directory, query):
    # given a first stretch that found fewer results than a page needs
    search = _search(query)
    first = search.nearest_distances(PER_PAGE * 3, once=True)
    assert len(first.distances) < PER_PAGE * 3 and not first.complete and first.walked == 4 * PER_PAGE * 3
    # when the walk resumes from it
    with CaptureQueriesContext(connection) as resuming:
        resumed = search.nearest_distances(PER_PAGE * 3, resume=first)
    with CaptureQueriesContext(connection) as restarting:
        restarted = search.nearest_distances(PER_PAGE * 3)
    # then it walks on from the first stretch (not walking it again), to the same distances as a walk from the start
    assert resumed.walked > first.walked and len(resuming) < len(restarting)
    assert resumed.distances == restarted.distances
    assert resumed.distances == list(search.qs.values_list("distance_miles", flat=True)[: PER_PAGE * 3])


@pytest.mark.parametrize(
    "query",
    ["", "specialty=medical-oncology", "insurance=medicare", "near=10001&radius=500", "near=10001&radius=300&accepting=1",
     "near=94103&radius=500&insurance=medicare&cancer=breast", "q=center&near=10001&radius=500&sort=distance"],
)  # fmt: skip
def test_the_count_stops_at_its_cap(demo_directory, query):
    # given a search, counted exactly
    search = _search(query)
    exact = search.qs.count()
    assert exact > 20
    # then counted up to a cap, it is exact up to the cap and one more beyond
    assert search.count_up_to(exact) == exact
    assert search.count_up_to(exact + 50) == exact
    assert search.count_up_to(exact - 1) == exact
    assert search.count_up_to(10) == 11


def _heading(html: str) -> str:
    return " ".join(re.search(r'<h2 id="results-title"[^>]*>(.*?)</h2>', html, re.S).group(1).split())


def _results(html: str) -> list[str]:
    return re.findall(r'<a href="(/physicians/\d{10}/[^"?]*)', html)


def _page(client, query: str, page: int) -> str:
    return client.get(f"/physicians/?{query}&page={page}").content.decode()


@pytest.mark.parametrize(
    ("query", "cap", "broad"),
    [
        ("near=10001&radius=500", "NEAREST_COUNT_CAP", {}),  # the walk finds more than its cap
        ("specialty=medical-oncology&sort=name", "COUNT_CAP", {"apps.directory.filters.FACET_MAX_MATCHES": 0}),
    ],
)
def test_a_broad_search_says_more_than_its_cap_and_pages_as_the_narrow_one(
    demo_directory, client, monkeypatch, query, cap, broad
):
    # given a search of more matches than the cap (30 here)
    exact = _search(query).qs.count()
    assert exact > 60
    monkeypatch.setattr(views, "NEAREST_COUNT_CAP", 10**6)  # counted exactly: up to a million
    narrow = [_page(client, query, page) for page in (1, 2, 3)]
    monkeypatch.setattr(views, cap, 30)
    for name, value in broad.items():
        monkeypatch.setattr(name, value)
    wide = [_page(client, query, page) for page in (1, 2, 3)]
    # then the narrow search counts, the broad one says "more than" the cap
    assert _heading(narrow[0]).startswith(f"{exact:,} oncologists")
    assert _heading(wide[0]).startswith("More than 30 oncologists")
    assert 'aria-current="page">Page 2</span>' in wide[1] and 'rel="next"' in wide[1]
    # and both list the same physicians on each page
    assert [_results(html) for html in wide] == [_results(html) for html in narrow]
    assert all(len(_results(html)) == PER_PAGE for html in wide)
    # past the pages offered: the last one offered, with a notice, and no next page
    monkeypatch.setattr(paging, "MAX_PAGES", 2)
    html = _page(client, query, 7)
    assert "Only the first 2 pages of a search this broad can be shown: showing page 2." in html
    assert _results(html) == _results(narrow[1])
    assert 'rel="next"' not in html


def test_a_broad_search_past_its_end_shows_its_last_page(demo_directory, client, monkeypatch):
    monkeypatch.setattr(views, "NEAREST_COUNT_CAP", 30)
    query = "near=10001&radius=300"
    exact = _search(query).qs.count()
    assert 60 < exact < 1_000
    last = -(-exact // PER_PAGE)
    assert _heading(_page(client, query, 1)).startswith("More than 30 oncologists")
    html = _page(client, query, last + 3)
    assert f"Page {last} of {last}" in html and "showing the last one" in html


def test_a_broad_search_under_the_count_cap_counts_exactly(demo_directory, client, monkeypatch):
    monkeypatch.setattr("apps.directory.filters.FACET_MAX_MATCHES", 0)
    query = "specialty=medical-oncology&sort=name"
    exact = _search(query).qs.count()
    assert exact < views.COUNT_CAP
    assert _heading(_page(client, query, 1)).startswith(f"{exact:,} oncologists")


def test_a_walk_past_the_circle_counts_exactly_over_the_cap(demo_directory, client, monkeypatch):
    # given a search whose walk passes its circle having found more results than the cap (10 here)
    monkeypatch.setattr(views, "NEAREST_COUNT_CAP", 10)
    query = "near=10001&radius=100"
    exact = _search(query).qs.count()
    last = -(-exact // PER_PAGE)
    assert 100 < exact <= last * PER_PAGE  # the walk asks for the last page and one more: past the circle
    # then the page knows every match: it counts them exactly, with no "more than"
    html = _page(client, query, last)
    assert _heading(html).startswith(f"{exact} oncologists")
    assert f"Page {last} of {last}" in html
