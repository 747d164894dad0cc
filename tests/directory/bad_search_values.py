"""Bad values of the search parameters and the one error each gets (parameter, message): the FilterSet's,
the search page's, the API's and the page-and-API parity tests all run this one table."""

import pytest

from apps.directory.filters import BOARD_UNKNOWN
from apps.directory.forms import (
    CANCER_UNKNOWN,
    FLAG_INVALID,
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


def case(params: dict, field: str, message: str, name: str):
    return pytest.param(params, field, message, id=name)


def near_10001(radius: str) -> dict:
    return {"near": "10001", "radius": radius}


BAD_SEARCH_VALUES = [
    case({"q": "x" * 201}, "q", QUERY_TOO_LONG, "q-201-chars"),
    case({"q": "x" * 5000}, "q", QUERY_TOO_LONG, "q-5000-chars"),
    case({"q": " " * 201}, "q", QUERY_TOO_LONG, "q-201-spaces"),
    case({"q": "smith\x00"}, "q", NULL_CHARACTERS, "q-nul"),
    case({"specialty": "astrology"}, "specialty", SPECIALTY_UNKNOWN % {"value": "astrology"}, "specialty-unknown"),
    case({"specialty": "\x00"}, "specialty", NULL_CHARACTERS, "specialty-nul"),
    case({"cancer": "common-cold"}, "cancer", CANCER_UNKNOWN % {"value": "common-cold"}, "cancer-unknown"),
    case({"cancer": "\x00"}, "cancer", NULL_CHARACTERS, "cancer-nul"),
    case({"near": "1000"}, "near", ZIP_FORMAT, "zip-short"),
    case({"near": "abcde"}, "near", ZIP_FORMAT, "zip-letters"),
    case({"near": "10001 x"}, "near", ZIP_FORMAT, "zip-and-text"),
    case({"near": "00000"}, "near", ZIP_UNKNOWN % {"zip": "00000"}, "zip-unknown"),
    case({"near": "10001\x00"}, "near", NULL_CHARACTERS, "zip-nul"),
    case(near_10001("-5"), "radius", RADIUS_RANGE, "radius-negative"),
    case(near_10001("0"), "radius", RADIUS_RANGE, "radius-0"),
    case(near_10001("500.001"), "radius", RADIUS_RANGE, "radius-over-500"),
    case({"radius": "500.001"}, "radius", RADIUS_RANGE, "radius-over-500-without-zip"),
    case(near_10001("1e9"), "radius", RADIUS_RANGE, "radius-1e9"),
    case(near_10001("1e999999999"), "radius", RADIUS_RANGE, "radius-huge-exponent"),
    case(near_10001("abc"), "radius", RADIUS_INVALID, "radius-abc"),
    case(near_10001("nan"), "radius", RADIUS_INVALID, "radius-nan"),
    case(near_10001("NaN"), "radius", RADIUS_INVALID, "radius-NaN"),
    case(near_10001("inf"), "radius", RADIUS_INVALID, "radius-inf"),
    case(near_10001(" 5"), "radius", RADIUS_INVALID, "radius-leading-space"),
    case(near_10001("2\x005"), "radius", NULL_CHARACTERS, "radius-nul-inside"),
    case(near_10001("5\x00"), "radius", NULL_CHARACTERS, "radius-nul-after"),
    case({"accepting": "maybe"}, "accepting", FLAG_INVALID, "flag-unknown"),
    case({"accepting": "TRUE"}, "accepting", FLAG_INVALID, "flag-upper-case"),
    case({"accepting": "yes"}, "accepting", FLAG_INVALID, "flag-yes"),
    case({"certified": "2"}, "certified", FLAG_INVALID, "flag-2"),
    case({"accepting": "\x00"}, "accepting", NULL_CHARACTERS, "accepting-nul"),
    case({"telehealth": "\x00"}, "telehealth", NULL_CHARACTERS, "telehealth-nul"),
    case({"certified": "\x00"}, "certified", NULL_CHARACTERS, "certified-nul"),
    case({"language": "xx"}, "language", LANGUAGE_UNKNOWN % {"value": "xx"}, "language-unknown"),
    case({"language": "eng"}, "language", LANGUAGE_UNKNOWN % {"value": "eng"}, "language-three-letters"),
    case({"language": "klingon"}, "language", LANGUAGE_UNKNOWN % {"value": "klingon"}, "language-a-name"),
    case({"language": "\x00"}, "language", NULL_CHARACTERS, "language-nul"),
    case({"sex": "X"}, "sex", SEX_UNKNOWN, "sex-unknown"),
    case({"sex": "\x00"}, "sex", NULL_CHARACTERS, "sex-nul"),
    case({"board": "abxx"}, "board", BOARD_UNKNOWN % {"value": "abxx"}, "board-unknown"),
    case({"board": "no-such-board"}, "board", BOARD_UNKNOWN % {"value": "no-such-board"}, "board-unknown-slug"),
    case({"board": "ABIM"}, "board", BOARD_UNKNOWN % {"value": "ABIM"}, "board-upper-case"),
    case({"sort": "price"}, "sort", SORT_UNKNOWN, "sort-unknown"),
    case({"sort": "distance"}, "sort", SORT_DISTANCE_NEEDS_ZIP, "sort-distance-without-zip"),
    case({"sort": "\x00"}, "sort", NULL_CHARACTERS, "sort-nul"),
]
