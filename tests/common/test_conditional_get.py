"""Conditional GET of the public directory reads (apps/common/conditional.py): ETag and Last-Modified from the
directory's version (apps/directory/changes.py, bumped at commit by apps/directory/sql/directory_changed.sql),
304 without a body for a client whose copy is current, for pages, API and FHIR alike."""

import datetime
import io

import pytest
from django.apps import apps
from django.core.cache import cache
from django.db import connection, transaction
from django.utils.http import http_date
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from apps.directory import changes, reference, services
from apps.directory.models import AcceptedPlan, Physician
from tests.factories import (
    CuratorFactory,
    GPFactory,
    InvestigatorMatchFactory,
    PhysicianFactory,
    PracticeLocationFactory,
    TrialFactory,
    insurance_plan,
)

pytestmark = pytest.mark.django_db

FHIR_JSON = {"HTTP_ACCEPT": "application/fhir+json"}
# Whatever tests ran before on this worker (and flushed tables), these are the tables a public read shows.
NOT_SHOWN = {"directory_historical"}  # simple_history's audit copies: the admin's, never a public read's


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counts live in the cache."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def physician():
    physician = PhysicianFactory(first_name="Ada", last_name="Lovelace", cancers=["breast"])
    PracticeLocationFactory(physician=physician, zip_code="10001")
    return physician


def reads(physician) -> dict[str, str]:
    """One address of each kind of public read."""
    return {
        "search page": "/physicians/?specialty=medical-oncology",
        "profile page": physician.get_absolute_url(),
        "API search": "/api/v1/physicians/?specialty=medical-oncology",
        "API profile": f"/api/v1/physicians/{physician.npi}/",
        "API reference list": "/api/v1/specialties/",
        "FHIR search": "/fhir/PractitionerRole?specialty=207RX0202X",
        "FHIR read": f"/fhir/Practitioner/{physician.npi}",
        "trials page": "/trials/?near=10001",
        "trials API": "/api/v1/trials/?near=10001",
    }


KINDS = [
    "search page",
    "profile page",
    "API search",
    "API profile",
    "API reference list",
    "FHIR search",
    "FHIR read",
    "trials page",
    "trials API",
]
CACHING = {"page": "private, no-cache", "API": "public, max-age=300", "FHIR": "public, max-age=300"}


def caching_of(kind: str) -> str:
    return next(value for word, value in CACHING.items() if word in kind)


def get(client, address, **headers):
    return client.get(address, **(FHIR_JSON if address.startswith("/fhir/") else {}), **headers)


def current_copy(client, address):
    """The response a client keeps after its second visit: a page's first one sets the CSRF cookie its report
    form needs, and the cookies are part of a page's ETag (test_a_page_etag_varies_with_the_cookies...)."""
    get(client, address)
    return get(client, address)


@pytest.mark.parametrize("kind", KINDS)
def test_a_repeated_read_with_its_etag_is_a_304_without_a_body(client, physician, kind, django_assert_num_queries):
    # given a public read answered before
    address = reads(physician)[kind]
    first = current_copy(client, address)
    assert first.status_code == 200
    assert first["ETag"].startswith('W/"') and first["Last-Modified"]
    assert first["Cache-Control"] == caching_of(kind)
    # when it is read again with that ETag / then a 304, no body, one query: the directory's version
    with django_assert_num_queries(1):
        again = get(client, address, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]
    assert again["Last-Modified"] == first["Last-Modified"]
    assert again["Cache-Control"] == caching_of(kind)  # a 304 refreshes the copy's headers: the same ones


@pytest.mark.parametrize("kind", ["search page", "API search", "FHIR search"])
def test_another_query_string_has_another_etag(client, physician, kind):
    address = reads(physician)[kind]
    first = get(client, address)
    other = get(client, address + "&page=1" if "page" in kind else address + "&_count=5")
    assert first.status_code == other.status_code == 200
    assert other["ETag"] != first["ETag"]
    # and that ETag is no validator for the first address
    assert get(client, address, HTTP_IF_NONE_MATCH=other["ETag"]).status_code == 200


