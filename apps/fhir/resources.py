"""The directory as FHIR R4 resources (Da Vinci PDex Plan-Net profiles): one plain-dict mapping per resource.

OncoDir's rows become resources as follows (ids are what the read interaction takes):
- Physician -> Practitioner, id = the NPI.
- PracticeLocation -> PractitionerRole (the physician at that location), Location, and the practice's
  Organization; the first two take the location's id, the organization `practice-<id>`.
- Institution (hospital, cancer center) -> Organization `institution-<id>`.
- Affiliation (a physician's hospital) -> PractitionerRole `affiliation-<id>`: the physician at that
  organization, without a location.
"""

from apps.directory import display
from apps.directory.forms import LANGUAGE_NAMES
from apps.directory.models import CertificationStatus, Institution
from apps.directory.reference import reference_data

NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
NUCC_SYSTEM = "http://nucc.org/provider-taxonomy"
LANGUAGE_SYSTEM = "urn:ietf:bcp:47"
PLAN_NET = "http://hl7.org/fhir/us/davinci-pdex-plan-net"
PROFILES = {
    "Practitioner": f"{PLAN_NET}/StructureDefinition/plannet-Practitioner",
    "PractitionerRole": f"{PLAN_NET}/StructureDefinition/plannet-PractitionerRole",
    "Location": f"{PLAN_NET}/StructureDefinition/plannet-Location",
    "Organization": f"{PLAN_NET}/StructureDefinition/plannet-Organization",
}
NEW_PATIENTS_EXTENSION = f"{PLAN_NET}/StructureDefinition/newpatients"
ACCEPTING_SYSTEM = f"{PLAN_NET}/CodeSystem/AcceptingPatientsCS"
QUALIFICATION_EXTENSION = f"{PLAN_NET}/StructureDefinition/practitioner-qualification"
ORGANIZATION_TYPE_SYSTEM = f"{PLAN_NET}/CodeSystem/OrgTypeCS"
ROLE_SYSTEM = "http://terminology.hl7.org/CodeSystem/practitioner-role"

GENDERS = {"F": "female", "M": "male"}
# Plan-Net's qualification status (active | inactive | issued-in-error | revoked | pending | unknown).
QUALIFICATION_STATUS = {
    CertificationStatus.CERTIFIED: "active",
    CertificationStatus.LAPSED: "inactive",
    CertificationStatus.EXPIRED: "inactive",
    CertificationStatus.INACTIVE: "inactive",
    CertificationStatus.SUSPENDED: "inactive",
    CertificationStatus.REVOKED: "revoked",
}
PRACTICE_PREFIX, INSTITUTION_PREFIX, AFFILIATION_PREFIX = "practice-", "institution-", "affiliation-"
# Plan-Net's organization types: a hospital or cancer center is a facility, a practice a provider group.
FACILITY = {"code": "fac", "display": "Facility"}
PROVIDER_GROUP = {"code": "prvgrp", "display": "Provider Group"}


def _meta(resource_type: str, *changed) -> dict:
    return {"lastUpdated": _instant(max(changed)), "profile": [PROFILES[resource_type]]}


def _instant(when) -> str:
    return when.isoformat(timespec="milliseconds")


def _reference(resource_type: str, resource_id, display_text: str = "") -> dict:
    reference = {"reference": f"{resource_type}/{resource_id}"}
    return {**reference, "display": display_text} if display_text else reference


def _phone(location) -> list[dict]:
    return [{"system": "phone", "value": location.display_phone, "use": "work"}] if location.phone else []


def _address(location) -> dict:
    lines = [display.address(line) for line in (location.address_line1, location.address_line2) if line]
    return {
        "use": "work",
        "type": "physical",
        "text": f"{location.display_street}, {location.display_place}",
        "line": lines,
        "city": location.display_city,
        "state": location.state,
        "postalCode": location.zip_code,
        "country": "US",
    }


def practitioner_id(physician) -> str:
    return physician.npi


def practice_id(location) -> str:
    return f"{PRACTICE_PREFIX}{location.pk}"


def institution_id(institution) -> str:
    return f"{INSTITUTION_PREFIX}{institution.pk}"


def practitioner(physician) -> dict:
    """Practitioner: NPI, name, gender, languages, board certifications (needs for_practitioner())."""
    certifications = physician.qualification_list
    given = [display.person_name(physician.first_name, given=True), display.person_name(physician.middle_name)]
    name = {
        "use": "official",
        "text": physician.display_name,
        "family": display.person_name(physician.last_name),
        "given": [part for part in given if part],
    }
    suffixes = [part for part in (display.name_suffix(physician.name_suffix) if physician.name_suffix else "",
                                  display.credentials(physician.credentials)) if part]  # fmt: skip
    if suffixes:
        name["suffix"] = suffixes
    resource = {
        "resourceType": "Practitioner",
        "id": practitioner_id(physician),
        "meta": _meta("Practitioner", physician.updated_at, *(c.updated_at for c in certifications)),
        "identifier": [{"use": "official", "system": NPI_SYSTEM, "value": physician.npi}],
        "active": physician.is_active,
        "name": [name],
    }
    if physician.sex in GENDERS:
        resource["gender"] = GENDERS[physician.sex]
    if certifications:
        resource["qualification"] = [_qualification(certification) for certification in certifications]
    if physician.languages:
        resource["communication"] = [
            {
                "coding": [{"system": LANGUAGE_SYSTEM, "code": code, "display": LANGUAGE_NAMES.get(code, code)}],
                "text": LANGUAGE_NAMES.get(code, code),
            }
            for code in physician.languages
        ]
    return resource


