"""ZIP code centroids and places, offline, from the `zipcodes` package.

The package keeps its 42,789 rows as dicts in the process that reads them: about 140 MB resident in every web
worker, and seconds to load. So the (ZIP, latitude, longitude, city, state) rows are extracted once per package
version, by a short-lived child process, into a small file (1.6 MB) that every process reads instead;
`migrate` extracts it (apps.registry.apps), so neither a first search nor an import pays for it.
"""

import os
import subprocess
import sys
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

CACHE_DIR = Path(__file__).resolve().parents[2] / "var" / "cache"

_EXTRACT = """
import sys, zipcodes
with open(sys.argv[1], "w") as out:
    for row in zipcodes.list_all():
        try:
            place = "\\t".join([row["zip_code"], str(float(row["lat"])), str(float(row["long"])), row["city"], row["state"]])
        except (TypeError, ValueError, KeyError):
            continue
        out.write(place + "\\n")
"""


def extract() -> Path:
    """The file of ZIP places, extracted first if this `zipcodes` version has none yet."""
    path = CACHE_DIR / f"zip-places-{version('zipcodes')}.tsv"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.part")  # processes migrating at once each write their own
        subprocess.run([sys.executable, "-c", _EXTRACT, str(partial)], check=True)  # noqa: S603
        partial.replace(path)
    return path


@lru_cache(maxsize=1)
def zip_places() -> dict[str, tuple[str, str, str, str]]:
    """{ZIP: (latitude, longitude, city, state)}, the coordinates as the file writes them (COPY takes the text)."""
    rows = (line.split("\t") for line in extract().read_text().splitlines())
    return {zip_code: (lat, lng, city, state) for zip_code, lat, lng, city, state in rows}


@lru_cache(maxsize=1)
def all_zip_centroids() -> dict[str, tuple[float, float, str, str]]:
    """Every known ZIP with (latitude, longitude, city, state)."""
    return {
        zip_code: (float(lat), float(lng), city, state) for zip_code, (lat, lng, city, state) in zip_places().items()
    }


def zip_centroid(zip_code: str) -> tuple[float, float] | None:
    """(latitude, longitude) of a 5- or 9-digit ZIP's centroid, or None when unknown."""
    found = all_zip_centroids().get((zip_code or "")[:5])
    return (found[0], found[1]) if found else None


def zip_centroid_text(zip_code: str) -> tuple[str, str] | None:
    """zip_centroid's coordinates as decimal text, for an import's COPY."""
    found = zip_places().get((zip_code or "")[:5])
    return (found[0], found[1]) if found else None


def zip_place(zip_code: str) -> tuple[str, str] | None:
    """(city, state) of a ZIP, or None when unknown."""
    found = all_zip_centroids().get((zip_code or "")[:5])
    return (found[2], found[3]) if found else None
