"""ZIP centroids for bulk imports.

The same `zipcodes` data as apps.directory.geo, but the package's full table costs about 150 MB resident
and seconds to load, which would set an import's peak memory. So the (ZIP, latitude, longitude) triples
are extracted once, by a short-lived child process, into a small cache file (1 MB) that imports read;
`migrate` extracts it (apps.RegistryConfig), so no import pays for it.
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
            out.write(f"{row['zip_code']}\\t{float(row['lat'])}\\t{float(row['long'])}\\n")
        except (TypeError, ValueError, KeyError):
            continue
"""


def extract() -> Path:
    """The cache file, extracted first if this `zipcodes` version has none yet."""
    path = CACHE_DIR / f"zip-centroids-{version('zipcodes')}.tsv"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.part")  # processes migrating at once each write their own
        subprocess.run([sys.executable, "-c", _EXTRACT, str(partial)], check=True)  # noqa: S603
        partial.replace(path)
    return path


@lru_cache(maxsize=1)
def _table() -> dict[str, tuple[str, str]]:
    """{ZIP: (latitude, longitude)} as the cache file writes them: COPY takes the text as it is."""
    fields = iter(extract().read_text().split())  # ZIP, latitude, longitude, ZIP, ...
    return dict(zip(fields, zip(fields, fields, strict=True), strict=True))


def zip_centroid(zip_code: str) -> tuple[float, float] | None:
    """(latitude, longitude) of a 5- or 9-digit ZIP's centroid, or None when unknown."""
    found = _table().get((zip_code or "")[:5])
    return (float(found[0]), float(found[1])) if found else None


def zip_centroid_text(zip_code: str) -> tuple[str, str] | None:
    """zip_centroid's coordinates as decimal text, for COPY."""
    return _table().get((zip_code or "")[:5])
