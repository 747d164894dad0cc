"""The directory search, declared once: every parameter of /physicians/, /api/v1/physicians/ and the admin.

Each `SearchParameter` in PARAMETERS carries its name, form field (the one validator: the page and the API
report the same errors), OpenAPI description and schema, the QuerySet method that applies it, its facet and
the label of its "active filter" chip. The page, the API (and its schema), the facets and the admin iterate
over PARAMETERS; SORTS is the one sort definition. Adding a filter means a declaration here and a QuerySet
method on PhysicianQuerySet.

Usage:
    search = PhysicianFilterSet(request.GET, queryset=Physician.objects.active())
    if search.is_valid():
        results = search.qs              # filtered and ordered; `distance_miles` with near, `search_rank` with q
        facets = search.facet_counts()   # {"specialty": {category: n}, "cancer": {slug: n}}, None when broad
    else:
        search.errors                    # {parameter: [message, ...]}: never an exception
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from itertools import groupby
from typing import Any

from django import forms
from django.db import connections
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, QuerySet, Window
from django.db.models.functions import RowNumber
from django.http import QueryDict

from apps.common.replicas import reading_from

from . import forms as search_forms
from . import search as search_sql
from .models import Physician, PlanType, PracticeLocation, SpecialtyCategory, insurance_value
from .reading import Reading, read_query
from .reference import ReferenceData, reference_data

# Facet counts over more matches than this would cost several times the search itself: above it the page
# asks the visitor to narrow the search instead of counting.
FACET_MAX_MATCHES = 5_000
TIE_BREAK = ("last_name", "first_name", "npi")


@dataclass(frozen=True)
class Sort:
    label: str
    order: tuple[str, ...]  # before TIE_BREAK
    needs: str = ""  # the parameter without which this sort means nothing


SORTS = {
    "relevance": Sort("Best match", ("-search_rank",), needs="q"),
    "distance": Sort("Distance", ("distance_miles",), needs="near"),
    "name": Sort("Name", ()),
}


@dataclass(frozen=True)
class Facet:
    """Matches per value of a filter, under every other filter: counted over an id array column of Physician."""

    column: str
    values: Callable[[ReferenceData], dict[int, str]]  # id in `column` -> the parameter value it counts for


@dataclass(frozen=True)
class SearchParameter:
    name: str
    field: Callable[[], forms.Field]  # the form field: label, validation and error messages
    description: str  # the OpenAPI description
    schema: dict[str, Any]  # the OpenAPI schema of the raw value; an enum of lookups comes from `choices`
    # (queryset, value, search) -> queryset, calling a PhysicianQuerySet method; None: read by another one
    apply: Callable[[QuerySet, Any, "PhysicianFilterSet"], QuerySet] | None = None
    # A cheap superset of `apply` (no join), used to decide whether a search is narrow enough to count facets
    narrow: Callable[[QuerySet, Any, "PhysicianFilterSet"], QuerySet] | None = None
    label: Callable[[Any, "PhysicianFilterSet"], str] | None = None  # the "active filter" chip
    choices: Callable[[ReferenceData], list[tuple[str, str]]] | None = None  # lookups read per request
    menu: Callable[[ReferenceData], list[tuple[str, str]]] | None = None  # what the page's menu offers
    facet: Facet | None = None
    more: bool = False  # under "More options" on the page
    drops: tuple[str, ...] = ()  # parameters that mean nothing without this one (its chip's link drops them)


def _lookup_field(label: str, unknown: str, choices=()):
    # Choices as a callable: a list is normalized again for every form (110 languages, on every request).
    choices = list(choices)
    return lambda: search_forms.LookupChoiceField(label=label, unknown_message=unknown, choices=lambda: choices)


def _flag(name: str, label: str, chip: str, meaning: str, apply) -> SearchParameter:
    return SearchParameter(
        name,
        lambda: search_forms.FlagField(label=label),
        f"`1` or `true`: only physicians who {meaning}; `0`, `false` or empty: no filter.",
        {"type": "string", "enum": search_forms.FLAG_VALUES},
        apply=lambda queryset, value, search: apply(queryset) if value else queryset,
        label=lambda value, search: chip,
        more=True,
    )


BOARD_UNKNOWN = "Unknown board %(value)s: give the code of a board we list (see /api/v1/boards/), such as abim."


def _board(value: str, search):
    return next(board for board in search.reference.boards if board.code.lower() == value)


def _specialty_choices(reference: ReferenceData) -> list[tuple[str, str]]:
    # NUCC codes are accepted too (the API and links use them) without crowding the menu.
    return [*SpecialtyCategory.choices, *((s.code, s.display_name) for s in reference.specialties)]


def _near(queryset, value, search, *, measure=True, miles=None):
    """`near` within the form's radius, or `miles`: the small circle of nearest_first."""
    data = search.form.cleaned_data
    accepting, coarse, small = bool(data.get("accepting")), bool(data.get("q")), miles is not None
    miles = float(data["radius"]) if miles is None else miles
    if not measure:  # coarse map cells when a name is the selective filter (search.query_cells)
        return queryset.in_cells_around(*search.form.origin, miles, accepting=accepting, coarse=coarse)
    return queryset.near(
        *search.form.origin, miles, accepting=accepting, plans=_near_plans(search), coarse=coarse, small=small
    )


