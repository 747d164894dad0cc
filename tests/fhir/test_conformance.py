"""A whole seeded directory, walked through search and read: every resource parses as FHIR (fhir.resources,
R4B models) and carries Plan-Net's must-support elements where OncoDir has the data."""

import io

import pytest
from django.core.management import call_command
from fhir.resources.R4B import get_fhir_model_class

from apps.directory.models import Affiliation, Institution, Physician, PracticeLocation

from .helpers import link

pytestmark = pytest.mark.django_db

MUST_SUPPORT = {
    "Practitioner": ("meta", "identifier", "active", "name"),
    "PractitionerRole": ("meta", "active", "practitioner", "organization", "location", "specialty", "code"),
    "Location": ("meta", "status", "name", "address"),
    "Organization": ("meta", "active", "type", "name"),
    "Bundle": ("type", "total", "link"),
}


def parsed(resource: dict) -> dict:
    """The resource, after fhir.resources has validated it (it raises on anything FHIR does not allow)."""
    model = get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    for element in MUST_SUPPORT.get(resource["resourceType"], ()):
        if element == "location" and resource["id"].startswith("affiliation-"):
            continue  # a hospital affiliation has no practice location
        assert resource.get(element) not in (None, [], ""), (resource["resourceType"], element)
    assert model.model_dump(mode="json", exclude_none=True)["resourceType"] == resource["resourceType"]
    return resource


def walk(fhir, address: str) -> list[dict]:
    """Every resource of a search, page by page through `next`, each Bundle parsed too."""
    found = []
    while address:
        response = fhir.get(address)
        assert response.status_code == 200, response.content
        bundle = parsed(response.json())
        found += [parsed(entry["resource"]) for entry in bundle["entry"]]
        address = link(bundle, "next")
    return found


def test_the_seeded_directory_walks_through_search_and_read_as_valid_plan_net_resources(fhir):
    # given the demo directory (physicians with locations, specialties, certificates, affiliations)
    call_command("seed_demo", "--physicians", "40", stdout=io.StringIO())
    Physician.objects.filter(pk=Physician.objects.order_by("pk").first().pk).update(is_active=False,
                                                                                      deactivated_on="2026-01-01")  # fmt: skip
    physicians, locations = Physician.objects.count(), PracticeLocation.objects.count()

    # when every search is walked to its end, with every include
    includes = "&_include=PractitionerRole:practitioner&_include=PractitionerRole:location&_include=PractitionerRole:organization"
    roles = walk(fhir, f"/fhir/PractitionerRole?_count=17{includes}")
    roles += walk(fhir, f"/fhir/PractitionerRole?active=false{includes}")
    practitioners = walk(fhir, "/fhir/Practitioner?_count=9&_revinclude=PractitionerRole:practitioner")
    practitioners += walk(fhir, "/fhir/Practitioner?active=false&_revinclude=PractitionerRole:practitioner")
    places = walk(fhir, "/fhir/Location?_count=50")
    nearby = walk(fhir, "/fhir/PractitionerRole?location.near=39.5|-98.35|500|mi&_include=PractitionerRole:location")
    nearby += walk(fhir, "/fhir/Location?near=39.5|-98.35|500|mi")
    assert nearby  # distances in entry.search parse too (walk parses each Bundle)
    organizations = walk(fhir, "/fhir/Organization?_count=60")

    # then every physician and location was found, each as the resources it maps to
    def ids(resources, kind):
        return {r["id"] for r in resources if r["resourceType"] == kind}

    assert len(ids(practitioners, "Practitioner")) == physicians
    affiliations = Affiliation.objects.all()
    assert affiliations.exists()
    assert ids(roles, "PractitionerRole") == {
        *(str(pk) for pk in PracticeLocation.objects.values_list("pk", flat=True)),
        *(f"affiliation-{a.pk}" for a in affiliations),
    }
    assert ids(practitioners, "PractitionerRole") == ids(roles, "PractitionerRole")
    assert len(ids(roles, "Location")) == len(ids(places, "Location")) == locations
    assert ids(roles, "Organization") == {
        *(f"practice-{pk}" for pk in PracticeLocation.objects.values_list("pk", flat=True)),
        *(f"institution-{a.institution_id}" for a in affiliations),
    }
    assert ids(roles, "Practitioner") == ids(practitioners, "Practitioner")
    assert any(r.get("qualification") for r in practitioners)
    assert any(r.get("communication") for r in practitioners)
    assert any(r.get("extension") for r in roles if r["resourceType"] == "PractitionerRole")
    assert any(r.get("telecom") for r in roles if r["resourceType"] == "PractitionerRole")

    # and every one of them (and every hospital) reads by id as the same valid resource
    institutions = [f"institution-{pk}" for pk in Institution.objects.values_list("pk", flat=True)]
    assert institutions
    assert ids(organizations, "Organization") == {
        *institutions,
        *(f"practice-{pk}" for pk in PracticeLocation.objects.values_list("pk", flat=True)),
    }
    for kind, resource_id in [
        *(
            (r["resourceType"], r["id"])
            for r in {(r["resourceType"], r["id"]): r for r in roles + practitioners}.values()
        ),
        *(("Organization", i) for i in institutions),
    ]:
        response = fhir.get(f"/fhir/{kind}/{resource_id}")
        assert response.status_code == 200, (kind, resource_id)
        parsed(response.json())


def test_the_capability_statement_and_outcomes_parse(fhir):
    parsed(fhir.get("/fhir/metadata").json())
    parsed(fhir.get("/fhir/PractitionerRole?colour=red").json())
    parsed(fhir.get("/fhir/Nothing/1").json())
