"""One box that understands what patients type: a ZIP code or "City, ST", a specialty and a cancer type are read
out of `q`, filler words dropped, the page says how it read the box and offers the exact words instead; the
API reads it the same way."""

import re
from urllib.parse import urlencode

import pytest

from apps.directory.reading import read_query
from apps.directory.reference import reference_data
from tests.factories import PhysicianFactory, PracticeLocationFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("typed", "words", "params"),
    [
        ("leukemia specialist 10001", "", {"near": "10001", "cancer": "leukemia"}),
        ("breast cancer", "", {"cancer": "breast"}),
        ("Colon cancer surgeon 60601-1234", "", {"near": "60601-1234", "specialty": "surgical-oncology", "cancer": "colorectal"}),
        ("radiation oncologist in New York, NY", "", {"near": "10110", "specialty": "radiation-oncology"}),
        ("childhood leukemia", "", {"specialty": "pediatric-hematology-oncology", "cancer": "leukemia"}),
        ("hem onc lymphoma", "", {"specialty": "hematology-oncology", "cancer": "lymphoma"}),
        ("smith oncologist", "smith", {}),
        ("Dr. García", "garcía", {}),
        ("Mount Sinai", "Mount Sinai", {}),
        ("  O'Brien   Lee ", "O'Brien Lee", {}),
        ("Springfield, ZZ", "Springfield, ZZ", {}),  # no such state: nothing read, the text stays as typed
    ],
)  # fmt: skip
def test_what_the_box_is_read_as(typed, words, params):
    reading = read_query(typed, reference_data())
    assert (reading.words, reading.params) == (words, params)


def test_a_city_is_read_as_the_zip_code_in_its_middle():
    reading = read_query("medical oncologist near Chicago, IL", reference_data())
    assert reading.params == {"near": "60608", "specialty": "medical-oncology"}
    assert reading.place == "Chicago, IL"


@pytest.fixture
def directory():
    leukemia = PhysicianFactory(first_name="Lee", last_name="Kim", cancers=["leukemia"])
    PracticeLocationFactory(physician=leukemia, zip_code="10001")
    far = PhysicianFactory(first_name="Ann", last_name="Far", cancers=["leukemia"])
    PracticeLocationFactory(physician=far, zip_code="94103", city="San Francisco", state="CA")
    breast = PhysicianFactory(first_name="Bea", last_name="Stone", cancers=["breast"])
    PracticeLocationFactory(physician=breast, zip_code="10001")
    # a physician whose name is a word the box would read
    lung = PhysicianFactory(first_name="Wei", last_name="Lung", cancers=["breast"])
    PracticeLocationFactory(physician=lung, zip_code="10001")
    return {"leukemia": leukemia, "far": far, "breast": breast, "lung": lung}


def names(html: str) -> list[str]:
    return re.findall(r'<h3[^>]*><a href="/physicians/\d+/[^"]*">([^<]+)</a>', html)


def test_the_page_finds_what_the_patient_meant_and_says_how_it_read_it(client, directory):
    html = client.get("/physicians/?" + urlencode({"q": "leukemia specialist 10001"})).content.decode()
    assert names(html) == [directory["leukemia"].display_name]
    assert (
        "We read “leukemia specialist 10001” as: <strong>treating Leukemia, within 25 miles of 10001</strong>" in html
    )
    # the box now holds what is left (nothing), and the menus what was read, so searching again agrees
    assert 'name="q" value=""' in html or re.search(r'name="q"(?![^>]*value="[^"])', html)
    assert re.search(r'<option value="leukemia" selected>', html)
    assert 'name="near" value="10001"' in html
    # every other link keeps the reading: it carries cancer=leukemia, not the words
    links = [link for link in re.findall(r'href="\?([^"]*)"', html) if "literal=1" not in link]
    assert links and all("q=leukemia" not in link for link in links)
    assert any("cancer=leukemia" in link for link in links)


def test_one_click_searches_the_exact_words(client, directory):
    html = client.get("/physicians/?" + urlencode({"q": "lung"})).content.decode()
    assert names(html) == []  # read as the cancer type: nobody treats lung cancer here
    literal = re.search(r'<a href="\?([^"]+)">Search for the exact words instead</a>', html).group(1)
    html = client.get("/physicians/?" + literal.replace("&amp;", "&")).content.decode()
    assert names(html) == [directory["lung"].display_name]  # Dr. Lung, by name
    assert "We read" not in html
    assert '<input type="hidden" name="literal" value="1">' in html  # searching again stays word for word


def test_a_filter_given_apart_wins_over_the_box(client, directory):
    html = client.get("/physicians/?" + urlencode({"q": "leukemia 10001", "cancer": "breast"})).content.decode()
    assert names(html) == [directory["lung"].display_name, directory["breast"].display_name]  # by name
    assert "<strong>within 25 miles of 10001</strong>" in html


def test_filler_alone_is_dropped_quietly(client, directory):
    html = client.get("/physicians/?" + urlencode({"q": "Kim oncologist"})).content.decode()
    assert names(html) == [directory["leukemia"].display_name]
    assert "We read" not in html


def test_the_api_reads_the_box_the_same_way(client, directory):
    def npis(params):
        return [row["npi"] for row in client.get("/api/v1/physicians/", params).json()["results"]]

    assert npis({"q": "leukemia specialist 10001"}) == [directory["leukemia"].npi]
    assert npis({"q": "lung", "literal": "1"}) == [directory["lung"].npi]
    # and an unknown ZIP code typed in the box is near's error, as if typed there
    response = client.get("/api/v1/physicians/", {"q": "leukemia 00000"})
    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == ["near"]
