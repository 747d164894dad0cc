"""The specialty and cancer type tables every search reads (19 and 24 rows): kept per process.

Every search page and API search validated its parameters against both tables, two queries and forty-odd
model instances a request. They change when a curator edits one in the admin (this process forgets them at
once; other processes within MAX_AGE_SECONDS) or when import_nucc runs.
"""

import time
from dataclasses import dataclass

from .models import CancerType, Specialty

MAX_AGE_SECONDS = 60


@dataclass(frozen=True)
class ReferenceData:
    specialties: tuple[Specialty, ...]
    cancer_types: tuple[CancerType, ...]  # ordered by name


_loaded: tuple[float, ReferenceData] | None = None


def reference_data() -> ReferenceData:
    global _loaded
    now = time.monotonic()
    if _loaded is None or now - _loaded[0] > MAX_AGE_SECONDS:
        data = ReferenceData(
            specialties=tuple(Specialty.objects.only("id", "code", "display_name", "category")),
            cancer_types=tuple(CancerType.objects.only("id", "slug", "name").order_by("name")),
        )
        _loaded = (now, data)
    return _loaded[1]


def forget(**kwargs) -> None:
    """Drop the kept tables (a signal receiver: any change to either table)."""
    global _loaded
    _loaded = None