def _near_plans(search):
    """With `insurance`, the distance is to a practice taking it: a nearer one that does not would mislead."""
    data = search.form.cleaned_data
    return search.reference.insurance_plan_ids(data["insurance"]) if data.get("insurance") else None


def _insurance_menu(reference: ReferenceData) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    """Per carrier (a group of the menu): any of its plans, then each plan type it has, when it has several."""
    menu = []
    for carrier, plans in groupby(reference.insurance_plans, key=lambda plan: plan.carrier):
        types = list(dict.fromkeys(plan.plan_type for plan in plans))
        options = [(insurance_value(carrier.slug), f"{carrier.name}, any plan")]
        if len(types) > 1:
            options += [(insurance_value(carrier.slug, t), f"{carrier.name} {PlanType(t).label}") for t in types]
        menu.append((carrier.name, tuple(options)))  # a tuple: the page's menu is cached by its choices
    return menu


def _insurance_choices(reference: ReferenceData) -> list[tuple[str, str]]:
    """Every value the menu offers, and each carrier's only plan type named apart too (a link may say it)."""
    choices = [option for _, options in _insurance_menu(reference) for option in options]
    known = {value for value, _ in choices}
    return choices + [
        (plan.search_value, f"{plan.carrier.name} {plan.get_plan_type_display()}")
        for plan in reference.insurance_plans
        if plan.search_value not in known and not known.add(plan.search_value)
    ]