@pytest.mark.parametrize("kind", ["profile page", "API profile", "FHIR read"])
def test_if_modified_since_the_last_change_is_a_304(client, physician, kind):
    address = reads(physician)[kind]
    last_modified = current_copy(client, address)["Last-Modified"]
    assert get(client, address, HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 304
    earlier = http_date(changes.directory_version().changed_at.timestamp() - 60)
    assert get(client, address, HTTP_IF_MODIFIED_SINCE=earlier).status_code == 200


def test_the_etag_varies_with_the_representation_and_the_address(client, physician):
    address = reads(physician)["API profile"]
    plain = get(client, address)
    secure = client.get(address, secure=True)  # its links are https://
    lenient = client.get(reads(physician)["FHIR search"], HTTP_PREFER="handling=lenient", **FHIR_JSON)
    assert secure["ETag"] != plain["ETag"]
    assert lenient["ETag"] != get(client, reads(physician)["FHIR search"])["ETag"]


def test_a_page_etag_varies_with_the_cookies_its_csrf_token_comes_from(client, physician):
    # given a profile read by a browser that holds no CSRF cookie yet (the page's report form sets one)
    address = reads(physician)["profile page"]
    first = client.get(address)
    assert "csrftoken" in first.cookies
    # when it asks again with the cookie it was given / then a new ETag (the token comes from that cookie)
    again = client.get(address, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200 and again["ETag"] != first["ETag"]
    assert "Cookie" in again["Vary"]
    # and from then on its copy is current
    assert client.get(address, HTTP_IF_NONE_MATCH=again["ETag"]).status_code == 304


def test_signed_in_page_reads_have_no_validators_and_are_not_kept(client, physician):
    anonymous = client.get(reads(physician)["profile page"])
    client.force_login(GPFactory())
    response = client.get(reads(physician)["profile page"], HTTP_IF_NONE_MATCH=anonymous["ETag"])
    assert response.status_code == 200
    assert "Add to shortlist" in response.content.decode()  # the signed-in user's own page
    assert "ETag" not in response and "Last-Modified" not in response
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


@pytest.mark.parametrize("kind", ["API search", "API profile"])
def test_api_reads_with_a_token_have_no_validators_and_are_not_kept(physician, kind, django_assert_num_queries):
    api = APIClient()
    anonymous = api.get(reads(physician)[kind])
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=GPFactory()).key}")
    response = api.get(reads(physician)[kind], HTTP_IF_NONE_MATCH=anonymous["ETag"])
    assert response.status_code == 200
    assert "ETag" not in response
    assert response["Cache-Control"] == "private, no-store"


def test_an_expired_token_is_refused_before_any_304(physician):
    api = APIClient()
    anonymous = api.get(reads(physician)["API profile"])
    token = Token.objects.create(user=GPFactory())
    Token.objects.filter(pk=token.pk).update(created=token.created - datetime.timedelta(days=365))
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get(reads(physician)["API profile"], HTTP_IF_NONE_MATCH=anonymous["ETag"]).status_code == 401


@pytest.mark.parametrize(
    "address",
    ["/physicians/0000000000/", "/trials/NCT1/", "/api/v1/physicians/?radius=abc", "/fhir/Practitioner/9"],
)
def test_errors_have_no_validators(client, address):
    response = get(client, address)
    assert response.status_code in (400, 404), response.status_code
    assert "ETag" not in response and "Last-Modified" not in response


