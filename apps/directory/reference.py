"""The reference tables every search reads (specialties, cancer types, boards, insurance plans: tens of rows
each): kept per process.

Every search page and API search validated its parameters against both tables, two queries and forty-odd
model instances a request. They change when a curator edits one in the admin (this process forgets them at
once; other processes within MAX_AGE_SECONDS) or when import_nucc runs. A process that has read a newer
directory version (changes.py: a public read reads it first) reads them again: a body served under an ETag
is never older than the ETag says.
"""

import time
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS

from . import changes
from .models import Board, CancerType, InsuranceCarrier, InsurancePlan, Physician, PhysicianSpecialty, Specialty

MAX_AGE_SECONDS = 60
# The tables kept: apps.py has every process forget them when a row of one changes.
TABLES = (Specialty, CancerType, Board, InsuranceCarrier, InsurancePlan)


@dataclass(frozen=True)
class ReferenceData:
    specialties: tuple[Specialty, ...]
    cancer_types: tuple[CancerType, ...]  # ordered by name
    boards: tuple[Board, ...]  # ordered by code
    insurance_plans: tuple[InsurancePlan, ...]  # with their carriers, by carrier name, plan type and name

    def insurance_plan_ids(self, value: str) -> list[int]:
        """The plans the search's `insurance` value means: a carrier's slug, all of its plans; "slug:type", those
        of that type."""
        return [plan.id for plan in self.insurance_plans if value in (plan.carrier.slug, plan.search_value)]


_loaded: tuple[float, int, ReferenceData] | None = None  # when, the newest version seen before, the data


def reference_data() -> ReferenceData:
    global _loaded
    now = time.monotonic()
    seen = changes.latest_seen()
    if _loaded is None or now - _loaded[0] > MAX_AGE_SECONDS or _loaded[1] < seen:
        # From the primary, never a replica (apps/common/replicas.py): `seen` may come from a database that is
        # further ahead than the replica this request reads, and what is kept must be at least that new.
        primary = DEFAULT_DB_ALIAS
        data = ReferenceData(
            specialties=tuple(Specialty.objects.using(primary).only("id", "code", "display_name", "category")),
            cancer_types=tuple(CancerType.objects.using(primary).only("id", "slug", "name").order_by("name")),
            boards=tuple(Board.objects.using(primary).only("id", "code", "name").order_by("code")),
            insurance_plans=tuple(
                InsurancePlan.objects.using(primary).select_related("carrier").order_by(*InsurancePlan._meta.ordering)
            ),
        )
        _loaded = (now, seen, data)
    return _loaded[2]


@dataclass(frozen=True)
class SpecialtyLink:
    """A physician's specialty as a result row shows it (PhysicianSpecialty's fields that matter there)."""

    specialty: Specialty
    is_primary: bool


def describe_listing(physicians: list[Physician], *, links: bool = False) -> None:
    """Give each physician of a result page (read with for_listing()) `specialty_list` (primary first, then
    by id) and `cancer_type_list` (by name) from its id arrays and the reference tables, without a query;
    with `links`, also `specialty_links` saying which is primary (one small query, none for rows read with
    as_result_rows()). Two prefetches built about a hundred model instances a page for this: half of an
    API list request's time."""
    if not physicians:
        return
    reference = reference_data()
    specialties = {s.id: s for s in reference.specialties}
    for physician in physicians:
        physician.specialty_list = [specialties[pk] for pk in physician.specialty_ids if pk in specialties]
        treated = set(physician.cancer_type_ids)
        physician.cancer_type_list = [c for c in reference.cancer_types if c.id in treated]
    if not links:
        return
    if hasattr(physicians[0], "primary_specialty_id"):  # read with as_result_rows()
        primary = {physician.pk: physician.primary_specialty_id for physician in physicians}
    else:
        primary = dict(
            PhysicianSpecialty.objects.filter(physician_id__in=[p.pk for p in physicians], is_primary=True).values_list(
                "physician_id", "specialty_id"
            )
        )
    for physician in physicians:
        first = primary.get(physician.pk)
        physician.specialty_links = [SpecialtyLink(s, s.id == first) for s in physician.specialty_list]


def forget(**kwargs) -> None:
    """Drop the kept tables (a signal receiver: any change to either table)."""
    global _loaded
    _loaded = None
