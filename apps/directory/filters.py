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
        """Matches per specialty category and per cancer type slug, each under every other active filter,
        in one query. None when the form is invalid or a facet would count more than `max_matches`
        physicians; give `matches` (the number of results, when known) to skip the query when it is over."""
        if not self.form.is_valid() or (matches is not None and matches > max_matches):
            return None
        columns = ("id", "specialty_ids", "cancer_type_ids")
        for_specialty = self.filtered(self.queryset.all(), without="specialty").order_by().values_list(*columns)
        specialty_sql, specialty_params = for_specialty.query.sql_with_params()
        if self.form.cleaned_data.get("specialty") or self.form.cleaned_data.get("cancer"):
            for_cancer = self.filtered(self.queryset.all(), without="cancer").order_by().values_list(*columns)
            cancer_sql, cancer_params = for_cancer.query.sql_with_params()
            cancer_cte = f"SELECT m.* FROM ({cancer_sql}) m LIMIT %s"  # noqa: S608 (ORM-compiled SQL)
            cancer_params = (*cancer_params, max_matches + 1)
        else:  # neither facet filters itself: both count the same physicians
            cancer_cte, cancer_params = "SELECT * FROM for_specialty", ()
        with connection.cursor() as cursor:
            # Only the subqueries' own parameters carry user input; the rest of the SQL is constant.
            cursor.execute(
                f"""
                WITH for_specialty AS MATERIALIZED (SELECT m.* FROM ({specialty_sql}) m LIMIT %s),
                     for_cancer AS MATERIALIZED ({cancer_cte})
                SELECT 'total-specialty', NULL, count(*) FROM for_specialty
                UNION ALL
                SELECT 'total-cancer', NULL, count(*) FROM for_cancer
                UNION ALL
                SELECT 'specialty', s.category, count(DISTINCT m.id)
                  FROM for_specialty m CROSS JOIN unnest(m.specialty_ids) AS v
                  JOIN directory_specialty s ON s.id = v
                 WHERE s.category <> ''
                 GROUP BY s.category
                UNION ALL
                SELECT 'cancer', c.slug, count(*)
                  FROM for_cancer m CROSS JOIN unnest(m.cancer_type_ids) AS v
                  JOIN directory_cancertype c ON c.id = v
                 GROUP BY c.slug
                """,  # noqa: S608
                (*specialty_params, max_matches + 1, *cancer_params),
            )
            rows = cursor.fetchall()
        totals = {kind: count for kind, _, count in rows if kind.startswith("total-")}
        if max(totals.values()) > max_matches:
            return None
        return {facet: {key: count for kind, key, count in rows if kind == facet} for facet in ("specialty", "cancer")}
