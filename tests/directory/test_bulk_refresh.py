"""seed_demo's bulk path (triggers skipped, one refresh per chunk) must derive exactly what the triggers do:
both write directory_physician_derived(), the one derivation (apps/directory/sql/)."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.db import connection

from apps.directory.models import Physician, PracticeLocation
from tests.factories import (
    AffiliationFactory,
    BoardCertificationFactory,
    PhysicianFactory,
    PracticeLocationFactory,
    insurance_plan,
)

pytestmark = pytest.mark.django_db

DERIVED = [
    "location_text",
    "accepting_new_patients",
    "geo_cells",
    "accepting_geo_cells",
    "institution_text",
    "certified_until",
    "specialty_ids",
    "cancer_type_ids",
    "insurance_plan_ids",
    "search_document",
]
PER_TABLE_REFRESHES = [
    "directory_refresh_locations",
    "directory_refresh_institutions",
    "directory_refresh_certifications",
    "directory_refresh_specialties",
    "directory_refresh_cancer_types",
]


def derived_columns():
    return list(Physician.objects.order_by("id").values_list("id", *DERIVED))


def test_seed_demo_derives_the_same_columns_as_the_per_table_triggers():
    # given a directory written by seed_demo's bulk path
    call_command("seed_demo", "--physicians", "120", "--seed", "9", stdout=io.StringIO())
    seeded = derived_columns()
    assert all(row[DERIVED.index("specialty_ids") + 1] for row in seeded)
    assert all(row[DERIVED.index("location_text") + 1] for row in seeded)
    assert any(row[DERIVED.index("institution_text") + 1] for row in seeded)
    assert any(row[DERIVED.index("insurance_plan_ids") + 1] for row in seeded)

    # when the triggers' own per-table refreshes run over every physician
    ids = [row[0] for row in seeded]
    with connection.cursor() as cursor:
        for function in PER_TABLE_REFRESHES:
            cursor.execute(f"SELECT {function}(%s::bigint[])", [ids])
        # the insurance plans' table names locations: its refresh takes their ids
        locations = list(PracticeLocation.objects.values_list("id", flat=True))
        cursor.execute("SELECT directory_refresh_insurance(%s::bigint[])", [locations])

    # then nothing changes
    assert derived_columns() == seeded


def test_bulk_load_setting_defers_the_refresh_to_the_explicit_call():
    physician = PhysicianFactory()
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('oncodir.bulk_load', 'on', true)")
        PracticeLocationFactory(physician=physician, name="Hope Clinic", city="Boston", state="MA", zip_code="02115")
        cursor.execute("SELECT set_config('oncodir.bulk_load', 'off', true)")
        assert Physician.objects.get(pk=physician.pk).location_text == ""

        cursor.execute("SELECT directory_refresh_physicians(%s::bigint[])", [[physician.pk]])

    assert Physician.objects.get(pk=physician.pk).location_text == "hope clinic boston"


def test_a_related_tables_refresh_writes_only_the_columns_that_table_feeds():
    # given a physician whose location, hospital and certificate were written without the triggers
    physician = PhysicianFactory(primary_specialty=False)
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('oncodir.bulk_load', 'on', true)")
        PracticeLocationFactory(physician=physician, name="Hope Clinic", city="Boston")
        AffiliationFactory(physician=physician, institution__name="Mercy Hospital")
        BoardCertificationFactory(physician=physician, expires_on=None)
        cursor.execute("SELECT set_config('oncodir.bulk_load', 'off', true)")

        # when only the affiliations' refresh runs
        cursor.execute("SELECT directory_refresh_institutions(%s::bigint[])", [[physician.pk]])
        after_institutions = Physician.objects.values_list("institution_text", "location_text", "certified_until")
        # then only its column is written
        assert after_institutions.get(pk=physician.pk) == ("mercy hospital", "", None)

        # when the full refresh runs, then the rest follows
        cursor.execute("SELECT directory_refresh_physicians(%s::bigint[])", [[physician.pk]])
    physician.refresh_from_db()
    assert (physician.institution_text, physician.location_text, physician.certified_until) == (
        "mercy hospital",
        "hope clinic boston",
        datetime.date(9999, 12, 31),
    )
    assert physician.search_document == f"{physician.search_names} hope clinic boston mercy hospital"


def test_the_stored_columns_are_the_derivation_of_the_related_rows():
    # given physicians written through the ORM (the triggers), with and without related rows
    busy = PhysicianFactory(cancers=["breast"])
    PracticeLocationFactory(physician=busy, name="North", city="Albany", accepting_new_patients=False, is_primary=False)
    PracticeLocationFactory(physician=busy, name="South", city="Miami").plans.set([insurance_plan("aetna", "ppo")])
    AffiliationFactory(physician=busy)
    idle = PhysicianFactory(primary_specialty=False)

    # then what is stored is what directory_physician_derived() gives, for both
    columns = DERIVED[:-1]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, {', '.join(columns)} FROM directory_physician_derived(%s::bigint[]) ORDER BY id",  # noqa: S608
            [[busy.pk, idle.pk]],
        )
        derived = cursor.fetchall()
    stored = list(Physician.objects.filter(pk__in=[busy.pk, idle.pk]).order_by("id").values_list("id", *columns))
    assert derived == stored
    assert stored[0][DERIVED.index("insurance_plan_ids") + 1] == [insurance_plan("aetna", "ppo").pk]
    assert stored[1][1:] == ("", None, [], [], "", None, [], [], [])  # no location: not known to accept
