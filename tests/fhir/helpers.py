"""Shared by the FHIR tests: a small directory and ways to read Bundles."""

from urllib.parse import urlencode

from apps.directory.geo import zip_centroid
from tests.factories import PhysicianFactory, PracticeLocationFactory

FHIR = "/fhir"


def url(resource_type: str, **params) -> str:
    return f"{FHIR}/{resource_type}?{urlencode(params)}"


def near(zip_code: str, miles=25, units="[mi_i]") -> str:
    latitude, longitude = zip_centroid(zip_code)
    return f"{latitude}|{longitude}|{miles}|{units}"


def physician_at(*zip_codes, accepting=True, **kwargs):
    physician = PhysicianFactory(**kwargs)
    for n, zip_code in enumerate(zip_codes):
        PracticeLocationFactory(
            physician=physician, zip_code=zip_code, accepting_new_patients=accepting, is_primary=n == 0
        )
    return physician


def matches(bundle: dict) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["search"]["mode"] == "match"]


def included(bundle: dict) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["search"]["mode"] == "include"]


def link(bundle: dict, relation: str) -> str | None:
    return next((item["url"] for item in bundle["link"] if item["relation"] == relation), None)


def practitioner_npis(bundle: dict) -> list[str]:
    """The practitioners of the matched roles, in order, each once."""
    npis = [role["practitioner"]["reference"].removeprefix("Practitioner/") for role in matches(bundle)]
    return list(dict.fromkeys(npis))