def _qualification(certification) -> dict:
    period = {"start": certification.first_certified_on.isoformat()}
    if certification.expires_on:
        period["end"] = certification.expires_on.isoformat()
    board = certification.board
    return {
        "extension": [
            {
                "url": QUALIFICATION_EXTENSION,
                "extension": [
                    {"url": "status", "valueCode": QUALIFICATION_STATUS.get(certification.status, "unknown")}
                ],
            }
        ],
        "code": {"text": certification.certificate_name},
        "period": period,
        "issuer": {"display": f"{board.name} ({board.code})"},
    }


def _specialties(physician) -> list[dict]:
    specialties = {s.id: s for s in reference_data().specialties}
    known = [specialties[pk] for pk in sorted(physician.specialty_ids) if pk in specialties]
    return [
        {"coding": [{"system": NUCC_SYSTEM, "code": s.code, "display": s.display_name}], "text": s.display_name}
        for s in known
    ]


def practitioner_role(location) -> dict:
    """PractitionerRole: the physician at one practice location (needs for_roles())."""
    physician = location.physician
    resource = {
        "resourceType": "PractitionerRole",
        "id": str(location.pk),
        "meta": _meta("PractitionerRole", location.updated_at, physician.updated_at),
        "active": physician.is_active,
        "practitioner": _reference("Practitioner", practitioner_id(physician), physician.display_name),
        "organization": _reference("Organization", practice_id(location), location.title),
        "code": [{"coding": [{"system": ROLE_SYSTEM, "code": "doctor", "display": "Doctor"}]}],
        "location": [_reference("Location", location.pk, location.title)],
    }
    if location.accepting_new_patients is not None:
        accepting = {"code": "newpt", "display": "Accepting"} if location.accepting_new_patients else {
            "code": "nopt", "display": "Not Accepting"}  # fmt: skip
        resource["extension"] = [
            {
                "url": NEW_PATIENTS_EXTENSION,
                "extension": [
                    {
                        "url": "acceptingPatients",
                        "valueCodeableConcept": {"coding": [{"system": ACCEPTING_SYSTEM, **accepting}]},
                    }
                ],
            }
        ]
    specialties = _specialties(physician)
    if specialties:
        resource["specialty"] = specialties
    if location.phone:
        resource["telecom"] = _phone(location)
    return resource


def affiliation_role(affiliation) -> dict:
    """PractitionerRole: the physician affiliated with a hospital or cancer center (needs for_roles())."""
    physician, institution = affiliation.physician, affiliation.institution
    resource = {
        "resourceType": "PractitionerRole",
        "id": f"{AFFILIATION_PREFIX}{affiliation.pk}",
        "meta": _meta("PractitionerRole", institution.updated_at, physician.updated_at),
        "active": physician.is_active,
        "practitioner": _reference("Practitioner", practitioner_id(physician), physician.display_name),
        "organization": _reference("Organization", institution_id(institution), institution.name),
        "code": [{"coding": [{"system": ROLE_SYSTEM, "code": "doctor", "display": "Doctor"}]}],
    }
    specialties = _specialties(physician)
    if specialties:
        resource["specialty"] = specialties
    return resource


def location_resource(location) -> dict:
    """Location: the practice's address and position."""
    resource = {
        "resourceType": "Location",
        "id": str(location.pk),
        "meta": _meta("Location", location.updated_at),
        "status": "active",
        "name": location.title,
        "address": _address(location),
        "managingOrganization": _reference("Organization", practice_id(location), location.title),
    }
    if location.phone:
        resource["telecom"] = _phone(location)
    if location.latitude is not None and location.longitude is not None:
        resource["position"] = {"latitude": location.latitude, "longitude": location.longitude}
    return resource


def practice_organization(location) -> dict:
    """Organization: the practice at a location (a provider group)."""
    resource = {
        "resourceType": "Organization",
        "id": practice_id(location),
        "meta": _meta("Organization", location.updated_at),
        "active": True,
        "type": [{"coding": [{"system": ORGANIZATION_TYPE_SYSTEM, **PROVIDER_GROUP}]}],
        "name": location.title,
        "address": [_address(location)],
    }
    if location.phone:
        resource["telecom"] = _phone(location)
    return resource


def institution_organization(institution: Institution) -> dict:
    """Organization: a hospital or cancer center physicians are affiliated with (a facility)."""
    resource = {
        "resourceType": "Organization",
        "id": institution_id(institution),
        "meta": _meta("Organization", institution.updated_at),
        "active": True,
        "type": [
            {
                "coding": [{"system": ORGANIZATION_TYPE_SYSTEM, **FACILITY}],
                "text": institution.get_kind_display(),
            }
        ],
        "name": institution.name,
    }
    if institution.city or institution.state:
        address = {"use": "work", "country": "US"}
        if institution.city:
            address["city"] = display.address(institution.city)
        if institution.state:
            address["state"] = institution.state
        resource["address"] = [address]
    return resource
