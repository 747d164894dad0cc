"""The FHIR search parameters, declared once: each names its type and documentation (the CapabilityStatement
lists exactly these) and how it narrows the search being built (`Criteria`).

Parameters that are a filter of the directory search hand their value to PhysicianFilterSet's data
(`Criteria.data`): the filterset validates them, applies them with its QuerySet methods and orders the
results, exactly as for /physicians/ and /api/v1/physicians/. The others (who, which location, names, dates)
narrow the physicians or the locations the search starts from, through PhysicianQuerySet and
PracticeLocationQuerySet methods.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from apps.directory.filters import BY_NAME
from apps.directory.models import Affiliation, Institution, Physician, PracticeLocation

from . import values
from .resources import (
    AFFILIATION_PREFIX,
    FACILITY,
    INSTITUTION_PREFIX,
    NPI_SYSTEM,
    NUCC_SYSTEM,
    ORGANIZATION_TYPE_SYSTEM,
    PRACTICE_PREFIX,
    PROVIDER_GROUP,
)

BASE = "http://hl7.org/fhir/SearchParameter"
PLAN_NET_PARAMETER = "http://hl7.org/fhir/us/davinci-pdex-plan-net/SearchParameter"
GENDERS = {"female": "F", "male": "M"}


@dataclass
class Criteria:
    """A search as its parameters build it, before it runs. A role is at a practice location (`locations`)
    or at a hospital the physician is affiliated with (`affiliations`); None leaves that kind out."""

    physicians: object = field(default_factory=lambda: Physician.objects.all())
    locations: object = field(default_factory=lambda: PracticeLocation.objects.all())
    affiliations: object = field(default_factory=lambda: Affiliation.objects.all())
    institutions: object = field(default_factory=lambda: Institution.objects.all())  # Organization search
    data: dict = field(default_factory=dict)  # PhysicianFilterSet data
    sources: dict = field(default_factory=dict)  # filterset parameter -> the FHIR parameter that set it
    active: bool | None = True  # physicians' is_active; None: both
    near: tuple | None = None  # (latitude, longitude) of `near` / `location.near`

    def filter_by(self, name: str, value, parameter: str) -> None:
        self.data[name] = value
        self.sources[name] = parameter

    def narrow(self, kind: str, how) -> None:
        """Narrow the roles of one kind (`locations` or `affiliations`) with `how(queryset)`, None for none."""
        current = getattr(self, kind)
        setattr(self, kind, None if current is None else how(current))

    def at_locations(self, how=lambda locations: locations) -> None:
        """A parameter about the place: only roles at practice locations (narrowed by `how`)."""
        self.affiliations = None
        self.narrow("locations", how)


@dataclass(frozen=True)
class FhirParameter:
    name: str
    type: str  # FHIR search parameter type: token, string, reference, date, special
    documentation: str
    apply: Callable[[str, Criteria], None]
    definition: str = ""  # the SearchParameter it implements; empty: OncoDir's own
    many: bool = False  # a comma-separated list means any of them
    repeatable: bool = False  # given twice, both apply (a date range: ge...&lt...)


# -- how each parameter narrows the search ----------------------------------------------------------------


def _npis(parameter: str):
    def apply(value: str, criteria: Criteria) -> None:
        npis = [values.token(parameter, part, system=NPI_SYSTEM) for part in value.split(",")]
        criteria.physicians = criteria.physicians.with_npis(npis)

    return apply


def _practitioners(value: str, criteria: Criteria) -> None:
    ids = [values.reference("practitioner", part, "Practitioner") for part in value.split(",")]
    criteria.physicians = criteria.physicians.with_npis(ids)


def _practitioner_ids(value: str, criteria: Criteria) -> None:
    criteria.physicians = criteria.physicians.with_npis([values.token("_id", p) for p in value.split(",")])


def _numbers(ids: list[str], prefix: str = "") -> list[int]:
    """The numbers of the ids that are `prefix` + a number (no row has id 0: an unknown id finds nothing)."""
    found = [i.removeprefix(prefix) for i in ids if i.startswith(prefix)]
    return [int(n) if n.isascii() and n.isdigit() and len(n) < 19 else 0 for n in found]


def _ids_or_none(numbers: list[int]):
    return (lambda queryset: queryset.filter(pk__in=numbers)) if numbers else (lambda queryset: None)


def _location_ids(parameter: str):
    """Location `_id`, PractitionerRole `location`: locations by id."""

    def apply(value: str, criteria: Criteria) -> None:
        if parameter == "_id":
            ids = [values.token(parameter, part) for part in value.split(",")]
        else:
            ids = [values.reference(parameter, part, "Location") for part in value.split(",")]
        numbers = _numbers([i for i in ids if i.isdigit()]) or [0]
        criteria.at_locations(lambda locations: locations.filter(pk__in=numbers))

    return apply


def _role_ids(value: str, criteria: Criteria) -> None:
    ids = [values.token("_id", part) for part in value.split(",")]
    criteria.narrow("locations", _ids_or_none(_numbers([i for i in ids if i.isdigit()])))
    criteria.narrow("affiliations", _ids_or_none(_numbers(ids, AFFILIATION_PREFIX)))


def _organizations(value: str, criteria: Criteria) -> None:
    """A role's organization: its practice (`practice-<location id>`) or its hospital (`institution-<id>`)."""
    ids = [values.reference("organization", part, "Organization") for part in value.split(",")]
    criteria.narrow("locations", _ids_or_none(_numbers(ids, PRACTICE_PREFIX)))
    institutions = _numbers(ids, INSTITUTION_PREFIX)
    criteria.narrow(
        "affiliations",
        (lambda affiliations: affiliations.filter(institution_id__in=institutions))
        if institutions
        else (lambda a: None),
    )


