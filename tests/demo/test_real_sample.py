"""seed_demo --real-sample: the real NPPES oncologists shipped in apps/demo/data, through the real imports."""

import csv
import io
import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from apps.demo import real_sample
from apps.demo.management.commands.seed_demo import PRODUCTION_REFUSED
from apps.directory.models import Physician, PracticeLocation, Specialty
from apps.registry import layout
from apps.registry.models import ImportRun

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def sample_rows() -> list[dict]:
    with real_sample.NPPES_SAMPLE.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def row_codes(values: dict) -> set[str]:
    return {values[layout.taxonomy_code(slot)] for slot in range(1, layout.TAXONOMY_SLOTS + 1)} - {""}


def seed_real_sample() -> str:
    out = io.StringIO()
    call_command("seed_demo", "--real-sample", stdout=out)
    return out.getvalue()


def test_the_sample_ships_in_the_project_and_holds_only_oncologists():
    assert real_sample.NPPES_SAMPLE.resolve().is_relative_to(ROOT / "apps" / "demo" / "data")
    assert real_sample.NUCC_SAMPLE.resolve().is_relative_to(ROOT / "apps" / "demo" / "data")
    oncology = set(Specialty.objects.exclude(category="").values_list("code", flat=True))
    rows = sample_rows()
    assert len(rows) == 54
    assert all(row_codes(values) & oncology for values in rows)
    # Every code the rows carry is in the shipped NUCC sample, and only those
    with real_sample.NUCC_SAMPLE.open(newline="", encoding="utf-8") as handle:
        shipped = {entry["Code"] for entry in csv.DictReader(handle)}
    assert shipped == set().union(*(row_codes(values) for values in rows))


def test_real_sample_imports_the_real_oncologists_and_a_second_run_writes_nothing():
    output = seed_real_sample()

    npis = {values[layout.NPI] for values in sample_rows()}
    assert set(Physician.objects.values_list("npi", flat=True)) == npis
    assert set(Physician.objects.values_list("source", flat=True)) == {Physician.Source.NPPES}
    spiro = Physician.objects.get(npi="1003813403")
    assert (spiro.first_name, spiro.last_name) == ("JEFFERY", "SPIRO")
    primary = PracticeLocation.objects.get(physician=spiro, is_primary=True)
    assert (primary.address_line1, primary.city, primary.state) == ("263 FARMINGTON AVE", "FARMINGTON", "CT")
    assert primary.latitude is not None
    nucc, nppes = ImportRun.objects.order_by("id")
    assert (nucc.kind, nppes.kind, nppes.status) == ("nucc", "full", "succeeded")
    assert (nppes.created, nppes.rejected) == (54, 0)
    assert "54 physicians created" in output

    history = Physician.history.count()
    again = seed_real_sample()
    last = ImportRun.objects.order_by("-id").first()
    assert (last.created, last.updated, last.unchanged) == (0, 0, 54)
    assert Physician.history.count() == history
    assert "0 taxonomy codes created; 0 physicians created, 0 updated, 54 unchanged" in again


def test_real_sample_is_refused_outside_a_developer_machine(settings):
    settings.DEMO_DATA = False
    with pytest.raises(CommandError, match=re.escape(PRODUCTION_REFUSED)):
        seed_real_sample()
    assert not Physician.objects.exists()
    assert not ImportRun.objects.exists()
