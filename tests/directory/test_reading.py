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
        # ZIP codes and places
        ("10001", "", {"near": "10001"}),
        ("oncologist near 60601-1234", "", {"near": "60601-1234"}),
        ("leukemia specialist 10001", "", {"near": "10001", "cancer": "leukemia"}),
        ("radiation oncologist in New York, NY", "", {"near": "10110", "specialty": "radiation-oncology"}),
        ("breast cancer Boston, MA", "", {"near": "02210", "cancer": "breast"}),
        ("smith chicago, il", "smith", {"near": "60608"}),
        ("Springfield, ZZ", "Springfield, ZZ", {}),  # no such state: nothing read, the text stays as typed
        ("00000 lymphoma", "", {"near": "00000", "cancer": "lymphoma"}),  # near's own error then says why
        # specialties
        ("medical oncologist", "", {"specialty": "medical-oncology"}),
        ("hematologist oncologist", "", {"specialty": "hematology-oncology"}),
        ("hem onc lymphoma", "", {"specialty": "hematology-oncology", "cancer": "lymphoma"}),
        ("hematologist", "", {"specialty": "hematology"}),
        ("cancer surgeon", "", {"specialty": "surgical-oncology"}),
        ("gynecologic oncologist", "", {"specialty": "gynecologic-oncology"}),
        ("pediatric oncologist", "", {"specialty": "pediatric-hematology-oncology"}),
        ("childhood leukemia", "", {"specialty": "pediatric-hematology-oncology", "cancer": "leukemia"}),
        ("palliative care doctor", "", {"specialty": "palliative-care"}),
        ("radiotherapy prostate", "", {"specialty": "radiation-oncology", "cancer": "prostate"}),
        # cancer types, by name, slug words or common words
        ("breast cancer", "", {"cancer": "breast"}),
        ("lung", "", {"cancer": "lung"}),
        ("Colon cancer surgeon 60601", "", {"near": "60601", "specialty": "surgical-oncology", "cancer": "colorectal"}),
        ("skin cancer doctor", "", {"cancer": "melanoma"}),
        ("multiple myeloma", "", {"cancer": "myeloma"}),
        ("head and neck cancer", "", {"cancer": "head-and-neck"}),
        ("brain tumor", "", {"cancer": "brain"}),
        ("gynecologic cancer", "", {"cancer": "gynecologic"}),
        ("esophagus", "", {"cancer": "stomach-esophageal"}),
        ("renal", "", {"cancer": "kidney"}),
        # insurance, by a carrier's full name, alone or with a plan type
        ("aetna", "", {"insurance": "aetna"}),
        ("oncologist who takes Medicare near 10001", "", {"near": "10001", "insurance": "medicare"}),
        ("breast cancer aetna ppo", "", {"cancer": "breast", "insurance": "aetna:ppo"}),
        ("Kaiser Permanente hematologist", "", {"specialty": "hematology", "insurance": "kaiser"}),
        ("accepts Medicaid insurance", "", {"insurance": "medicaid"}),
        ("molina", "molina", {}),  # a surname too: only "Molina Healthcare" names the carrier
        ("Dr. Kaiser", "kaiser", {}),
        # names, and names that look like words
        ("smith oncologist", "smith", {}),
        ("Dr. García", "garcía", {}),
        ("Dr. Lung", "lung", {}),
        ("doctor Skinner", "skinner", {}),
        ("Dr Boston", "boston", {}),
        ("boston", "boston", {}),  # a city without its state is a word of names, practices and cities
        ("Mount Sinai", "Mount Sinai", {}),
        ("  O'Brien   Lee ", "O'Brien Lee", {}),
        ("Dr. Lung 10001", "lung", {"near": "10001"}),
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
    assert npis({"q": "Dr. Lung"}) == [directory["lung"].npi]  # a title says the next word is a name
    # and an unknown ZIP code typed in the box is near's error, as if typed there
    response = client.get("/api/v1/physicians/", {"q": "leukemia 00000"})
    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == ["near"]
