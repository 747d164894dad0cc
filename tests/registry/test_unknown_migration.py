"""Migration 0016 makes "not known" of existing values only where the NPPES import set them and nobody
changed them since: the rows the import created (its history reason) whose history has no other value."""

import importlib
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from apps.directory.models import Physician, PracticeLocation
from tests.factories import PhysicianFactory, PracticeLocationFactory
from tests.registry.nppes_files import NUCC, SAMPLE

pytestmark = pytest.mark.django_db

MIGRATION = importlib.import_module("apps.directory.migrations.0016_unknown_is_a_value")


def as_the_old_import_left_it(locations, physicians) -> None:
    """What the import wrote before 0016: accepting yes and no telehealth, in the rows and their history."""
    ids = [loc.pk for loc in locations]
    PracticeLocation.objects.filter(pk__in=ids).update(accepting_new_patients=True)
    PracticeLocation.history.filter(id__in=ids).update(accepting_new_patients=True)
    Physician.objects.filter(pk__in=[p.pk for p in physicians]).update(telehealth=False)
    Physician.history.filter(id__in=[p.pk for p in physicians]).update(telehealth=False)


def test_only_values_the_import_set_and_nobody_changed_become_not_known():
    # given imported physicians as the old import left them, one of whose answers a curator changed and
    # changed back, and a curator's own physician with the same values
    call_command("import_nucc", str(NUCC), stdout=StringIO())
    call_command("import_nppes", str(SAMPLE), "--no-progress", stdout=StringIO())
    untouched, curated = Physician.objects.order_by("npi")[:2]
    as_the_old_import_left_it(PracticeLocation.objects.all(), Physician.objects.all())
    for value in (False, True):  # saved through the ORM: history rows by a curator
        location = curated.locations.get()
        location.accepting_new_patients = value
        location.save()
        curated.telehealth = not value
        curated.save()
    manual = PhysicianFactory(telehealth=False)
    manual_location = PracticeLocationFactory(physician=manual, accepting_new_patients=True)
    # when the migration's data step runs
    with connection.cursor() as cursor:
        cursor.execute(MIGRATION.UNKNOWN_WHERE_IMPORTED)
    # then the import's values are not known, the curator's and the manual ones stay
    assert untouched.locations.get().accepting_new_patients is None
    assert PracticeLocation.objects.filter(accepting_new_patients=None).count() == 53
    assert curated.locations.get().accepting_new_patients is True
    manual_location.refresh_from_db()
    assert manual_location.accepting_new_patients is True
    telehealth = dict(Physician.objects.values_list("npi", "telehealth"))
    assert telehealth.pop(curated.npi) is False and telehealth.pop(manual.npi) is False
    assert set(telehealth.values()) == {None}
    # and the physicians' search columns follow: not known, and not in accepting=1's cells
    untouched.refresh_from_db()
    curated.refresh_from_db()
    assert (untouched.accepting_new_patients, untouched.accepting_geo_cells) == (None, [])
    assert curated.accepting_new_patients is True and curated.accepting_geo_cells
