"""GET /api/v1/physicians/ and /api/v1/physicians/<npi>/: the search page's data, as JSON."""

import datetime
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from apps.directory.api import serializers
from apps.directory.models import Board, CertificationStatus
from tests.directory.bad_search_values import BAD_SEARCH_VALUES
from tests.factories import (
    AffiliationFactory,
    BoardCertificationFactory,
    InstitutionFactory,
    PhysicianFactory,
    PracticeLocationFactory,
)

pytestmark = pytest.mark.django_db

LIST = "/api/v1/physicians/"
LIST_FIELDS = {
    "npi",
    "first_name",
    "middle_name",
    "last_name",
    "name_suffix",
    "credentials",
    "display_name",
    "sex",
    "specialties",
    "cancer_types",
    "accepting_new_patients",
    "telehealth",
    "languages",
    "locations",
    "distance_miles",
    "last_verified_on",
    "last_verified_by",
    "verification_is_stale",
    "url",
    "profile_url",
}
DETAIL_FIELDS = (LIST_FIELDS - {"distance_miles"}) | {
    "bio",
    "certifications",
    "affiliations",
    "enumerated_on",
    "nppes_updated_on",
    "trials",
}


def physician_at(zip_code, *, accepting=True, **kwargs):
    physician = PhysicianFactory(**kwargs)
    PracticeLocationFactory(physician=physician, zip_code=zip_code, accepting_new_patients=accepting)
    return physician


def npis(response):
    assert response.status_code == 200, response.content
    return [item["npi"] for item in response.json()["results"]]


def get(api, **params):
    return api.get(f"{LIST}?{urlencode(params)}")


# -- the list item ---------------------------------------------------------------------------------------


def test_list_item_carries_every_documented_field(api):
    # given one physician with a location, a cancer type and a primary specialty
    physician = physician_at("10001", first_name="Ada", last_name="Byron", cancers=["breast"], languages=["en", "es"])

    # when the list is read
    response = api.get(LIST)

    # then the item has exactly the documented fields, with the physician's values
    assert response.status_code == 200
    item = response.json()["results"][0]
    assert set(item) == LIST_FIELDS
    assert item["npi"] == physician.npi
    assert (item["first_name"], item["last_name"], item["credentials"]) == ("Ada", "Byron", "MD")
    assert item["display_name"] == "Ada Byron, MD"
    assert item["specialties"] == [
        {
            "code": "207RX0202X",
            "display_name": "Medical Oncology Physician",
            "category": "medical-oncology",
            "is_primary": True,
        }
    ]
    assert item["cancer_types"] == [{"slug": "breast", "name": physician.cancer_types.get().name}]
    assert item["accepting_new_patients"] is True
    assert item["languages"] == ["en", "es"]
    assert item["locations"][0]["zip_code"] == "10001"
    assert item["distance_miles"] is None
    assert item["last_verified_on"] == physician.last_verified_on.isoformat()
    assert item["last_verified_by"] == ""  # the factory does not say who
    assert item["verification_is_stale"] is False
    assert item["url"] == f"http://testserver/api/v1/physicians/{physician.npi}/"
    assert item["profile_url"] == f"http://testserver{physician.get_absolute_url()}"


def test_list_has_no_count_and_a_null_previous_on_the_first_page(api):
    physician_at("10001")
    body = api.get(LIST).json()
    assert set(body) == {"next", "previous", "page_size", "results"}
    assert (body["next"], body["previous"], body["page_size"]) == (None, None, 20)


def test_deactivated_physicians_are_not_listed(api):
    listed = physician_at("10001")
    gone = physician_at("10001")
    gone.is_active = False
    gone.deactivated_on = timezone.localdate()
    gone.save()
    assert npis(api.get(LIST)) == [listed.npi]


def test_a_physician_never_verified_is_flagged_stale(api):
    physician_at("10001", last_verified_on=None)
    item = api.get(LIST).json()["results"][0]
    assert (item["last_verified_on"], item["verification_is_stale"]) == (None, True)


# -- each parameter --------------------------------------------------------------------------------------


