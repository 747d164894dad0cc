"""The demo generator draws the very same physicians for the same seed: a digest of a chunk's COPY text pins it."""

import datetime
import hashlib
from collections import Counter

import pytest

from apps.directory import demo

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 1, 15)
# Taken from the generator as it was before `physician` was split into named steps (same seed, same rows);
# the digest changed once since, deliberately: accepting and telehealth became yes / no / not known (the
# same draws, so every other value and count is unchanged).
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
PINNED_DIGEST = "2f5165d0b6da3a56b658dbcd71a4da34213cb40e92812f16f8e25ae7ca78c9f4"


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


def column(out: demo.ChunkWriter, table: str, columns: tuple[str, ...], name: str) -> Counter:
    index = columns.index(name)
    return Counter(line.split("\t")[index] for line in out.buffers[table].getvalue().splitlines())


def test_accepting_and_telehealth_are_yes_no_or_not_known_in_believable_proportions():
    out = generated_chunk(physicians=400, seed=11)

    accepting = column(out, "loc", demo.LOCATION_COLUMNS, "accepting_new_patients")
    telehealth = column(out, "physician", demo.PHYSICIAN_COLUMNS, "telehealth")

    assert set(accepting) == set(telehealth) == {"t", "f", demo.NULL}
    locations = sum(accepting.values())
    assert 0.62 < accepting["t"] / locations < 0.78
    assert 0.09 < accepting["f"] / locations < 0.21
    assert 0.09 < accepting[demo.NULL] / locations < 0.21
    assert 0.08 < telehealth[demo.NULL] / sum(telehealth.values()) < 0.22
