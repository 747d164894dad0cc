"""PhysicianQuerySet search methods and the database-maintained search columns they rely on."""

import datetime
import itertools
import math

import pytest
from django.db import connection
from django.utils import timezone

from apps.directory.geo import zip_centroid
from apps.directory.models import (
    CancerType,
    CertificationStatus,
    Institution,
    Physician,
    PhysicianSpecialty,
    PracticeLocation,
    SearchTerm,
    Specialty,
)
from apps.directory.reference import describe_listing, reference_data
from tests.factories import (
    AffiliationFactory,
    BoardCertificationFactory,
    InstitutionFactory,
    PhysicianFactory,
    PracticeLocationFactory,
    specialty,
)

pytestmark = pytest.mark.django_db


def haversine_miles(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lng1, lat2, lng2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 2 * 3958.7613 * math.asin(math.sqrt(h))


def names(queryset) -> list[str]:
    return [p.last_name for p in queryset]


# -- q: typos, accents, case, word order, practices, hospitals, cities ------------------------------------


@pytest.mark.parametrize(
    "typed",
    ["smtih", "Smith", "SMITH", "smith", "smiht", "John Smith", "smith john", "jon smith"],
    ids=["transposed", "exact", "upper", "lower", "swapped-end", "full-name", "word-order", "first-name-typo"],
)
def test_search_forgives_typos_case_and_word_order(typed):
    # given
    PhysicianFactory(first_name="John", last_name="Smith")
    PhysicianFactory(first_name="Maria", last_name="Lopez")
    # when
    found = Physician.objects.active().search(typed)
    # then
    assert names(found) == ["Smith"]


@pytest.mark.parametrize(
    ("stored", "typed"),
    [("García", "Garcia"), ("Garcia", "García"), ("Nuñez", "nunez"), ("Müller", "MULLER")],
    ids=["plain-finds-accented", "accented-finds-plain", "tilde", "umlaut-upper"],
)
def test_search_ignores_accents_both_ways(stored, typed):
    PhysicianFactory(first_name="Ana", last_name=stored)
    PhysicianFactory(first_name="Ana", last_name="Zimmerman")
    assert names(Physician.objects.active().search(typed)) == [stored]


def test_search_finds_practice_names_cities_and_hospitals():
    # given
    at_sinai = PhysicianFactory(last_name="Adams")
    PracticeLocationFactory(physician=at_sinai, name="Mount Sinai Oncology", city="New York")
    in_boston = PhysicianFactory(last_name="Baker")
    PracticeLocationFactory(physician=in_boston, name="Back Bay Clinic", city="Boston", state="MA", zip_code="02116")
    at_dana = PhysicianFactory(last_name="Clark")
    AffiliationFactory(physician=at_dana, institution=InstitutionFactory(name="Dana-Farber Cancer Institute"))
    # then
    assert names(Physician.objects.search("sinai mount")) == ["Adams"]
    assert names(Physician.objects.search("boston")) == ["Baker"]
    assert names(Physician.objects.search("dana farber")) == ["Clark"]
    assert names(Physician.objects.search("farbr")) == ["Clark"]


def test_search_ranks_names_above_places_and_exact_above_typo():
    # given: a Smith, a Smit, and a doctor practising at the Smith Center
    PhysicianFactory(first_name="Ann", last_name="Smith")
    PhysicianFactory(first_name="Bo", last_name="Smit")
    center = PhysicianFactory(first_name="Cy", last_name="Young")
    PracticeLocationFactory(physician=center, name="Smith Cancer Center")
    # when
    ranked = list(Physician.objects.search("smith").order_by("-search_rank", "last_name"))
    # then
    assert [p.last_name for p in ranked][0] == "Smith"
    assert {p.last_name for p in ranked} >= {"Smith", "Young"}
    assert ranked[0].search_rank > ranked[-1].search_rank


@pytest.mark.parametrize(
    "typed", ["", "   ", "!!!", "Dr", "dr. md"], ids=["empty", "blank", "punctuation", "dr", "titles"]
)
def test_search_without_words_matches_everyone(typed):
    PhysicianFactory(last_name="Smith")
    PhysicianFactory(last_name="Jones")
    assert Physician.objects.search(typed).count() == 2


def test_search_with_an_unknown_word_finds_nobody():
    PhysicianFactory(last_name="Smith")
    assert Physician.objects.search("xqzvw").count() == 0


def test_search_prefix_finds_partial_words():
    PhysicianFactory(last_name="Fitzgerald")
    assert names(Physician.objects.search("fitzg")) == ["Fitzgerald"]


def test_search_handles_long_and_hostile_text():
    PhysicianFactory(last_name="Smith")
    hostile = "smith ' \" ; -- ) & | ! :* <-> " + "x" * 5000
    assert list(Physician.objects.search(hostile)) == []
    assert names(Physician.objects.search("smith ' & | ! :*")) == ["Smith"]


# -- near --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("here", "there"),
    [("10001", "19103"), ("10001", "02116"), ("60601", "53202"), ("94103", "95814")],
    ids=["nyc-philadelphia", "nyc-boston", "chicago-milwaukee", "sf-sacramento"],
)
def test_near_distance_within_one_percent_of_haversine(here, there):
    # given a physician practising at the centroid of `there`
    physician = PhysicianFactory()
    PracticeLocationFactory(physician=physician, zip_code=there, latitude=None, longitude=None)
    origin, target = zip_centroid(here), zip_centroid(there)
    expected = haversine_miles(origin, target)
    # when
    found = Physician.objects.near(*origin, 500).get()
    # then
    assert found.distance_miles == pytest.approx(expected, rel=0.01)


