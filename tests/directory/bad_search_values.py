"""Bad values of the search parameters and the one error each gets (parameter, message): the FilterSet's,
the search page's, the API's and the page-and-API parity tests all run this one table."""

import pytest

from apps.directory.filters import BOARD_UNKNOWN
from apps.directory.forms import (
    CANCER_UNKNOWN,
    FLAG_INVALID,
    INSURANCE_UNKNOWN,
    LANGUAGE_UNKNOWN,
    NULL_CHARACTERS,
    QUERY_TOO_LONG,
    RADIUS_INVALID,
    RADIUS_RANGE,
    SEX_UNKNOWN,
    SORT_DISTANCE_NEEDS_ZIP,
    SORT_UNKNOWN,
    SPECIALTY_UNKNOWN,
    ZIP_FORMAT,
    ZIP_UNKNOWN,
)


def bad(field: str, value: str, message: str, name: str, **other_params: str):
    """A search with `field`=`value` (and `other_params`), refused with `message` on `field`."""
    return pytest.param({**other_params, field: value}, field, message, id=name)


BAD_SEARCH_VALUES = [
    bad("q", "x" * 201, QUERY_TOO_LONG, "q-201-chars"),
    bad("q", "x" * 5000, QUERY_TOO_LONG, "q-5000-chars"),
    bad("q", " " * 201, QUERY_TOO_LONG, "q-201-spaces"),
    bad("specialty", "astrology", SPECIALTY_UNKNOWN % {"value": "astrology"}, "specialty-unknown"),
    bad("cancer", "common-cold", CANCER_UNKNOWN % {"value": "common-cold"}, "cancer-unknown"),
    bad("insurance", "acme", INSURANCE_UNKNOWN % {"value": "acme"}, "insurance-unknown-carrier"),
    bad("insurance", "aetna:gold", INSURANCE_UNKNOWN % {"value": "aetna:gold"}, "insurance-unknown-plan-type"),
    bad("insurance", "oscar:hmo", INSURANCE_UNKNOWN % {"value": "oscar:hmo"}, "insurance-type-the-carrier-lacks"),
    bad("insurance", "Aetna", INSURANCE_UNKNOWN % {"value": "Aetna"}, "insurance-upper-case"),
    bad("near", "1000", ZIP_FORMAT, "zip-short"),
    bad("near", "abcde", ZIP_FORMAT, "zip-letters"),
    bad("near", "10001 x", ZIP_FORMAT, "zip-and-text"),
    bad("near", "00000", ZIP_UNKNOWN % {"zip": "00000"}, "zip-unknown"),
    bad("radius", "-5", RADIUS_RANGE, "radius-negative", near="10001"),
    bad("radius", "0", RADIUS_RANGE, "radius-0", near="10001"),
    bad("radius", "500.001", RADIUS_RANGE, "radius-over-500", near="10001"),
    bad("radius", "500.001", RADIUS_RANGE, "radius-over-500-without-zip"),
    bad("radius", "1e9", RADIUS_RANGE, "radius-1e9", near="10001"),
    bad("radius", "1e999999999", RADIUS_RANGE, "radius-huge-exponent", near="10001"),
    bad("radius", "abc", RADIUS_INVALID, "radius-abc", near="10001"),
    bad("radius", "nan", RADIUS_INVALID, "radius-nan", near="10001"),
    bad("radius", "NaN", RADIUS_INVALID, "radius-NaN", near="10001"),
    bad("radius", "inf", RADIUS_INVALID, "radius-inf", near="10001"),
    bad("radius", " 5", RADIUS_INVALID, "radius-leading-space", near="10001"),
    bad("accepting", "maybe", FLAG_INVALID, "flag-unknown"),
    bad("accepting", "TRUE", FLAG_INVALID, "flag-upper-case"),
    bad("accepting", "yes", FLAG_INVALID, "flag-yes"),
    bad("certified", "2", FLAG_INVALID, "flag-2"),
    bad("trials", "yes", FLAG_INVALID, "flag-trials-yes"),
    bad("language", "xx", LANGUAGE_UNKNOWN % {"value": "xx"}, "language-unknown"),
    bad("language", "eng", LANGUAGE_UNKNOWN % {"value": "eng"}, "language-three-letters"),
    bad("language", "klingon", LANGUAGE_UNKNOWN % {"value": "klingon"}, "language-a-name"),
    bad("sex", "X", SEX_UNKNOWN, "sex-unknown"),
    bad("board", "abxx", BOARD_UNKNOWN % {"value": "abxx"}, "board-unknown"),
    bad("board", "no-such-board", BOARD_UNKNOWN % {"value": "no-such-board"}, "board-unknown-slug"),
    bad("board", "ABIM", BOARD_UNKNOWN % {"value": "ABIM"}, "board-upper-case"),
    bad("sort", "price", SORT_UNKNOWN, "sort-unknown"),
    bad("sort", "distance", SORT_DISTANCE_NEEDS_ZIP, "sort-distance-without-zip"),
    # Every parameter refuses a NUL character (PostgreSQL cannot store one), wherever it stands.
    bad("q", "smith\x00", NULL_CHARACTERS, "q-nul"),
    bad("near", "10001\x00", NULL_CHARACTERS, "zip-nul"),
    bad("radius", "2\x005", NULL_CHARACTERS, "radius-nul-inside", near="10001"),
    bad("radius", "5\x00", NULL_CHARACTERS, "radius-nul-after", near="10001"),
    *(
        bad(field, "\x00", NULL_CHARACTERS, f"{field}-nul")
        for field in (
            "specialty",
            "cancer",
            "insurance",
            "accepting",
            "telehealth",
            "certified",
            "trials",
            "language",
            "sex",
            "sort",
        )
    ),
]
