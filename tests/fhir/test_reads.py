"""Reads by id, the CapabilityStatement, and fixed query counts (no N+1 whatever the page size)."""

import datetime

import pytest
from django.utils import timezone

from apps.directory.models import Physician
from apps.fhir.parameters import INCLUDES, REVINCLUDES, SEARCH_PARAMETERS
from tests.factories import AffiliationFactory, BoardCertificationFactory, InstitutionFactory

from .helpers import included, matches, near, physician_at, url

pytestmark = pytest.mark.django_db

# The valid values that find nothing in the test's directory (no cancer types, certificates or plans).
NOTHING_TO_FIND = {"cancer", "board", "insurance"}
ALL_INCLUDES = (
    "&_include=PractitionerRole:practitioner&_include=PractitionerRole:location&_include=PractitionerRole:organization"
)


def test_practitioner_read_by_npi_carries_plan_net_must_support_elements(fhir):
    physician = physician_at("10001", first_name="ADA", last_name="LOVELACE", sex="F", languages=["en", "es"])
    BoardCertificationFactory(physician=physician, expires_on=datetime.date(2030, 1, 1))

    response = fhir.get(f"/fhir/Practitioner/{physician.npi}")

    assert response.status_code == 200
    practitioner = response.json()
    assert practitioner["identifier"] == [
        {"use": "official", "system": "http://hl7.org/fhir/sid/us-npi", "value": physician.npi}
    ]
    assert practitioner["name"][0]["family"] == "Lovelace" and practitioner["name"][0]["given"] == ["Ada"]
    assert practitioner["gender"] == "female"
    assert [c["coding"][0]["code"] for c in practitioner["communication"]] == ["en", "es"]
    qualification = practitioner["qualification"][0]
    assert qualification["code"]["text"] == "Medical Oncology"
    assert qualification["period"] == {"start": "2015-06-01", "end": "2030-01-01"}
    assert qualification["extension"][0]["extension"] == [{"url": "status", "valueCode": "active"}]
    assert practitioner["active"] is True


def test_meta_last_updated_is_the_records_change_time(fhir):
    physician = physician_at("10001")
    changed = timezone.now().replace(microsecond=123000) - datetime.timedelta(days=3)
    Physician.objects.filter(pk=physician.pk).update(updated_at=changed)
    physician.locations.update(updated_at=changed - datetime.timedelta(days=1))
    location = physician.locations.get()

    practitioner = fhir.get(f"/fhir/Practitioner/{physician.npi}").json()
    role = fhir.get(f"/fhir/PractitionerRole/{location.pk}").json()
    place = fhir.get(f"/fhir/Location/{location.pk}").json()

    assert practitioner["meta"]["lastUpdated"] == changed.isoformat(timespec="milliseconds")
    assert role["meta"]["lastUpdated"] == changed.isoformat(timespec="milliseconds")  # the later of the two
    assert place["meta"]["lastUpdated"] == (changed - datetime.timedelta(days=1)).isoformat(timespec="milliseconds")


def test_a_deactivated_physician_is_read_as_inactive_not_hidden(fhir):
    physician = physician_at("10001")
    Physician.objects.filter(pk=physician.pk).update(is_active=False, deactivated_on=timezone.localdate())

    assert fhir.get(f"/fhir/Practitioner/{physician.npi}").json()["active"] is False
    assert fhir.get(f"/fhir/PractitionerRole/{physician.locations.get().pk}").json()["active"] is False


def test_role_location_and_organizations_read_by_id(fhir):
    physician = physician_at("10001", accepting=None)
    location = physician.locations.get()
    hospital = InstitutionFactory(name="Mercy Hospital", city="BOSTON", state="MA")

    role = fhir.get(f"/fhir/PractitionerRole/{location.pk}").json()
    place = fhir.get(f"/fhir/Location/{location.pk}").json()
    practice = fhir.get(f"/fhir/Organization/practice-{location.pk}").json()
    organization = fhir.get(f"/fhir/Organization/institution-{hospital.pk}").json()

    assert "extension" not in role  # accepting not known: no claim either way
    assert role["specialty"][0]["coding"][0] == {
        "system": "http://nucc.org/provider-taxonomy",
        "code": "207RX0202X",
        "display": "Medical Oncology Physician",
    }
    assert place["address"]["postalCode"] == "10001" and set(place["position"]) == {"latitude", "longitude"}
    assert practice["type"][0]["coding"][0]["code"] == "prvgrp"
    assert organization["name"] == "Mercy Hospital" and organization["address"][0]["city"] == "Boston"


