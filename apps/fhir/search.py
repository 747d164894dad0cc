"""FHIR searches: parameters parsed (parameters.py), the directory search run, a page of a searchset Bundle.

PractitionerRole and Practitioner searches run PhysicianFilterSet, so they find the physicians the search page
and /api/v1/physicians/ find, in the same order. A PractitionerRole is a physician at one practice location:
the roles are the matching locations of the matching physicians, in the physicians' order (then primary
location first, then by id). Pages are by offset (`_offset`): any depth, with `next` links to follow.
"""

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django import forms
from django.db import connections
from django.db.models import Count, Window, prefetch_related_objects
from django.db.models.functions import RowNumber

from apps.common.replicas import reading_from
from apps.directory.filters import PhysicianFilterSet, PhysicianSearchForm
from apps.directory.forms import DEFAULT_RADIUS_MILES, RadiusField
from apps.directory.models import Affiliation, Institution, PracticeLocation, qualifications_prefetch

from . import reads, resources, values
from .parameters import (
    COUNT,
    DEFAULT_COUNT,
    INCLUDES,
    MAX_COUNT,
    OFFSET,
    RESULT_PARAMETERS,
    REVINCLUDES,
    SEARCH_PARAMETERS,
    Criteria,
)
from .responses import FhirError, issue, operation_outcome
from .study_parameters import StudyCriteria

UNKNOWN_PARAMETER = "Parameter `{name}` is not supported on {type}: see /fhir/metadata for those that are."
MODIFIER = "Parameter `{name}`: modifiers (`:{modifier}`) are not supported."
REPEATED = (
    "Parameter `{name}` is given more than once: give it once (a comma between values means any of them; "
    "only dates take two, as a range)."
)
ONE_VALUE = "Parameter `{name}` takes one value (no commas)."
UNKNOWN_INCLUDE = "Parameter `{name}`: {value} is not supported here; this server supports {supported}."
IGNORED = "Parameter `{name}` is not supported and was ignored (Prefer: handling=lenient)."


class CoordinatesField(forms.Field):
    """FHIR's `near`: coordinates already parsed (values.near), not a ZIP code."""

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)


