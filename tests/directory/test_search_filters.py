"""PhysicianFilterSet: every parameter, their combinations, sorting, facets and bad input."""

import datetime

import pytest
from django.http import QueryDict
from django.utils import timezone

from apps.directory.filters import PhysicianFilterSet
from apps.directory.models import CertificationStatus, Physician
from tests.directory.bad_search_values import BAD_SEARCH_VALUES
from tests.factories import (
    BoardCertificationFactory,
    InvestigatorMatchFactory,
    PhysicianFactory,
    PracticeLocationFactory,
    TrialFactory,
)

pytestmark = pytest.mark.django_db


def search(**params):
    filterset = PhysicianFilterSet(QueryDict(mutable=True) | params, queryset=Physician.objects.active())
    return filterset


def found(**params) -> list[str]:
    filterset = search(**params)
    assert filterset.is_valid(), filterset.errors
    return [p.last_name for p in filterset.qs]


@pytest.fixture
def directory():
    """A small directory with one distinguishing trait per physician."""
    a = PhysicianFactory(last_name="Adams", sex="F", languages=["en", "es"], telehealth=True, cancers=["breast"])
    PracticeLocationFactory(physician=a, zip_code="10001", accepting_new_patients=True, name="Chelsea Care")
    BoardCertificationFactory(physician=a)
    b = PhysicianFactory(last_name="Baker", sex="M", languages=["en"], primary_specialty="2085R0001X", cancers=["lung"])
    PracticeLocationFactory(physician=b, zip_code="19103", accepting_new_patients=False, name="Penn Clinic")
    BoardCertificationFactory(physician=b, status=CertificationStatus.LAPSED)
    c = PhysicianFactory(last_name="Clark", sex="F", languages=["zh"], cancers=["breast", "lung"])
    PracticeLocationFactory(physician=c, zip_code="02116", accepting_new_patients=True, name="Fenway Care")
    d = PhysicianFactory(last_name="Davis", is_active=False, deactivated_on=timezone.localdate(), cancers=["breast"])
    PracticeLocationFactory(physician=d, zip_code="10001", name="Old Clinic")
    return {"a": a, "b": b, "c": c, "d": d}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["Adams", "Baker", "Clark"]),
        ({"q": "bakr"}, ["Baker"]),
        ({"specialty": "radiation-oncology"}, ["Baker"]),
        ({"specialty": "2085R0001X"}, ["Baker"]),
        ({"specialty": "medical-oncology"}, ["Adams", "Clark"]),
        ({"cancer": "breast"}, ["Adams", "Clark"]),
        ({"cancer": "lung"}, ["Baker", "Clark"]),
        ({"near": "10001"}, ["Adams"]),
        ({"near": "10001", "radius": "100"}, ["Adams", "Baker"]),
        ({"near": "10001-1234", "radius": "500"}, ["Adams", "Baker", "Clark"]),
        ({"accepting": "1"}, ["Adams", "Clark"]),
        ({"accepting": "0"}, ["Adams", "Baker", "Clark"]),
        ({"telehealth": "1"}, ["Adams"]),
        ({"certified": "1"}, ["Adams"]),
        ({"language": "es"}, ["Adams"]),
        ({"language": "zh"}, ["Clark"]),
        ({"sex": "M"}, ["Baker"]),
        ({"sex": "F"}, ["Adams", "Clark"]),
        ({"cancer": "breast", "sex": "F", "language": "zh"}, ["Clark"]),
        ({"cancer": "lung", "near": "10001", "radius": "100"}, ["Baker"]),
        ({"cancer": "lung", "near": "10001", "radius": "100", "accepting": "1"}, []),
        ({"cancer": "breast", "near": "10001", "radius": "500", "accepting": "1", "sex": "F"}, ["Adams", "Clark"]),
        (
            {"q": "adams", "specialty": "medical-oncology", "cancer": "breast", "near": "10001", "radius": "10"}
            | {"accepting": "1", "telehealth": "1", "certified": "1", "language": "es", "sex": "F"},
            ["Adams"],
        ),
        ({"unknown": "whatever", "page": "2"}, ["Adams", "Baker", "Clark"]),
    ],
    ids=lambda v: "-".join(f"{k}={val}" for k, val in v.items()) or "none" if isinstance(v, dict) else None,
)
def test_each_parameter_and_combinations(directory, params, expected):
    assert found(**params) == expected


@pytest.mark.parametrize(
    ("links", "expected"),
    [
        pytest.param([("Adams", "auto", "RECRUITING")], ["Adams"], id="auto"),
        pytest.param([("Baker", "confirmed", "NOT_YET_RECRUITING")], ["Baker"], id="confirmed-open"),
        pytest.param([("Adams", "pending", "RECRUITING")], [], id="pending-is-not-linked"),
        pytest.param([("Adams", "rejected", "RECRUITING")], [], id="rejected"),
        pytest.param([("Clark", "auto", "COMPLETED")], [], id="closed-trial"),
        pytest.param([("Davis", "auto", "RECRUITING")], [], id="inactive-physician"),
        pytest.param([("Clark", "auto", "RECRUITING"), ("Clark", "auto", "RECRUITING")], ["Clark"], id="once-each"),
    ],
)
def test_trials_finds_physicians_linked_to_an_open_trial(directory, links, expected):
    by_name = {physician.last_name: physician for physician in directory.values()}
    for last_name, status, trial_status in links:
        InvestigatorMatchFactory(physician=by_name[last_name], status=status, trial=TrialFactory(status=trial_status))
    assert found(trials="1") == expected
    assert found(trials="1", cancer="lung") == [name for name in expected if name in ("Baker", "Clark")]


