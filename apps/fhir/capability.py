"""GET /fhir/metadata: the CapabilityStatement, built from what the server implements (the declarations of
parameters.py and the resource types views.py reads), so it cannot list what is not there."""

import re
from urllib.parse import urlsplit

from django.conf import settings

from .parameters import COUNT, INCLUDES, OFFSET, REVINCLUDES, SEARCH_PARAMETERS
from .referral_writes import task_documentation
from .resources import PROFILES

FHIR_VERSION = "4.0.1"
# Every resource type the server reads by id; those in SEARCH_PARAMETERS are searched too.
READABLE = ("Practitioner", "PractitionerRole", "Location", "Organization", "ResearchStudy")
# The referral resources (referral_views.py): read, and these writes.
REFERRAL_WRITES = {"ServiceRequest": ("create",), "Task": ("update",), "Patient": (), "DocumentReference": ("create",)}
REFERRAL_DOCUMENTATION = {
    "ServiceRequest": "A GP's referral (intent order, category referral). A GP creates one by POSTing it with "
    "its Patient contained (subject `#id`), or both in a transaction Bundle POSTed to the base; status `draft` "
    "saves a draft, `active` submits it. priority: routine, urgent, asap (urgent: suspected cancer). performer: "
    "the oncologist's PractitionerRole or Practitioner; reasonCode: ICD-10-CM and OncoDir's cancer type; note: "
    "the clinical question, history, investigations, medications, allergies (extension note-kind); extension "
    "patient-consent (true to submit).",
    "Patient": "The patient of one referral (the referral's id), visible to whoever may see the referral.",
    "DocumentReference": "A referral's attachment: its content's url is the API's download. Create one with "
    "the file as content.attachment.data (base64) and context.related ServiceRequest/<id>.",
}
# What a resource's entry says beyond its profile (ResearchStudy has none: it claims no profile).
DOCUMENTATION = {
    "ResearchStudy": "An oncology study from ClinicalTrials.gov, id = its NCT id: status mapped from the overall "
    "status (the published one in `note`), sites as contained Locations, age and sex eligibility as a contained "
    "Group, OncoDir's cancer types as codings, principalInvestigator only when linked to a directory physician. "
    "A study no longer listed reads by id with its last status (and a note saying so); searches other than by "
    "`_id` or `identifier` leave it out. `near` (a ZIP code) and `radius` are the /trials/ search.",
}
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
        "implementation": {
            "description": "OncoDir's oncologist directory and clinical trials (read-only), and referrals",
            "url": base_url,
        },
        "fhirVersion": FHIR_VERSION,
        "format": ["json"],
        "instantiates": ["http://hl7.org/fhir/us/davinci-pdex-plan-net/CapabilityStatement/plan-net"],
        "rest": [
            {
                "mode": "server",
                "documentation": RESULT_DOCUMENTATION,
                "security": {
                    "cors": bool(getattr(settings, "CORS_ALLOW_ALL_ORIGINS", False)),
                    "description": "The directory is public and read-only: no authentication. Referrals "
                    "(ServiceRequest, Task, Patient, DocumentReference) need the API's authentication "
                    "(`Authorization: Token <key>`, or a session) and show only what the caller may see.",
                },  # fmt: skip
                "resource": [
                    *(_resource(resource_type) for resource_type in READABLE),
                    *(_referral_resource(resource_type) for resource_type in REFERRAL_WRITES),
                ],
                "interaction": [{"code": "transaction", "documentation": "A Patient and its ServiceRequest."}],
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
        **({"profile": PROFILES[resource_type]} if resource_type in PROFILES else {}),
        **({"documentation": DOCUMENTATION[resource_type]} if resource_type in DOCUMENTATION else {}),
        "interaction": [{"code": "read"}, *([{"code": "search-type"}] if parameters else [])],
        "versioning": "no-version",
        "readHistory": False,
        "updateCreate": False,
    }
    if resource_type in INCLUDES:
        resource["searchInclude"] = list(INCLUDES[resource_type])
    if resource_type in REVINCLUDES:
        resource["searchRevInclude"] = list(REVINCLUDES[resource_type])
    _search_parameters(resource, parameters)
    return resource


def _referral_resource(resource_type: str) -> dict:
    parameters = SEARCH_PARAMETERS.get(resource_type, ())
    interactions = ("read", *(("search-type",) if parameters else ()), *REFERRAL_WRITES[resource_type])
    resource = {
        "type": resource_type,
        "documentation": task_documentation() if resource_type == "Task" else REFERRAL_DOCUMENTATION[resource_type],
        "interaction": [{"code": code} for code in interactions],
        "versioning": {"Task": "versioned-update", "DocumentReference": "no-version"}.get(resource_type, "versioned"),
        "readHistory": False,
        "updateCreate": False,
    }
    _search_parameters(resource, parameters)
    return resource


def _search_parameters(resource: dict, parameters) -> None:
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