def test_specialty_by_category_and_by_code(api):
    medical = physician_at("10001")
    radiation = physician_at("10001", primary_specialty="2085R0001X")
    assert npis(get(api, specialty="medical-oncology")) == [medical.npi]
    assert npis(get(api, specialty="2085R0001X")) == [radiation.npi]


def test_cancer_type(api):
    breast = physician_at("10001", cancers=["breast"])
    physician_at("10001", cancers=["lung"])
    assert npis(get(api, cancer="breast")) == [breast.npi]


def test_near_keeps_the_radius_and_sorts_by_distance(api):
    # given physicians in Manhattan (10001), Brooklyn (11201), Philadelphia (19103) and Los Angeles (90001)
    manhattan = physician_at("10001", last_name="Zed")
    brooklyn = physician_at("11201", last_name="Able")
    philadelphia = physician_at("19103")
    physician_at("90001")

    # when searching near 10001 within 25 and then 100 miles
    close = get(api, near="10001").json()["results"]
    wider = get(api, near="10001", radius=100).json()["results"]

    # then only those inside each radius, nearest first, each with its distance
    assert [i["npi"] for i in close] == [manhattan.npi, brooklyn.npi]
    assert [i["npi"] for i in wider] == [manhattan.npi, brooklyn.npi, philadelphia.npi]
    distances = [i["distance_miles"] for i in wider]
    assert distances == sorted(distances)
    assert distances[0] < 1
    assert 3 < distances[1] < 6  # Manhattan to Brooklyn Heights
    assert 75 < distances[2] < 90  # New York to Philadelphia


def test_radius_with_decimals_is_read_to_the_hundredth(api):
    brooklyn = physician_at("11201")
    distance = get(api, near="10001", radius=100).json()["results"][0]["distance_miles"]
    assert npis(get(api, near="10001", radius=f"{distance + 0.01:.2f}")) == [brooklyn.npi]
    assert npis(get(api, near="10001", radius=f"{max(distance - 0.02, 1):.2f}")) == []


def test_accepting_with_near_means_accepting_at_a_nearby_practice(api):
    # given one physician accepting near 10001 and one accepting only in Los Angeles
    accepting_here = physician_at("10001")
    elsewhere = physician_at("10001", accepting=False)
    PracticeLocationFactory(physician=elsewhere, zip_code="90001", is_primary=False, accepting_new_patients=True)
    physician_at("10001", accepting=False)

    assert sorted(npis(get(api, accepting=1))) == sorted([accepting_here.npi, elsewhere.npi])
    assert npis(get(api, accepting="true", near="10001")) == [accepting_here.npi]


@pytest.mark.parametrize("value", ["0", "false", ""], ids=["zero", "false", "empty"])
def test_flags_switched_off_filter_nothing(api, value):
    physician_at("10001", telehealth=False)
    physician_at("10001", telehealth=True)
    assert len(npis(get(api, telehealth=value))) == 2


def test_telehealth(api):
    tele = physician_at("10001", telehealth=True)
    physician_at("10001", telehealth=False)
    assert npis(get(api, telehealth="1")) == [tele.npi]


def test_certified_means_a_current_certificate(api):
    current = physician_at("10001")
    BoardCertificationFactory(physician=current)
    expired = physician_at("10001")
    BoardCertificationFactory(physician=expired, expires_on=timezone.localdate() - datetime.timedelta(days=1))
    physician_at("10001")
    assert npis(get(api, certified="1")) == [current.npi]


def test_language_and_sex(api):
    spanish_f = physician_at("10001", languages=["en", "es"], sex="F")
    physician_at("10001", languages=["en"], sex="F")
    spanish_m = physician_at("10001", languages=["es"], sex="M")
    assert sorted(npis(get(api, language="es"))) == sorted([spanish_f.npi, spanish_m.npi])
    assert npis(get(api, language="es", sex="M")) == [spanish_m.npi]


