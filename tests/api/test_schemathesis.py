"""Schemathesis, with every one of its checks, over every operation of the API, against the WSGI app.

Two rules cannot be written in OpenAPI, so two hooks teach them to the generator instead of loosening
the checks: `near` must be a ZIP code we know (41,000 of them: too many for an enum), and `sort=distance`
needs `near`. Rate limits are switched off, since thousands of requests from one address would (rightly)
be throttled.
"""

import re

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.generation import GenerationMode

from apps.directory.geo import zip_centroid
from apps.directory.models import Board
from tests.factories import (
    AffiliationFactory,
    BoardCertificationFactory,
    GPFactory,
    PhysicianFactory,
    PracticeLocationFactory,
)

ZIP = re.compile(r"[0-9]{5}(-?[0-9]{4})?")
KNOWN_ZIP = "10001"
MAX_EXAMPLES = 15

load_all_checks()
ALL_CHECKS = CHECKS.get_all()
_handler = WSGIHandler()


def wsgi_app(environ, start_response):
    """Django's WSGI application, minus closing the database connection after each request (as Django's
    test client does), so the requests run inside the test's transaction and see its data."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        response = _handler(environ, start_response)
        try:
            return [b"".join(response)]
        finally:
            response.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(db, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None}}
    for zip_code, cancers in [("10001", ["breast"]), ("11201", ["lung"]), ("60601", ["lymphoma", "breast"])]:
        physician = PhysicianFactory(cancers=cancers, languages=["en", "es"])
        PracticeLocationFactory(physician=physician, zip_code=zip_code)
        BoardCertificationFactory(physician=physician, board=Board.objects.get(code="ABIM"))
        AffiliationFactory(physician=physician)
    loaded = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app)

    @loaded.hook
    def map_query(context, query):
        near = query.get("near") if isinstance(query, dict) else None
        # (spaces around a ZIP code are allowed, and stripped)
        if isinstance(near, str) and ZIP.fullmatch(near.strip()) and zip_centroid(near.strip()) is None:
            query["near"] = KNOWN_ZIP
        return query

    @loaded.hook
    def filter_query(context, query):
        near = query.get("near") if isinstance(query, dict) else None
        return not (isinstance(query, dict) and query.get("sort") == "distance" and not (near or "").strip())

    return loaded


def assert_conforms(loaded, *, mode: GenerationMode, headers: dict, max_examples: int) -> None:
    """Every check passes over every operation of `loaded`, for requests valid or invalid per the schema
    (as `mode` says); a failure names each operation that failed and how."""
    operations = [result.ok() for result in loaded.get_all_operations()]
    assert operations, "the schema lists no operation"
    failures = {}
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=max_examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def check(case):
            case.call_and_validate(headers=headers, checks=ALL_CHECKS)

        try:
            check()
        except Unsatisfiable:
            # Negative mode only: every parameter of this operation accepts any string, so no request
            # violates the schema (the valid run has covered the operation).
            assert mode is GenerationMode.NEGATIVE, operation.label
        except (Exception, BaseExceptionGroup) as failure:
            failures[operation.label] = str(failure)[:1500]
    assert failures == {}, "\n\n".join(f"{label}: {text}" for label, text in failures.items())


# schemathesis' lazy pytest plugin (@schema.parametrize with from_fixture) breaks on pytest 9's node ids,
# so each operation's strategy is driven by Hypothesis directly: same generators, same checks.
@pytest.mark.parametrize("who", ["anonymous", "gp"])
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
def test_api_conforms_to_its_schema(api_schema, mode, who):
    # given every operation of the schema, anonymously; with a GP's token, every operation but the referral
    # ones, which tests/security/test_referral_schema.py runs with a GP's token and their own data
    headers, loaded = {}, api_schema
    if who == "gp":
        headers = {"Authorization": f"Token {Token.objects.create(user=GPFactory()).key}"}
        loaded = api_schema.exclude(path_regex="^/api/v1/referrals/")
    # when generated requests (valid or invalid per the schema) are sent / then every check passes
    assert_conforms(loaded, mode=mode, headers=headers, max_examples=MAX_EXAMPLES)
