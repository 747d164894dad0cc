"""GET /fhir/PractitionerRole, /fhir/Practitioner, /fhir/Location: the directory search as FHIR searchsets."""

import datetime

import pytest
from django.utils import timezone

from apps.directory.models import Physician, PracticeLocation
from tests.factories import AffiliationFactory, BoardCertificationFactory, InstitutionFactory, insurance_plan

from .helpers import included, link, matches, near, physician_at, practitioner_npis, url

pytestmark = pytest.mark.django_db


def get_json(fhir, address, **headers):
    response = fhir.get(address, headers=headers)
    assert response["Content-Type"].startswith("application/fhir+json"), response.content
    return response.status_code, response.json()


def test_role_search_finds_each_location_of_the_physicians_near_a_point_nearest_first(fhir):
    # given a physician in 10001 (Manhattan) and one in 07030 (Hoboken) with a second office in 90210
    manhattan = physician_at("10001", last_name="Zed")
    hoboken = physician_at("07030", "90210", last_name="Abel")
    physician_at("60601")  # Chicago: far away

    # when roles are searched within 25 miles of 10001's centroid
    status, bundle = get_json(fhir, url("PractitionerRole", **{"location.near": near("10001")}))

    # then the two physicians' nearby roles come nearest first, the Beverly Hills office is not one
    assert status == 200
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "searchset"
    assert bundle["total"] == 2
    assert practitioner_npis(bundle) == [manhattan.npi, hoboken.npi]
    assert [m["location"][0]["reference"] for m in matches(bundle)] == [
        f"Location/{manhattan.locations.get().pk}",
        f"Location/{hoboken.locations.get(zip_code='07030').pk}",
    ]
    # and each entry says how far its location is, in miles (FHIR's location-distance extension)
    distances = [e["search"]["extension"][0] for e in bundle["entry"]]
    assert [d["url"] for d in distances] == ["http://hl7.org/fhir/StructureDefinition/location-distance"] * 2
    assert distances[0]["valueDistance"] == {"unit": "mi", "system": "http://unitsofmeasure.org", "code": "[mi_i]",
                                             "value": 0.0}  # fmt: skip
    assert 0 < distances[1]["valueDistance"]["value"] < 25


def test_role_search_filters_by_specialty_with_or_without_the_nucc_system(fhir):
    oncologist = physician_at("10001")
    physician_at("10001", primary_specialty="2085R0001X")  # radiation oncology

    for value in ("207RX0202X", "http://nucc.org/provider-taxonomy|207RX0202X", "medical-oncology"):
        status, bundle = get_json(fhir, url("PractitionerRole", specialty=value))
        assert status == 200
        assert practitioner_npis(bundle) == [oncologist.npi], value


def test_roles_of_every_location_without_near_in_name_order_primary_first(fhir):
    # given a physician with two locations, and another whose name sorts first
    second = physician_at("10001", "90210", last_name="Baker")
    first = physician_at("60601", last_name="Adams")

    status, bundle = get_json(fhir, url("PractitionerRole"))

    locations = [m["location"][0]["reference"] for m in matches(bundle)]
    assert bundle["total"] == 3
    assert practitioner_npis(bundle) == [first.npi, second.npi]
    primary, other = second.locations.order_by("-is_primary", "id")
    assert locations[1:] == [f"Location/{primary.pk}", f"Location/{other.pk}"]


def test_pages_follow_next_links_to_the_end_and_see_every_role_once(fhir):
    physicians = [physician_at("10001", "10002") for _ in range(5)]

    seen, address, pages = [], url("PractitionerRole", _count=3), 0
    while address:
        status, bundle = get_json(fhir, address)
        assert status == 200 and bundle["total"] == 10
        seen += [m["id"] for m in matches(bundle)]
        address, pages = link(bundle, "next"), pages + 1
        assert address is None or address.startswith("http://testserver/fhir/PractitionerRole?")

    assert pages == 4
    assert sorted(seen) == sorted(str(loc.pk) for p in physicians for loc in p.locations.all())


def test_a_page_past_the_end_is_empty_but_keeps_the_total(fhir):
    physician_at("10001")
    status, bundle = get_json(fhir, url("PractitionerRole", _offset=50))
    assert status == 200 and bundle["total"] == 1 and bundle.get("entry") == []
    assert link(bundle, "next") is None


def test_includes_bring_the_practitioner_location_and_organization_once(fhir):
    physician = physician_at("10001", "10002")
    BoardCertificationFactory(physician=physician)

    status, bundle = get_json(
        fhir,
        url("PractitionerRole", practitioner=f"Practitioner/{physician.npi}")
        + "&_include=PractitionerRole:practitioner&_include=PractitionerRole:location"
        + "&_include=PractitionerRole:organization",
    )

    kinds = sorted(r["resourceType"] for r in included(bundle))
    assert kinds == ["Location", "Location", "Organization", "Organization", "Practitioner"]
    practitioner = next(r for r in included(bundle) if r["resourceType"] == "Practitioner")
    assert practitioner["qualification"][0]["issuer"]["display"].endswith("(ABIM)")
    assert "_include=PractitionerRole%3Apractitioner" in link(bundle, "self")


