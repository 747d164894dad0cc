"""A small real directory for a newcomer: the NPPES rows of oncologists shipped in apps/demo/data (see its
README.md), loaded through the same import services as the national file."""

from pathlib import Path

from apps.registry.models import ImportRun
from apps.registry.services import nppes_import, nucc_import

DATA = Path(__file__).resolve().parent / "data"
NUCC_SAMPLE = DATA / "nucc_taxonomy_25.1_sample.csv"
NPPES_SAMPLE = DATA / "nppes_oncologists_2018.csv"


def real_sample_load() -> tuple[ImportRun, ImportRun]:
    """Import the sample's NUCC codes, then its physicians; like any import, a second run writes nothing.
    Returns the two ImportRuns."""
    return nucc_import(path=NUCC_SAMPLE), nppes_import(path=NPPES_SAMPLE)
