"""The same search through /fhir/ and /api/v1/physicians/ finds the same physicians in the same order."""

import pytest
from rest_framework.test import APIClient

from tests.factories import PhysicianFactory, PracticeLocationFactory, insurance_plan

from .helpers import link, near, practitioner_npis

pytestmark = pytest.mark.django_db

ZIPS = ["10001", "10002", "10011", "07030", "11201", "10451", "07302", "60601"]


@pytest.fixture
def directory():
    """Physicians around New York (and Chicago), with ties in name and distance, some not accepting."""
    names = ["Smith", "Smith", "Jones", "Adams", "Baker", "Nguyen", "Smith", "Zhang"]
    for n in range(24):
        physician = PhysicianFactory(
            last_name=names[n % len(names)],
            first_name="Ann" if n % 3 else "Bea",
            primary_specialty="2085R0001X" if n % 5 == 0 else "207RX0202X",
            cancers=["breast"] if n % 2 else ["lung"],
            telehealth=n % 4 == 0,
        )
        location = PracticeLocationFactory(
            physician=physician, zip_code=ZIPS[n % len(ZIPS)], accepting_new_patients=n % 3 != 1
        )
        if n % 3 == 0:
            location.plans.set([insurance_plan("aetna", "ppo")])
        if n % 4 == 1:
            PracticeLocationFactory(physician=physician, zip_code=ZIPS[(n + 3) % len(ZIPS)], is_primary=False)


def api_npis(params: dict) -> list[str]:
    client, npis, address = APIClient(), [], "/api/v1/physicians/"
    response = client.get(address, {**params, "page_size": 5})
    while True:
        assert response.status_code == 200, response.content
        npis += [item["npi"] for item in response.json()["results"]]
        address = response.json()["next"]
        if not address:
            return npis
        response = client.get(address)


def fhir_npis(fhir, params: dict) -> list[str]:
    npis, address = [], "/fhir/PractitionerRole"
    response = fhir.get(address, {**params, "_count": 4})
    while True:
        assert response.status_code == 200, response.content
        npis += practitioner_npis(response.json())
        address = link(response.json(), "next")
        if not address:
            return list(dict.fromkeys(npis))
        response = fhir.get(address)


@pytest.mark.parametrize(
    ("api", "fhir_params"),
    [
        pytest.param({}, {}, id="everyone-by-name"),
        pytest.param({"specialty": "medical-oncology"}, {"specialty": "medical-oncology"}, id="specialty"),
        pytest.param(
            {"specialty": "207RX0202X", "near": "10001", "radius": "25"},
            {"specialty": "207RX0202X", "location.near": near("10001", 25)},
            id="specialty-near",
        ),
        pytest.param(
            {"cancer": "breast", "accepting": "1", "near": "10001", "radius": "10"},
            {"cancer": "breast", "accepting": "true", "location.near": near("10001", 10)},
            id="cancer-accepting-near",
        ),
        pytest.param({"telehealth": "1", "language": "en"}, {"telehealth": "1", "language": "en"}, id="telehealth"),
        pytest.param(
            {"insurance": "aetna", "near": "10001", "radius": "30"},
            {"insurance": "aetna", "location.near": near("10001", 30)},
            id="insurance-near",
        ),
    ],
)
def test_fhir_and_the_api_find_the_same_physicians_in_the_same_order(fhir, directory, api, fhir_params):
    expected = api_npis(api)
    assert len(expected) >= 3  # the case searches something
    assert fhir_npis(fhir, fhir_params) == expected
