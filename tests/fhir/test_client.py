"""A FHIR client nobody here wrote (fhirpy) against a live server: search near a ZIP's coordinates by
specialty with _include, page through `next` to the end, read a Practitioner by NPI."""

import pytest
from fhirpy import SyncFHIRClient

from tests.factories import BoardCertificationFactory

from .helpers import near, physician_at

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)  # a flush empties the reference tables


def test_fhirpy_searches_pages_and_reads(live_server):
    # given seven medical oncologists near 10001 (one with two offices there), a radiation oncologist there
    # and a medical oncologist in Chicago
    oncologists = [physician_at("10001", last_name=f"Onc{n}") for n in range(6)]
    oncologists.append(physician_at("10001", "10011", last_name="Twice"))
    BoardCertificationFactory(physician=oncologists[0])
    physician_at("10001", primary_specialty="2085R0001X")
    physician_at("60601")
    client = SyncFHIRClient(f"{live_server.url}/fhir", extra_headers={"Accept": "application/fhir+json"})

    # when it searches roles by specialty near 10001's centroid, 3 a page, with the practitioners included
    search = (
        client.resources("PractitionerRole")
        .search(specialty="http://nucc.org/provider-taxonomy|207RX0202X", **{"location.near": near("10001", 20)})
        .include("PractitionerRole", "practitioner")
        .limit(3)
    )
    first_page = search.fetch_raw()
    roles = list(search)  # fhirpy follows the Bundles' `next` links to the end

    # then it gets every matching role once, and the first page carried their practitioners
    assert first_page["total"] == 8
    assert len(roles) == 8 and len({role["id"] for role in roles}) == 8
    assert {role["practitioner"]["reference"] for role in roles} == {f"Practitioner/{p.npi}" for p in oncologists}
    included = [e["resource"] for e in first_page["entry"] if e["search"]["mode"] == "include"]
    assert {r["resourceType"] for r in included} == {"Practitioner"} and len(included) == 3

    # and it reads a practitioner by NPI, and finds one by its NPI identifier
    practitioner = client.get("Practitioner", oncologists[0].npi)
    assert practitioner["identifier"][0]["value"] == oncologists[0].npi
    assert practitioner["qualification"][0]["code"]["text"] == "Medical Oncology"
    found = (
        client.resources("Practitioner").search(identifier=f"http://hl7.org/fhir/sid/us-npi|{oncologists[1].npi}").get()
    )
    assert found["id"] == oncologists[1].npi