def test_board_finds_current_certificates_of_that_board(api):
    abim, abr = Board.objects.get(code="ABIM"), Board.objects.get(code="ABR")
    current = physician_at("10001")
    BoardCertificationFactory(physician=current, board=abim)
    lapsed = physician_at("10001")
    BoardCertificationFactory(physician=lapsed, board=abim, status=CertificationStatus.LAPSED)
    BoardCertificationFactory(physician=lapsed, board=abr)
    assert npis(get(api, board="abim")) == [current.npi]
    assert npis(get(api, board="abr")) == [lapsed.npi]
    assert npis(get(api, board="abr", certified="1")) == [lapsed.npi]


def test_q_forgives_a_typo_and_sorts_by_relevance(api):
    smith = physician_at("10001", first_name="John", last_name="Smith")
    physician_at("10001", first_name="Mary", last_name="Jones")
    assert npis(get(api, q="smtih")) == [smith.npi]


def test_sort_name_orders_by_last_then_first_name_then_npi(api):
    physicians = [
        physician_at("10001", first_name=first, last_name=last)
        for first, last in [("Bea", "Young"), ("Al", "Young"), ("Cy", "Adams"), ("Al", "Young")]
    ]
    expected = sorted(physicians, key=lambda p: (p.last_name, p.first_name, p.npi))
    assert npis(get(api, sort="name", near="10001")) == [p.npi for p in expected]


def test_unknown_parameters_are_ignored(api):
    physician = physician_at("10001")
    assert npis(get(api, colour="blue", page="7", format="xml")) == [physician.npi]


# -- bad input: a 400 naming each parameter, never a 500 -------------------------------------------------


PAGE_SIZE_RANGE = "Enter a whole number from 1 to 100."


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        *BAD_SEARCH_VALUES,
        *(
            pytest.param({"page_size": size}, "page_size", PAGE_SIZE_RANGE, id=f"page_size-{size[:8]}")
            for size in ("0", "101", "2.0", "9" * 5000)
        ),
    ],
)
def test_bad_parameters_are_a_400_naming_the_parameter(api, params, field, message):
    physician_at("10001")
    response = get(api, **params)
    assert response.status_code == 400, response.content
    assert response.json() == {
        "errors": [{"field": field, "code": response.json()["errors"][0]["code"], "message": message}]
    }


def test_every_bad_parameter_is_reported_at_once(api):
    response = get(api, radius="abc", near="00000", accepting="maybe", sex="X")
    assert response.status_code == 400
    assert {error["field"] for error in response.json()["errors"]} == {"radius", "near", "accepting", "sex"}


# -- the profile -----------------------------------------------------------------------------------------


def test_detail_shows_everything_the_profile_shows(api):
    # given a physician with two locations, two certificates, an affiliation and a bio
    physician = PhysicianFactory(bio="Treats breast cancer.", cancers=["breast"], telehealth=True)
    PracticeLocationFactory(physician=physician, zip_code="10001", phone="212-555-0100")
    PracticeLocationFactory(physician=physician, zip_code="11201", is_primary=False, accepting_new_patients=False)
    current = BoardCertificationFactory(physician=physician)
    BoardCertificationFactory(
        physician=physician,
        certificate_name="Hematology",
        status="expired",
        first_certified_on=datetime.date(2005, 1, 1),
        expires_on=datetime.date(2015, 1, 1),
        verified_on=datetime.date(2016, 1, 1),
    )
    AffiliationFactory(physician=physician, institution=InstitutionFactory(name="Mercy Cancer Center"))

    # when the profile is read
    response = api.get(f"{LIST}{physician.npi}/")

    # then every section is there
    assert response.status_code == 200
    body = response.json()
    assert set(body) == DETAIL_FIELDS
    assert body["bio"] == "Treats breast cancer."
    assert body["telehealth"] is True
    assert [(loc["zip_code"], loc["is_primary"], loc["accepting_new_patients"]) for loc in body["locations"]] == [
        ("10001", True, True),
        ("11201", False, False),
    ]
    assert body["locations"][0]["phone"] == "212-555-0100"
    assert body["certifications"][0] == {
        "board": {"code": "ABIM", "name": current.board.name, "kind": "abms"},
        "certificate_name": "Medical Oncology",
        "status": "certified",
        "moc_status": "unknown",
        "is_current": True,
        "first_certified_on": "2015-06-01",
        "expires_on": current.expires_on.isoformat(),
        "verified_on": current.verified_on.isoformat(),
        "verification_source": "ABMS Certification Matters",
    }
    assert (body["certifications"][1]["status"], body["certifications"][1]["is_current"]) == ("expired", False)
    assert body["affiliations"] == [
        {"name": "Mercy Cancer Center", "kind": "hospital", "nci_designation": "", "city": "Boston", "state": "MA"}
    ]
    assert body["url"] == f"http://testserver/api/v1/physicians/{physician.npi}/"


