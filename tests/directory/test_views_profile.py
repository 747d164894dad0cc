"""The physician profile, GET /physicians/<npi>/<slug>/, through the real stack."""

import datetime
import json
import re

import pytest
from django.utils import timezone

from apps.directory.models import CertificationStatus, Institution
from tests.factories import (
    AffiliationFactory,
    BoardCertificationFactory,
    InstitutionFactory,
    PhysicianFactory,
    PracticeLocationFactory,
    next_npi,
)

pytestmark = pytest.mark.django_db


def json_ld(response) -> dict:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', response.content.decode(), re.S)
    return json.loads(match.group(1))


@pytest.fixture
def physician():
    physician = PhysicianFactory(
        first_name="María",
        last_name="García",
        credentials="MD PhD",
        languages=["en", "es"],
        telehealth=True,
        cancers=["breast", "lymphoma"],
        last_verified_on=datetime.date(2026, 1, 15),
    )
    PracticeLocationFactory(
        physician=physician,
        name="Chelsea Cancer Care",
        zip_code="10001",
        phone="212-555-0199",
        accepting_new_patients=True,
    )
    PracticeLocationFactory(
        physician=physician,
        name="Penn Annex",
        address_line1="1 Market St",
        city="Philadelphia",
        state="PA",
        zip_code="19103",
        phone="",
        accepting_new_patients=False,
        is_primary=False,
    )
    BoardCertificationFactory(
        physician=physician,
        first_certified_on=datetime.date(2012, 7, 1),
        expires_on=datetime.date(2030, 12, 31),
        verified_on=datetime.date(2026, 1, 10),
    )
    BoardCertificationFactory(
        physician=physician,
        certificate_name="Hematology",
        status=CertificationStatus.LAPSED,
        first_certified_on=datetime.date(2005, 7, 1),
        expires_on=datetime.date(2015, 12, 31),
        verified_on=None,
    )
    AffiliationFactory(
        physician=physician,
        institution=InstitutionFactory(
            name="Hudson Cancer Center", nci_designation=Institution.NCIDesignation.COMPREHENSIVE
        ),
    )
    return physician


def test_profile_shows_everything_a_patient_needs(client, physician):
    # when
    response = client.get(physician.get_absolute_url())
    html = response.content.decode()
    # then
    assert response.status_code == 200
    assert '<h1 id="profile-name">María García, MD PhD</h1>' in html
    assert "Medical Oncology Physician" in html
    assert "Breast cancer, Lymphoma" in html or "Lymphoma, Breast cancer" in html
    assert "Information last verified on January 15, 2026." in html
    assert '<a href="tel:+12125550199">(212) 555-0199</a>' in html
    assert html.count("Accepting new patients") == 1 and html.count("Not accepting new patients") == 1
    assert "American Board of Internal Medicine" in html or "ABIM" in html
    assert "Since Jul 1, 2012" in html and "Expires Dec 31, 2030" in html and "Jan 10, 2026" in html
    assert "Lapsed" in html and "Not verified" in html
    assert "English, Spanish" in html
    assert "Telehealth: <strong>offered</strong>" in html
    assert "Hudson Cancer Center" in html and "Comprehensive Cancer Center" in html
    assert f"<dd>{physician.npi}</dd>" in html
    assert f'<link rel="canonical" href="http://testserver{physician.get_absolute_url()}">' in html
    assert 'id="refer-a-patient"' in html


def test_stale_verification_is_flagged(client):
    old = PhysicianFactory(last_verified_on=timezone.localdate() - datetime.timedelta(days=400))
    fresh = PhysicianFactory(last_verified_on=timezone.localdate() - datetime.timedelta(days=300))
    never = PhysicianFactory(last_verified_on=None)
    assert "more than a year ago" in client.get(old.get_absolute_url()).content.decode()
    assert "more than a year ago" not in client.get(fresh.get_absolute_url()).content.decode()
    assert "has not been verified yet" in client.get(never.get_absolute_url()).content.decode()


def test_distance_from_the_searched_zip(client, physician):
    html = client.get(f"{physician.get_absolute_url()}?near=19103").content.decode()
    assert "0.0 miles from 19103" in html
    assert re.search(r"8[23]\.\d miles from 19103", html)


@pytest.mark.parametrize("near", ["00000", "abc", "1\x00", "9" * 300], ids=["unknown", "letters", "nul", "long"])
def test_bad_near_on_the_profile_is_a_message_not_an_error(client, physician, near):
    response = client.get(physician.get_absolute_url(), {"near": near})
    html = response.content.decode()
    assert response.status_code == 200
    assert "We could not show distances" in html
    assert "miles from" not in html and "\x00" not in html


