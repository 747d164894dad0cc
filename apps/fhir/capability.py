"""GET /fhir/metadata: the CapabilityStatement, built from what the server implements (the declarations of
parameters.py and the resource types views.py reads), so it cannot list what is not there."""

import re
from urllib.parse import urlsplit

from django.conf import settings

from .parameters import COUNT, INCLUDES, OFFSET, REVINCLUDES, SEARCH_PARAMETERS
from .resources import PROFILES

FHIR_VERSION = "4.0.1"
# Every resource type the server reads by id; those in SEARCH_PARAMETERS are searched too.
READABLE = ("Practitioner", "PractitionerRole", "Location", "Organization")
RESULT_DOCUMENTATION = (
    f"`{COUNT}`: resources per page (default 20, at most 100). `{OFFSET}`: where the page starts (follow the "
    "Bundle's `next` link). Unknown parameters are an error (400) unless `Prefer: handling=lenient` asks to "
    "ignore them. `active` defaults to true."
)


def capability_statement(base_url: str, software_date: str) -> dict:
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": software_date,
        "kind": "instance",
        "software": {"name": "OncoDir"},
        "implementation": {"description": "OncoDir's oncologist directory, read-only", "url": base_url},
        "fhirVersion": FHIR_VERSION,
        "format": ["json"],
        "instantiates": ["http://hl7.org/fhir/us/davinci-pdex-plan-net/CapabilityStatement/plan-net"],
        "rest": [
            {
                "mode": "server",
                "documentation": RESULT_DOCUMENTATION,
                "security": {
                    "cors": bool(getattr(settings, "CORS_ALLOW_ALL_ORIGINS", False)),
                    "description": "Public and read-only: no authentication.",
                },  # fmt: skip
                "resource": [_resource(resource_type) for resource_type in READABLE],
            }
        ],
    }


def _cors(base_url: str) -> bool:
    """Whether django-cors-headers answers any origin under /fhir/ (settings.CORS_URLS_REGEX)."""
    path = urlsplit(base_url).path + "metadata"
    return bool(settings.CORS_ALLOW_ALL_ORIGINS and re.match(settings.CORS_URLS_REGEX, path))


def _resource(resource_type: str) -> dict:
    parameters = SEARCH_PARAMETERS.get(resource_type, ())
    resource = {
        "type": resource_type,
        "profile": PROFILES[resource_type],
        "interaction": [{"code": "read"}, *([{"code": "search-type"}] if parameters else [])],
        "versioning": "no-version",
        "readHistory": False,
        "updateCreate": False,
    }
    if resource_type in INCLUDES:
        resource["searchInclude"] = list(INCLUDES[resource_type])
    if resource_type in REVINCLUDES:
        resource["searchRevInclude"] = list(REVINCLUDES[resource_type])
    if parameters:
        resource["searchParam"] = [
            {
                "name": parameter.name,
                **({"definition": parameter.definition} if parameter.definition else {}),
                "type": parameter.type,
                "documentation": parameter.documentation,
            }
            for parameter in parameters
        ]
    return resource