def _organization_ids(value: str, criteria: Criteria) -> None:
    ids = [values.token("_id", part) for part in value.split(",")]
    criteria.narrow("locations", _ids_or_none(_numbers(ids, PRACTICE_PREFIX)))
    criteria.narrow("institutions", _ids_or_none(_numbers(ids, INSTITUTION_PREFIX)))


def _organization_type(value: str, criteria: Criteria) -> None:
    code = values.token("type", value, system=ORGANIZATION_TYPE_SYSTEM)
    kinds = {PROVIDER_GROUP["code"]: "institutions", FACILITY["code"]: "locations"}  # the kind each code leaves out
    if code not in kinds:
        raise values.invalid(
            "type", f"OncoDir lists {FACILITY['code']} (hospitals) and {PROVIDER_GROUP['code']} (practices)."
        )
    criteria.narrow(kinds[code], lambda queryset: None)


def _organization_method(parameter: str, location_method: str, institution_method: str | None):
    """A parameter of both kinds of organization; None: hospitals do not have it (they are left out)."""

    def apply(value: str, criteria: Criteria) -> None:
        text = values.string(parameter, value)
        criteria.narrow("locations", lambda locations: getattr(locations, location_method)(text))
        criteria.narrow(
            "institutions",
            (lambda institutions: getattr(institutions, institution_method)(text))
            if institution_method
            else (lambda i: None),
        )

    return apply


def _physician_method(parameter: str, method: str):
    def apply(value: str, criteria: Criteria) -> None:
        criteria.physicians = getattr(criteria.physicians, method)(values.string(parameter, value))

    return apply


def _location_method(parameter: str, method: str):
    def apply(value: str, criteria: Criteria) -> None:
        text = values.string(parameter, value)
        criteria.at_locations(lambda locations: getattr(locations, method)(text))

    return apply


def _active(value: str, criteria: Criteria) -> None:
    criteria.active = values.boolean("active", value)


def _last_updated(*targets: tuple[str, str]):
    """`_lastUpdated` on each (kind, QuerySet method) of `targets`."""

    def apply(value: str, criteria: Criteria) -> None:
        for lookup, when in values.date_comparison("_lastUpdated", value):
            for kind, method in targets:
                criteria.narrow(kind, lambda queryset, m=method, k=lookup, w=when: getattr(queryset, m)(k, w))

    return apply


def _specialty(value: str, criteria: Criteria) -> None:
    criteria.filter_by("specialty", values.token("specialty", value, system=NUCC_SYSTEM), "specialty")


def _gender(value: str, criteria: Criteria) -> None:
    gender = values.token("gender", value)
    if gender not in GENDERS:
        raise values.invalid("gender", "OncoDir knows female or male (or not stated: leave the parameter out).")
    criteria.filter_by("sex", GENDERS[gender], "gender")


def _communication(value: str, criteria: Criteria) -> None:
    criteria.filter_by("language", values.token("communication", value, system="urn:ietf:bcp:47"), "communication")


def _role_near(parameter: str):
    def apply(value: str, criteria: Criteria) -> None:
        latitude, longitude, miles = values.near(parameter, value)
        criteria.at_locations()
        criteria.near = (latitude, longitude)
        criteria.filter_by("near", (latitude, longitude), parameter)
        criteria.filter_by("radius", "" if miles is None else str(miles), parameter)

    return apply


def _directory_filter(name: str, fhir_name: str):
    """An OncoDir search parameter as it is: its value, validation and description are the filterset's."""

    def apply(value: str, criteria: Criteria) -> None:
        criteria.filter_by(name, value, fhir_name)

    return apply