def test_every_table_a_public_read_shows_changes_the_version():
    # given every table of the directory's and the trials' models (new ones included)
    tables = {
        model._meta.db_table
        for app in ("directory", "trials")
        for model in apps.get_app_config(app).get_models(include_auto_created=True)
        if not any(model._meta.db_table.startswith(prefix) for prefix in NOT_SHOWN)
    }
    # then each has its statement trigger, which counts INSERT, UPDATE, DELETE and TRUNCATE
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                JOIN pg_proc p ON p.oid = t.tgfoid
               WHERE p.proname = 'directory_changed' AND NOT t.tgisinternal
                 AND t.tgtype & 1 = 0 AND t.tgtype & (4 | 8 | 16 | 32) = 60"""  # statement; all four events
        )
        triggered = dict(cursor.fetchall())
    assert set(triggered) == tables
    assert all(name == f"{table}_changed" for table, name in triggered.items())


def test_the_reference_tables_are_read_again_once_a_newer_version_was_seen(monkeypatch):
    kept = reference.reference_data()
    assert reference.reference_data() is kept
    monkeypatch.setattr(changes, "_latest_seen", changes.latest_seen() + 1)  # a read saw a newer version
    assert reference.reference_data() is not kept


# Commits: the version changes as a transaction commits, never before, and only the commit holds its lock.
committed = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def version_number() -> int:
    return changes.directory_version().number


def edit_as_curator_in_the_admin(client, physician):
    client.force_login(CuratorFactory(is_staff=True, is_superuser=True))
    response = client.post(
        "/admin/directory/physician/", {"action": "mark_verified_today", "_selected_action": [physician.pk]}
    )
    assert response.status_code == 302
    client.logout()


def edit_through_the_service(client, physician):
    curator = CuratorFactory()
    with transaction.atomic():
        services.location_plans_set(
            location=physician.locations.get(),
            plans=[insurance_plan("aetna", "ppo")],
            by=curator,
            source=AcceptedPlan.Source.CURATOR,
        )


def edit_in_raw_sql(client, physician):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE directory_physician SET credentials = 'MD, PhD' WHERE id = %s", [physician.pk])


def edit_a_location_in_raw_sql(client, physician):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE directory_practicelocation SET phone = '2125550100' WHERE physician_id = %s", [physician.pk]
        )


def link_a_trial(client, physician):
    InvestigatorMatchFactory(physician=physician, trial=TrialFactory())


@committed
@pytest.mark.parametrize(
    "edit",
    [edit_as_curator_in_the_admin, edit_through_the_service, edit_in_raw_sql, edit_a_location_in_raw_sql, link_a_trial],
    ids=lambda edit: edit.__name__,
)
@pytest.mark.parametrize("kind", ["profile page", "API profile", "FHIR read"])
def test_an_edit_of_the_physician_changes_the_etag(client, physician, edit, kind):
    # given a client holding a current copy of the physician's profile
    address = reads(physician)[kind]
    first = current_copy(client, address)
    assert get(client, address, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    # when the physician is edited (and the edit commits)
    edit(client, physician)
    # then its copy is stale: the read answers in full, under a new ETag
    again = get(client, address, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200
    assert again.content
    assert again["ETag"] != first["ETag"]


@committed
def test_the_version_changes_when_the_writer_commits_and_not_before(physician):
    other = connection.copy()  # a reader on its own connection
    try:
        before = _number_on(other)
        with transaction.atomic():
            Physician.objects.filter(pk=physician.pk).update(first_name="Augusta")
            Physician.objects.filter(pk=physician.pk).update(last_name="King")  # one transaction: one change
            assert _number_on(other) == before, "a reader must not see a new version before the new rows"
        assert _number_on(other) == before + 1
        with transaction.atomic():
            Physician.objects.filter(pk=physician.pk).update(first_name="Ada")
            transaction.set_rollback(True)
        assert _number_on(other) == before + 1, "a rolled-back change changes nothing"
    finally:
        other.close()


@committed
def test_a_long_writer_does_not_hold_up_another_until_it_commits(physician):
    # given an import-like transaction that has written and not committed yet
    long_writer = connection.copy()
    try:
        long_writer.set_autocommit(False)
        with long_writer.cursor() as cursor:
            cursor.execute("UPDATE directory_physician SET credentials = 'MD, PhD' WHERE id = %s", [physician.pk])
        before = version_number()
        # when a curator's edit of another physician commits meanwhile / then it is not held up (no lock on
        # the version until commit) and its change counts at once
        other = PhysicianFactory()
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")
            cursor.execute("UPDATE directory_physician SET first_name = 'Grace' WHERE id = %s", [other.pk])
            cursor.execute("RESET lock_timeout")
        assert version_number() > before
        # and the long writer's commit counts too
        middle = version_number()
        long_writer.commit()
        assert version_number() == middle + 1
    finally:
        long_writer.close()


def _number_on(other) -> int:
    with other.cursor() as cursor:
        cursor.execute(changes.QUERY)
        return cursor.fetchone()[0]


@committed
def test_a_copy_changes_the_version_once_whatever_its_rows():
    # given the version before a bulk load (an import COPYs its batches)
    before = version_number()
    # when a COPY of a thousand rows commits
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.copy_expert(
            "COPY directory_searchterm (term) FROM STDIN", io.StringIO("".join(f"copied{i}\n" for i in range(1000)))
        )
    # then the version moved once
    assert version_number() == before + 1


def test_migrate_starts_a_new_version_for_a_new_release():
    before = changes.directory_version()
    changes.version_bump_on_migrate()
    after = changes.directory_version()
    assert after.number == before.number + 1 and after.changed_at >= before.changed_at
