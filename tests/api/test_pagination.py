"""Keyset pagination: every result exactly once, in order, at any depth, in both directions, any sort."""

from urllib.parse import urlencode

import pytest

from tests.factories import PhysicianFactory, PracticeLocationFactory

pytestmark = pytest.mark.django_db


def walk(api, url, link="next", key="npi"):
    pages = []
    while url:
        response = api.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        pages.append([item[key] for item in body["results"]])
        url = body[link]
    return pages


@pytest.fixture
def directory():
    # Many ties on purpose: equal names and equal distances must still page exactly once each.
    physicians = []
    for index, zip_code in enumerate(["10001", "10001", "11201", "11201", "19103", "10003", "10001"] * 2):
        physician = PhysicianFactory(first_name="Sam" if index % 2 else "Alex", last_name="Lee" if index < 9 else "Kim")
        PracticeLocationFactory(physician=physician, zip_code=zip_code)
        physicians.append(physician)
    return physicians


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "name"},
        {"near": "10001", "radius": "100"},
        {"q": "lee"},
        {"q": "sam", "near": "10001", "radius": "100", "sort": "name"},
    ],
    ids=["name", "distance", "relevance", "search-by-name"],
)
def test_walking_next_returns_every_result_once_in_order(api, directory, params):
    # given the whole result on one page
    whole = api.get(f"/api/v1/physicians/?{urlencode({**params, 'page_size': 100})}").json()["results"]
    expected = [item["npi"] for item in whole]
    assert expected

    # when walking it 3 at a time
    pages = walk(api, f"/api/v1/physicians/?{urlencode({**params, 'page_size': 3})}")

    # then the pages, joined, are exactly the single page
    assert [npi for page in pages for npi in page] == expected
    assert all(len(page) == 3 for page in pages[:-1])


def test_previous_link_returns_the_same_pages_backwards(api, directory):
    forward = walk(api, "/api/v1/physicians/?page_size=4&near=10001&radius=100")
    last_page = api.get("/api/v1/physicians/?page_size=4&near=10001&radius=100")
    for _ in range(len(forward) - 1):
        last_page = api.get(last_page.json()["next"])
    backward = walk(api, last_page.json()["previous"], link="previous")
    assert backward == list(reversed(forward[:-1]))


def test_first_page_has_no_previous_and_last_page_no_next(api, directory):
    first = api.get("/api/v1/physicians/?page_size=10").json()
    assert first["previous"] is None and first["next"]
    second = api.get(first["next"]).json()
    assert second["next"] is None and second["previous"]


def test_a_cursor_for_another_sort_is_refused(api, directory):
    by_name = api.get("/api/v1/physicians/?page_size=2&sort=name&near=10001&radius=100").json()
    cursor = by_name["next"].split("cursor=")[1].split("&")[0]
    response = api.get(f"/api/v1/physicians/?page_size=2&sort=distance&near=10001&radius=100&cursor={cursor}")
    assert response.status_code == 404
    assert response.json()["errors"][0]["field"] == "cursor"
    assert "different sort" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    "cursor", ["abc", "", "%00", "eyJkIjoibiJ9:forged:signature"], ids=["junk", "empty", "nul", "forged"]
)
def test_a_cursor_that_is_not_ours_is_404(api, directory, cursor):
    response = api.get(f"/api/v1/physicians/?cursor={cursor}")
    if cursor == "":
        assert response.status_code == 200  # an empty cursor is the first page
        return
    assert response.status_code == 404
    assert response.json()["errors"][0]["field"] == "cursor"


def test_reference_lists_page_with_the_same_envelope(api):
    first = api.get("/api/v1/cancer-types/?page_size=5").json()
    rest = walk(api, first["next"], key="slug")
    names = [item["slug"] for item in first["results"]]
    assert len(names) == 5
    all_slugs = api.get("/api/v1/cancer-types/?page_size=1000").json()["results"]
    assert len(all_slugs) == 5 + sum(len(page) for page in rest)
