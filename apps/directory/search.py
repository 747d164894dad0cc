"""The SQL behind PhysicianQuerySet.search() and .near().

The database does the heavy lifting (migration 0004 defines the functions used here):
- `directory_normalize(text)`: lower case, accents removed (immutable_unaccent), punctuation to spaces.
- `directory_search_tsquery(text)`: each typed word becomes "this word, or the real words it is close to
  by trigram similarity, or words starting with it"; words are ANDed, so word order does not matter.
- earthdistance's `ll_to_earth`, `earth_box` and `earth_distance` with a GiST index on practice locations.
"""

import re

from django.db.models import BooleanField, F, FloatField, Func, Min, Value
from django.db.models.expressions import RawSQL

METERS_PER_MILE = 1609.344

# Columns of Physician that database triggers derive from the physician and its related rows.
DERIVED_FIELDS = [
    "search_names",
    "location_text",
    "institution_text",
    "search_document",
    "search_vector",
    "accepting_new_patients",
    "certified_until",
    "specialty_ids",
    "cancer_type_ids",
]

# Words that say nothing about whom to find ("Dr Smith", "Smith MD"); the SQL function skips them too.
STOP_WORDS = frozenset({"dr", "doctor", "md", "do", "phd", "the", "of", "and"})
MAX_SEARCH_WORDS = 8
MAX_WORD_LENGTH = 100


def search_words(text: str) -> list[str]:
    """The words of `text` that count for the search (the database normalizes them again, with unaccent)."""
    words = [word for word in re.split(r"\W+", (text or "").casefold()) if word and word not in STOP_WORDS]
    return [word[:MAX_WORD_LENGTH] for word in words[:MAX_SEARCH_WORDS]]


class LLToEarth(Func):
    function = "ll_to_earth"
    arity = 2


class EarthBox(Func):
    function = "earth_box"
    arity = 2


class EarthDistance(Func):
    function = "earth_distance"
    arity = 2
    output_field = FloatField()


class CubeContains(Func):
    """`box @> point`: true when the cube `box` contains `point`; GiST-indexable."""

    arg_joiner = " @> "
    template = "(%(expressions)s)"
    arity = 2
    output_field = BooleanField()


class AtMost(Func):
    arg_joiner = " <= "
    template = "(%(expressions)s)"
    arity = 2
    output_field = BooleanField()


def apply_text_search(queryset, text: str):
    """Filter by the words of `text` and annotate `search_rank`; no words means no filter (rank 0)."""
    words = search_words(text)
    if not words:
        return queryset.annotate(search_rank=Value(0.0, output_field=FloatField()))
    query_text = " ".join(words)
    return queryset.filter(
        RawSQL(
            "directory_physician.search_vector @@ (SELECT directory_search_tsquery(%s))",
            (query_text,),
            output_field=BooleanField(),
        )
    ).annotate(
        # Names weigh double: "Smith" should list Dr Smith before the Smith Cancer Center's staff.
        search_rank=RawSQL(
            "(2 * word_similarity(directory_normalize(%s), directory_physician.search_names)"
            " + word_similarity(directory_normalize(%s), directory_physician.search_document))",
            (query_text, query_text),
            output_field=FloatField(),
        )
    )


def apply_near(queryset, lat: float, lng: float, miles: float, *, accepting: bool = False):
    """Join the practice locations inside the circle (GiST box, then the exact distance) and keep, per
    physician, the distance of the nearest one as `distance_miles`."""
    origin = LLToEarth(Value(float(lat)), Value(float(lng)))
    meters = Value(float(miles) * METERS_PER_MILE)
    location = LLToEarth(F("locations__latitude"), F("locations__longitude"))
    conditions = {"locations__accepting_new_patients": True} if accepting else {}
    # One filter() call, so the box, the distance and the accepting condition share one join, and the
    # Min() below (an annotation after the filter) aggregates over that same join.
    return queryset.filter(
        CubeContains(EarthBox(origin, meters), location),
        AtMost(EarthDistance(origin, location), meters),
        **conditions,
    ).annotate(distance_miles=Min(EarthDistance(origin, location) / Value(METERS_PER_MILE)))
