"""The OpenAPI description of GET /api/v1/physicians/'s search parameters, read from filters.PARAMETERS.

The form fields declared there are the one validator of the page and the API; each declaration's schema
describes what its field accepts, so every value the documentation calls valid is accepted and every value
it calls invalid is refused with a 400 (tests/api/test_schemathesis.py holds the API to it).
"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter

from apps.directory.filters import PARAMETERS
from apps.directory.reference import reference_data


def search_parameters() -> list[OpenApiParameter]:
    """Every search parameter, lookups (specialties, cancer types) as the database lists them now."""
    reference = reference_data()
    parameters = []
    for parameter in PARAMETERS:
        schema = parameter.schema
        if parameter.choices is not None:
            schema = {**schema, "enum": ["", *(value for value, _ in parameter.choices(reference))]}
        parameters.append(
            OpenApiParameter(
                parameter.name, schema, OpenApiParameter.QUERY, required=False, description=parameter.description
            )
        )
    return parameters


class PhysicianSearchSchema(AutoSchema):
    """Documents the search parameters of the list (with today's specialties and cancer types)."""

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self.view.action == "list":
            parameters = [*search_parameters(), *parameters]
        return parameters