def test_near_keeps_only_physicians_inside_the_radius_and_the_nearest_location():
    # given: one physician in Manhattan and Philadelphia, one only in Boston
    nyc = zip_centroid("10001")
    both = PhysicianFactory(last_name="Both")
    PracticeLocationFactory(physician=both, zip_code="19103", is_primary=True)
    PracticeLocationFactory(physician=both, zip_code="10001", is_primary=False)
    boston = PhysicianFactory(last_name="Boston")
    PracticeLocationFactory(physician=boston, zip_code="02116")
    # when
    within_25 = list(Physician.objects.near(*nyc, 25))
    within_250 = {p.last_name: p.distance_miles for p in Physician.objects.near(*nyc, 250)}
    # then
    assert [(p.last_name, round(p.distance_miles, 3)) for p in within_25] == [("Both", 0.0)]
    assert set(within_250) == {"Both", "Boston"}
    assert within_250["Both"] == pytest.approx(0.0, abs=0.01)


def test_near_with_accepting_counts_only_nearby_accepting_locations():
    # given: accepting in Philadelphia, not accepting in Manhattan
    physician = PhysicianFactory()
    PracticeLocationFactory(physician=physician, zip_code="10001", accepting_new_patients=False, is_primary=True)
    PracticeLocationFactory(physician=physician, zip_code="19103", accepting_new_patients=True, is_primary=False)
    nyc = zip_centroid("10001")
    # then
    assert Physician.objects.near(*nyc, 25, accepting=True).count() == 0
    far = Physician.objects.near(*nyc, 100, accepting=True).get()
    assert far.distance_miles > 70


def test_the_search_filters_work_inside_a_subquery():
    # The admin asks for the rows of the physicians a search finds: the physician table is aliased there.
    nyc = zip_centroid("10001")
    smith = PhysicianFactory(first_name="Anna", last_name="Smith")
    manhattan = PracticeLocationFactory(physician=smith, zip_code="10001", is_primary=True)
    PracticeLocationFactory(physician=PhysicianFactory(last_name="Jones"), zip_code="02116", is_primary=True)

    for found in (
        Physician.objects.search("smtih"),
        Physician.objects.in_cells_around(*nyc, 25),
        Physician.objects.in_cells_around(*nyc, 25, accepting=True),
    ):
        rows = PracticeLocation.objects.filter(physician__in=found.values("pk"))
        assert list(rows) == [manhattan]


# -- the database keeps the derived columns ----------------------------------------------------------------


