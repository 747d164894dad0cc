"""PhysicianFilterSet: the one search of the directory, used by the public page, the API and the admin.

Usage:
    filterset = PhysicianFilterSet(request.GET, queryset=Physician.objects.active())
    if filterset.is_valid():
        results = filterset.qs            # filtered and ordered; `distance_miles` with near, `search_rank` with q
        facets = filterset.facet_counts() # {"specialty": {category: n}, "cancer": {slug: n}}
    else:
        filterset.errors                  # {parameter: [message, ...]}: never an exception

Parameters: q, specialty (category slug or NUCC code), cancer (slug), near (US ZIP), radius (miles,
default 25, 1 to 500), accepting=1, telehealth=1, certified=1, language (ISO 639-1), sex (F/M),
sort (relevance: default with q; distance: default with near; name).
"""

from dataclasses import dataclass

import django_filters
from django import forms
from django.db import connection

from . import forms as search_forms
from . import search as search_sql
from .models import Physician

PARAMETERS = (
    "q",
    "specialty",
    "cancer",
    "near",
    "radius",
    "accepting",
    "telehealth",
    "certified",
    "language",
    "sex",
    "sort",
)

# Facet counts over more matches than this would cost several times the search itself: above it the page
# asks the visitor to narrow the search instead of counting.
FACET_MAX_MATCHES = 5_000


class QueryField(forms.CharField):
    def to_python(self, value):
        return search_forms.reject_null_characters(super().to_python(value))


class QueryFilter(django_filters.CharFilter):
    field_class = QueryField


class ZipFilter(django_filters.CharFilter):
    field_class = search_forms.ZipField


class RadiusFilter(django_filters.NumberFilter):
    field_class = search_forms.RadiusField


class FlagFilter(django_filters.BooleanFilter):
    """1/true/yes/on; anything unknown is a form error (not silently false)."""

    field_class = search_forms.FlagField


class LookupChoiceFilter(django_filters.ChoiceFilter):
    field_class = search_forms.LookupChoiceField


LANGUAGE_MENU = [("", "Any language"), *search_forms.LANGUAGE_CHOICES]


def _language_menu():
    # A callable: each request copies the filters and the form's fields, and a list of 110 languages
    # would be copied with them.
    return LANGUAGE_MENU


