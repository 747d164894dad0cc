"""The demo generator draws the very same physicians for the same seed: a digest of a chunk's COPY text pins it."""

import datetime
import hashlib

import pytest

from apps.directory import demo

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 1, 15)
# Taken from the generator as it was before `physician` was split into named steps (same seed, same rows).
PINNED_FIRST_NPI = "1946541202"
PINNED_FIRST_REST = [
    "",
    "García",
    "",
    "MD",
    "F",
    "Dr. García is a hematologist-oncologist in Westbury, NY. Focus areas: leukemia, lymphoma, pancreatic, prostate.",
]
PINNED_COUNTS = (361, 1076, 414, 487, 331)
PINNED_DIGEST = "fb20d9d39c38673c8aab54c0cee247ab031299848f762f9abbc6f1a8ce8c0936"


def generated_chunk(physicians: int, seed: int) -> demo.ChunkWriter:
    """One chunk's rows, with the database ids and the clock replaced by fixed values so the text is stable."""
    plan = demo.DemoPlan(physicians=physicians, seed=seed, today=TODAY)
    ref = plan.reference
    ref.specialty_ids = {code: 1000 + n for n, code in enumerate(sorted(ref.specialty_ids))}
    ref.cancer_ids = {slug: 2000 + n for n, slug in enumerate(sorted(ref.cancer_ids))}
    ref.board_ids = {code: 3000 + n for n, code in enumerate(sorted(ref.board_ids))}
    institutions = {state: [(4000 + n, f"Hospital {state} {n}") for n in range(3)] for state in demo.STATE_WEIGHTS}
    generator = demo.PhysicianGenerator(plan, institutions, chunk=0)
    generator.now = "NOW"
    out = demo.ChunkWriter()
    for index, npi in enumerate(plan.npis):
        # Every fifth physician is drawn but not written, as when its NPI exists already.
        generator.physician(out, index, npi, pk=index + 1, include=index % 5 != 4)
    return out


def digest(out: demo.ChunkWriter) -> str:
    text = "".join(f"[{name}]\n{buffer.getvalue()}" for name, buffer in out.buffers.items())
    return hashlib.sha256(text.encode()).hexdigest()


def test_the_same_seed_gives_the_same_rows_as_before_the_generator_was_split_into_steps():
    out = generated_chunk(physicians=400, seed=11)

    first = out.buffers["physician"].getvalue().splitlines()[0].split("\t")
    assert first[:9] == ["1", PINNED_FIRST_NPI, "Zoë", *PINNED_FIRST_REST]
    assert out.counts.physicians == 320
    assert (out.counts.specialties, out.counts.cancer_types, out.counts.certifications) == PINNED_COUNTS[:3]
    assert (out.counts.locations, out.counts.affiliations) == PINNED_COUNTS[3:]
    assert digest(out) == PINNED_DIGEST


def test_another_seed_gives_other_rows():
    assert digest(generated_chunk(physicians=50, seed=11)) != digest(generated_chunk(physicians=50, seed=12))