def test_oncology_filters_are_the_directory_searchs(fhir):
    # given two breast oncologists near 10001, only one accepting, telehealth and Spanish-speaking
    wanted = physician_at("10001", cancers=["breast"], telehealth=True, languages=["en", "es"])
    physician_at("10001", cancers=["breast"], accepting=False)
    physician_at("10001", cancers=["lung"], telehealth=True, languages=["es"])

    status, bundle = get_json(
        fhir, url("PractitionerRole", cancer="breast", accepting="true", telehealth="1", language="es")
    )

    assert status == 200
    assert practitioner_npis(bundle) == [wanted.npi]


def test_accepting_near_keeps_only_roles_at_accepting_locations(fhir):
    physician = physician_at("10001", "10002")
    closed = physician.locations.get(zip_code="10002")
    closed.accepting_new_patients = False
    closed.save()

    status, bundle = get_json(fhir, url("PractitionerRole", accepting="1", **{"location.near": near("10001")}))

    assert [m["id"] for m in matches(bundle)] == [str(physician.locations.get(zip_code="10001").pk)]


def test_role_search_by_location_address(fhir):
    physician_at("10001")
    boston = physician_at("02115")
    boston.locations.update(city="Boston", state="MA")

    for name, value in [("location.address-state", "ma"), ("location.address-city", "bos"),
                        ("location.address-postalcode", "021")]:  # fmt: skip
        status, bundle = get_json(fhir, url("PractitionerRole", **{name: value}))
        assert practitioner_npis(bundle) == [boston.npi], name


def test_active_defaults_to_true_and_false_finds_deactivated_physicians(fhir):
    active = physician_at("10001")
    gone = physician_at("10001")
    Physician.objects.filter(pk=gone.pk).update(is_active=False, deactivated_on=timezone.localdate())

    assert practitioner_npis(get_json(fhir, url("PractitionerRole"))[1]) == [active.npi]
    status, bundle = get_json(fhir, url("PractitionerRole", active="false"))
    assert practitioner_npis(bundle) == [gone.npi]
    assert [m["active"] for m in matches(bundle)] == [False]


def test_practitioner_search_by_identifier_name_and_gender(fhir):
    ada = physician_at("10001", first_name="Ada", last_name="Lovelace", sex="F")
    physician_at("10001", first_name="Alan", last_name="Turing", sex="M")

    for params in (
        {"identifier": f"http://hl7.org/fhir/sid/us-npi|{ada.npi}"},
        {"identifier": ada.npi},
        {"name": "love"},
        {"family": "LOVELACE"},
        {"given": "ad"},
        {"gender": "female"},
        {"_id": ada.npi},
    ):
        status, bundle = get_json(fhir, url("Practitioner", **params))
        assert status == 200
        assert [r["id"] for r in matches(bundle)] == [ada.npi], params


def test_practitioner_revinclude_brings_its_roles(fhir):
    physician = physician_at("10001", "10002")
    status, bundle = get_json(
        fhir, url("Practitioner", identifier=physician.npi, _revinclude="PractitionerRole:practitioner")
    )
    assert sorted(r["id"] for r in included(bundle)) == sorted(str(loc.pk) for loc in physician.locations.all())


def test_last_updated_compares_with_the_records_change_time(fhir):
    old = physician_at("10001")
    new = physician_at("10001")
    Physician.objects.filter(pk=old.pk).update(updated_at=timezone.now() - datetime.timedelta(days=10))
    since = (timezone.now() - datetime.timedelta(days=1)).date().isoformat()

    status, bundle = get_json(fhir, url("Practitioner", _lastUpdated=f"ge{since}"))
    assert [r["id"] for r in matches(bundle)] == [new.npi]
    status, bundle = get_json(fhir, url("Practitioner", _lastUpdated=f"lt{since}"))
    assert [r["id"] for r in matches(bundle)] == [old.npi]
    week_ago = (timezone.now() - datetime.timedelta(days=12)).date().isoformat()
    status, bundle = get_json(fhir, f"/fhir/Practitioner?_lastUpdated=ge{week_ago}&_lastUpdated=lt{since}")
    assert [r["id"] for r in matches(bundle)] == [old.npi]
    assert link(bundle, "self").count("_lastUpdated") == 2


def test_location_search_near_nearest_first_and_by_address(fhir):
    hoboken = physician_at("07030").locations.get()
    manhattan = physician_at("10001").locations.get()
    physician_at("60601")

    status, bundle = get_json(fhir, url("Location", near=near("10001", 2, "km")))
    assert [r["id"] for r in matches(bundle)] == [str(manhattan.pk)]
    status, bundle = get_json(fhir, url("Location", near=near("10001", 30, "mi")))
    assert [r["id"] for r in matches(bundle)] == [str(manhattan.pk), str(hoboken.pk)]
    assert [e["search"]["extension"][0]["valueDistance"]["value"] > 0 for e in bundle["entry"]] == [False, True]
    status, bundle = get_json(fhir, url("Location", **{"address-postalcode": "07030"}))
    assert [r["id"] for r in matches(bundle)] == [str(hoboken.pk)]


