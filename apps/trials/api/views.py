"""The trials API: thin views over the same form and QuerySet methods as /trials/ and the trial page."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.exceptions import ErrorDetail, NotFound, ValidationError

from apps.common.api_views import PublicReadOnlyAPIMixin
from apps.common.openapi import READ_ERRORS, error_responses
from apps.common.pagination import KeysetPagination
from apps.directory.api.schema import search_parameters
from apps.directory.filters import BY_NAME as SEARCH_PARAMETERS

from ..forms import REQUIRED_ZIP_PATTERN, TrialSearchForm, TrialSitesForm, nct_id_error
from ..models import Trial, with_nearest_sites, with_sites
from ..rules import NCT_ID_PATTERN
from . import serializers

TRIAL_NOT_FOUND = "No trial with this NCT id is listed."
NEAR_DESCRIPTION = "A US ZIP code (5 digits or ZIP+4) we know the location of; a well-formed but unknown one is a 400."
CANCER_DESCRIPTION = "A cancer type slug (see /api/v1/cancer-types/): its trials only."


class TrialSearchSchema(AutoSchema):
    """The list's parameters are the directory search's `near`, `radius` and `cancer` (their declared schemas,
    cancer types as the database lists them now), `near` required here."""

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self.view.action != "list":
            return parameters
        shared = {p.name: p for p in search_parameters() if p.name in ("near", "radius", "cancer")}
        described = {"near": NEAR_DESCRIPTION, "cancer": CANCER_DESCRIPTION}
        shared["near"].type = {**shared["near"].type, "pattern": REQUIRED_ZIP_PATTERN}
        return [
            OpenApiParameter(
                name,
                shared[name].type,
                OpenApiParameter.QUERY,
                required=name == "near",
                description=described.get(name, shared[name].description),
            )
            for name in ("near", "radius", "cancer")
        ] + parameters


def _form_errors(form) -> ValidationError:
    """A form's errors as the API's 400: each field with its messages, as the directory search answers."""
    return ValidationError(
        {
            name: [ErrorDetail(message, code=error.code or "invalid") for error in found for message in error]
            for name, found in form.errors.as_data().items()
        }
    )


@extend_schema_view(
    list=extend_schema(
        summary="Recruiting trials near a ZIP code",
        description=(
            "The /trials/ page's search: recruiting studies with a recruiting US site within `radius` miles of "
            "`near`, for a cancer type if given, nearest site first (ties by NCT id), each with that site and the "
            "directory's oncologists linked there. Paged by cursor. Invalid parameters give a 400 naming each one."
        ),
        responses={200: serializers.TrialListSerializer(many=True), **error_responses(400, 404, *READ_ERRORS)},
    ),
    retrieve=extend_schema(
        summary="A trial and its sites",
        description=(
            "Everything the trial page shows: the study, its linked leaders, and every site, nearest to `near` "
            "first when given. A malformed NCT id is a 400, an unknown one a 404."
        ),
        parameters=[
            OpenApiParameter(
                "nct_id",
                {"type": "string", "pattern": NCT_ID_PATTERN},
                OpenApiParameter.PATH,
                description="The study's NCT id: NCT and 8 digits.",
            ),
            OpenApiParameter(
                "near",
                SEARCH_PARAMETERS["near"].schema,
                OpenApiParameter.QUERY,
                description=NEAR_DESCRIPTION + " The sites nearest to it come first.",
            ),
        ],
        responses={200: serializers.TrialDetailSerializer, **error_responses(400, 404, *READ_ERRORS)},
    ),
)
class TrialViewSet(PublicReadOnlyAPIMixin, viewsets.ReadOnlyModelViewSet):
    lookup_field = "nct_id"
    lookup_value_regex = "[^/]+"
    pagination_class = KeysetPagination
    queryset = Trial.objects.all()
    schema = TrialSearchSchema()

    def get_serializer_class(self):
        return serializers.TrialDetailSerializer if self.action == "retrieve" else serializers.TrialListSerializer

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        form = TrialSearchForm(self.request.query_params)
        if not form.is_valid():
            raise _form_errors(form)
        return form.trials(queryset)

    def paginate_queryset(self, queryset):
        return with_nearest_sites(super().paginate_queryset(queryset))

    def retrieve(self, request, *args, **kwargs):
        return self._from_server_cache(request, super().retrieve, *args, **kwargs)

    def get_object(self):
        nct_id = self.kwargs["nct_id"]
        if error := nct_id_error(nct_id):
            raise ValidationError({"nct_id": [ErrorDetail(error, code="invalid")]})
        trial = Trial.objects.prefetch_related("cancer_types").filter(nct_id=nct_id).first()
        if trial is None:
            raise NotFound(TRIAL_NOT_FOUND)
        form = TrialSitesForm(self.request.query_params)
        if not form.is_valid():
            raise _form_errors(form)
        return with_sites(trial, form.origin)
