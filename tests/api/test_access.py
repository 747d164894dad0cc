"""Throttling, authentication, CORS and caching of the public directory API."""

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token

from tests.factories import GPFactory, PhysicianFactory

pytestmark = pytest.mark.django_db

DIRECTORY_READS = [
    "/api/v1/physicians/",
    "/api/v1/specialties/",
    "/api/v1/cancer-types/",
    "/api/v1/boards/",
    "/api/v1/insurance-plans/",
    "/api/v1/trials/?near=10001",
]


@pytest.fixture
def low_rates(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "2/minute", "user": "3/minute"},
    }


def test_anonymous_clients_are_throttled_at_the_anon_rate(api, low_rates):
    # given an anonymous rate of 2 a minute / when a third request comes / then 429 in the error shape
    assert [api.get("/api/v1/boards/").status_code for _ in range(2)] == [200, 200]
    response = api.get("/api/v1/boards/")
    assert response.status_code == 429
    assert response.json()["errors"][0]["code"] == "throttled"
    assert response.json()["errors"][0]["field"] is None
    assert 0 < int(response["Retry-After"]) <= 60
    assert response["Cache-Control"] == "no-store"


def test_authenticated_clients_are_throttled_at_the_user_rate(api, low_rates):
    # given a token user with a rate of 3 a minute / then the 4th request is refused, not the 3rd
    token = Token.objects.create(user=GPFactory())
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert [api.get("/api/v1/boards/").status_code for _ in range(4)] == [200, 200, 200, 429]


def test_throttling_off_when_the_rate_is_none(api, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None}}
    assert {api.get("/api/v1/boards/").status_code for _ in range(5)} == {200}


@pytest.mark.parametrize("path", DIRECTORY_READS)
def test_anonymous_reads_may_be_cached_publicly(api, path):
    response = api.get(path)
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=300"


def test_public_cache_lifetime_comes_from_settings(api, settings):
    settings.API_PUBLIC_CACHE_SECONDS = 60
    assert api.get("/api/v1/boards/")["Cache-Control"] == "public, max-age=60"


def test_detail_is_cached_publicly_too(api):
    physician = PhysicianFactory()
    assert api.get(f"/api/v1/physicians/{physician.npi}/")["Cache-Control"] == "public, max-age=300"


@pytest.mark.parametrize("how", ["token", "session"])
def test_authenticated_reads_are_private_and_not_stored(api, how):
    # given a GP signed in by token or by session / when reading the directory / then private, no-store
    user = GPFactory()
    if how == "token":
        api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    else:
        api.force_login(user)
    response = api.get("/api/v1/physicians/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


def test_anything_else_under_the_api_is_not_stored(api):
    assert api.get("/api/schema/")["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("path", DIRECTORY_READS)
def test_directory_reads_allow_any_origin_without_credentials(api, path):
    response = api.get(path, HTTP_ORIGIN="https://hospital.example")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response


def test_preflight_allows_reads_only(api):
    # given a browser on another site asking to GET and then to POST / then only read methods are allowed
    response = api.options(
        "/api/v1/physicians/",
        HTTP_ORIGIN="https://hospital.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
    )
    assert response.status_code == 200
    allowed = {method.strip() for method in response["Access-Control-Allow-Methods"].split(",")}
    assert allowed == {"GET", "HEAD", "OPTIONS"}


@pytest.mark.parametrize("path", ["/api/v1/referrals/", "/api/schema/", "/physicians/"])
def test_no_cors_outside_the_public_directory_api(api, path):
    response = api.get(path, HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Allow-Origin" not in response


@pytest.fixture
def server_cache(settings):
    settings.API_PUBLIC_SERVER_CACHE_SECONDS = 30


def test_server_cache_serves_a_repeated_read_without_the_database(api, server_cache, django_assert_num_queries):
    # given a read that has been answered once
    PhysicianFactory()
    first = api.get("/api/v1/physicians/?sort=name&page_size=5")
    # when the same read comes again (parameters in another order) / then one query runs (the directory's
    # version, which the cache is keyed by), same body
    with django_assert_num_queries(1):
        again = api.get("/api/v1/physicians/?page_size=5&sort=name")
    assert again.status_code == 200
    assert again.json() == first.json()
    assert again["Cache-Control"] == "public, max-age=300"


def test_server_cache_keys_on_the_scheme_its_links_were_built_with(api, server_cache):
    # given a read answered over plain HTTP (its links are http://...)
    physician = PhysicianFactory()
    plain = api.get(f"/api/v1/physicians/{physician.npi}/").json()
    assert plain["url"].startswith("http://")
    # when the same read comes over HTTPS / then its links are https://, not the cached http:// ones
    secure = api.get(f"/api/v1/physicians/{physician.npi}/", secure=True).json()
    assert secure["url"] == "https://" + plain["url"].removeprefix("http://")
    assert secure["profile_url"].startswith("https://")


def test_server_cache_keeps_a_read_until_it_expires_and_keys_on_the_query(api, server_cache):
    PhysicianFactory()
    before = api.get("/api/v1/physicians/").json()["results"]
    PhysicianFactory()
    assert api.get("/api/v1/physicians/").json()["results"] == before
    assert len(api.get("/api/v1/physicians/?page_size=50").json()["results"]) == 2


def test_server_cache_never_keeps_errors_and_still_counts_rate_limits(api, server_cache, settings, monkeypatch):
    from apps.directory.api import views

    checked, search = [], views.PhysicianFilterSet
    monkeypatch.setattr(
        views, "PhysicianFilterSet", lambda *args, **kwargs: checked.append(args) or search(*args, **kwargs)
    )
    assert api.get("/api/v1/physicians/?radius=abc").status_code == 400
    assert api.get("/api/v1/physicians/?radius=abc").status_code == 400
    assert len(checked) == 2, "an error is computed again, never served from the cache"
    cache.clear()
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "2/minute", "user": None}}
    api.get("/api/v1/boards/")
    api.get("/api/v1/boards/")  # served from the server cache, yet counted
    assert api.get("/api/v1/boards/").status_code == 429


def test_server_cache_is_off_by_default(api, django_assert_num_queries):
    PhysicianFactory()
    api.get("/api/v1/physicians/")
    with django_assert_num_queries(
        2
    ):  # the version, the page (each row with its locations and primary specialty), again
        api.get("/api/v1/physicians/")


def test_server_cache_serves_a_repeated_profile_without_the_database(api, server_cache, django_assert_num_queries):
    physician = PhysicianFactory()
    first = api.get(f"/api/v1/physicians/{physician.npi}/")
    with django_assert_num_queries(1):  # the directory's version
        again = api.get(f"/api/v1/physicians/{physician.npi}/")
    assert again.json() == first.json()