def _custom(fhir_name: str, name: str, note: str = "") -> FhirParameter:
    return FhirParameter(
        fhir_name,
        "token",
        f"OncoDir's `{name}` filter: {BY_NAME[name].description}{note}",
        _directory_filter(name, fhir_name),
    )


ACTIVE_DOCUMENTATION = (
    "true (the default when left out: the directory lists active physicians) or false (deactivated ones, "
    "which a read by id always finds)."
)
LAST_UPDATED = "When the resource last changed (its records' `updated_at`), with prefix eq, gt, ge, lt or le."
ADDRESS = {
    "address-postalcode": ("in_postal_code", "The ZIP code starts with this."),
    "address-state": ("in_state", "The two-letter state code."),
    "address-city": ("in_city", "The city starts with this (any case)."),
}

PRACTITIONER_ROLE = (
    FhirParameter(
        "_id",
        "token",
        "The role's id: a location's id, or affiliation-<id>.",
        _role_ids,
        f"{BASE}/Resource-id",
        many=True,
    ),  # fmt: skip
    FhirParameter(
        "_lastUpdated",
        "date",
        LAST_UPDATED,
        _last_updated(("locations", "role_changed"), ("affiliations", "role_changed")),
        f"{BASE}/Resource-lastUpdated",
        repeatable=True,
    ),  # fmt: skip
    FhirParameter("active", "token", ACTIVE_DOCUMENTATION, _active, f"{BASE}/PractitionerRole-active"),
    FhirParameter(
        "specialty",
        "token",
        f"A NUCC taxonomy code ({NUCC_SYSTEM}) we list, or an OncoDir specialty category "
        "(see /api/v1/specialties/): physicians with that specialty.",
        _specialty,
        f"{PLAN_NET_PARAMETER}/plannet-sp-practitionerrole-specialty",
    ),
    FhirParameter(
        "practitioner",
        "reference",
        "Practitioner/<NPI>.",
        _practitioners,
        f"{PLAN_NET_PARAMETER}/plannet-sp-practitionerrole-practitioner",
        many=True,
    ),  # fmt: skip
    FhirParameter(
        "location",
        "reference",
        "Location/<id>.",
        _location_ids("location"),
        f"{PLAN_NET_PARAMETER}/plannet-sp-practitionerrole-location",
        many=True,
    ),  # fmt: skip
    FhirParameter(
        "organization",
        "reference",
        "Organization/practice-<id> (the roles at that practice) or Organization/institution-<id> "
        "(the physicians affiliated with that hospital).",
        _organizations,
        f"{PLAN_NET_PARAMETER}/plannet-sp-practitionerrole-organization",
        many=True,
    ),  # fmt: skip
    FhirParameter(
        "location.near",
        "special",
        "latitude|longitude|distance|units (units mi, [mi_i], [mi_us], km or m; km when left out; distance "
        f"{BY_NAME['radius'].schema['default']} miles when left out): roles at a location within that distance, "
        "sorted by the physician's nearest such location (the directory search's `near` and `radius`).",
        _role_near("location.near"),
        f"{BASE}/Location-near",
    ),
    *(
        FhirParameter(
            f"location.{name}",
            "string",
            f"The role's location: {doc}",
            _location_method(f"location.{name}", method),
            f"{BASE}/Location-{name}",
        )  # fmt: skip
        for name, (method, doc) in ADDRESS.items()
    ),
    _custom("cancer", "cancer"),
    _custom("accepting", "accepting", " With `location.near`, only roles at locations accepting new patients."),
    _custom("insurance", "insurance", " Only roles at practice locations known to take it."),
    _custom("telehealth", "telehealth"),
    _custom("language", "language"),
    _custom("certified", "certified"),
    _custom("board", "board"),
)