@pytest.mark.parametrize(
    "path",
    ["/physicians/{npi}/", "/physicians/{npi}/wrong-slug/", "/physicians/{npi}/MARIA-GARCIA/"],
    ids=["no-slug", "wrong-slug", "wrong-case"],
)
def test_wrong_or_missing_slug_redirects_to_the_canonical_url(client, physician, path):
    response = client.get(path.format(npi=physician.npi) + "?near=10001")
    assert response.status_code == 301
    assert response["Location"] == f"/physicians/{physician.npi}/maria-garcia/?near=10001"


@pytest.mark.parametrize(
    "path",
    ["/physicians/{unknown}/", "/physicians/{unknown}/someone/", "/physicians/12345/x/", "/physicians/abc/"],
    ids=["unknown-npi", "unknown-npi-slug", "short-npi", "letters"],
)
def test_unknown_npi_is_404(client, path):
    assert client.get(path.format(unknown=next_npi())).status_code == 404


def test_deactivated_physician_is_410_with_an_explanation(client):
    gone = PhysicianFactory(first_name="Old", last_name="Timer", is_active=False, deactivated_on="2025-03-01")
    response = client.get(gone.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 410
    assert "no longer listed" in html and "March 1, 2025" in html
    assert client.get(f"/physicians/{gone.npi}/").status_code == 410


def test_json_ld_describes_the_physician(client, physician):
    data = json_ld(client.get(physician.get_absolute_url()))
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "Physician"
    assert data["name"] == "María García, MD PhD"
    assert data["url"] == f"http://testserver{physician.get_absolute_url()}"
    assert data["identifier"] == {"@type": "PropertyValue", "propertyID": "NPI", "value": physician.npi}
    assert data["medicalSpecialty"] == ["Medical Oncology Physician"]
    assert data["knowsLanguage"] == ["en", "es"]
    assert data["isAcceptingNewPatients"] is True
    assert [a["postalCode"] for a in data["address"]] == ["10001", "19103"]
    assert data["address"][0]["telephone"] == "(212) 555-0199" and "telephone" not in data["address"][1]
    assert data["hospitalAffiliation"] == [{"@type": "Hospital", "name": "Hudson Cancer Center"}]
    assert len(data["hasCredential"]) == 1  # the lapsed certificate is not a current credential
    assert data["dateModified"] == "2026-01-15"


def test_json_ld_gives_addresses_as_the_page_shows_them(client):
    # given: a location as the registry stores it: capitals, no practice name, ZIP+4 and phone as digits
    physician = PhysicianFactory()
    PracticeLocationFactory(
        physician=physician,
        name="",
        address_line1="263 FARMINGTON AVE",
        address_line2="STE 200",
        city="FARMINGTON",
        state="CT",
        zip_code="060301234",
        phone="8606792100",
    )
    # when
    response = client.get(physician.get_absolute_url())
    # then: the JSON-LD address is the readable one the page shows
    [address] = json_ld(response)["address"]
    assert address == {
        "@type": "PostalAddress",
        "name": "263 Farmington Ave",
        "streetAddress": "263 Farmington Ave, Ste 200",
        "addressLocality": "Farmington",
        "addressRegion": "CT",
        "postalCode": "06030-1234",
        "addressCountry": "US",
        "telephone": "(860) 679-2100",
    }
    assert "263 Farmington Ave, Ste 200" in response.content.decode()


def test_json_ld_cannot_be_broken_out_of(client):
    sneaky = PhysicianFactory(first_name="</script><script>alert(1)</script>", last_name="O'Brien & Sons")
    response = client.get(sneaky.get_absolute_url())
    html = response.content.decode()
    assert "<script>alert(1)" not in html
    assert json_ld(response)["name"].startswith("</script><script>alert(1)</script> O'Brien & Sons")


@pytest.mark.parametrize(("locations", "certifications", "affiliations"), [(1, 1, 1), (6, 5, 4)], ids=["few", "many"])
def test_profile_runs_a_fixed_number_of_queries(
    client, django_assert_num_queries, locations, certifications, affiliations
):
    physician = PhysicianFactory(cancers=["breast", "lung"])
    for index in range(locations):
        PracticeLocationFactory(physician=physician, is_primary=index == 0)
    for index in range(certifications):
        BoardCertificationFactory(physician=physician, certificate_name=f"Certificate {index}")
    for _ in range(affiliations):
        AffiliationFactory(physician=physician)
    # the physician, 6 prefetches (the locations' insurance plans the sixth), the care team and the trials
    with django_assert_num_queries(10):  # + the directory's version (ETag)
        response = client.get(f"{physician.get_absolute_url()}?near=10001")
    assert response.status_code == 200
    assert response.content.decode().count('class="location-card"') == locations