def test_trials_left_off_adds_nothing_to_the_query(directory):
    # the filter's EXISTS is in the SQL only when the filter is on: other searches do not pay for it
    assert "trials_investigatormatch" not in str(search(near="10001").qs.query)
    assert "trials_investigatormatch" in str(search(trials="1").qs.query)


@pytest.mark.parametrize(("params", "field", "message"), BAD_SEARCH_VALUES)
def test_bad_input_is_a_form_error_with_a_clear_message(directory, params, field, message):
    # when
    filterset = search(**params)
    # then
    assert not filterset.is_valid()
    assert message in filterset.errors[field]
    assert list(filterset.qs) == []
    assert filterset.facet_counts() is None


def test_radius_defaults_to_25_miles_and_accepts_decimals(directory):
    filterset = search(near="10001")
    assert filterset.is_valid()
    assert filterset.form.cleaned_data["radius"] == 25
    assert found(near="10001", radius="82.5") == ["Adams"]
    assert found(near="10001", radius="83.5") == ["Adams", "Baker"]


@pytest.mark.parametrize(
    ("params", "sort", "expected"),
    [
        ({"near": "10001", "radius": "500"}, "distance", ["Adams", "Baker", "Clark"]),
        ({"near": "02116", "radius": "500"}, "distance", ["Clark", "Adams", "Baker"]),
        ({"near": "02116", "radius": "500", "sort": "name"}, "name", ["Adams", "Baker", "Clark"]),
        ({"q": "clark adams"}, "relevance", []),
        ({"sort": "relevance"}, "name", ["Adams", "Baker", "Clark"]),
        ({}, "name", ["Adams", "Baker", "Clark"]),
    ],
    ids=[
        "distance-default-nyc",
        "distance-default-boston",
        "name-over-distance",
        "relevance",
        "relevance-without-q",
        "name-default",
    ],
)
def test_sort_orders(directory, params, sort, expected):
    filterset = search(**params)
    assert filterset.is_valid()
    assert filterset.effective_sort == sort
    assert [p.last_name for p in filterset.qs] == expected


def test_relevance_puts_the_best_match_first():
    PhysicianFactory(first_name="Anna", last_name="Smith")
    PhysicianFactory(first_name="Anna", last_name="Smithson")
    PhysicianFactory(first_name="Bob", last_name="Smit")
    assert found(q="smith")[0] == "Smith"
    assert found(q="smith", sort="name") == sorted(found(q="smith"))


def test_ties_break_by_name_then_npi_for_a_stable_order():
    twins = [PhysicianFactory(first_name="Sam", last_name="Lee") for _ in range(3)]
    filterset = search(sort="name")
    assert filterset.is_valid()
    assert [p.npi for p in filterset.qs] == sorted(p.npi for p in twins)


def test_facets_count_under_the_other_filters(directory):
    # when: breast cancer, within 500 miles
    filterset = search(cancer="breast", near="10001", radius="500")
    assert filterset.is_valid()
    facets = filterset.facet_counts()
    # then: specialty counts are for breast; cancer counts ignore the cancer filter but keep the radius
    assert facets["specialty"] == {"medical-oncology": 2}
    assert facets["cancer"] == {"breast": 2, "lung": 2}


def test_facets_ignore_their_own_filter(directory):
    facets = search(specialty="radiation-oncology").facet_counts()
    assert facets["specialty"] == {"medical-oncology": 2, "radiation-oncology": 1}
    assert facets["cancer"] == {"lung": 1}


def test_facets_are_skipped_above_the_limit(directory):
    assert search().facet_counts(max_matches=2) is None
    assert search().facet_counts(max_matches=3) is not None


def test_expired_certification_is_not_current():
    physician = PhysicianFactory(last_name="Expired")
    BoardCertificationFactory(
        physician=physician,
        first_certified_on=datetime.date(2010, 1, 1),
        expires_on=timezone.localdate() - datetime.timedelta(days=1),
    )
    assert found(certified="1") == []


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": "bakr"},
        {"specialty": "medical-oncology"},
        {"cancer": "lung"},
        {"near": "10001", "radius": "500"},
        {"near": "02116", "radius": "500", "sort": "name"},
        {"near": "10001", "radius": "500", "accepting": "1"},
        {"cancer": "breast", "near": "10001", "radius": "500", "accepting": "1", "sex": "F"},
        {"q": "care", "specialty": "medical-oncology", "near": "02116", "radius": "500", "language": "en"},
        {"q": "adams", "cancer": "breast", "near": "10001", "radius": "10", "telehealth": "1", "certified": "1"},
    ],
    ids=lambda params: "-".join(f"{k}={v}" for k, v in params.items()) or "none",
)
def test_each_facet_count_is_what_choosing_it_finds(directory, params):
    """facet_counts() (one query for every facet) against .qs with that choice made (the results' path)."""
    filterset = search(**params)
    assert filterset.is_valid(), filterset.errors
    facets = filterset.facet_counts(max_matches=100)
    for name, choices in [("specialty", ["medical-oncology", "radiation-oncology"]), ("cancer", ["breast", "lung"])]:
        expected = {choice: search(**{**params, name: choice}).qs.count() for choice in choices}
        assert facets[name] == {choice: n for choice, n in expected.items() if n}, name


def test_facets_give_way_for_a_broad_search(directory):
    # three active physicians match before the specialty and cancer filters
    assert search(cancer="lung").facet_counts(max_matches=2) is None
    assert search(cancer="lung").facet_counts(max_matches=3) == {
        "specialty": {"medical-oncology": 1, "radiation-oncology": 1},
        "cancer": {"breast": 2, "lung": 2},
    }