def test_accepting_per_location_is_plan_nets_new_patients_extension(fhir):
    physician = physician_at("10001", accepting=False)
    role = fhir.get(f"/fhir/PractitionerRole/{physician.locations.get().pk}").json()
    assert role["extension"][0]["url"].endswith("/StructureDefinition/newpatients")
    accepting = role["extension"][0]["extension"][0]
    assert accepting["url"] == "acceptingPatients"
    assert accepting["valueCodeableConcept"]["coding"][0]["code"] == "nopt"


def test_capability_statement_lists_exactly_what_is_implemented(fhir):
    statement = fhir.get("/fhir/metadata").json()

    assert statement["resourceType"] == "CapabilityStatement" and statement["fhirVersion"] == "4.0.1"
    resources = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert {t: [i["code"] for i in r["interaction"]] for t, r in resources.items()} == {
        "Practitioner": ["read", "search-type"],
        "PractitionerRole": ["read", "search-type"],
        "Location": ["read", "search-type"],
        "Organization": ["read", "search-type"],
        "ResearchStudy": ["read", "search-type"],
        "ServiceRequest": ["read", "search-type", "create"],
        "Task": ["read", "search-type", "update"],
        "Patient": ["read", "search-type"],
        "DocumentReference": ["read", "search-type", "create"],
    }
    assert statement["rest"][0]["interaction"] == [
        {"code": "transaction", "documentation": "A Patient and its ServiceRequest."}
    ]
    assert [p["name"] for p in resources["ServiceRequest"]["searchParam"]] == ["_id", "status", "priority", "patient"]
    assert [p["name"] for p in resources["Task"]["searchParam"]] == ["_id", "focus", "status", "business-status"]
    assert [p["name"] for p in resources["Patient"]["searchParam"]] == ["_id"]
    assert [p["name"] for p in resources["DocumentReference"]["searchParam"]] == ["related", "patient"]
    for resource_type, resource in resources.items():
        assert [p["name"] for p in resource.get("searchParam", [])] == [
            p.name for p in SEARCH_PARAMETERS.get(resource_type, ())
        ]
        assert resource.get("searchInclude", []) == list(INCLUDES.get(resource_type, ()))
        assert resource.get("searchRevInclude", []) == list(REVINCLUDES.get(resource_type, ()))


def test_every_declared_parameter_is_accepted_by_its_search(fhir):
    # The statement's parameters are the ones the searches run: each one, given a valid value, answers 200.
    physician = physician_at("10001")
    location = physician.locations.get()
    valid = {
        "_id": str(location.pk),
        "_lastUpdated": "ge2000-01-01",
        "active": "true",
        "specialty": "207RX0202X",
        "practitioner": f"Practitioner/{physician.npi}",
        "location": f"Location/{location.pk}",
        "organization": f"Organization/practice-{location.pk}",
        "location.near": near("10001"),
        "near": near("10001"),
        "location.address-postalcode": "10001",
        "location.address-state": "NY",
        "location.address-city": "New York",
        "address-postalcode": "10001",
        "address-state": "NY",
        "address-city": "New York",
        "cancer": "breast",
        "insurance": "aetna",
        "accepting": "1",
        "telehealth": "0",
        "language": "en",
        "certified": "0",
        "board": "abim",
        "identifier": physician.npi,
        "name": physician.last_name,
        "family": physician.last_name,
        "given": physician.first_name,
        "gender": "female",
        "communication": "en",
        "type": "prvgrp",
    }
    statement = fhir.get("/fhir/metadata").json()
    directory = ("Practitioner", "PractitionerRole", "Location", "Organization")  # referrals: test_referral_reads
    for resource in (r for r in statement["rest"][0]["resource"] if r["type"] in directory):
        for parameter in resource.get("searchParam", []):
            name = parameter["name"]
            value = {
                ("Practitioner", "_id"): physician.npi,
                ("Organization", "_id"): f"practice-{location.pk}",
                ("Organization", "name"): location.name,
            }.get((resource["type"], name), valid.get(name))
            response = fhir.get(url(resource["type"], **{name: value}))
            assert response.status_code == 200, (resource["type"], name, response.content)
            assert response.json()["total"] >= 1 or name in NOTHING_TO_FIND, (resource["type"], name)


