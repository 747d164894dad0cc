"""The read interaction: one resource by id, whatever its state (a deactivated physician reads as active=false)."""

from apps.directory.models import Affiliation, Institution, Physician, PracticeLocation

from . import resources
from .resources import AFFILIATION_PREFIX, INSTITUTION_PREFIX, PRACTICE_PREFIX


def _number(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None


def practitioner(resource_id: str) -> dict | None:
    physician = Physician.objects.for_practitioner().filter(npi=resource_id).first()
    return resources.practitioner(physician) if physician else None


def _location(resource_id: str) -> PracticeLocation | None:
    pk = _number(resource_id)
    return PracticeLocation.objects.for_roles().filter(pk=pk).first() if pk is not None else None


def practitioner_role(resource_id: str) -> dict | None:
    if resource_id.startswith(AFFILIATION_PREFIX):
        pk = _number(resource_id.removeprefix(AFFILIATION_PREFIX))
        found = Affiliation.objects.for_roles().filter(pk=pk).first() if pk is not None else None
        return resources.affiliation_role(found) if found else None
    location = _location(resource_id)
    return resources.practitioner_role(location) if location else None


def location(resource_id: str) -> dict | None:
    found = _location(resource_id)
    return resources.location_resource(found) if found else None


def organization(resource_id: str) -> dict | None:
    if resource_id.startswith(PRACTICE_PREFIX):
        pk = _number(resource_id.removeprefix(PRACTICE_PREFIX))
        found = PracticeLocation.objects.filter(pk=pk).first() if pk is not None else None
        return resources.practice_organization(found) if found else None
    if resource_id.startswith(INSTITUTION_PREFIX):
        pk = _number(resource_id.removeprefix(INSTITUTION_PREFIX))
        found = Institution.objects.filter(pk=pk).first() if pk is not None else None
        return resources.institution_organization(found) if found else None
    return None


READERS = {
    "Practitioner": practitioner,
    "PractitionerRole": practitioner_role,
    "Location": location,
    "Organization": organization,
}