PARAMETERS: tuple[SearchParameter, ...] = (
    SearchParameter(
        "q",
        lambda: search_forms.QueryField(label="Name, cancer type, specialty or place"),
        "Free text over names, practice and hospital names and cities; forgiving of typos, accents, case "
        'and word order. A ZIP code, "City, ST", a specialty, a cancer type or an insurance carrier in it is read '
        "as that filter (see `literal`). With words left to find, results are sorted by relevance unless `sort` "
        "says otherwise.",
        {"type": "string", "maxLength": search_forms.MAX_QUERY_LENGTH, "pattern": "^[^\\u0000]*$"},
        apply=lambda queryset, value, search: queryset.search(value),
        label=lambda value, search: f"matching “{value}”",
    ),
    SearchParameter(
        "specialty",
        _lookup_field("Specialty", search_forms.SPECIALTY_UNKNOWN),
        "A specialty category (see /api/v1/specialties/) or one NUCC taxonomy code we list.",
        {"type": "string"},
        apply=lambda queryset, value, search: queryset.in_specialties(search.form.specialty_ids(value)),
        label=lambda value, search: f"in {search.form.choice_label('specialty', value)}",
        choices=_specialty_choices,
        menu=lambda reference: list(SpecialtyCategory.choices),
        facet=Facet("specialty_ids", lambda reference: {s.id: s.category for s in reference.specialties if s.category}),
    ),
    SearchParameter(
        "cancer",
        _lookup_field("Cancer type", search_forms.CANCER_UNKNOWN),
        "A cancer type slug (see /api/v1/cancer-types/).",
        {"type": "string"},
        apply=lambda queryset, value, search: queryset.treating(search.form.cancer_by_slug[value].id),
        label=lambda value, search: f"treating {search.form.choice_label('cancer', value)}",
        choices=lambda reference: [(c.slug, c.name) for c in reference.cancer_types],
        facet=Facet("cancer_type_ids", lambda reference: {c.id: c.slug for c in reference.cancer_types}),
    ),
    SearchParameter(
        "insurance",
        _lookup_field("Insurance", search_forms.INSURANCE_UNKNOWN),
        "An insurance carrier's slug (any of its plans) or `carrier:plan-type`, for example `aetna` or "
        "`aetna:ppo` (see /api/v1/insurance-plans/): only physicians with a practice known to take it (with "
        "`near`: a practice within the radius, and the distance is to the nearest such practice). A practice "
        "that lists no plans is not known to take any.",
        {"type": "string"},
        apply=lambda queryset, value, search: queryset.taking_insurance(search.reference.insurance_plan_ids(value)),
        label=lambda value, search: f"taking {search.form.choice_label('insurance', value)}",
        choices=_insurance_choices,
        menu=_insurance_menu,
    ),
    SearchParameter(
        "near",
        lambda: search_forms.ZipField(label="ZIP code"),
        "A US ZIP code (5 digits or ZIP+4) we know the location of: only physicians with a practice within "
        "`radius` miles, each with `distance_miles` to the nearest one; sorted by distance unless `sort` "
        "says otherwise. A well-formed but unknown ZIP code is a 400.",
        {"type": "string", "pattern": search_forms.ZIP_PATTERN},
        apply=_near,
        narrow=lambda queryset, value, search: _near(queryset, value, search, measure=False),
        label=lambda value, search: f"within {search.form.cleaned_data['radius']:g} miles of {value}",
        drops=("radius", "sort"),
    ),
    SearchParameter(
        "radius",
        lambda: search_forms.RadiusField(label="Within (miles)"),
        f"Miles around `near` (default {search_forms.DEFAULT_RADIUS_MILES}, also when empty); read to the "
        "hundredth of a mile.",
        {
            "anyOf": [
                {
                    "type": "number",
                    "minimum": search_forms.MIN_RADIUS_MILES,
                    "maximum": search_forms.MAX_RADIUS_MILES,
                },
                {"type": "string", "maxLength": 0},
            ],
            "default": search_forms.DEFAULT_RADIUS_MILES,
        },
    ),
    _flag(
        "accepting",
        "Accepting new patients",
        "accepting new patients",
        "are known to accept new patients (with `near`: at a practice within the radius); not known is not a yes",
        lambda queryset: queryset.accepting_new_patients(),
    ),
    _flag(
        "telehealth",
        "Offers telehealth",
        "offering telehealth",
        "are known to offer telehealth; not known is not a yes",
        lambda queryset: queryset.offering_telehealth(),
    ),
    _flag(
        "trials",
        "Runs clinical trials",
        "running clinical trials",
        "run an open clinical trial (ClinicalTrials.gov) as its investigator, chair or director, as linked by "
        "our matching or a curator",
        lambda queryset: queryset.running_trials(),
    ),
    _flag(
        "certified",
        "Board certified (current)",
        "currently board certified",
        "hold a current board certification",
        lambda queryset: queryset.currently_certified(),
    ),
    SearchParameter(
        "board",
        _lookup_field("Certifying board", BOARD_UNKNOWN),
        "A certifying board, by its code in lower case (see /api/v1/boards/), for example `abim`: only "
        "physicians holding a current certificate from it.",
        {"type": "string"},
        apply=lambda queryset, value, search: queryset.certified_by(_board(value, search).id),
        label=lambda value, search: f"certified by {_board(value, search).name}",
        choices=lambda reference: [(board.code.lower(), f"{board.name} ({board.code})") for board in reference.boards],
        more=True,
    ),
    SearchParameter(
        "language",
        _lookup_field("Speaks", search_forms.LANGUAGE_UNKNOWN, [("", "Any language"), *search_forms.LANGUAGE_CHOICES]),
        "ISO 639-1 code of a language the physician speaks, for example `es`.",
        {"type": "string", "enum": ["", *(code for code, _ in search_forms.LANGUAGE_CHOICES)]},
        apply=lambda queryset, value, search: queryset.speaking(value),
        label=lambda value, search: f"speaking {search_forms.LANGUAGE_NAMES.get(value, value)}",
        more=True,
    ),
    SearchParameter(
        "sex",
        _lookup_field("Physician's sex", search_forms.SEX_UNKNOWN, [("", "No preference"), *search_forms.SEX_CHOICES]),
        "The physician's sex: `F` or `M`.",
        {"type": "string", "enum": ["", *(code for code, _ in search_forms.SEX_CHOICES)]},
        apply=lambda queryset, value, search: queryset.of_sex(value),
        label=lambda value, search: dict(search_forms.SEX_CHOICES)[value].lower(),
        more=True,
    ),
    SearchParameter(
        "literal",
        lambda: search_forms.FlagField(label="Search the exact words"),
        "`1` or `true`: search `q` word for word. Otherwise `q` is read as a person means it: a ZIP code or "
        '"City, ST" in it is `near`, a specialty ("radiation oncologist") `specialty`, a cancer type '
        '("leukemia", "colon") `cancer`, an insurance carrier\'s full name ("aetna ppo") `insurance`, unless '
        "those parameters are given; filler words "
        '("specialist", "doctor", "near") are dropped; the rest is searched as text.',
        {"type": "string", "enum": search_forms.FLAG_VALUES},
    ),
    SearchParameter(
        "sort",
        _lookup_field(
            "Sort by",
            search_forms.SORT_UNKNOWN,
            [("", "Best match (nearest first with a ZIP code)"), *((k, s.label) for k, s in SORTS.items())],
        ),
        "`relevance` (the default with `q`), `distance` (the default with `near`; needs `near`) or `name` "
        "(the default otherwise: last name, first name). Ties are broken by NPI.",
        {"type": "string", "enum": ["", *SORTS]},
        more=True,
    ),
)
BY_NAME = {parameter.name: parameter for parameter in PARAMETERS}
FILTERS = tuple(parameter for parameter in PARAMETERS if parameter.apply)
FACETED = tuple(parameter for parameter in PARAMETERS if parameter.facet)