def test_derived_columns_follow_related_rows():
    # given
    physician = PhysicianFactory(first_name="José", last_name="García", cancers=["breast"])
    location = PracticeLocationFactory(
        physician=physician, name="UCLA", city="Los Angeles", accepting_new_patients=False
    )
    certification = BoardCertificationFactory(physician=physician)
    physician.refresh_from_db()
    # then
    assert physician.search_names == "jose garcia"
    assert "ucla los angeles" in physician.search_document
    assert physician.accepting_new_patients is False
    assert physician.certified_until == certification.expires_on
    assert physician.specialty_ids == [specialty("207RX0202X").id]
    assert physician.cancer_type_ids == [CancerType.objects.get(slug="breast").id]
    # when related rows change
    location.accepting_new_patients = True
    location.save()
    certification.status = CertificationStatus.LAPSED
    certification.save()
    physician.cancer_types.clear()
    PhysicianSpecialty.objects.create(physician=physician, specialty=specialty("2085R0001X"))
    physician.refresh_from_db()
    # then
    assert physician.accepting_new_patients is True
    assert physician.certified_until is None
    assert physician.cancer_type_ids == []
    assert set(physician.specialty_ids) == {specialty("207RX0202X").id, specialty("2085R0001X").id}
    # when a location not known to accept is added, then a yes is still a yes
    unknown = PracticeLocationFactory(physician=physician, name="Other", accepting_new_patients=None, is_primary=False)
    physician.refresh_from_db()
    assert physician.accepting_new_patients is True
    # when the yes goes, then "no" and "not known" are not known (the unknown one may accept)
    location.accepting_new_patients = False
    location.save()
    physician.refresh_from_db()
    assert physician.accepting_new_patients is None
    # when the unknown one says no too, then every location is a known no
    unknown.accepting_new_patients = False
    unknown.save()
    physician.refresh_from_db()
    assert physician.accepting_new_patients is False
    # when the last locations go, then nothing is known
    unknown.delete()
    location.delete()
    physician.refresh_from_db()
    assert physician.accepting_new_patients is None
    assert "ucla" not in physician.search_document


def test_lifetime_certificate_counts_as_current_forever():
    physician = PhysicianFactory()
    BoardCertificationFactory(physician=physician, expires_on=None)
    physician.refresh_from_db()
    assert physician.certified_until == datetime.date(9999, 12, 31)
    assert Physician.objects.currently_certified().count() == 1


def test_expired_certificate_is_not_current_even_if_status_says_certified():
    physician = PhysicianFactory()
    BoardCertificationFactory(
        physician=physician,
        first_certified_on=datetime.date(2010, 1, 1),
        expires_on=timezone.localdate() - datetime.timedelta(days=1),
    )
    assert Physician.objects.currently_certified().count() == 0


def test_institution_rename_updates_its_physicians():
    institution = InstitutionFactory(name="Old Name Hospital")
    physician = AffiliationFactory(institution=institution).physician
    Institution.objects.filter(pk=institution.pk).update(name="Memorial Cancer Pavilion")
    assert list(Physician.objects.search("pavilion")) == [physician]
    assert Physician.objects.search("old name").count() == 0


def test_a_stale_write_cannot_clobber_derived_columns():
    # given an instance loaded before its location was added
    physician = PhysicianFactory(last_name="Stale")
    PracticeLocationFactory(physician=physician, accepting_new_patients=True, name="Fresh Clinic")
    # when the stale instance is saved (as the admin or an import would)
    physician.first_name = "Renamed"
    physician.save()
    physician.refresh_from_db()
    # then
    assert physician.accepting_new_patients is True
    assert "fresh clinic" in physician.search_document
    assert physician.search_names.startswith("renamed")


def test_an_insert_cannot_claim_derived_columns_unless_it_derives_them_as_a_refresh():
    # given physicians inserted with derived columns that no related row backs
    claim = "INSERT INTO directory_physician (npi, first_name, middle_name, last_name, name_suffix, credentials,"
    claim += (
        " sex, is_active, bio, languages, telehealth, source, nppes_snapshot, created_at, updated_at, location_text,"
    )
    claim += " accepting_new_patients, geo_cells, specialty_ids) VALUES (%s, 'Ann', '', 'Claim', '', '', '', true,"
    claim += " '', '{}', false, 'manual', '{}', now(), now(), 'nowhere', true, '{1,2}', '{7}') RETURNING id"
    with connection.cursor() as cursor:
        # when an ordinary writer does it, then the database starts it from empty
        cursor.execute(claim, ["1000000004"])
        plain = Physician.objects.get(pk=cursor.fetchone()[0])
        # when a bulk writer that derived them itself says so (the NPPES import), then they are kept
        cursor.execute("SELECT set_config('oncodir.refreshing', 'on', true)")
        cursor.execute(claim, ["1000000012"])
        vouched = Physician.objects.get(pk=cursor.fetchone()[0])
        cursor.execute("SELECT set_config('oncodir.refreshing', 'off', true)")
    assert (plain.location_text, plain.accepting_new_patients, plain.geo_cells, plain.specialty_ids) == (
        "",
        None,
        [],
        [],
    )
    assert (vouched.location_text, vouched.accepting_new_patients, vouched.geo_cells, vouched.specialty_ids) == (
        "nowhere",
        True,
        [1, 2],
        [7],
    )
    assert "nowhere" in vouched.search_document  # the names and search columns are still the trigger's


