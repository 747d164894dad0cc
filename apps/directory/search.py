"""The SQL behind PhysicianQuerySet.search() and .near().

The database does the heavy lifting (each function's current definition is in apps/directory/sql/):
- `directory_normalize(text)`: lower case, accents removed (immutable_unaccent), punctuation to spaces.
- `directory_search_terms(text)`: the real words each typed word may stand for (itself, one typo away,
  words it starts, close by trigram similarity), each with its closeness;
- `directory_search_tsquery(text)`: each typed word becomes "this word or the real words it may stand
  for"; words are ANDed, so word order does not matter;
- `directory_search_rank(names, directory_search_weights(text))`: how close the name is to the typed words.
- earthdistance's `ll_to_earth`, `earth_box` and `earth_distance` with a GiST index on practice locations.
"""

import math
import re
from typing import NamedTuple

from django.db.models import BooleanField, Exists, F, FloatField, Func, Min, OuterRef, Value

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
    "geo_cells",
    "accepting_geo_cells",
    "insurance_plan_ids",
]

# Large columns a result row never shows.
LISTING_DEFERRED_FIELDS = [
    "search_names",
    "location_text",
    "institution_text",
    "search_document",
    "search_vector",
    "nppes_snapshot",
    "bio",
]

# Words that say nothing about whom to find ("Dr Smith", "Smith MD"). These three constants are also
# directory_search_terms's: apps/directory/sql renders them into it.
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


class MatchesSearch(Func):
    """`vector @@ (SELECT directory_search_tsquery(text))`: the tsquery is built once per statement (an
    InitPlan), not once per row, and the vector column is named as the query aliases it (a subquery too)."""

    arity = 2
    output_field = BooleanField()

    def as_sql(self, compiler, connection, **extra_context):
        vector, vector_params = compiler.compile(self.source_expressions[0])
        text, text_params = compiler.compile(self.source_expressions[1])
        return f"{vector} @@ (SELECT directory_search_tsquery({text}))", (*vector_params, *text_params)


class SearchRank(Func):
    """`directory_search_rank(names, (SELECT directory_search_weights(text)))`: the weights are computed once
    per statement (an InitPlan), as MatchesSearch's tsquery."""

    arity = 2
    output_field = FloatField()

    def as_sql(self, compiler, connection, **extra_context):
        names, names_params = compiler.compile(self.source_expressions[0])
        text, text_params = compiler.compile(self.source_expressions[1])
        sql = f"directory_search_rank({names}, (SELECT directory_search_weights({text})))"
        return sql, (*names_params, *text_params)


def apply_text_search(queryset, text: str):
    """Filter by the words of `text` and annotate `search_rank`; no words means no filter (rank 0)."""
    words = search_words(text)
    if not words:
        return queryset.annotate(search_rank=Value(0.0, output_field=FloatField()))
    query_text = Value(" ".join(words))
    return queryset.filter(MatchesSearch(F("search_vector"), query_text)).annotate(
        # Ranked by the name alone: "Smith" lists Dr Smith before the Smith Cancer Center's staff, and the
        # short name keeps the ranking cheap (places only decide whether a physician matches).
        search_rank=SearchRank(F("search_names"), query_text)
    )


class CellLevel(NamedTuple):
    """One level of the map grid: cell ids `base + row * row_width + column`, where row and column count
    cells of 1 / per_degree degrees from the south pole and from the antimeridian."""

    base: int
    per_degree: float  # exact in binary (5, 1.25, 0.3125), so Python and SQL compute the same cells
    row_width: int
    columns: int


# Grid cells of 0.2, 0.8 and 3.2 degrees. Also directory_geo_cells's: apps/directory/sql renders them into it.
CELL_LEVELS = [
    CellLevel(10_000_000, 5.0, 2000, 1800),
    CellLevel(20_000_000, 1.25, 500, 450),
    CellLevel(30_000_000, 0.3125, 200, 113),
]
MAX_QUERY_CELLS = 80
# Each cell is a GIN key to look up. When the cells are the selective filter (a ZIP search without a
# name), fine cells are worth many keys: every extra candidate is a heap row to read and measure. When a
# name is, its few candidates are found as fast in fewer, larger cells, and looking up the keys is the
# cost: measured at 1,000,000 physicians, "ngyuen" within 50 miles of 10001 takes 6.3 ms over 80 cells of
# the first level and 3.3 ms over 9 of the second (and smith 6.9 -> 4.4, jonson 13.4 -> 8.8).
MAX_COARSE_FINE_CELLS = 12
MILES_PER_DEGREE_LATITUDE = 69.0


