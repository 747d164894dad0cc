"""The real NPPES sample, imported by the real commands, reads like a directory and not like a registry.

NPI 1003813403 is stored as NPPES wrote it (SPIRO, JEFFERY, MD; 263 FARMINGTON AVE, FARMINGTON, CT,
060300001, 8606792100; no practice name) and is shown readably on the page and in the API.
"""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils.html import escape
from rest_framework.test import APIClient

from apps.directory import display
from apps.directory.api.serializers import PracticeLocationDetailSerializer
from apps.directory.models import Physician, PracticeLocation
from tests.registry.nppes_files import NUCC, SAMPLE

pytestmark = pytest.mark.django_db

SPIRO = "1003813403"


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def spiro():
    call_command("import_nucc", str(NUCC), stdout=StringIO())
    call_command("import_nppes", str(SAMPLE), "--no-progress", stdout=StringIO())
    return Physician.objects.get(npi=SPIRO)


def visible_text(html: str) -> str:
    """The page's text as a reader sees it: tags and runs of white space dropped."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


def test_the_registry_text_is_stored_as_the_registry_wrote_it(spiro):
    location = spiro.locations.get()
    assert (spiro.first_name, spiro.last_name, spiro.credentials) == ("JEFFERY", "SPIRO", "MD")
    assert (location.name, location.address_line1, location.city, location.zip_code, location.phone) == (
        "",
        "263 FARMINGTON AVE",
        "FARMINGTON",
        "06030-0001",
        "8606792100",
    )


def test_profile_reads_as_a_directory(client, spiro):
    # when the imported physician's profile is opened
    response = client.get(spiro.get_absolute_url())
    html = response.content.decode()
    text = visible_text(html)

    # then names, address and phone are readable, and the location is titled by its address
    assert response.status_code == 200
    assert '<h1 id="profile-name">Jeffery Spiro, MD</h1>' in html
    assert "Where Spiro sees patients" in text
    assert "<h3>263 Farmington Ave</h3>" in html
    assert "263 Farmington Ave Farmington, CT 06030-0001" in text
    assert '<a href="tel:+18606792100">(860) 679-2100</a>' in html
    # no placeholder, and none of the registry's capitals
    assert not re.search(r"\bPractice\b", html)
    assert "SPIRO" not in text and "FARMINGTON" not in text and "8606792100" not in text


def test_every_imported_location_is_titled_by_its_address(client):
    call_command("import_nucc", str(NUCC), stdout=StringIO())
    call_command("import_nppes", str(SAMPLE), "--no-progress", stdout=StringIO())
    locations = list(PracticeLocation.objects.select_related("physician"))
    assert len(locations) == 54 and all(location.name == "" for location in locations)
    for location in locations:
        html = client.get(location.physician.get_absolute_url()).content.decode()
        assert location.title == display.address(location.address_line1) != ""
        assert f"<h3>{escape(location.title)}</h3>" in html, location.physician.npi
        assert "<h3>Practice" not in html


@pytest.mark.parametrize("typed", ["SPIRO", "Spiro", "JEFFERY SPIRO", "Jeffery Spiro"], ids=lambda t: t)
def test_search_finds_him_by_the_registry_and_the_readable_name(client, api, spiro, typed):
    page = client.get("/physicians/", {"q": typed}).content.decode()
    assert f'id="result-{SPIRO}"' in page
    # the result row shows the readable name and the address as the location's title
    assert "Jeffery Spiro, MD</a>" in page
    assert "263 Farmington Ave, Farmington, CT" in visible_text(page)

    body = api.get("/api/v1/physicians/", {"q": typed}).json()
    assert SPIRO in [item["npi"] for item in body["results"]]


def test_api_keeps_the_registry_text_and_adds_the_readable_title(api, spiro):
    body = api.get(f"/api/v1/physicians/{SPIRO}/").json()
    assert body["display_name"] == "Jeffery Spiro, MD"
    assert (body["first_name"], body["last_name"]) == ("JEFFERY", "SPIRO")
    [location] = body["locations"]
    assert set(location) == set(PracticeLocationDetailSerializer().fields)
    assert location["insurance_plans"] == []  # the registry does not say: not known
    assert (location["name"], location["title"], location["address_line1"]) == (
        "",
        "263 Farmington Ave",
        "263 FARMINGTON AVE",
    )