def test_bulk_sql_writers_keep_derived_columns_right():
    # given rows written with plain SQL, as COPY or an upsert would
    physician = PhysicianFactory(last_name="Bulk")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO directory_practicelocation (physician_id, name, address_line1, address_line2, city, state,"
            " zip_code, phone, latitude, longitude, accepting_new_patients, is_primary, created_at, updated_at)"
            " VALUES (%s, 'Bulk Clinic', '1 Main St', '', 'Denver', 'CO', '80202', '', 39.75, -104.99, true, true,"
            " now(), now()), (%s, 'Second Site', '2 Main St', '', 'Aurora', 'CO', '80010', '', 39.74, -104.86,"
            " false, false, now(), now())",
            [physician.pk, physician.pk],
        )
        cursor.execute(
            "UPDATE directory_physician SET last_name = 'Bulkley', accepting_new_patients = false WHERE id = %s",
            [physician.pk],
        )
    physician.refresh_from_db()
    assert physician.accepting_new_patients is True
    assert physician.search_names.endswith("bulkley")
    assert "bulk clinic denver second site aurora" in physician.search_document
    assert SearchTerm.objects.filter(term__in=["bulkley", "aurora"]).count() == 2
    assert PracticeLocation.objects.filter(physician=physician).count() == 2


# -- for_listing / for_profile ------------------------------------------------------------------------------


def _physicians_with(count: int, locations: int, certifications: int):
    for _ in range(count):
        physician = PhysicianFactory(cancers=["breast", "lung"])
        for index in range(locations):
            PracticeLocationFactory(physician=physician, is_primary=index == 0)
        for index in range(certifications):
            BoardCertificationFactory(physician=physician, certificate_name=f"Certificate {index}")
        AffiliationFactory(physician=physician)


@pytest.mark.parametrize(("count", "locations"), [(2, 1), (12, 5)], ids=["few", "many"])
def test_for_listing_runs_a_fixed_number_of_queries(django_assert_num_queries, count, locations):
    _physicians_with(count, locations, 1)
    reference_data()  # the reference tables are kept per process: read once, not per page
    with django_assert_num_queries(3):
        rows = list(Physician.objects.active().for_listing())
        describe_listing(rows, links=True)
        for physician in rows:
            [(link.specialty.display_name, link.is_primary) for link in physician.specialty_links]
            [loc.city for loc in physician.location_list]
            [c.name for c in physician.cancer_type_list]
    assert len(rows) == count


def test_listing_details_are_what_the_profile_reads_from_the_related_rows():
    # given physicians with several specialties (a primary among them or none) and cancer types
    oncology = list(Specialty.objects.exclude(category="").order_by("-id")[:3])
    with_primary, without = PhysicianFactory(cancers=["lung", "breast"]), PhysicianFactory(cancers=[])
    for physician, primary in ((with_primary, oncology[1]), (without, None)):
        physician.physician_specialties.all().delete()
        for listed in oncology:
            PhysicianSpecialty.objects.create(physician=physician, specialty=listed, is_primary=listed == primary)
    # when a page of them is described for a listing
    rows = list(Physician.objects.filter(pk__in=[with_primary.pk, without.pk]).order_by("pk").for_listing())
    describe_listing(rows, links=True)
    # then each has the specialties and cancer types its related rows say: the primary first, then by id
    for row in rows:
        profile = Physician.objects.for_profile().get(pk=row.pk)
        links = [(link.specialty.code, link.is_primary) for link in row.specialty_links]
        related = [(link.specialty.code, link.is_primary) for link in profile.specialty_links]
        assert sorted(links) == sorted(related) and len(links) == 3
        assert [c.slug for c in row.cancer_type_list] == [c.slug for c in profile.cancer_type_list]
    by_id = sorted(oncology, key=lambda s: s.id)
    assert [(link.specialty, link.is_primary) for link in rows[0].specialty_links] == [
        (oncology[1], True),
        *((s, False) for s in by_id if s != oncology[1]),
    ]
    assert [(link.specialty, link.is_primary) for link in rows[1].specialty_links] == [(s, False) for s in by_id]
    # and the names alone (what the search page shows) are the same specialties, in the same order
    assert [[link.specialty for link in row.specialty_links] for row in rows] == [row.specialty_list for row in rows]