def test_role_search_with_every_include_runs_a_fixed_number_of_queries(fhir, warm_reference, django_assert_num_queries):
    # given many physicians, each at two locations and a hospital, and with two certificates
    for _ in range(6):
        physician = physician_at("10001", "10002")
        AffiliationFactory(physician=physician)
        BoardCertificationFactory(physician=physician)
        BoardCertificationFactory(physician=physician, certificate_name="Hematology")
    address = url("PractitionerRole", specialty="207RX0202X") + ALL_INCLUDES

    # when a page of 10 roles is read with every include: the page and total, the roles at locations, those at
    # hospitals, the qualifications
    with django_assert_num_queries(5):  # + the directory's version (ETag)
        response = fhir.get(address + "&_count=10")

    bundle = response.json()
    assert len(matches(bundle)) == 10 and bundle["total"] == 18
    assert [m["id"].startswith("affiliation-") for m in matches(bundle)][:3] == [False, False, True]
    assert len([r for r in included(bundle) if r["resourceType"] == "Practitioner"]) == 4


def test_role_search_near_with_every_include_runs_a_fixed_number_of_queries(
    fhir, warm_reference, django_assert_num_queries
):
    for _ in range(6):
        physician = physician_at("10001", "10002")
        AffiliationFactory(physician=physician)  # not a role near anything: it has no location
        BoardCertificationFactory(physician=physician)
    address = url("PractitionerRole", specialty="207RX0202X", **{"location.near": near("10001")}) + ALL_INCLUDES

    with django_assert_num_queries(4):  # the version, the page and total, the roles, the qualifications
        response = fhir.get(address + "&_count=10")

    bundle = response.json()
    assert len(matches(bundle)) == 10 and bundle["total"] == 12
    assert len([r for r in included(bundle) if r["resourceType"] == "Practitioner"]) == 5


def test_practitioner_search_with_revinclude_runs_a_fixed_number_of_queries(
    fhir, warm_reference, django_assert_num_queries
):
    for _ in range(5):
        physician = physician_at("10001", "10002")
        AffiliationFactory(physician=physician)
        BoardCertificationFactory(physician=physician)
    with django_assert_num_queries(5):  # the version, the page and total, the certifications, the two kinds of role
        response = fhir.get(url("Practitioner", _revinclude="PractitionerRole:practitioner"))
    assert len(matches(response.json())) == 5 and len(included(response.json())) == 15


def test_organization_search_runs_a_fixed_number_of_queries(fhir, django_assert_num_queries):
    for _ in range(4):
        AffiliationFactory(physician=physician_at("10001", "10002"))
    with django_assert_num_queries(4):  # the version, the page (with its total), its hospitals, its practices
        response = fhir.get(url("Organization", _count=10))
    assert len(matches(response.json())) == 10 and response.json()["total"] == 12


@pytest.mark.parametrize(
    ("kind", "resource", "queries"),
    [
        ("Practitioner", "npi", 3),  # each read: the directory's version (ETag) first
        ("PractitionerRole", "location", 2),
        ("PractitionerRole", "affiliation", 2),
        ("Location", "location", 2),
        ("Organization", "practice", 2),
        ("Organization", "institution", 2),
    ],
)
def test_reads_run_a_fixed_number_of_queries(fhir, warm_reference, django_assert_num_queries, kind, resource, queries):
    physician = physician_at("10001")
    BoardCertificationFactory(physician=physician)
    BoardCertificationFactory(physician=physician, certificate_name="Hematology")
    affiliation = AffiliationFactory(physician=physician)
    location = physician.locations.get()
    resource_id = {
        "npi": physician.npi,
        "location": location.pk,
        "affiliation": f"affiliation-{affiliation.pk}",
        "practice": f"practice-{location.pk}",
        "institution": f"institution-{affiliation.institution_id}",
    }[resource]
    with django_assert_num_queries(queries):
        response = fhir.get(f"/fhir/{kind}/{resource_id}")
    assert response.status_code == 200