@pytest.mark.parametrize(
    "npi", ["1234567893", "abc", "12345678901234567890", "%00"], ids=["unknown", "letters", "long", "nul"]
)
def test_unknown_npi_is_404(api, npi):
    response = api.get(f"{LIST}{npi}/")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"


def test_deactivated_physician_is_410(api):
    physician = PhysicianFactory(is_active=False, deactivated_on=timezone.localdate())
    response = api.get(f"{LIST}{physician.npi}/")
    assert response.status_code == 410
    assert response.json() == {
        "errors": [{"field": None, "code": "gone", "message": "This physician is no longer listed in the directory."}]
    }


# -- query counts: fixed whatever the page size and the size of each record ------------------------------


def _many(count):
    for index in range(count):
        physician = physician_at("10001", cancers=["breast", "lung"], languages=["en", "es"])
        PracticeLocationFactory(physician=physician, zip_code="11201", is_primary=False)
        BoardCertificationFactory(physician=physician)
        if index % 2:
            AffiliationFactory(physician=physician)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"near": "10001", "radius": "50"},
        {"q": "a"},
        {"specialty": "medical-oncology", "accepting": "1", "certified": "1"},
    ],
    ids=["plain", "near", "q", "filters"],
)
def test_list_query_count_does_not_grow_with_the_page(api, django_assert_num_queries, params):
    # given 25 physicians, each with several locations, cancer types and certificates
    _many(25)
    # when reading 1 result and then 25 (and the page after a cursor) / then two queries: the directory's
    # version (ETag) and the page, each row with its locations and primary specialty (the first request also
    # reads the specialty, cancer type, board and insurance plan tables, kept afterwards); a first page by
    # distance walks the locations nearest-first: one query when it finds the page and one more, two when
    # there is not one more (it checks that it walked past the radius)
    walk = "near" in params
    with django_assert_num_queries(6 + walk):
        assert get(api, page_size=1, **params).status_code == 200
    with django_assert_num_queries(2 + 2 * walk):
        response = get(api, page_size=25, **params)
        assert response.status_code == 200
    first = get(api, page_size=3, **params).json()
    if first["next"]:
        with django_assert_num_queries(2):
            assert api.get(first["next"]).status_code == 200


def test_detail_query_count_does_not_grow_with_the_record(api, django_assert_num_queries):
    small = physician_at("10001")
    big = physician_at("10001", cancers=["breast", "lung", "lymphoma"])
    for zip_code in ["11201", "19103", "90001"]:
        PracticeLocationFactory(physician=big, zip_code=zip_code, is_primary=False)
    for name in ["Medical Oncology", "Hematology", "Internal Medicine"]:
        BoardCertificationFactory(physician=big, certificate_name=name)
    for _ in range(3):
        AffiliationFactory(physician=big)
    for physician in (small, big):
        with django_assert_num_queries(9):  # the version, the physician, its six prefetches and its trials
            assert api.get(f"{LIST}{physician.npi}/").status_code == 200


@pytest.mark.parametrize(
    ("serializer_class", "fields"),
    [(serializers.PhysicianListSerializer, LIST_FIELDS), (serializers.PhysicianDetailSerializer, DETAIL_FIELDS)],
    ids=["list", "detail"],
)
def test_the_fast_representation_matches_the_declared_contract(serializer_class, fields):
    # The schema is generated from the declared fields; to_representation builds the dict by hand.
    declared = {name for name, field in serializer_class().fields.items() if field is not None}
    assert declared == fields
