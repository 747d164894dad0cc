"""Finding 10: Schemathesis, with every one of its checks, over every referral operation with a GP's
token: what the schema says about the referral endpoints (fields, errors, media types) is what they do."""

import datetime
import re

import pytest
import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token
from schemathesis.generation import GenerationMode

from apps.referrals import services
from apps.referrals.models import AccessLog
from tests.api.test_schemathesis import assert_conforms, wsgi_app
from tests.factories import GPFactory, OncologistUserFactory
from tests.referrals.factories import make_referral
from tests.referrals.files import PDF

MAX_EXAMPLES = 10
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def teach_referral_rules(body: dict, npi: str) -> dict:
    changes = {}
    for name, value in body.items():
        if isinstance(value, str) and value:
            value = value.replace("\x00", "x")
            changes[name] = value if value.strip() else "x"
    if isinstance(body.get("oncologist_npi"), str) and body["oncologist_npi"]:
        changes["oncologist_npi"] = npi
    if isinstance(body.get("cancer_type"), str) and body["cancer_type"]:
        changes["cancer_type"] = "breast"
    born = body.get("patient_date_of_birth")
    if isinstance(born, str) and DATE.fullmatch(born) and born > datetime.date.today().isoformat():
        changes["patient_date_of_birth"] = "1961-03-14"
    # isinstance, not ==: 1 == True, and a 1 is not a JSON boolean
    if isinstance(body.get("confirm_duplicate", False), bool):
        changes["confirm_duplicate"] = True
    if body.get("submit") is True and isinstance(body.get("patient_consent", False), bool):
        changes["patient_consent"] = True
    return changes


@pytest.fixture
def gp_schema(db, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None}}
    gp, oncologist = GPFactory(), OncologistUserFactory()
    # One referral of the GP's in each kind of state, with the optional fields blank.
    for status in ("draft", "submitted", "rejected", "completed", "scheduled"):
        referral = make_referral(
            status, referring_gp=gp, oncologist=oncologist.physician, patient_email="", patient_mrn="", icd10_code=""
        )
    attachment = services.attachment_add(referral=referral, by=gp, upload=SimpleUploadedFile("scan.pdf", PDF))
    token = Token.objects.create(user=gp)
    loaded = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app).include(path_regex="^/api/v1/referrals/")

    @loaded.hook
    def map_body(context, body):
        # Rules OpenAPI cannot state, taught to the generator instead of loosened checks: a referral goes
        # to an oncologist who exists, about a cancer type in the table, for a patient already born; its
        # required texts are more than spaces and hold no NUL (PostgreSQL cannot store one); a second one
        # for the same patient is confirmed; one submitted at once has the patient's consent. Only values
        # that are valid per the schema are replaced, so an invalid request stays invalid.
        if context.operation.label == "POST /api/v1/referrals/" and isinstance(body, dict):
            body.update(teach_referral_rules(body, oncologist.physician.npi))
        return body

    @loaded.hook
    def map_path_parameters(context, path_parameters):
        # Reads go to the GP's own scheduled referral and its PDF, so that real answers (blank fields, null
        # dates, the file itself) are checked against the schema; writes keep random ids (404).
        if context.operation.method.upper() == "GET" and isinstance(path_parameters, dict):
            if "id" in path_parameters:  # the referral's pk, as the schema names it
                path_parameters["id"] = str(referral.pk)
            if "attachment_pk" in path_parameters:
                path_parameters["attachment_pk"] = str(attachment.pk)
        return path_parameters

    return loaded, {"Authorization": f"Token {token.key}"}


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
def test_referral_endpoints_conform_to_their_schema_for_a_gp(gp_schema, mode):
    loaded, headers = gp_schema
    assert_conforms(loaded, mode=mode, headers=headers, max_examples=MAX_EXAMPLES)
    # the reads reached the real referral and its file, so their answers were checked too
    assert AccessLog.objects.filter(action="download", channel="api").exists()
    assert AccessLog.objects.filter(action="view", channel="api").exclude(detail="refused").exists()


@pytest.mark.parametrize(
    "field, value",
    [
        ("investigations", 42),
        ("patient_first_name", 1.5),
        ("oncologist_npi", 1234567893),
        ("submit", "true"),
        ("confirm_duplicate", 1),
        ("patient_consent", "yes"),
    ],
)
def test_a_value_of_the_wrong_json_type_is_a_400_not_coerced(db, field, value):
    """DRF turns a number into text and "yes" or 1 into true; the schema says string and boolean, so does the API."""
    from rest_framework.test import APIClient

    gp, oncologist = GPFactory(), OncologistUserFactory()
    client = APIClient()
    client.force_authenticate(gp)
    body = {
        "oncologist_npi": oncologist.physician.npi,
        "patient_first_name": "Ana",
        "patient_last_name": "Lima",
        "patient_date_of_birth": "1961-03-14",
        "patient_sex": "F",
        "patient_phone": "555-0100",
        "cancer_type": "breast",
        "clinical_question": "Staging?",
        "patient_consent": True,
        field: value,
    }
    response = client.post("/api/v1/referrals/", body, format="json")
    assert response.status_code == 400, response.content
    assert [error["field"] for error in response.json()["errors"]] == [field]