def query_cells(lat: float, lng: float, miles: float, *, coarse: bool = False) -> list[int] | None:
    """The cells of the finest level (at most MAX_QUERY_CELLS of them; of the first level at most
    MAX_COARSE_FINE_CELLS when `coarse`) covering the circle's bounding box, or None when the circle
    reaches a pole (no narrowing then)."""
    margin = miles * 1.02 + 0.5  # generous: a missing cell would lose physicians, an extra one costs little
    dlat = margin / MILES_PER_DEGREE_LATITUDE
    south, north = lat - dlat, lat + dlat
    if south <= -89 or north >= 89:
        return None
    widest = max(abs(south), abs(north))
    dlng = margin / (MILES_PER_DEGREE_LATITUDE * math.cos(math.radians(widest)))
    west, east = lng - dlng, lng + dlng
    for level, (base, per_degree, row, columns) in enumerate(CELL_LEVELS):
        first_i, last_i = math.floor((south + 90) * per_degree), math.floor((north + 90) * per_degree)
        first_j, last_j = math.floor((west + 180) * per_degree), math.floor((east + 180) * per_degree)
        count = (last_i - first_i + 1) * (last_j - first_j + 1)
        if count <= (MAX_COARSE_FINE_CELLS if coarse and level == 0 else MAX_QUERY_CELLS):
            # Longitudes wrap around at the antimeridian (the Aleutians).
            return sorted(
                {base + i * row + j % columns for i in range(first_i, last_i + 1) for j in range(first_j, last_j + 1)}
            )
    return None


class LocationEarthPoint(Func):
    """The joined practice location's stored `earth_point` column (not an ORM field, see PracticeLocation)."""

    def as_sql(self, compiler, connection, **extra_context):
        latitude_sql, params = compiler.compile(self.source_expressions[0])
        table = latitude_sql.rsplit(".", 1)[0]
        return f'{table}."earth_point"', params


def apply_near(
    queryset,
    lat: float,
    lng: float,
    miles: float,
    *,
    accepting: bool = False,
    plans=None,
    coarse: bool = False,
    small: bool = False,
):
    """Physicians with a location inside the circle (one accepting new patients, and taking one of `plans`, if
    asked), with `distance_miles` of the nearest one. The grid cells narrow the physicians through the GIN
    index of every other filter; the locations of those physicians are then measured with earth_distance on
    their stored earth_point. small=True for a circle of a few locations (nearest_radius's): the locations'
    GiST box finds them directly, where a map cell would hold thousands of physicians around a city."""
    origin = LLToEarth(Value(float(lat)), Value(float(lng)))
    meters = Value(float(miles) * METERS_PER_MILE)
    point = LocationEarthPoint(F("locations__latitude"), output_field=FloatField())
    conditions = {"locations__accepting_new_patients": True} if accepting else {}
    if plans is not None:
        # A location taking two of the plans is two joined rows: the Min() below is the same over both.
        conditions["locations__accepted_plans__plan_id__in"] = list(plans)
    cells = None if small else query_cells(lat, lng, miles, coarse=coarse)
    # One filter() call, so the distance and the accepting conditions share one join, and the Min() below
    # (an annotation after the filter) aggregates over that same join.
    in_cells = [] if cells is None else [_in_cells(cells, accepting=accepting)]
    # With cells, the box is left out on purpose: PostgreSQL estimates a cube box search at a fixed 0.1% of
    # the locations (it is 3% around New York), so it would start from the box and check every location
    # there against every other filter. Without cells (a small circle, or one reaching a pole), the GiST box
    # search leads.
    box = [] if cells is not None else [CubeContains(EarthBox(origin, meters), point)]
    return queryset.filter(
        *box,
        *in_cells,
        AtMost(EarthDistance(origin, point), meters),
        **conditions,
    ).annotate(distance_miles=Min(EarthDistance(origin, point) / Value(METERS_PER_MILE)))


def apply_location_near(
    locations, lat: float, lng: float, miles: float, *, accepting: bool = False, by_physician: bool = False
):
    """Practice locations inside the circle (accepting new patients, if asked), with `distance_miles`: the
    per-location half of apply_near() (FHIR's PractitionerRole is one physician at one location).
    by_physician=True when the locations are reached through physicians already found near the point (a role
    search): without the box, PostgreSQL checks just their locations (location_physician_point_idx) instead
    of reading every location in the circle through the GiST index (13 of 32 ms at 100,000 physicians)."""
    origin = LLToEarth(Value(float(lat)), Value(float(lng)))
    meters = Value(float(miles) * METERS_PER_MILE)
    point = LocationEarthPoint(F("latitude"), output_field=FloatField())
    conditions = {"accepting_new_patients": True} if accepting else {}
    box = [] if by_physician else [CubeContains(EarthBox(origin, meters), point)]
    return locations.filter(*box, AtMost(EarthDistance(origin, point), meters), **conditions).annotate(
        distance_miles=EarthDistance(origin, point) / Value(METERS_PER_MILE)
    )


class NearestFirst(Func):
    """`earth_point <-> origin`: the straight-line distance the locations' GiST index walks outward in (KNN),
    in the same order as earth_distance (the arc grows with the chord)."""

    arg_joiner = " <-> "
    template = "(%(expressions)s)"
    arity = 2
    output_field = FloatField()


# The nearest-first walk reads four locations per result wanted (at least NEAREST_WALK_FIRST), then farther
# while the results are not found, and gives up (the search then measures the whole circle) past the last
# size: a walked location costs ~15 us at 1,000,000 physicians, and a walk that needs more than 32,768 means
# the matches are rare in the circle, where measuring the few candidates is the cheaper plan.
NEAREST_WALK_FIRST = 64
NEAREST_WALK_LAST = 32_768