PRACTITIONER = (
    FhirParameter("_id", "token", "The NPI.", _practitioner_ids, f"{BASE}/Resource-id", many=True),
    FhirParameter(
        "_lastUpdated",
        "date",
        LAST_UPDATED,
        _last_updated(("physicians", "changed")),
        f"{BASE}/Resource-lastUpdated",
        repeatable=True,
    ),  # fmt: skip
    FhirParameter(
        "identifier",
        "token",
        f"The NPI ({NPI_SYSTEM}|<NPI> or the NPI alone).",
        _npis("identifier"),
        f"{BASE}/Practitioner-identifier",
        many=True,
    ),  # fmt: skip
    FhirParameter(
        "name",
        "string",
        "A given, middle or family name starts with this (any case).",
        _physician_method("name", "named"),
        f"{BASE}/Practitioner-name",
    ),  # fmt: skip
    FhirParameter(
        "family",
        "string",
        "The family name starts with this (any case).",
        _physician_method("family", "with_family_name"),
        f"{BASE}/individual-family",
    ),  # fmt: skip
    FhirParameter(
        "given",
        "string",
        "A given or middle name starts with this (any case).",
        _physician_method("given", "with_given_name"),
        f"{BASE}/individual-given",
    ),  # fmt: skip
    FhirParameter("gender", "token", "female or male.", _gender, f"{BASE}/individual-gender"),
    FhirParameter(
        "communication",
        "token",
        "A language spoken (ISO 639-1 code, urn:ietf:bcp:47).",
        _communication,
        f"{BASE}/Practitioner-communication",
    ),  # fmt: skip
    FhirParameter("active", "token", ACTIVE_DOCUMENTATION, _active, f"{BASE}/Practitioner-active"),
)

LOCATION = (
    FhirParameter("_id", "token", "The location's id.", _location_ids("_id"), f"{BASE}/Resource-id", many=True),
    FhirParameter(
        "_lastUpdated",
        "date",
        LAST_UPDATED,
        _last_updated(("locations", "changed")),
        f"{BASE}/Resource-lastUpdated",
        repeatable=True,
    ),  # fmt: skip
    FhirParameter(
        "near",
        "special",
        "latitude|longitude|distance|units (units mi, [mi_i], [mi_us], km or m; km when left out; distance "
        f"{BY_NAME['radius'].schema['default']} miles when left out): locations within that distance, nearest first.",
        _role_near("near"),
        f"{BASE}/Location-near",
    ),
    *(
        FhirParameter(name, "string", doc, _location_method(name, method), f"{BASE}/Location-{name}")
        for name, (method, doc) in ADDRESS.items()
    ),
)

ORGANIZATION = (
    FhirParameter(
        "_id", "token", "practice-<id> or institution-<id>.", _organization_ids, f"{BASE}/Resource-id", many=True
    ),  # fmt: skip
    FhirParameter(
        "_lastUpdated",
        "date",
        LAST_UPDATED,
        _last_updated(("locations", "changed"), ("institutions", "changed")),
        f"{BASE}/Resource-lastUpdated",
        repeatable=True,
    ),  # fmt: skip
    FhirParameter(
        "name",
        "string",
        "The name starts with this (any case).",
        _organization_method("name", "named", "named"),
        f"{BASE}/Organization-name",
    ),  # fmt: skip
    FhirParameter(
        "type",
        "token",
        f"{FACILITY['code']} (hospitals and cancer centers) or {PROVIDER_GROUP['code']} "
        f"(practices), of {ORGANIZATION_TYPE_SYSTEM}.",
        _organization_type,
        f"{BASE}/Organization-type",
    ),  # fmt: skip
    FhirParameter(
        "address-city",
        "string",
        "The city starts with this (any case).",
        _organization_method("address-city", "in_city", "in_city"),
        f"{BASE}/Organization-address-city",
    ),  # fmt: skip
    FhirParameter(
        "address-state",
        "string",
        "The two-letter state code.",
        _organization_method("address-state", "in_state", "in_state"),
        f"{BASE}/Organization-address-state",
    ),  # fmt: skip
    FhirParameter(
        "address-postalcode",
        "string",
        "The ZIP code starts with this (practices: hospitals have none here).",
        _organization_method("address-postalcode", "in_postal_code", None),
        f"{BASE}/Organization-address-postalcode",
    ),  # fmt: skip
)

from .referral_parameters import REFERRAL_SEARCH_PARAMETERS  # noqa: E402 - it uses FhirParameter
from .study_parameters import STUDY_SEARCH_PARAMETERS  # noqa: E402 - it uses FhirParameter

SEARCH_PARAMETERS: dict[str, tuple[FhirParameter, ...]] = {
    "Practitioner": PRACTITIONER,
    "PractitionerRole": PRACTITIONER_ROLE,
    "Location": LOCATION,
    "Organization": ORGANIZATION,
    **REFERRAL_SEARCH_PARAMETERS,
    **STUDY_SEARCH_PARAMETERS,
}
INCLUDES = {"PractitionerRole": ("PractitionerRole:practitioner", "PractitionerRole:location",
                                 "PractitionerRole:organization")}  # fmt: skip
REVINCLUDES = {"Practitioner": ("PractitionerRole:practitioner",)}
# Result parameters every search takes.
COUNT, OFFSET = "_count", "_offset"
DEFAULT_COUNT, MAX_COUNT = 20, 100
RESULT_PARAMETERS = {COUNT, OFFSET, "_include", "_revinclude", "_format"}