class PhysicianFilterSet(django_filters.FilterSet):
    q = QueryFilter(
        label="Name, practice, hospital or city",
        max_length=search_forms.MAX_QUERY_LENGTH,
        error_messages={"max_length": search_forms.QUERY_TOO_LONG},
        method="skip",
    )
    specialty = LookupChoiceFilter(
        label="Specialty",
        unknown_message=search_forms.SPECIALTY_UNKNOWN,
        method="skip",
    )
    cancer = LookupChoiceFilter(
        label="Cancer type",
        unknown_message=search_forms.CANCER_UNKNOWN,
        method="skip",
    )
    near = ZipFilter(label="ZIP code", method="skip")
    radius = RadiusFilter(label="Within (miles)", method="skip")
    accepting = FlagFilter(label="Accepting new patients", method="skip")
    telehealth = FlagFilter(label="Offers telehealth", method="skip")
    certified = FlagFilter(label="Board certified (current)", method="skip")
    language = LookupChoiceFilter(
        label="Speaks",
        choices=_language_menu,
        unknown_message=search_forms.LANGUAGE_UNKNOWN,
        method="skip",
    )
    sex = LookupChoiceFilter(
        label="Physician's sex",
        choices=[("", "No preference"), *search_forms.SEX_CHOICES],
        unknown_message=search_forms.SEX_UNKNOWN,
        method="skip",
    )
    sort = LookupChoiceFilter(
        label="Sort by",
        choices=[("", "Best match (nearest first with a ZIP code)"), *search_forms.SORT_CHOICES],
        unknown_message=search_forms.SORT_UNKNOWN,
        method="skip",
    )

    class Meta:
        model = Physician
        fields = []
        form = search_forms.PhysicianSearchForm

    def get_form_class(self):
        # django-filter builds a new form class for every request; the filters never change, so build it once.
        cls = type(self)
        if "_form_class" not in cls.__dict__:
            cls._form_class = super().get_form_class()
        return cls._form_class

    def skip(self, queryset, name, value):
        """Filters are applied together in filter_queryset (near and accepting interact)."""
        return queryset

    # -- the search -------------------------------------------------------------------------------------

    @property
    def effective_sort(self) -> str:
        """The sort in effect: the one asked for, else relevance with q, distance with near, else name."""
        data = self.form.cleaned_data
        asked = data.get("sort")
        if asked == "relevance" and not data.get("q"):
            asked = ""
        if asked:
            return asked
        if data.get("q"):
            return "relevance"
        return "distance" if data.get("near") else "name"

    def filter_queryset(self, queryset):
        if not self.form.is_valid():
            return queryset.none()
        return self.order(self.filtered(queryset))

    def filtered(self, queryset, *, without=(), measure: bool = True):
        """Apply every active filter except those named in `without`. With measure=False, `near` only
        narrows to the map cells around the ZIP (a superset, without the distance join)."""
        data = self.form.cleaned_data
        form = self.form
        if data.get("q"):
            queryset = queryset.search(data["q"])
        if data.get("specialty") and "specialty" not in without:
            queryset = queryset.in_specialties(form.specialty_ids(data["specialty"]))
        if data.get("cancer") and "cancer" not in without:
            queryset = queryset.treating(form.cancer_by_slug[data["cancer"]].id)
        if data.get("telehealth"):
            queryset = queryset.offering_telehealth()
        if data.get("certified"):
            queryset = queryset.currently_certified()
        if data.get("language"):
            queryset = queryset.speaking(data["language"])
        if data.get("sex"):
            queryset = queryset.filter(sex=data["sex"])
        if data.get("accepting"):
            # A physician accepting somewhere: the cheap flag; with near, it must be at a nearby practice.
            queryset = queryset.accepting_new_patients()
        origin = form.origin
        if origin:
            near = queryset.near if measure else queryset.in_cells_around
            queryset = near(
                *origin, float(data["radius"]), accepting=bool(data.get("accepting")), coarse=bool(data.get("q"))
            )
        return queryset

    def order(self, queryset):
        tie_break = ["last_name", "first_name", "npi"]
        if self.effective_sort == "relevance":
            return queryset.order_by("-search_rank", *tie_break)
        if self.effective_sort == "distance":
            return queryset.order_by("distance_miles", *tie_break)
        return queryset.order_by(*tie_break)

    # -- narrow searches: everything in one query ----------------------------------------------------------

    def narrow_results(self, *, max_matches: int | None = None) -> "NarrowResults | None":
        """For a search that, before its specialty and cancer filters, matches at most `max_matches`
        physicians: every match's id in order (with its distance, with `near`) and both facets, in one
        query. None for a broader search (or an invalid form): page `qs` then, without facets.

        One query instead of four (count, page and a facet query per facet, each repeating the filters)
        is what makes a narrow search fast. The candidates are read without the distance join (the map
        cells only), so the size check stops after max_matches + 1 rows however broad the search is."""
        if not self.form.is_valid():
            return None
        max_matches = FACET_MAX_MATCHES if max_matches is None else max_matches
        data, form = self.form.cleaned_data, self.form
        columns = ["id", "specialty_ids", "cancer_type_ids", "last_name", "first_name", "npi"]
        if data.get("q"):
            columns.append("search_rank")
        candidates = self.filtered(self.queryset.all(), without=("specialty", "cancer"), measure=False)
        candidates_sql, candidates_params = candidates.order_by().values_list(*columns).query.sql_with_params()
        origin = form.origin
        if origin:
            accepting = "AND l.accepting_new_patients" if data.get("accepting") else ""
            # The distance as near() measures it: to the nearest (accepting) location, within the radius.
            measured = f"""
                SELECT c.*, d.meters / {search_sql.METERS_PER_MILE} AS distance_miles
                  FROM candidates c
                 CROSS JOIN LATERAL (
                       SELECT min(earth_distance(ll_to_earth(%s, %s), l.earth_point)) AS meters
                         FROM directory_practicelocation l
                        WHERE l.physician_id = c.id {accepting}) d
                 WHERE d.meters <= %s AND (SELECT count(*) FROM candidates) <= %s"""  # noqa: S608
            meters = float(data["radius"]) * search_sql.METERS_PER_MILE
            measured_params = [*origin, meters, max_matches]
        else:
            measured = "SELECT c.*, NULL::float AS distance_miles FROM candidates c WHERE (SELECT count(*) FROM candidates) <= %s"
            measured_params = [max_matches]
        in_specialty, in_specialty_params = "true", []
        if data.get("specialty"):
            in_specialty, in_specialty_params = (
                "b.specialty_ids && %s::bigint[]",
                [form.specialty_ids(data["specialty"])],
            )
        in_cancer, in_cancer_params = "true", []
        if data.get("cancer"):
            in_cancer, in_cancer_params = (
                "b.cancer_type_ids @> ARRAY[%s]::bigint[]",
                [form.cancer_by_slug[data["cancer"]].id],
            )
        order = {
            "relevance": "b.search_rank DESC, b.last_name, b.first_name, b.npi",
            "distance": "b.distance_miles, b.last_name, b.first_name, b.npi",
            "name": "b.last_name, b.first_name, b.npi",
        }[self.effective_sort]
        with connection.cursor() as cursor:
            # Only the candidates' own (ORM-compiled) SQL and the parameters carry user input.
            cursor.execute(
                f"""
                WITH candidates AS MATERIALIZED (SELECT m.* FROM ({candidates_sql}) m LIMIT %s),
                     base AS MATERIALIZED ({measured})
                SELECT (SELECT count(*) FROM candidates),
                       (SELECT array_agg(b.id ORDER BY {order}) FROM base b WHERE {in_specialty} AND {in_cancer}),
                       (SELECT array_agg(b.distance_miles ORDER BY {order}) FROM base b
                         WHERE {in_specialty} AND {in_cancer}),
                       (SELECT json_object_agg(f.category, f.n) FROM (
                            SELECT s.category, count(DISTINCT b.id) AS n
                              FROM base b CROSS JOIN unnest(b.specialty_ids) AS v
                              JOIN directory_specialty s ON s.id = v
                             WHERE s.category <> '' AND {in_cancer}
                             GROUP BY s.category) f),
                       (SELECT json_object_agg(f.slug, f.n) FROM (
                            SELECT t.slug, count(*) AS n
                              FROM base b CROSS JOIN unnest(b.cancer_type_ids) AS v
                              JOIN directory_cancertype t ON t.id = v
                             WHERE {in_specialty}
                             GROUP BY t.slug) f)
                """,  # noqa: S608
                [
                    *candidates_params,
                    max_matches + 1,
                    *measured_params,
                    *in_specialty_params,
                    *in_cancer_params,
                    *in_specialty_params,
                    *in_cancer_params,
                    *in_cancer_params,
                    *in_specialty_params,
                ],
            )
            candidate_count, ids, distances, specialty_counts, cancer_counts = cursor.fetchone()
        if candidate_count > max_matches:
            return None
        ids = ids or []
        return NarrowResults(
            ids=ids,
            distances=dict(zip(ids, distances, strict=True)) if origin and ids else {},
            facets={"specialty": specialty_counts or {}, "cancer": cancer_counts or {}},
        )

    def facet_counts(self, *, max_matches: int | None = None) -> dict | None:
        """Matches per specialty category and per cancer type slug, each under every other active filter;
        None when the form is invalid or the search is too broad to count (see narrow_results)."""
        results = self.narrow_results(max_matches=max_matches)
        return results.facets if results else None


@dataclass(frozen=True)
class NarrowResults:
    ids: list[int]  # every match, in the search's order
    distances: dict[int, float]  # id -> miles to the nearest (accepting) location, with `near`
    facets: dict[str, dict[str, int]]  # {"specialty": {category: n}, "cancer": {slug: n}}