def test_describing_a_listing_without_links_runs_no_query(django_assert_num_queries):
    _physicians_with(3, 1, 0)
    reference_data()
    rows = list(Physician.objects.active().for_listing())
    with django_assert_num_queries(0):
        describe_listing(rows)
    assert all(row.specialty_list and row.cancer_type_list for row in rows)
    assert [c.slug for c in rows[0].cancer_type_list] == ["breast", "lung"]


@pytest.mark.parametrize(("locations", "certifications"), [(1, 1), (6, 5)], ids=["few", "many"])
def test_for_profile_runs_a_fixed_number_of_queries(django_assert_num_queries, locations, certifications):
    _physicians_with(1, locations, certifications)
    with django_assert_num_queries(7):
        physician = Physician.objects.for_profile().get()
        [plan.carrier.name for location in physician.location_list for plan in location.plan_list]
        [c.board.code for c in physician.certifications.all()]
        [a.institution.name for a in physician.affiliations.all()]
        [ps.specialty.code for ps in physician.specialty_links]
        [loc.phone for loc in physician.location_list]
        [c.slug for c in physician.cancer_type_list]
    assert len(physician.location_list) == locations


def _destination(lat: float, lng: float, miles: float, bearing: float) -> tuple[float, float]:
    radius = 3958.7613
    lat1, lng1, theta, delta = math.radians(lat), math.radians(lng), math.radians(bearing), miles / radius
    lat2 = math.asin(math.sin(lat1) * math.cos(delta) + math.cos(lat1) * math.sin(delta) * math.cos(theta))
    lng2 = lng1 + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(lat1), math.cos(delta) - math.sin(lat1) * math.sin(lat2)
    )
    return math.degrees(lat2), (math.degrees(lng2) + 540) % 360 - 180


@pytest.mark.parametrize(
    "origin",
    [(40.75, -73.99), (21.30, -157.85), (51.88, -176.65), (64.84, -147.72), (25.76, -80.19), (47.6, -122.3)],
    ids=["new-york", "honolulu", "adak-antimeridian", "fairbanks", "miami", "seattle"],
)
def test_query_cells_cover_every_point_inside_the_circle(origin):
    """The Python cells of a circle always include the SQL cell of any point inside it."""
    from apps.directory.search import query_cells

    for miles, coarse in itertools.product((1, 10, 25, 60, 150, 500), (False, True)):
        cells = query_cells(*origin, miles, coarse=coarse)
        points = [
            _destination(*origin, miles * fraction, bearing)
            for fraction in (0.5, 0.99)
            for bearing in range(0, 360, 15)
        ]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT bool_and(directory_geo_cells(lat, lng) && %s::integer[])"
                " FROM unnest(%s::float8[], %s::float8[]) AS p(lat, lng)",
                [cells, [p[0] for p in points], [p[1] for p in points]],
            )
            assert cursor.fetchone()[0] is True, (origin, miles, coarse)


def test_a_name_search_near_a_zip_looks_up_fewer_larger_cells():
    from apps.directory.search import MAX_COARSE_FINE_CELLS, query_cells

    # given 50 miles around ZIP 10001: 80 cells of the first level (0.2 degrees)
    origin = zip_centroid("10001")
    fine, coarse = query_cells(*origin, 50), query_cells(*origin, 50, coarse=True)
    # then a search whose name is the selective filter uses the second level's (0.8 degrees) instead
    assert len(fine) == 80 and all(cell < 20_000_000 for cell in fine)
    assert len(coarse) <= MAX_COARSE_FINE_CELLS and all(20_000_000 <= cell < 30_000_000 for cell in coarse)
    # and a small circle keeps its few fine cells either way
    assert query_cells(40.75, -73.99, 5, coarse=True) == query_cells(40.75, -73.99, 5)


def test_search_works_as_the_first_statement_of_a_new_connection():
    """pg_trgm's settings only exist once its library is loaded: the word look-up must not depend on it."""
    import psycopg2

    settings = connection.settings_dict
    fresh = psycopg2.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        password=settings["PASSWORD"] or None,
    )
    try:
        with fresh.cursor() as cursor:
            cursor.execute("SELECT directory_search_tsquery('smtih')::text")
            assert "smtih" in cursor.fetchone()[0]
            cursor.execute("SHOW pg_trgm.similarity_threshold")
            assert cursor.fetchone()[0] == "0.3"  # restored
    finally:
        fresh.close()
