"""One error shape for every 4xx: {"errors": [{"field", "code", "message"}]}, never an error in a 200."""

import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions

from apps.common.exceptions import api_exception_handler, errors_from_detail
from tests.factories import PhysicianFactory

pytestmark = pytest.mark.django_db


def assert_error_shape(response, status):
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert list(body) == ["errors"]
    assert body["errors"], "an error response names at least one error"
    for item in body["errors"]:
        assert set(item) == {"field", "code", "message"}
        assert item["message"]
    return body["errors"]


@pytest.mark.parametrize(
    "path",
    ["/api/v1/nothing-here/", "/api/nothing", "/api/v1/physicians/1234567893/extra/", "/api/v2/physicians/"],
    ids=["unknown-endpoint", "unknown-top-level", "too-deep", "unknown-version"],
)
def test_unknown_api_address_is_json_404(api, path):
    # given an address no endpoint answers / when requested / then a 404 in the error shape
    errors = assert_error_shape(api.get(path), 404)
    assert errors[0]["field"] is None
    assert errors[0]["code"] == "not_found"


def test_missing_trailing_slash_says_where_to_go(api):
    errors = assert_error_shape(api.get("/api/v1/physicians"), 404)
    assert "/api/v1/physicians/" in errors[0]["message"]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize(
    "path", ["/api/v1/physicians/", "/api/v1/specialties/", "/api/v1/cancer-types/", "/api/v1/boards/"]
)
def test_writes_to_the_directory_are_405_with_allow(api, method, path):
    response = getattr(api, method)(path, {}, format="json")
    errors = assert_error_shape(response, 405)
    assert errors[0]["code"] == "method_not_allowed"
    assert "GET" in response["Allow"]


def test_write_to_a_physician_is_405(api):
    physician = PhysicianFactory()
    assert_error_shape(api.delete(f"/api/v1/physicians/{physician.npi}/"), 405)


def test_unsupported_accept_is_406(api):
    errors = assert_error_shape(api.get("/api/v1/boards/", HTTP_ACCEPT="text/html"), 406)
    assert errors[0]["code"] == "not_acceptable"


def test_format_parameter_is_ignored_not_an_error(api):
    response = api.get("/api/v1/boards/?format=xml")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


def test_invalid_token_is_401_in_the_error_shape(api):
    response = api.get("/api/v1/boards/", HTTP_AUTHORIZATION="Token not-a-real-token")
    errors = assert_error_shape(response, 401)
    assert errors[0]["code"] == "authentication_failed"
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize(
    ("detail", "expected"),
    [
        (
            {"radius": ["Too far."], "non_field_errors": ["Pick one."]},
            [
                {"field": "radius", "code": "invalid", "message": "Too far."},
                {"field": None, "code": "invalid", "message": "Pick one."},
            ],
        ),
        (
            {"locations": [{}, {"zip_code": ["Bad ZIP."]}]},
            [{"field": "locations.1.zip_code", "code": "invalid", "message": "Bad ZIP."}],
        ),
        (["Whole request is wrong."], [{"field": None, "code": "invalid", "message": "Whole request is wrong."}]),
        (
            {"patient": {"email": ["Enter a valid email."]}},
            [{"field": "patient.email", "code": "invalid", "message": "Enter a valid email."}],
        ),
    ],
    ids=["field-and-non-field", "nested-list", "plain-list", "nested-object"],
)
def test_validation_detail_is_flattened_with_dotted_fields(detail, expected):
    # given DRF's nested error detail / when flattened / then one item per message with a dotted field
    assert errors_from_detail(exceptions.ValidationError(detail).detail) == expected


def test_django_validation_error_from_a_service_becomes_400():
    # given a service's full_clean() failure / when it reaches the handler / then a 400 naming the field
    response = api_exception_handler(DjangoValidationError({"icd10_code": ["Not an ICD-10 code."]}), {})
    assert response.status_code == 400
    assert response.data == {"errors": [{"field": "icd10_code", "code": "invalid", "message": "Not an ICD-10 code."}]}


def test_permission_denied_is_403_in_the_error_shape():
    response = api_exception_handler(exceptions.PermissionDenied(), {})
    assert response.status_code == 403
    assert response.data["errors"][0]["code"] == "permission_denied"
    assert response["Cache-Control"] == "no-store"


def test_djangos_permission_denied_is_403_in_the_error_shape():
    # given a view or service raising Django's PermissionDenied / then the same shape as DRF's own
    response = api_exception_handler(DjangoPermissionDenied("Only the referring GP may do this."), {})
    assert response.status_code == 403
    assert response.data == {
        "errors": [{"field": None, "code": "permission_denied", "message": "Only the referring GP may do this."}]
    }


def test_non_api_exceptions_are_left_to_django():
    assert api_exception_handler(RuntimeError("boom"), {}) is None


@pytest.mark.parametrize("path", ["/api/v1/boards/ABIM/", "/api/v1/specialties/207RX0202X/", "/api/v1/cancer-types/1/"])
def test_reference_lists_have_no_detail_address(api, path):
    assert_error_shape(api.get(path), 404)
