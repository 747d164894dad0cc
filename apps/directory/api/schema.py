"""The search parameters of GET /api/v1/physicians/: documented once, checked against that documentation.

The search page and the API share ``PhysicianFilterSet``, which decides what a value *means* (a known ZIP,
a listed specialty). The API adds one promise on top: every value the OpenAPI schema calls valid is
accepted, and every value it calls invalid is refused with a 400. The form is lenient where a person
types (it strips spaces, reads ``TRUE`` as on, cuts a long text after stripping); so before the FilterSet
sees the query, each raw value is checked here against the very schema the documentation shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.http import QueryDict
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter

from apps.directory import forms as search_forms
from apps.directory.models import CancerType, Specialty, SpecialtyCategory

NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
FLAG_VALUES = ["", "1", "0", "true", "false"]
ENUM_INVALID = "Choose one of: {choices}."
RADIUS_STEP = Decimal("0.01")


@dataclass(frozen=True)
class SearchParameter:
    name: str
    description: str
    schema: dict[str, Any]
    # False when the FilterSet already refuses exactly what the schema refuses (its enums come from the
    # database, so repeating them here would cost a query for nothing).
    check_here: bool = True
    messages: dict[str, str] = field(default_factory=dict)

    def error(self, raw: str) -> str | None:
        """The message for a raw value the schema calls invalid, else None."""
        schema = self.schema
        if "enum" in schema and raw not in schema["enum"]:
            return self.messages.get("enum") or ENUM_INVALID.format(choices=", ".join(v for v in schema["enum"] if v))
        if schema.get("type") == "number":
            if not NUMBER.fullmatch(raw):
                return self.messages["type"]
            value = Decimal(raw)
            if not value.is_finite() or not schema["minimum"] <= value <= schema["maximum"]:
                return self.messages["range"]
            return None
        if "maxLength" in schema and len(raw) > schema["maxLength"]:
            return self.messages["maxLength"]
        if "pattern" in schema and not re.search(schema["pattern"], raw):
            return self.messages["pattern"]
        return None


def _static_parameters() -> list[SearchParameter]:
    return [
        SearchParameter(
            "q",
            "Free text over names, practice and hospital names and cities; forgiving of typos, accents, case "
            "and word order. With `q`, results are sorted by relevance unless `sort` says otherwise.",
            {"type": "string", "maxLength": search_forms.MAX_QUERY_LENGTH, "pattern": "^[^\\u0000]*$"},
            messages={"maxLength": search_forms.QUERY_TOO_LONG, "pattern": search_forms.NULL_CHARACTERS},
        ),
        SearchParameter(
            "near",
            "A US ZIP code (5 digits or ZIP+4) we know the location of: only physicians with a practice within "
            "`radius` miles, each with `distance_miles` to the nearest one; sorted by distance unless `sort` "
            "says otherwise. A well-formed but unknown ZIP code is a 400.",
            {"type": "string", "pattern": "^([0-9]{5}(-?[0-9]{4})?)?$"},
            messages={"pattern": search_forms.ZIP_FORMAT},
        ),
        SearchParameter(
            "radius",
            f"Miles around `near` (default {search_forms.DEFAULT_RADIUS_MILES}); read to the hundredth of a mile.",
            {
                "type": "number",
                "minimum": search_forms.MIN_RADIUS_MILES,
                "maximum": search_forms.MAX_RADIUS_MILES,
                "default": search_forms.DEFAULT_RADIUS_MILES,
            },
            messages={"type": search_forms.RADIUS_INVALID, "range": search_forms.RADIUS_RANGE},
        ),
        *(
            SearchParameter(
                name,
                f"`1` or `true`: only physicians who {meaning}; `0`, `false` or empty: no filter.",
                {"type": "string", "enum": FLAG_VALUES},
                messages={"enum": search_forms.FLAG_INVALID},
            )
            for name, meaning in [
                ("accepting", "accept new patients (with `near`: at a practice within the radius)"),
                ("telehealth", "offer telehealth"),
                ("certified", "hold a current board certification"),
            ]
        ),
        SearchParameter(
            "language",
            "ISO 639-1 code of a language the physician speaks, for example `es`.",
            {"type": "string", "enum": ["", *(code for code, _ in search_forms.LANGUAGE_CHOICES)]},
            messages={"enum": "Give a two-letter ISO 639-1 language code such as es."},
        ),
        SearchParameter(
            "sex",
            "The physician's sex: `F` or `M`.",
            {"type": "string", "enum": ["", *(code for code, _ in search_forms.SEX_CHOICES)]},
            messages={"enum": search_forms.SEX_UNKNOWN},
        ),
        SearchParameter(
            "sort",
            "`relevance` (the default with `q`), `distance` (the default with `near`; needs `near`) or `name` "
            "(the default otherwise: last name, first name). Ties are broken by NPI.",
            {"type": "string", "enum": ["", *(code for code, _ in search_forms.SORT_CHOICES)]},
            messages={"enum": search_forms.SORT_UNKNOWN},
        ),
    ]


def _lookup_parameters() -> list[SearchParameter]:
    """Specialties and cancer types as the database lists them now (the schema is built per request)."""
    codes = list(Specialty.objects.order_by("code").values_list("code", flat=True))
    slugs = list(CancerType.objects.order_by("slug").values_list("slug", flat=True))
    return [
        SearchParameter(
            "specialty",
            "A specialty category (see /api/v1/specialties/) or one NUCC taxonomy code we list.",
            {"type": "string", "enum": ["", *SpecialtyCategory.values, *codes]},
            check_here=False,
        ),
        SearchParameter(
            "cancer",
            "A cancer type slug (see /api/v1/cancer-types/).",
            {"type": "string", "enum": ["", *slugs]},
            check_here=False,
        ),
    ]


STATIC_PARAMETERS = _static_parameters()
CHECKED = {parameter.name: parameter for parameter in STATIC_PARAMETERS}


def search_parameters() -> list[OpenApiParameter]:
    """The OpenAPI description of every search parameter."""
    parameters = [*STATIC_PARAMETERS[:1], *_lookup_parameters(), *STATIC_PARAMETERS[1:]]
    return [
        OpenApiParameter(p.name, p.schema, OpenApiParameter.QUERY, required=False, description=p.description)
        for p in parameters
    ]


def clean_search_query(query_params: QueryDict) -> tuple[QueryDict, dict[str, list[str]]]:
    """Split the query into what the FilterSet may read and the errors for what the schema calls invalid.

    Invalid values are left out of the returned query, so the FilterSet can still report its own errors
    for the other parameters and the client learns of every mistake at once. The radius is rounded to the
    hundredth of a mile the FilterSet works in. Unknown parameters pass through (the FilterSet ignores them).
    """
    cleaned = query_params.copy()
    errors: dict[str, list[str]] = {}
    for name, parameter in CHECKED.items():
        if name in query_params:
            message = parameter.error(query_params[name])
            if message:
                errors[name] = [message]
                del cleaned[name]
    if "radius" in cleaned:
        cleaned["radius"] = str(Decimal(cleaned["radius"]).quantize(RADIUS_STEP, rounding=ROUND_HALF_UP))
    return cleaned, errors


class PhysicianSearchSchema(AutoSchema):
    """Documents the search parameters of the list (with today's specialties and cancer types)."""

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self.view.action == "list":
            parameters = [*search_parameters(), *parameters]
        return parameters