class PhysicianSearchForm(search_forms.SearchFormBase):
    """The form of every parameter in PARAMETERS."""

    parameters = PARAMETERS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update((p.name, p.field()) for p in self.parameters)
        self.load_choices()
        self.set_widget_attributes()

    def clean(self):
        cleaned = super().clean()
        sort = SORTS.get(cleaned.get("sort") or "")
        if sort and sort.needs == "near" and not cleaned.get("near") and "near" not in self.errors:
            self.add_error("sort", forms.ValidationError(search_forms.SORT_DISTANCE_NEEDS_ZIP, code="needs_zip"))
        return cleaned


class PhysicianFilterSet:
    """One search: the form over `data`, then the filtered and ordered QuerySet and its facet counts."""

    # A subclass may swap the form for one whose `origin` comes from elsewhere (FHIR's coordinates, apps/fhir).
    form_class = PhysicianSearchForm

    def __init__(self, data=None, queryset=None, *, request=None):
        self.reading = _read(data)  # None unless `q` said more than words to find
        self.form = self.form_class(self.reading.data if self.reading else data)
        self.queryset = queryset if queryset is not None else Physician.objects.active()

    @property
    def reference(self) -> ReferenceData:
        return self.form.reference

    def is_valid(self) -> bool:
        return self.form.is_valid()

    @property
    def errors(self):
        return self.form.errors

    def active(self, *, without=()):
        """(parameter, value) of each filter in effect, in declaration order."""
        data = self.form.cleaned_data
        return [(p, data[p.name]) for p in FILTERS if data.get(p.name) and p.name not in without]

    @property
    def effective_sort(self) -> str:
        """The sort in effect: the one asked for (if what it needs is given), else the first whose parameter
        is given (relevance with q, distance with near), else name."""
        data = self.form.cleaned_data
        asked = data.get("sort")
        if asked and (not SORTS[asked].needs or data.get(SORTS[asked].needs)):
            return asked
        return next((name for name, sort in SORTS.items() if sort.needs and data.get(sort.needs)), "name")

    @cached_property
    def qs(self) -> QuerySet:
        if not self.is_valid():
            return self.queryset.none()
        queryset = self._unfaceted
        for parameter, value in self.active():
            if parameter.facet:
                queryset = parameter.apply(queryset, value, self)
        return queryset.order_by(*self._order)

    @property
    def _order(self) -> list[str]:
        """The results' one order (qs, nearest_first, counted's row numbers): the sort in effect, then TIE_BREAK."""
        return [*SORTS[self.effective_sort].order, *TIE_BREAK]

    @cached_property
    def _unfaceted(self) -> QuerySet:
        """Every active filter but the faceted ones: the results and the facets both start from it."""
        return self.filtered(self.queryset.all(), without=[p.name for p in FACETED])

    def nearest_distances(
        self, count: int, *, once: bool = False, resume: search_sql.Nearest | None = None
    ) -> search_sql.Nearest:
        """The distances of the first `count` results (or fewer) of a search sorted by distance, found by
        walking the locations nearest-first: search.nearest_distances. None unless sorted by distance."""
        if self.effective_sort != "distance":
            return None
        data = self.form.cleaned_data
        return search_sql.nearest_distances(
            self._others_than_near,
            *self.form.origin,
            float(data["radius"]),
            count,
            accepting=bool(data.get("accepting")),
            plans=_near_plans(self),
            once=once,
            resume=resume,
        )

    def nearest_first(self, distances: list[float]) -> QuerySet:
        """`qs` measuring only the circle around `near` out to the last of `distances` (nearest_distances'),
        which holds the first len(distances) results: they are qs's, in qs's order, and a page of a broad
        radius search costs the page, not every match in the circle."""
        # A radius read back through miles * METERS_PER_MILE can lose its last bit: a micro-inch more.
        miles = distances[-1] * (1 + 1e-12) + 1e-9
        data = self.form.cleaned_data
        return _near(self._others_than_near, data["near"], self, miles=miles).order_by(*self._order)

    def first_results(self, count: int, nearest: search_sql.Nearest | None = None) -> QuerySet:
        """A queryset whose first `count` rows are qs's: sorted by distance, nearest_first of the walk's
        distances (`nearest`, when it went far enough, else walked on from it now); qs itself when the walk gave
        up."""
        if self.effective_sort != "distance":
            return self.qs
        if nearest is None or len(nearest.distances) < count and not nearest.complete:
            nearest = self.nearest_distances(count, resume=nearest)
        if (len(nearest.distances) >= count or nearest.complete) and nearest.distances:
            return self.nearest_first(nearest.distances[:count])
        return self.qs

    @cached_property
    def _others_than_near(self) -> QuerySet:
        return self.filtered(self.queryset.all(), without=["near"]).order_by()

    def filtered(self, queryset, *, without=(), narrow: bool = False):
        """Every active filter except those named in `without`; with `narrow`, each filter's cheap superset."""
        for parameter, value in self.active(without=without):
            apply = (narrow and parameter.narrow) or parameter.apply
            queryset = apply(queryset, value, self)
        return queryset

    def count_up_to(self, cap: int) -> int:
        """How many physicians `qs` finds, or cap + 1 when it finds more: the page of a search this broad says
        "more than cap". Each candidate's filters are checked (near as "a qualifying location in the circle")
        but nothing is measured or sorted, so PostgreSQL stops at the cap instead of finishing the search."""
        matches = self.filtered(self.queryset.all(), narrow=True)
        data = self.form.cleaned_data
        if data.get("near"):
            located = search_sql.located_near(
                PracticeLocation.objects.filter(physician_id=OuterRef("pk")),
                *self.form.origin,
                float(data["radius"]),
                accepting=bool(data.get("accepting")),
                plans=_near_plans(self),
            )
            matches = matches.filter(Exists(located))
        return matches.order_by().values("pk")[: cap + 1].count()

    # -- facets ---------------------------------------------------------------------------------------------

    def facet_counts(self, *, max_matches: int | None = None) -> dict[str, dict[str, int]] | None:
        """Matches per value of each faceted parameter (each under every other active filter), or None when
        the form is invalid or the search is too broad to count (see counted())."""
        counted = self.counted(max_matches=max_matches)
        return counted.facets if counted else None

    def counted(self, *, max_matches: int | None = None) -> "Counted | None":
        """The number of matches and the facets, in one query; None when the form is invalid or the
        search, before its faceted filters, matches more than `max_matches` physicians (counted on the
        cheap superset, so a broad search stops early)."""
        if not self.is_valid():
            return None
        max_matches = FACET_MAX_MATCHES if max_matches is None else max_matches
        faceted = [p.name for p in FACETED]
        # Each active faceted filter's condition as a column, so each facet applies the others' on the rows.
        flags = {f"facet_{p.name}": _condition(p.apply(Physician.objects.all(), v, self)) for p, v in self.active()
                 if p.facet}  # fmt: skip
        # The matches in the order of the results (the one sort, as a row number), with their distances: the
        # page then reads its 20 rows by id instead of running the search a second time.
        position = Window(RowNumber(), order_by=self._order)
        measured = "distance_miles" in self._unfaceted.query.annotations
        base = (
            self._unfaceted.annotate(**flags, position=position)
            .order_by()
            .values("id", *(p.facet.column for p in FACETED), *flags, "position", *(["distance_miles"] * measured))
        )
        base_sql, base_params = base.query.sql_with_params()
        if any(parameter.narrow for parameter, _ in self.active(without=faceted)):
            # The size is checked on the cheap superset (no join), which stops after max_matches + 1 rows.
            candidates = self.filtered(self.queryset.all(), without=faceted, narrow=True).order_by().values("id")
            candidates_sql, candidates_params = candidates.query.sql_with_params()
            tables = f"""candidates AS MATERIALIZED (SELECT c.id FROM ({candidates_sql}) c LIMIT %s),
                base AS MATERIALIZED (SELECT * FROM ({base_sql}) m WHERE (SELECT count(*) FROM candidates) <= %s)"""  # noqa: S608
            tables_params = [*candidates_params, max_matches + 1, *base_params, max_matches]
        else:
            # The facets are not computed for a broad search (its result is thrown away).
            tables = f"""candidates AS MATERIALIZED (SELECT * FROM ({base_sql}) m LIMIT %s),
                base AS (SELECT * FROM candidates WHERE (SELECT count(*) FROM candidates) <= %s)"""  # noqa: S608
            tables_params = [*base_params, max_matches + 1, max_matches]
        counts, params = [], []
        for parameter in FACETED:
            others = [f"b.{flag}" for flag in flags if flag != f"facet_{parameter.name}"] or ["true"]
            values = parameter.facet.values(self.reference)
            counts.append(
                f"""(SELECT json_object_agg(f.value, f.n) FROM (
                       SELECT m.value, count(DISTINCT b.id) AS n
                         FROM base b CROSS JOIN unnest(b.{parameter.facet.column}) AS v
                         JOIN unnest(%s::bigint[], %s::text[]) AS m(id, value) ON m.id = v
                        WHERE {" AND ".join(others)}
                        GROUP BY m.value) f)"""  # noqa: S608 - declared column and flag names only
            )
            params += [list(values), list(values.values())]
        matches = " AND ".join(f"b.{flag}" for flag in flags) or "true"
        distances = f"(SELECT array_agg(b.distance_miles ORDER BY b.position) FROM base b WHERE {matches})"  # noqa: S608 - flag names only
        distances = distances if measured else "NULL"
        with connections[reading_from()].cursor() as cursor:
            # Only the ORM-compiled SQL and the parameters carry user input.
            cursor.execute(
                f"""
                WITH {tables}
                SELECT (SELECT count(*) FROM candidates),
                       (SELECT array_agg(b.id ORDER BY b.position) FROM base b WHERE {matches}),
                       {distances},
                       {", ".join(counts)}
                """,  # noqa: S608
                [*tables_params, *params],
            )
            candidate_count, ids, distances, *found = cursor.fetchone()
        if candidate_count > max_matches:
            return None
        facets = {parameter.name: counts or {} for parameter, counts in zip(FACETED, found, strict=True)}
        return Counted(facets, ids or [], dict(zip(ids, distances, strict=True)) if measured and ids else None)


