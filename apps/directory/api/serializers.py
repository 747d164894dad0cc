"""What the directory API shows: explicit fields only, never the curation internals.

The list item is the search result row; the detail is everything the public profile page shows. Both
read only what ``for_listing()`` / ``for_profile()`` prefetch, so the query count never grows with the
page size or with a physician's certifications and locations.
"""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.directory.models import (
    Board,
    BoardCertification,
    CancerType,
    Institution,
    Physician,
    PhysicianSpecialty,
    PracticeLocation,
    Specialty,
)


class SpecialtySerializer(serializers.ModelSerializer):
    category = serializers.CharField(
        help_text="The specialty category patients search by (the `specialty` filter accepts it), or empty."
    )

    class Meta:
        model = Specialty
        fields = ["code", "display_name", "grouping", "classification", "specialization", "category"]


class CancerTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = CancerType
        fields = ["slug", "name", "description"]


class BoardSerializer(serializers.ModelSerializer):
    class Meta:
        model = Board
        fields = ["code", "name", "kind"]


class PhysicianSpecialtySerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="specialty.code", help_text="NUCC taxonomy code.")
    display_name = serializers.CharField(source="specialty.display_name")
    category = serializers.CharField(source="specialty.category", help_text="Specialty category slug, or empty.")

    class Meta:
        model = PhysicianSpecialty
        fields = ["code", "display_name", "category", "is_primary"]


class CancerTypeBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = CancerType
        fields = ["slug", "name"]


class PracticeLocationSerializer(serializers.ModelSerializer):
    class Meta:
        model = PracticeLocation
        fields = [
            "name",
            "address_line1",
            "address_line2",
            "city",
            "state",
            "zip_code",
            "phone",
            "latitude",
            "longitude",
            "accepting_new_patients",
            "is_primary",
        ]


class BoardCertificationSerializer(serializers.ModelSerializer):
    board = BoardSerializer()
    is_current = serializers.BooleanField(help_text="Certified and not expired today.")

    class Meta:
        model = BoardCertification
        fields = [
            "board",
            "certificate_name",
            "status",
            "moc_status",
            "is_current",
            "first_certified_on",
            "expires_on",
            "verified_on",
            "verification_source",
        ]


class InstitutionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Institution
        fields = ["name", "kind", "nci_designation", "city", "state"]


class _PhysicianLinks(serializers.Serializer):
    """The API address and the public page of a physician, both absolute."""

    url = serializers.SerializerMethodField(help_text="This physician in the API.")
    profile_url = serializers.SerializerMethodField(help_text="This physician's public profile page.")

    def _absolute(self, path: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, physician) -> str:
        return self._absolute(reverse("api:physician-detail", kwargs={"npi": physician.npi}))

    @extend_schema_field(OpenApiTypes.URI)
    def get_profile_url(self, physician) -> str:
        return self._absolute(physician.get_absolute_url())


class PhysicianListSerializer(_PhysicianLinks, serializers.ModelSerializer):
    """A search result."""

    display_name = serializers.CharField(help_text="Full name with suffix and credentials, as shown on the page.")
    specialties = PhysicianSpecialtySerializer(source="physician_specialties", many=True)
    cancer_types = CancerTypeBriefSerializer(many=True)
    locations = PracticeLocationSerializer(many=True)
    accepting_new_patients = serializers.BooleanField(help_text="At least one practice location accepts new patients.")
    distance_miles = serializers.SerializerMethodField(
        help_text="Miles from the `near` ZIP code to the nearest practice location within the radius; "
        "null when `near` is not given."
    )
    verification_is_stale = serializers.BooleanField(help_text="Never verified, or last verified over a year ago.")

    class Meta:
        model = Physician
        fields = [
            "npi",
            "first_name",
            "middle_name",
            "last_name",
            "name_suffix",
            "credentials",
            "display_name",
            "sex",
            "specialties",
            "cancer_types",
            "accepting_new_patients",
            "telehealth",
            "languages",
            "locations",
            "distance_miles",
            "last_verified_on",
            "verification_is_stale",
            "url",
            "profile_url",
        ]

    @extend_schema_field({"type": "number", "format": "double", "nullable": True, "minimum": 0})
    def get_distance_miles(self, physician) -> float | None:
        distance = getattr(physician, "distance_miles", None)
        return None if distance is None else round(distance, 2)


class PhysicianDetailSerializer(PhysicianListSerializer):
    """Everything the public profile shows."""

    certifications = BoardCertificationSerializer(many=True)
    affiliations = serializers.SerializerMethodField(help_text="Hospitals and cancer centers.")

    class Meta(PhysicianListSerializer.Meta):
        fields = [
            *(name for name in PhysicianListSerializer.Meta.fields if name != "distance_miles"),
            "bio",
            "certifications",
            "affiliations",
            "enumerated_on",
            "nppes_updated_on",
        ]

    @extend_schema_field(InstitutionSerializer(many=True))
    def get_affiliations(self, physician) -> list:
        return InstitutionSerializer([a.institution for a in physician.affiliations.all()], many=True).data
