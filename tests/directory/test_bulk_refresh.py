"""seed_demo's bulk path (triggers skipped, one refresh per chunk) must derive exactly what the triggers do."""

import io

import pytest
from django.core.management import call_command
from django.db import connection

from apps.directory.models import Physician
from tests.factories import PhysicianFactory, PracticeLocationFactory

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

    # when the triggers' own per-table refreshes run over every physician
    ids = [row[0] for row in seeded]
    with connection.cursor() as cursor:
        for function in PER_TABLE_REFRESHES:
            cursor.execute(f"SELECT {function}(%s::bigint[])", [ids])

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