@dataclass(frozen=True)
class ReadQuery:
    """How `q` was read: the parameters it gave (those not given apart) and the data the search then runs on."""

    reading: Reading
    data: QueryDict


def _read(data) -> ReadQuery | None:
    if not data or not isinstance(data.get("q"), str) or len(data["q"]) > search_forms.MAX_QUERY_LENGTH:
        return None  # nothing to read, or the form's own error to report
    if "\x00" in data["q"] or _literal(data):
        return None
    reading = read_query(data["q"], reference_data())
    if not reading.params and reading.words == " ".join(data["q"].split()):
        return None
    read = QueryDict(mutable=True)
    read.update(data)
    read["q"] = reading.words
    for name, value in reading.params.items():
        if not data.get(name):  # a parameter given apart wins over the box
            read[name] = value
    return ReadQuery(reading, read)


def _literal(data) -> bool:
    try:
        return search_forms.FlagField().clean(data.get("literal", "")) is True
    except forms.ValidationError:
        return False  # the form reports it


@dataclass(frozen=True)
class Counted:
    facets: dict[str, dict[str, int]]  # {"specialty": {category: n}, "cancer": {slug: n}}
    ids: list[int]  # every match, in the order of the results
    distances: dict[int, float] | None  # miles from the searched ZIP, by id (with `near`)

    @property
    def total(self) -> int:
        return len(self.ids)

    def physicians(self, ids: list[int], queryset: QuerySet) -> list:
        """The physicians of `ids` (some of self.ids) from `queryset`, in that order, as `qs` would give them."""
        found = queryset.filter(search_sql.one_of(ids)).in_bulk() if ids else {}
        rows = [found[pk] for pk in ids if pk in found]
        for physician in rows if self.distances is not None else ():
            physician.distance_miles = self.distances[physician.pk]
        return rows


def _condition(filtered: QuerySet) -> ExpressionWrapper:
    """The WHERE clause a QuerySet method added (to an unfiltered QuerySet), as a boolean expression."""
    query = filtered.query
    assert len(query.alias_map) == 1, "a faceted filter's method must not join"
    return ExpressionWrapper(query.where, output_field=BooleanField())
