"""Search quality: a physician's "first last" typed with one typo (bench/name_typos.py makes the queries),
over seed_demo's physicians, through PhysicianFilterSet (the search the page, the API, the admin and FHIR
run): the physician meant on the first page, and first or behind only namesakes (same first and last name)."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.http import QueryDict

from apps.directory.filters import PhysicianFilterSet
from apps.directory.models import Physician
from bench.name_typos import PAGE, figures, name_queries

pytestmark = pytest.mark.django_db

PHYSICIANS = 3000
QUERIES = 300


def test_a_name_with_one_typo_finds_the_physician_meant():
    # given seed_demo's directory and typo'd "first last" queries over it (the same ones every run)
    with connection.cursor() as cursor:
        # Autovacuum would merge the GIN indexes' pending lists after the load; inside the test's transaction
        # the least pending list does (else every search reads 3,000 physicians' there: 1.7 s a search).
        cursor.execute("SET LOCAL gin_pending_list_limit = 64")
    call_command("seed_demo", "--physicians", str(PHYSICIANS), stdout=io.StringIO())
    physicians = list(Physician.objects.active().values_list("npi", "first_name", "last_name"))
    queries = name_queries(physicians, QUERIES)

    def results(text: str):
        search = PhysicianFilterSet(QueryDict(mutable=True) | {"q": text})
        assert search.is_valid(), search.errors
        return search.qs

    # when each runs through the search the page, the API, the admin and FHIR run
    first_page = lambda text: list(results(text).values_list("npi", flat=True)[:PAGE])  # noqa: E731
    found = lambda text, npi: results(text).filter(npi=npi).exists()  # noqa: E731
    result = figures(queries, first_page, found, {npi: (first, last) for npi, first, last in physicians})
    # then
    print(result)
    assert result.queries == QUERIES
    assert result.first_page >= 0.99 * QUERIES, result
    assert result.first_or_namesakes >= 0.95 * QUERIES, result
