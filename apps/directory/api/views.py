"""The public directory API: thin views over the same QuerySets and FilterSet as the search page."""

from django.db.models import F
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.exceptions import ErrorDetail, NotFound, ValidationError

from apps.common.api_views import PublicReadOnlyAPIMixin
from apps.common.exceptions import Gone
from apps.common.openapi import READ_ERRORS, error_responses
from apps.common.pagination import KeysetPagination
from apps.directory.filters import PhysicianFilterSet
from apps.directory.models import Board, CancerType, InsurancePlan, Physician, Specialty, SpecialtyCategory
from apps.directory.reference import describe_listing

from . import serializers
from .schema import PhysicianSearchSchema

PHYSICIAN_NOT_FOUND = "No physician with this NPI is listed in the directory."
PHYSICIAN_GONE = "This physician is no longer listed in the directory."


@extend_schema_view(
    list=extend_schema(
        summary="Search physicians",
        description=(
            "The directory search, with the same parameters and the same results as the search page. "
            "Invalid parameters give a 400 naming each one; unknown parameters are ignored. Results are "
            "ordered by `sort` with the NPI as tie-breaker, and paged by cursor: follow `next` to page "
            "as deep as the results go."
        ),
        responses={200: serializers.PhysicianListSerializer(many=True), **error_responses(400, 404, *READ_ERRORS)},
    ),
    retrieve=extend_schema(
        summary="A physician's profile",
        description="Everything the public profile page shows. A physician taken off the directory answers 410.",
        parameters=[
            OpenApiParameter(
                "npi",
                str,
                OpenApiParameter.PATH,
                description="The physician's 10-digit National Provider Identifier.",
            )
        ],
        responses={200: serializers.PhysicianDetailSerializer, **error_responses(404, 410, *READ_ERRORS)},
    ),
)
class PhysicianViewSet(PublicReadOnlyAPIMixin, viewsets.ReadOnlyModelViewSet):
    lookup_field = "npi"
    lookup_value_regex = "[^/]+"
    pagination_class = KeysetPagination
    schema = PhysicianSearchSchema()

    def get_serializer_class(self):
        if self.action == "retrieve":
            return serializers.PhysicianDetailSerializer
        return serializers.PhysicianListSerializer

    def get_queryset(self):
        if self.action == "retrieve":
            return Physician.objects.active().for_profile()
        return Physician.objects.active()

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        describe_listing(page, links=True)
        return page

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        search = PhysicianFilterSet(self.request.query_params, queryset=queryset)
        if not search.is_valid():
            raise ValidationError(
                {
                    name: [ErrorDetail(message, code=error.code or "invalid") for error in found for message in error]
                    for name, found in search.form.errors.as_data().items()
                }
            )
        if self.request.query_params.get(self.paginator.cursor_query_param):
            return search.qs.as_result_rows()
        # The first page of a search by distance: read from the small circle its nearest results lie in.
        return search.first_results(self.paginator.get_page_size(self.request) + 1).as_result_rows()

    def retrieve(self, request, *args, **kwargs):
        return self._from_server_cache(request, super().retrieve, *args, **kwargs)

    def get_object(self):
        npi = self.kwargs["npi"]
        physician = self.get_queryset().filter(npi=npi).first() if npi.isascii() and npi.isdigit() else None
        if physician is None:
            if npi.isascii() and npi.isdigit() and Physician.objects.filter(npi=npi, is_active=False).exists():
                raise Gone(PHYSICIAN_GONE)
            raise NotFound(PHYSICIAN_NOT_FOUND)
        return physician


class ReferencePagination(KeysetPagination):
    """Reference lists are short and read whole: larger pages, same envelope and cursors."""

    page_size = 100
    max_page_size = 1000


class ReferenceListViewSet(PublicReadOnlyAPIMixin, viewsets.GenericViewSet, viewsets.mixins.ListModelMixin):
    """A reference table the search parameters name (specialties, cancer types, boards), listed whole."""

    pagination_class = ReferencePagination


def reference_list_schema(summary: str, description: str, **schema):
    """The OpenAPI description of a reference list: its serializer's rows, or the errors every read answers."""

    def describe(viewset: type[ReferenceListViewSet]) -> type[ReferenceListViewSet]:
        responses = {200: viewset.serializer_class(many=True), **error_responses(400, 404, *READ_ERRORS)}
        return extend_schema_view(
            list=extend_schema(summary=summary, description=description, responses=responses, **schema)
        )(viewset)

    return describe


@reference_list_schema(
    "Specialties",
    "NUCC taxonomy codes in the directory. `category` (or the code) is what the `specialty` search parameter takes.",
    parameters=[
        OpenApiParameter(
            "category",
            str,
            OpenApiParameter.QUERY,
            description="Only the specialties of this category.",
            enum=SpecialtyCategory.values,
        )
    ],
)
class SpecialtyViewSet(ReferenceListViewSet):
    serializer_class = serializers.SpecialtySerializer
    queryset = Specialty.objects.order_by("display_name", "code")

    def filter_queryset(self, queryset):
        category = self.request.query_params.get("category")
        if category is None:
            return queryset
        if category not in SpecialtyCategory.values:
            raise ValidationError({"category": [f"Choose one of: {', '.join(SpecialtyCategory.values)}."]})
        return queryset.filter(category=category)


@reference_list_schema(
    "Cancer types", "The cancer types physicians treat; the `cancer` search parameter takes the slug."
)
class CancerTypeViewSet(ReferenceListViewSet):
    serializer_class = serializers.CancerTypeSerializer
    queryset = CancerType.objects.order_by("name", "slug")


@reference_list_schema(
    "Certifying boards", "ABMS member boards and AOA certifying boards that certify physicians in the directory."
)
class BoardViewSet(ReferenceListViewSet):
    serializer_class = serializers.BoardSerializer
    queryset = Board.objects.order_by("code")


@reference_list_schema(
    "Insurance plans",
    "The insurance carriers and plan types practices say they take. The `insurance` search parameter takes a "
    "carrier's slug (`carrier_slug`: any of its plans) or `insurance` (its plans of one type).",
)
class InsurancePlanViewSet(ReferenceListViewSet):
    serializer_class = serializers.InsurancePlanSerializer
    queryset = (
        InsurancePlan.objects.select_related("carrier")
        .annotate(carrier_name=F("carrier__name"))  # keyset paging orders by an annotation, not a join
        .order_by("carrier_name", "plan_type", "name", "id")
    )