def test_organization_of_a_role_is_its_practice_or_its_hospital(fhir):
    physician = physician_at("10001", "10002")
    affiliation = AffiliationFactory(physician=physician)
    AffiliationFactory(physician=physician_at("10001"))  # another hospital
    location = physician.locations.get(zip_code="10002")

    status, bundle = get_json(fhir, url("PractitionerRole", organization=f"Organization/practice-{location.pk}"))
    assert [m["id"] for m in matches(bundle)] == [str(location.pk)]
    assert matches(bundle)[0]["organization"]["reference"] == f"Organization/practice-{location.pk}"

    hospital = f"Organization/institution-{affiliation.institution_id}"
    status, bundle = get_json(
        fhir, url("PractitionerRole", organization=hospital, _include="PractitionerRole:organization")
    )
    assert [m["id"] for m in matches(bundle)] == [f"affiliation-{affiliation.pk}"]
    assert "location" not in matches(bundle)[0]
    assert [r["id"] for r in included(bundle)] == [hospital.removeprefix("Organization/")]


def test_a_physicians_roles_are_its_locations_then_its_hospitals_unless_the_search_is_about_places(fhir):
    physician = physician_at("10001", "10002")
    affiliation = AffiliationFactory(physician=physician)
    primary, other = physician.locations.order_by("-is_primary", "id")

    status, bundle = get_json(fhir, url("PractitionerRole"))
    assert [m["id"] for m in matches(bundle)] == [str(primary.pk), str(other.pk), f"affiliation-{affiliation.pk}"]
    for place in ({"location.near": near("10001")}, {"location.address-state": "NY"}, {"accepting": "true"}):
        status, bundle = get_json(fhir, url("PractitionerRole", **place))
        assert not [m for m in matches(bundle) if m["id"].startswith("affiliation-")], place
    status, bundle = get_json(fhir, url("PractitionerRole", _id=f"affiliation-{affiliation.pk},{other.pk}"))
    assert [m["id"] for m in matches(bundle)] == [str(other.pk), f"affiliation-{affiliation.pk}"]


def test_organization_search_lists_hospitals_by_name_then_practices(fhir):
    # given two hospitals and two practices
    mercy = InstitutionFactory(name="Mercy Hospital", city="Boston", state="MA")
    aaron = InstitutionFactory(name="Aaron Cancer Center", city="Albany", state="NY")
    first = physician_at("10001").locations.get()
    second = physician_at("02115").locations.get()
    PracticeLocation.objects.filter(pk=second.pk).update(name="Mercy Oncology Group", city="Boston", state="MA")

    def ids(**params):
        status, bundle = get_json(fhir, url("Organization", **params))
        assert status == 200
        return [r["id"] for r in matches(bundle)]

    assert ids() == [
        f"institution-{aaron.pk}",
        f"institution-{mercy.pk}",
        f"practice-{first.pk}",
        f"practice-{second.pk}",
    ]
    assert ids(name="mercy") == [f"institution-{mercy.pk}", f"practice-{second.pk}"]
    assert ids(type="fac") == [f"institution-{aaron.pk}", f"institution-{mercy.pk}"]
    assert ids(type="http://hl7.org/fhir/us/davinci-pdex-plan-net/CodeSystem/OrgTypeCS|prvgrp") == [
        f"practice-{first.pk}",
        f"practice-{second.pk}",
    ]
    assert ids(**{"address-state": "ma"}) == [f"institution-{mercy.pk}", f"practice-{second.pk}"]
    assert ids(**{"address-postalcode": "021"}) == [f"practice-{second.pk}"]
    assert ids(_id=f"institution-{aaron.pk},practice-{first.pk}") == [f"institution-{aaron.pk}", f"practice-{first.pk}"]
    status, bundle = get_json(fhir, url("Organization", _count=3, _offset=3))
    assert bundle["total"] == 4 and [r["id"] for r in matches(bundle)] == [f"practice-{second.pk}"]


def test_insurance_is_the_directory_searchs_and_keeps_only_roles_at_practices_taking_it(fhir):
    # given a physician whose Manhattan office takes Aetna PPO and whose Brooklyn office does not
    physician = physician_at("10001", "11201")
    manhattan = physician.locations.get(zip_code="10001")
    manhattan.plans.set([insurance_plan("aetna", "ppo")])
    AffiliationFactory(physician=physician)
    physician_at("10001")  # plans not known

    for params in ({"insurance": "aetna"}, {"insurance": "aetna:ppo", "location.near": near("11201", 25)}):
        status, bundle = get_json(fhir, url("PractitionerRole", **params))
        assert status == 200
        assert [m["id"] for m in matches(bundle)] == [str(manhattan.pk)], params
    status, bundle = get_json(fhir, url("PractitionerRole", insurance="acme"))
    assert status == 400 and bundle["issue"][0]["expression"] == ["insurance"]
