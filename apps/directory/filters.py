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

import django_filters
from django import forms
from django.db import connection

from . import forms as search_forms
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
        choices=[("", "Any language"), *search_forms.LANGUAGE_CHOICES],
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

    def filtered(self, queryset, *, without: str = ""):
        """Apply every active filter except `without` (for facet counts)."""
        data = self.form.cleaned_data
        form = self.form
        if data.get("q"):
            queryset = queryset.search(data["q"])
        if data.get("specialty") and without != "specialty":
            queryset = queryset.in_specialties(form.specialty_ids(data["specialty"]))
        if data.get("cancer") and without != "cancer":
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
            queryset = queryset.near(*origin, float(data["radius"]), accepting=bool(data.get("accepting")))
        return queryset

    def order(self, queryset):
        tie_break = ["last_name", "first_name", "npi"]
        if self.effective_sort == "relevance":
            return queryset.order_by("-search_rank", *tie_break)
        if self.effective_sort == "distance":
            return queryset.order_by("distance_miles", *tie_break)
        return queryset.order_by(*tie_break)

    # -- facets -----------------------------------------------------------------------------------------

    def facet_counts(self, *, max_matches: int = FACET_MAX_MATCHES, matches: int | None = None) -> dict | None:
        """Matches per specialty category and per cancer type slug, each under every other active filter
        (two queries). None when the form is invalid or a count would cover more than `max_matches`;
        give `matches` (the number of results, when known) to skip the queries when it is already over."""
        if not self.form.is_valid() or (matches is not None and matches > max_matches):
            return None
        specialty = self._count_by(
            self.filtered(self.queryset.all(), without="specialty"),
            "specialty_ids",
            "JOIN directory_specialty s ON s.id = v WHERE s.category <> ''",
            "s.category",
            max_matches,
        )
        cancer = self._count_by(
            self.filtered(self.queryset.all(), without="cancer"),
            "cancer_type_ids",
            "JOIN directory_cancertype c ON c.id = v WHERE true",
            "c.slug",
            max_matches,
        )
        if specialty is None or cancer is None:
            return None
        return {"specialty": specialty, "cancer": cancer}

    @staticmethod
    def _count_by(queryset, column: str, join: str, key: str, max_matches: int) -> dict[str, int] | None:
        """{key: number of matching physicians}, in one query; None when more than max_matches match."""
        # column, join and key are constants of this module; user input only reaches `params`.
        sql, params = queryset.order_by().values_list("id", column).query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                WITH matches AS MATERIALIZED (SELECT m.* FROM ({sql}) m LIMIT %s),
                     total AS (SELECT count(*) AS n FROM matches)
                SELECT total.n, counts.key, counts.n
                  FROM total
                  LEFT JOIN (
                      SELECT {key} AS key, count(DISTINCT matches.id) AS n
                        FROM matches CROSS JOIN unnest(matches.{column}) AS v {join}
                         AND (SELECT n FROM total) <= %s
                       GROUP BY {key}
                  ) counts ON true
                """,  # noqa: S608
                (*params, max_matches + 1, max_matches),
            )
            rows = cursor.fetchall()
        if not rows or rows[0][0] > max_matches:
            return None
        return {row[1]: row[2] for row in rows if row[1] is not None}