def located_near(locations, lat: float, lng: float, miles: float, *, accepting=False, plans=None):
    """The practice locations that put a physician inside apply_near's circle: within `miles`, accepting new
    patients and taking one of `plans` if asked; with `distance_miles`. Locations reached through their
    physician (no GiST box search)."""
    located = locations.near(lat, lng, miles, accepting=accepting, by_physician=True)
    return located if plans is None else located.taking_insurance(plans)


class Nearest(NamedTuple):
    distances: list[float]  # miles: the first results, nearest first
    complete: bool  # True: they are all of the results (the walk went past the circle)
    walked: int = 0  # the locations its last stretch walked: a walk for more results resumes from there


def _next_stretch(walk: int, count: int, found: int) -> int:
    """Walk as far again as the matches found so far say it takes, and a quarter more: 2 to 8 times as far."""
    return min(8 * walk, max(2 * walk, math.ceil(walk * count / max(found, 1) * 1.25)))


def nearest_distances(
    physicians,
    lat: float,
    lng: float,
    miles: float,
    count: int,
    *,
    accepting=False,
    plans=None,
    once=False,
    resume: Nearest | None = None,
) -> Nearest:
    """The distances (miles, nearest first) of up to `count` nearest of `physicians` that apply_near(miles,
    accepting, plans) would find: `count` of them, or fewer when the circle holds fewer (complete) or the walk
    gave up (matches too rare near the point to be worth it; with `once`, after its first stretch). `resume`:
    an earlier walk of the same search that found too few: this one starts with the stretch after its last.

    Walks the practice locations nearest-first through their GiST index (a few hundred locations for a page
    of a broad search), keeps those that qualify as apply_near's do (located_near) and belong to one of
    `physicians`, and takes each physician's nearest. A physician's nearest location inside the walked disc is
    its nearest anywhere, and one found nothing in it is farther than all found: so the distances are exactly
    the first results', however far the walk went."""
    from .models import PracticeLocation  # models import this module

    origin = LLToEarth(Value(float(lat)), Value(float(lng)))
    walk, found = max(NEAREST_WALK_FIRST, 4 * count), []
    if resume is not None:
        walk = _next_stretch(resume.walked, count, len(resume.distances))
    while walk <= NEAREST_WALK_LAST:
        walked = PracticeLocation.objects.order_by(NearestFirst(LocationEarthPoint(F("latitude")), origin))
        located = located_near(
            PracticeLocation.objects.filter(pk__in=walked.values("pk")[:walk]),
            lat,
            lng,
            miles,
            accepting=accepting,
            plans=plans,
        )
        nearest = (
            located.filter(Exists(physicians.filter(pk=OuterRef("physician_id"))))
            .values("physician_id")
            .annotate(nearest=Min("distance_miles"))
            .order_by("nearest")
            .values_list("nearest", flat=True)
        )
        found = list(nearest[:count])
        if len(found) == count:
            return Nearest(found, complete=False, walked=walk)
        farthest = walked.annotate(meters=EarthDistance(origin, LocationEarthPoint(F("latitude"))))
        last = list(farthest.values_list("meters", flat=True)[walk - 1 : walk])
        if not last or last[0] > miles * METERS_PER_MILE:
            return Nearest(found, complete=True, walked=walk)  # the walk covered the circle
        farther = _next_stretch(walk, count, len(found))
        if once or farther > NEAREST_WALK_LAST:
            return Nearest(found, complete=False, walked=walk)
        walk = farther
    return Nearest([], complete=False, walked=walk)  # no stretch left to walk (resumed from one that gave up)


def apply_cells(queryset, lat: float, lng: float, miles: float, *, accepting: bool = False, coarse: bool = False):
    """Physicians with a (accepting, if asked) location in the grid cells covering the circle: a superset of
    apply_near() (the cells cover its bounding box) that needs no join; unchanged near a pole."""
    cells = query_cells(lat, lng, miles, coarse=coarse)
    if cells is None:
        return queryset
    return queryset.filter(_in_cells(cells, accepting=accepting))


class ArrayTest(Func):
    """`column <test> %s` with a list of integers as one array parameter: the ORM's __overlap makes each of
    the 80 cells an expression of its own (which cost more than the rest of the search's SQL), and __in one
    parameter per id. The column is named as the query aliases it (a subquery too)."""

    arity = 1
    output_field = BooleanField()

    def __init__(self, column, test: str, values: list[int]):
        super().__init__(column)
        self.test, self.values = test, values

    def as_sql(self, compiler, connection, **extra_context):
        column, params = compiler.compile(self.source_expressions[0])
        return f"{column} {self.test}", (*params, self.values)


def one_of(ids: list[int]) -> ArrayTest:
    return ArrayTest(F("pk"), "= ANY(%s::bigint[])", ids)


def _in_cells(cells: list[int], *, accepting: bool) -> ArrayTest:
    return ArrayTest(F("accepting_geo_cells" if accepting else "geo_cells"), "&& %s::integer[]", cells)