class FhirSearchForm(PhysicianSearchForm):
    """The directory search's form, `near` taken as (latitude, longitude) instead of a ZIP code."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["near"] = CoordinatesField()

    @property
    def origin(self):
        return self.cleaned_data.get("near") if hasattr(self, "cleaned_data") else None


class FhirPhysicianFilterSet(PhysicianFilterSet):
    form_class = FhirSearchForm


@dataclass
class SearchRequest:
    """The parsed query string of a search: criteria, paging, includes, and what lenient handling ignored."""

    resource_type: str
    criteria: Criteria
    count: int = DEFAULT_COUNT
    offset: int = 0
    includes: list[str] = field(default_factory=list)
    revincludes: list[str] = field(default_factory=list)
    used: list[tuple[str, str]] = field(default_factory=list)  # the parameters in effect, for the links
    ignored: list[str] = field(default_factory=list)


def parse(resource_type: str, query, *, lenient: bool = False, criteria=None) -> SearchRequest:
    """The query string as criteria (`criteria`, or the directory's Criteria), paging and includes."""
    declared = {parameter.name: parameter for parameter in SEARCH_PARAMETERS[resource_type]}
    request = SearchRequest(resource_type, Criteria() if criteria is None else criteria)
    for name, given in query.lists():
        base, _, modifier = name.partition(":")
        if name in ("_include", "_revinclude"):
            supported = (INCLUDES if name == "_include" else REVINCLUDES).get(resource_type, ())
            for value in given:
                if _include_key(value) not in supported and lenient:
                    request.ignored.append(f"{name}={value}")
                    continue
                if _include_key(value) not in supported:
                    raise FhirError(400, "not-supported", UNKNOWN_INCLUDE.format(
                        name=name, value=value, supported=", ".join(supported) or "none"), expression=name)  # fmt: skip
                (request.includes if name == "_include" else request.revincludes).append(_include_key(value))
                request.used.append((name, value))
            continue
        if name == "_format":
            request.used.append((name, given[0]))  # responses.negotiate has checked it; the links keep it
            continue
        if base not in declared and base not in RESULT_PARAMETERS:
            if lenient:
                request.ignored.append(name)
                continue
            raise FhirError(400, "not-supported", UNKNOWN_PARAMETER.format(name=name, type=resource_type),
                            expression=name)  # fmt: skip
        if modifier:
            if lenient:
                request.ignored.append(name)
                continue
            raise FhirError(400, "not-supported", MODIFIER.format(name=base, modifier=modifier), expression=name)
        parameter = declared.get(name)
        if len(given) > 1 and not (parameter and parameter.repeatable):
            raise FhirError(400, "invalid", REPEATED.format(name=name), expression=name)
        if name == COUNT:
            request.count = values.count(name, given[0], maximum=MAX_COUNT)
            continue
        if name == OFFSET:
            request.offset = values.count(name, given[0], maximum=10**12)
            continue
        for value in given:  # a repeated parameter: each value applies (a date range)
            if "," in value and not parameter.many:
                raise FhirError(400, "invalid", ONE_VALUE.format(name=name), expression=name)
            parameter.apply(value, request.criteria)
            request.used.append((name, value))
    return request


def _include_key(value: str) -> str:
    # `PractitionerRole:location` or with its target type, `PractitionerRole:location:Location`.
    source, _, rest = value.partition(":")
    search_parameter, _, target = rest.partition(":")
    targets = {"practitioner": "Practitioner", "location": "Location", "organization": "Organization"}
    if target and targets.get(search_parameter) != target:
        return value
    return f"{source}:{search_parameter}"


# -- running a search -----------------------------------------------------------------------------------------


def directory_search(criteria: Criteria, queryset) -> PhysicianFilterSet:
    """The directory search over `queryset` with the criteria's filterset data; a 400 naming the parameter
    when the filterset refuses a value."""
    if criteria.active is not None:
        queryset = queryset.filter(is_active=criteria.active)
    search = FhirPhysicianFilterSet(criteria.data, queryset=queryset)
    if not search.is_valid():
        name, messages = next(iter(search.errors.items()))
        parameter = criteria.sources.get(name, name)
        raise values.invalid(parameter, " ".join(messages))
    return search


@dataclass
class Page:
    """One page of matches and what the Bundle includes with them."""

    matches: list[dict]
    total: int
    included: list[dict] = field(default_factory=list)
    distances: dict[str, float] = field(default_factory=dict)  # miles from `near`, by match id


def practitioner_roles(request: SearchRequest) -> Page:
    criteria = request.criteria
    search = directory_search(criteria, criteria.physicians)
    data = search.form.cleaned_data
    locations, affiliations = criteria.locations, criteria.affiliations
    if data.get("accepting"):
        affiliations = None  # a hospital affiliation says nothing about taking new patients
        if locations is not None and not data.get("near"):
            locations = locations.accepting_new_patients()
    if data.get("insurance"):
        affiliations = None  # nor about insurance: only a practice location lists the plans it takes
        if locations is not None:
            locations = locations.taking_insurance(search.reference.insurance_plan_ids(data["insurance"]))
    if locations is not None and data.get("near"):
        # The physicians were found near the point: only their locations are measured again.
        locations = locations.near(
            *data["near"], float(data["radius"]), accepting=bool(data.get("accepting")), by_physician=True
        )
    keys, total, distances = _role_page(
        search.qs, {LOCATION: locations, AFFILIATION: affiliations}, request.offset, request.count
    )
    roles = _roles(keys)
    included = []
    if "PractitionerRole:practitioner" in request.includes:
        physicians = list({role.physician.pk: role.physician for role in roles}.values())
        prefetch_related_objects(physicians, qualifications_prefetch())
        included += [resources.practitioner(physician) for physician in physicians]
    at_locations = [role for role in roles if isinstance(role, PracticeLocation)]
    if "PractitionerRole:location" in request.includes:
        included += [resources.location_resource(role) for role in at_locations]
    if "PractitionerRole:organization" in request.includes:
        included += [
            resources.practice_organization(role)
            if isinstance(role, PracticeLocation)
            else resources.institution_organization(role.institution)
            for role in roles
        ]
    return Page([_role_resource(role) for role in roles], total, included, distances)


LOCATION, AFFILIATION = 0, 1  # the kinds of role, in the order a physician's roles are listed


def _roles(keys: list[tuple[int, int]]) -> list:
    """The PracticeLocation or Affiliation of each (kind, id), in that order: a query per kind present."""
    found = {}
    for kind, queryset in ((LOCATION, PracticeLocation.objects), (AFFILIATION, Affiliation.objects)):
        ids = [pk for k, pk in keys if k == kind]
        if ids:
            found.update({(kind, pk): row for pk, row in queryset.for_roles().in_bulk(ids).items()})
    return [found[key] for key in keys if key in found]


def _role_resource(role) -> dict:
    if isinstance(role, PracticeLocation):
        return resources.practitioner_role(role)
    return resources.affiliation_role(role)


def _role_page(physicians, kinds: dict, offset: int, limit: int) -> tuple[list[tuple[int, int]], int, dict]:
    """(kind, id) of a page of roles, how many roles match, and each role's distance from `near` (by resource
    id), in one query: the physicians in the directory search's order (its ORDER BY, as a row number), each
    one's practice locations (primary first), then its hospital affiliations."""
    ranked = (
        physicians.annotate(fhir_position=Window(RowNumber(), order_by=list(physicians.query.order_by)))
        .order_by()
        .values("id", "fhir_position")
    )
    ranked_sql, ranked_params = ranked.query.sql_with_params()
    parts, params = [], []
    for kind, queryset in kinds.items():
        if queryset is None:
            continue
        measured = "distance_miles" in queryset.query.annotations
        columns = (
            "id",
            "physician_id",
            *(["is_primary"] if kind == LOCATION else []),
            *(["distance_miles"] * measured),
        )
        sql, sql_params = queryset.order_by().values(*columns).query.sql_with_params()
        primary = "s.is_primary" if kind == LOCATION else "false"
        distance = "s.distance_miles" if measured else "NULL::double precision"
        # Only ORM-compiled SQL and parameters carry the request's values; the kind is a constant.
        parts.append(
            f"SELECT {kind} AS kind, s.id, s.physician_id, {primary} AS is_primary, {distance} AS distance "  # noqa: S608
            f"FROM ({sql}) s"
        )
        params += sql_params
    if not parts:
        return [], 0, {}
    roles = " UNION ALL ".join(parts)
    with connections[reading_from()].cursor() as cursor:
        cursor.execute(
            f"""SELECT r.kind, r.id, r.distance, count(*) OVER ()
                  FROM ({roles}) r JOIN ({ranked_sql}) m ON m.id = r.physician_id
                 ORDER BY m.fhir_position, r.kind, r.is_primary DESC, r.id
                 LIMIT %s OFFSET %s""",  # noqa: S608
            [*params, *ranked_params, limit, offset],
        )
        rows = cursor.fetchall()
        if rows:
            distances = {str(pk): miles for kind, pk, miles, _ in rows if miles is not None}
            return [(kind, pk) for kind, pk, _, _ in rows], rows[0][3], distances
        # Past the last page (or _count=0): count alone.
        cursor.execute(
            f"SELECT count(*) FROM ({roles}) r JOIN ({ranked_sql}) m ON m.id = r.physician_id",  # noqa: S608
            [*params, *ranked_params],
        )
        return [], cursor.fetchone()[0], {}


def practitioners(request: SearchRequest) -> Page:
    search = directory_search(request.criteria, request.criteria.physicians.for_practitioner())
    rows = list(search.qs.annotate(fhir_total=Window(Count("pk")))[request.offset : request.offset + request.count])
    total = rows[0].fhir_total if rows else search.qs.count()
    included = []
    if "PractitionerRole:practitioner" in request.revincludes and rows:
        # Each physician's roles as a role search lists them: practice locations (primary first), then hospitals.
        order = {physician.pk: position for position, physician in enumerate(rows)}
        roles = [
            *PracticeLocation.objects.for_roles().filter(physician__in=rows).order_by("-is_primary", "id"),
            *Affiliation.objects.for_roles().filter(physician__in=rows).order_by("id"),
        ]
        roles.sort(key=lambda role: order[role.physician_id])  # stable: keeps the order within a physician
        included = [_role_resource(role) for role in roles]
    return Page([resources.practitioner(physician) for physician in rows], total, included)


def locations(request: SearchRequest) -> Page:
    criteria = request.criteria
    queryset = criteria.locations
    if criteria.near:
        radius = criteria.data.get("radius") or ""
        miles = _radius(radius, criteria.sources.get("radius", "near"))
        queryset = queryset.near(*criteria.near, miles).order_by("distance_miles", "id")
    else:
        queryset = queryset.order_by("id")
    rows = list(queryset.annotate(fhir_total=Window(Count("pk")))[request.offset : request.offset + request.count])
    total = rows[0].fhir_total if rows else queryset.count()
    distances = {str(row.pk): row.distance_miles for row in rows} if criteria.near else {}
    return Page([resources.location_resource(location) for location in rows], total, distances=distances)


def _radius(radius: str, parameter: str) -> float:
    """The radius as the directory search reads it (its RadiusField: range, rounding and default)."""
    try:
        miles = RadiusField().clean(radius)
    except forms.ValidationError as error:
        raise values.invalid(parameter, " ".join(error.messages)) from None
    return float(miles if miles is not None else DEFAULT_RADIUS_MILES)


def organizations(request: SearchRequest) -> Page:
    """Hospitals and cancer centers (by name), then practices (by location id): a page and the total in one
    query, then a query per kind on the page."""
    criteria = request.criteria
    parts, params = [], []
    if criteria.institutions is not None:
        sql, sql_params = criteria.institutions.order_by().values("id", "name").query.sql_with_params()
        parts.append(f"SELECT {INSTITUTION} AS kind, s.id, s.name FROM ({sql}) s")  # noqa: S608 - ORM-compiled
        params += sql_params
    if criteria.locations is not None:
        sql, sql_params = criteria.locations.order_by().values("id").query.sql_with_params()
        parts.append(f"SELECT {PRACTICE} AS kind, s.id, '' AS name FROM ({sql}) s")  # noqa: S608 - ORM-compiled
        params += sql_params
    keys, total = [], 0
    if parts:
        union = " UNION ALL ".join(parts)
        with connections[reading_from()].cursor() as cursor:
            cursor.execute(
                f"SELECT kind, id, count(*) OVER () FROM ({union}) o ORDER BY kind, name, id LIMIT %s OFFSET %s",  # noqa: S608
                [*params, request.count, request.offset],
            )
            rows = cursor.fetchall()
            if rows:
                keys, total = [(kind, pk) for kind, pk, _ in rows], rows[0][2]
            else:
                cursor.execute(f"SELECT count(*) FROM ({union}) o", params)  # noqa: S608
                total = cursor.fetchone()[0]
    found = {}
    for kind, queryset in ((INSTITUTION, Institution.objects), (PRACTICE, PracticeLocation.objects)):
        ids = [pk for k, pk in keys if k == kind]
        if ids:
            found.update({(kind, pk): row for pk, row in queryset.in_bulk(ids).items()})
    matches = [
        resources.institution_organization(found[key])
        if key[0] == INSTITUTION
        else resources.practice_organization(found[key])
        for key in keys
        if key in found
    ]
    return Page(matches, total)


INSTITUTION, PRACTICE = 0, 1  # the kinds of organization, in the order a search lists them


def research_studies(request: SearchRequest) -> Page:
    """Studies by NCT id (or nearest first, StudyCriteria.found): a page and its total in one query, then the
    page's cancer types, sites and principal investigators (reads.research_studies), whatever the page's size."""
    queryset = request.criteria.found()
    rows = list(
        queryset.annotate(fhir_total=Window(Count("pk"))).prefetch_related("cancer_types")[
            request.offset : request.offset + request.count
        ]
    )
    total = rows[0].fhir_total if rows else queryset.count()
    distances = {row.nct_id: row.distance_miles for row in rows if hasattr(row, "distance_miles")}
    return Page(reads.research_studies(rows), total, distances=distances)


RUNNERS = {
    "PractitionerRole": practitioner_roles,
    "Practitioner": practitioners,
    "Location": locations,
    "Organization": organizations,
    "ResearchStudy": research_studies,
}
# The criteria a search builds, when not the directory's.
CRITERIA = {"ResearchStudy": StudyCriteria}


def bundle(request: SearchRequest, page: Page, base_url: str) -> dict:
    """The searchset Bundle: total, self and next links (absolute), matches then included resources."""
    link = [{"relation": "self", "url": _page_url(request, base_url, request.offset)}]
    if request.count and request.offset + request.count < page.total:
        link.append({"relation": "next", "url": _page_url(request, base_url, request.offset + request.count)})
    if request.offset:
        previous = max(request.offset - request.count, 0)
        link.append({"relation": "previous", "url": _page_url(request, base_url, previous)})
    entries = [_entry(resource, base_url, "match", page.distances.get(resource["id"])) for resource in page.matches]
    seen = set()
    for resource in page.included:
        key = (resource["resourceType"], resource["id"])
        if key not in seen:
            seen.add(key)
            entries.append(_entry(resource, base_url, "include"))
    if request.ignored:
        outcome = operation_outcome(
            *(issue("warning", "not-supported", IGNORED.format(name=n)) for n in request.ignored)
        )
        entries.append({"resource": outcome, "search": {"mode": "outcome"}})
    return {"resourceType": "Bundle", "type": "searchset", "total": page.total, "link": link, "entry": entries}


def _entry(resource: dict, base_url: str, mode: str, miles: float | None = None) -> dict:
    search = {"mode": mode}
    if miles is not None:  # FHIR's way to say how far a match of `near` is
        search["extension"] = [{"url": LOCATION_DISTANCE, "valueDistance": {**MILES, "value": round(miles, 2)}}]
    return {"fullUrl": f"{base_url}{resource['resourceType']}/{resource['id']}", "resource": resource, "search": search}


LOCATION_DISTANCE = "http://hl7.org/fhir/StructureDefinition/location-distance"
MILES = {"unit": "mi", "system": "http://unitsofmeasure.org", "code": "[mi_i]"}


def _page_url(request: SearchRequest, base_url: str, offset: int) -> str:
    query = [*request.used, (COUNT, str(request.count))]
    if offset:
        query.append((OFFSET, str(offset)))
    return f"{base_url}{request.resource_type}?{urlencode(query)}"


def run(resource_type: str, query, base_url: str, *, lenient: bool = False) -> dict:
    request = parse(resource_type, query, lenient=lenient, criteria=CRITERIA.get(resource_type, Criteria)())
    return bundle(request, RUNNERS[resource_type](request), base_url)
