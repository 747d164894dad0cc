"""ZIP code centroids, offline, from the `zipcodes` package."""

from functools import lru_cache

import zipcodes


@lru_cache(maxsize=1)
def _centroids() -> dict[str, tuple[float, float, str, str]]:
    table = {}
    for row in zipcodes.list_all():
        try:
            table[row["zip_code"]] = (float(row["lat"]), float(row["long"]), row["city"], row["state"])
        except (TypeError, ValueError):
            continue
    return table


def zip_centroid(zip_code: str) -> tuple[float, float] | None:
    """(latitude, longitude) of a 5- or 9-digit ZIP's centroid, or None when unknown."""
    found = _centroids().get((zip_code or "")[:5])
    return (found[0], found[1]) if found else None


def zip_place(zip_code: str) -> tuple[str, str] | None:
    """(city, state) of a ZIP, or None when unknown."""
    found = _centroids().get((zip_code or "")[:5])
    return (found[2], found[3]) if found else None


def all_zip_centroids():
    """Every known ZIP with (latitude, longitude, city, state)."""
    return _centroids()
