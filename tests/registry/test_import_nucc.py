"""import_nucc: every NUCC code into Specialty, idempotently, keeping the directory's categories."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from apps.directory.models import Specialty
from apps.registry.models import ImportRun

from .nppes_files import NUCC

pytestmark = pytest.mark.django_db


def run_nucc(path=NUCC) -> str:
    out = StringIO()
    call_command("import_nucc", str(path), stdout=out)
    return out.getvalue()


def test_loads_all_codes_and_keeps_the_oncology_categories():
    # Given the seeded oncology codes, with their categories
    seeded = dict(Specialty.objects.exclude(category="").values_list("code", "category"))
    assert len(seeded) == 19

    # When the NUCC file is loaded
    output = run_nucc()

    # Then every code is a specialty, the seeded categories survive and the other codes have none
    assert Specialty.objects.count() == 883
    assert dict(Specialty.objects.exclude(category="").values_list("code", "category")) == seeded
    counselor = Specialty.objects.get(code="101Y00000X")
    assert (counselor.display_name, counselor.grouping, counselor.classification, counselor.category) == (
        "Counselor",
        "Behavioral Health & Social Service Providers",
        "Counselor",
        "",
    )
    assert "read 883, created 864, updated 0, unchanged 19" in output
    run = ImportRun.objects.get()
    assert (run.kind, run.status, run.created) == ("nucc", "succeeded", 864)


def test_second_load_changes_nothing_and_repairs_drift():
    run_nucc()
    Specialty.objects.filter(code="207RX0202X").update(display_name="Renamed by hand", category="medical-oncology")

    output = run_nucc()

    assert "created 0, updated 1, unchanged 882" in output
    specialty = Specialty.objects.get(code="207RX0202X")
    assert (specialty.display_name, specialty.category) == ("Medical Oncology Physician", "medical-oncology")
    assert Specialty.objects.count() == 883


def test_not_a_nucc_file_is_a_clear_error(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("Code,Name\n207RX0202X,Oncology\n")

    with pytest.raises(CommandError, match="Not a NUCC taxonomy file: no column Grouping"):
        run_nucc(path)

    assert Specialty.objects.count() == 19
    assert ImportRun.objects.get().status == "failed"


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        run_nucc(tmp_path / "nope.csv")
