"""Every /fhir/ error is an OperationOutcome with the right status and a diagnostic naming what was wrong."""

import pytest

from apps.directory import forms as search_forms
from apps.fhir import reads

from .helpers import matches, near, physician_at, url

pytestmark = pytest.mark.django_db


def outcome(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/fhir+json")
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["severity"] == "error"
    return body["issue"][0]


@pytest.mark.parametrize(
    ("params", "parameter", "says"),
    [
        pytest.param({"colour": "red"}, "colour", "not supported", id="unknown-parameter"),
        pytest.param({"specialty": "astrology"}, "specialty", "Unknown specialty astrology", id="unknown-specialty"),
        pytest.param({"specialty": "http://snomed.info/sct|394593009"}, "specialty", "unknown system", id="system"),
        pytest.param({"specialty:text": "oncology"}, "specialty:text", "modifiers", id="modifier"),
        pytest.param({"cancer": "brest"}, "cancer", "Unknown cancer type brest", id="unknown-cancer"),
        pytest.param({"accepting": "maybe"}, "accepting", search_forms.FLAG_INVALID, id="bad-flag"),
        pytest.param({"language": "klingon"}, "language", "Unknown language", id="bad-language"),
        pytest.param({"location.near": "91|0|10|km"}, "location.near", "latitude is from -90", id="latitude"),
        pytest.param({"location.near": "40.7|-74"}, "location.near", "", id="no-distance-is-fine-but-checked"),
        pytest.param({"location.near": "north|west"}, "location.near", "decimal degrees", id="not-numbers"),
        pytest.param({"location.near": "40.7|-74|5|furlong"}, "location.near", "unknown units", id="units"),
        pytest.param({"location.near": "40.7|-74|900|mi"}, "location.near", search_forms.RADIUS_RANGE, id="range"),
        pytest.param({"location.near": "40.7|-74|-3|mi"}, "location.near", "positive", id="negative"),
        pytest.param({"practitioner": "Location/12"}, "practitioner", "refer to a Practitioner", id="wrong-type"),
        pytest.param({"_count": "many"}, "_count", "whole number", id="count"),
        pytest.param({"_offset": "-1"}, "_offset", "whole number", id="offset"),
        pytest.param({"_lastUpdated": "yesterday"}, "_lastUpdated", "give a date", id="date"),
        pytest.param({"_lastUpdated": "2026-02-30"}, "_lastUpdated", "not a valid date", id="impossible-date"),
        pytest.param({"_include": "PractitionerRole:endpoint"}, "_include", "not supported", id="include"),
        pytest.param({"_revinclude": "PractitionerRole:practitioner"}, "_revinclude", "none", id="revinclude"),
        pytest.param({"cancer": "breast,lung"}, "cancer", "one value", id="comma"),
        pytest.param({"active": "yes"}, "active", "true or false", id="active"),
        pytest.param({"_sort": "name"}, "_sort", "not supported", id="sort"),
    ],
)
def test_bad_role_search_parameters_are_a_400_naming_the_parameter(fhir, params, parameter, says):
    response = fhir.get(url("PractitionerRole", **params))
    if parameter == "location.near" and not says:
        assert response.status_code == 200  # distance and units are optional
        return
    found = outcome(response, 400)
    assert found["expression"] == [parameter]
    assert f"`{parameter.split(':')[0]}`" in found["diagnostics"]
    assert says in found["diagnostics"]


@pytest.mark.parametrize(
    ("resource_type", "params", "parameter"),
    [
        ("Practitioner", {"identifier": "http://example.org/ids|1"}, "identifier"),
        ("Practitioner", {"gender": "other"}, "gender"),
        ("Practitioner", {"communication": "xx"}, "communication"),
        ("Practitioner", {"name": " "}, "name"),
        ("Practitioner", {"specialty": "207RX0202X"}, "specialty"),
        ("Location", {"near": "40|-74|1000|km"}, "near"),
        ("Location", {"address-state": "x" * 201}, "address-state"),
        ("Organization", {"type": "payer"}, "type"),
        ("Organization", {"type": "http://example.org/types|fac"}, "type"),
        ("Organization", {"partof": "Organization/1"}, "partof"),
    ],
)
def test_bad_parameters_of_the_other_searches(fhir, resource_type, params, parameter):
    found = outcome(fhir.get(url(resource_type, **params)), 400)
    assert found["expression"] == [parameter]


def test_a_parameter_given_twice_is_refused(fhir):
    found = outcome(fhir.get("/fhir/PractitionerRole?cancer=breast&cancer=lung"), 400)
    assert "more than once" in found["diagnostics"]


def test_lenient_handling_ignores_unknown_parameters_and_says_so(fhir):
    physician = physician_at("10001")
    response = fhir.get(
        url("PractitionerRole", colour="red", **{"name:exact": "x", "_include": "PractitionerRole:endpoint"}),
        headers={"Prefer": "return=representation, handling=lenient"},
    )
    assert response.status_code == 200
    bundle = response.json()
    assert [m["practitioner"]["reference"] for m in matches(bundle)] == [f"Practitioner/{physician.npi}"]
    warnings = [e["resource"] for e in bundle["entry"] if e["search"]["mode"] == "outcome"]
    assert [i["diagnostics"].split("`")[1] for i in warnings[0]["issue"]] == [
        "colour",
        "name:exact",
        "_include=PractitionerRole:endpoint",
    ]
    assert "colour" not in bundle["link"][0]["url"] and "endpoint" not in bundle["link"][0]["url"]


def test_strict_handling_is_the_default_and_can_be_asked_for(fhir):
    for headers in ({}, {"Prefer": "handling=strict"}):
        assert outcome(fhir.get(url("PractitionerRole", colour="red"), headers=headers), 400)["expression"] == [
            "colour"
        ]


def test_lenient_handling_still_refuses_bad_values(fhir):
    found = outcome(fhir.get(url("PractitionerRole", cancer="brest"), headers={"Prefer": "handling=lenient"}), 400)
    assert found["expression"] == ["cancer"]


@pytest.mark.parametrize(
    ("address", "status", "code"),
    [
        ("/fhir/Observation", 404, "not-found"),
        ("/fhir/Observation/1", 404, "not-found"),
        ("/fhir/Patient/1", 401, "login"),  # a referral resource: authentication first, as the API
        ("/fhir/Practitioner/0000000000", 404, "not-found"),
        ("/fhir/PractitionerRole/99999999", 404, "not-found"),
        ("/fhir/PractitionerRole/abc", 404, "not-found"),
        ("/fhir/Location/99999999999999999999999", 404, "not-found"),
        ("/fhir/Organization/practice-x", 404, "not-found"),
        ("/fhir/Organization/institution-999999", 404, "not-found"),
        ("/fhir/Organization/hospital-1", 404, "not-found"),
        ("/fhir/Practitioner/1/_history", 404, "not-found"),
        ("/fhir/", 404, "not-found"),
    ],
)
def test_unknown_addresses_are_a_404_outcome(fhir, address, status, code):
    assert outcome(fhir.get(address), status)["code"] == code


def test_writes_are_a_405_outcome(fhir):
    physician = physician_at("10001")
    for method in ("post", "put", "delete", "patch"):
        response = getattr(fhir, method)(
            f"/fhir/Practitioner/{physician.npi}", data="{}", content_type="application/fhir+json"
        )
        assert outcome(response, 405)["code"] == "not-supported"
        assert response["Allow"] == "GET, HEAD"


@pytest.mark.parametrize(
    ("address", "headers", "status"),
    [
        ("/fhir/metadata?_format=xml", {}, 406),
        ("/fhir/metadata?_format=application/fhir%2Bxml", {}, 406),
        ("/fhir/metadata", {"Accept": "application/fhir+xml"}, 406),
        ("/fhir/metadata?_format=json", {"Accept": "application/fhir+xml"}, 200),
        ("/fhir/metadata?_format=application/fhir%2Bjson", {}, 200),
        ("/fhir/metadata", {"Accept": "application/json"}, 200),
        ("/fhir/metadata", {"Accept": "text/html,*/*;q=0.8"}, 200),
    ],
)
def test_only_fhir_json_is_spoken(address, headers, status, client):
    response = client.get(address, headers=headers)
    assert response.status_code == status
    assert response["Content-Type"] == "application/fhir+json; charset=utf-8"


def test_format_json_is_kept_in_the_links(client):
    physician_at("10001")
    physician_at("10002")
    bundle = client.get(url("PractitionerRole", _format="json", _count=1)).json()
    assert bundle["total"] == 2
    assert "_format=json" in bundle["link"][0]["url"] and "_format=json" in bundle["link"][1]["url"]


def test_count_zero_gives_the_total_alone(fhir):
    physician_at("10001", "10002")
    bundle = fhir.get(url("PractitionerRole", _count=0)).json()
    assert bundle["total"] == 2 and bundle["entry"] == [] and [item["relation"] for item in bundle["link"]] == ["self"]


def test_a_count_above_the_maximum_is_capped_not_refused(fhir):
    physician_at("10001")
    bundle = fhir.get(url("PractitionerRole", _count=5000)).json()
    assert "_count=100" in bundle["link"][0]["url"]


def test_any_origin_may_read_and_the_capability_statement_says_so(fhir):
    response = fhir.get("/fhir/metadata", headers={"Origin": "https://app.example"})
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response.json()["rest"][0]["security"]["cors"] is True


def test_a_failure_is_a_500_outcome_never_a_page(fhir, monkeypatch):
    def broken(resource_id):
        raise RuntimeError("boom")

    monkeypatch.setitem(reads.READERS, "Location", broken)
    found = outcome(fhir.get("/fhir/Location/1"), 500)
    assert found["code"] == "exception" and "boom" not in found["diagnostics"]


def test_near_without_distance_uses_the_directorys_default_radius(fhir):
    inside = physician_at("10001")
    bundle = fhir.get(url("PractitionerRole", **{"location.near": near("10001").rsplit("|", 2)[0]})).json()
    assert [m["practitioner"]["reference"] for m in matches(bundle)] == [f"Practitioner/{inside.npi}"]


def test_the_directory_apis_rate_limit_holds_for_fhir_too_in_one_budget(fhir, settings):
    # given a limit of 3 reads a minute per anonymous client
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "3/minute"},
    }
    # when it reads twice through FHIR and once through the API
    assert fhir.get("/fhir/metadata").status_code == 200
    assert fhir.get("/fhir/PractitionerRole").status_code == 200
    assert fhir.get("/api/v1/specialties/", headers={"Accept": "application/json"}).status_code == 200

    # then its next FHIR read is a 429 OperationOutcome saying when to retry
    response = fhir.get("/fhir/metadata")
    found = outcome(response, 429)
    assert found["code"] == "throttled"
    assert 0 < int(response["Retry-After"]) <= 60


def test_public_reads_are_cached_as_the_directory_apis_and_errors_never(fhir, settings, admin_user):
    settings.API_PUBLIC_CACHE_SECONDS = 123
    assert fhir.get("/fhir/metadata")["Cache-Control"] == "public, max-age=123"
    assert fhir.get("/fhir/Practitioner/0000000000")["Cache-Control"] == "no-store"
    assert fhir.get("/fhir/PractitionerRole?colour=red")["Cache-Control"] == "no-store"
    fhir.force_login(admin_user)
    assert fhir.get("/fhir/metadata")["Cache-Control"] == "private, no-store"
