"""What the directory API shows: explicit fields only, never the curation internals.

The list item is the search result row; the detail is everything the public profile page shows. Both
read only what was fetched with the page (``as_result_rows()`` and ``reference.describe_listing()``, or
``for_profile()``), so the query count never grows with the page size or with a physician's
certifications and locations.
"""

from django.urls import reverse
from django.utils.functional import cached_property
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.directory import display
from apps.directory.models import (
    Board,
    BoardCertification,
    CancerType,
    Institution,
    Physician,
    PlanType,
    PracticeLocation,
    Specialty,
)
from apps.trials.api.serializers import PhysicianTrialSerializer
from apps.trials.models import InvestigatorMatch, practice_origin


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


# The nested parts of a search result are plain Serializers: a ModelSerializer introspects its model
# each time it is built, which cost more than the whole SQL of a results page (bench/api_bench.py).


class PhysicianSpecialtySerializer(serializers.Serializer):
    code = serializers.CharField(source="specialty.code", help_text="NUCC taxonomy code.")
    display_name = serializers.CharField(source="specialty.display_name")
    category = serializers.CharField(source="specialty.category", help_text="Specialty category slug, or empty.")
    is_primary = serializers.BooleanField()


class CancerTypeBriefSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()


class PracticeLocationSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="Practice or hospital name, or empty.")
    title = serializers.CharField(
        help_text="What the page titles this location: its name, or its street address when it has none, "
        "in readable case."
    )
    address_line1 = serializers.CharField()
    address_line2 = serializers.CharField()
    city = serializers.CharField()
    state = serializers.CharField(help_text="Two-letter US state code.")
    zip_code = serializers.CharField()
    phone = serializers.CharField()
    latitude = serializers.FloatField(allow_null=True)
    longitude = serializers.FloatField(allow_null=True)
    accepting_new_patients = serializers.BooleanField(
        allow_null=True,
        help_text="`true`: accepts new patients here; `false`: does not; `null`: not known (call to ask). "
        "Imported registry data says nothing about it, so it is `null` until a curator or the physician says.",
    )
    is_primary = serializers.BooleanField()


class InsurancePlanSerializer(serializers.Serializer):
    carrier = serializers.CharField(source="carrier.name", help_text="The insurance carrier, as patients name it.")
    carrier_slug = serializers.SlugField(source="carrier.slug", help_text="The `insurance` search value for any "
                                         "plan of this carrier.")  # fmt: skip
    plan_type = serializers.ChoiceField(choices=PlanType.choices)
    name = serializers.CharField(help_text="The plan's own name (from a payer's feed), or empty.")
    insurance = serializers.CharField(
        source="search_value", help_text="The `insurance` search value for this carrier's plans of this type."
    )


class PracticeLocationDetailSerializer(PracticeLocationSerializer):
    insurance_plans = InsurancePlanSerializer(
        many=True,
        help_text="The insurance plans this location takes; empty: not known (call to ask), never a no.",
    )


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


NPI_MARK, SLUG_MARK = "0000000000", "slug-mark"


class _PhysicianLinks(serializers.Serializer):
    """The API address and the public page of a physician, both absolute.

    The addresses are reversed once per serializer (a list page's child serves every row) and filled in
    per physician: reversing two URLs for each of 100 rows cost more than the page's SQL.
    """

    url = serializers.SerializerMethodField(help_text="This physician in the API.")
    profile_url = serializers.SerializerMethodField(help_text="This physician's public profile page.")

    @cached_property
    def _url_templates(self) -> tuple[str, str]:
        request = self.context.get("request")
        api = reverse("api:physician-detail", kwargs={"npi": NPI_MARK})
        profile = reverse("directory:physician-detail", kwargs={"npi": NPI_MARK, "slug": SLUG_MARK})
        if request is not None:
            api, profile = request.build_absolute_uri(api), request.build_absolute_uri(profile)
        return api, profile

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, physician) -> str:
        return self._url_templates[0].replace(NPI_MARK, physician.npi, 1)

    @extend_schema_field(OpenApiTypes.URI)
    def get_profile_url(self, physician) -> str:
        return self._url_templates[1].replace(NPI_MARK, physician.npi, 1).replace(SLUG_MARK, physician.slug, 1)


def _date(value):
    return value.isoformat() if value is not None else None


def _location(row: dict) -> dict:
    """A location as the API shows it, from its PracticeLocation.ROW_FIELDS (a result row's `location_rows`)."""
    return {
        "name": row["name"],
        "title": display.location_title(row["name"], row["address_line1"]),
        "address_line1": row["address_line1"],
        "address_line2": row["address_line2"],
        "city": row["city"],
        "state": row["state"],
        "zip_code": row["zip_code"],
        "phone": row["phone"],
        "latitude": row["latitude"],
        "longitude": row["longitude"],
        "accepting_new_patients": row["accepting_new_patients"],
        "is_primary": row["is_primary"],
    }


class PhysicianListSerializer(_PhysicianLinks, serializers.Serializer):
    """A search result. Its fields, in order, are the declared ones below."""

    npi = serializers.CharField(help_text="10-digit National Provider Identifier.")
    first_name = serializers.CharField()
    middle_name = serializers.CharField()
    last_name = serializers.CharField()
    name_suffix = serializers.CharField()
    credentials = serializers.CharField(help_text="For example MD, DO, MD PhD.")
    display_name = serializers.CharField(help_text="Full name with suffix and credentials, as shown on the page.")
    sex = serializers.ChoiceField(choices=Physician.Sex.choices, help_text="F, M, or empty when not stated.")
    specialties = PhysicianSpecialtySerializer(source="physician_specialties", many=True)
    cancer_types = CancerTypeBriefSerializer(many=True)
    accepting_new_patients = serializers.BooleanField(
        allow_null=True,
        help_text="`true`: at least one practice location accepts new patients; `false`: every one is known "
        "not to; `null`: not known (call to ask). The `accepting` filter finds only `true`.",
    )
    telehealth = serializers.BooleanField(
        allow_null=True,
        help_text="`true`: offers telehealth; `false`: does not; `null`: not known. The `telehealth` filter "
        "finds only `true`.",
    )
    languages = serializers.ListField(
        child=serializers.CharField(), help_text="ISO 639-1 codes. Empty: not known (not: speaks none)."
    )
    locations = PracticeLocationSerializer(many=True)
    distance_miles = serializers.SerializerMethodField(
        help_text="Miles from the `near` ZIP code to the nearest practice location within the radius; "
        "null when `near` is not given."
    )
    last_verified_on = serializers.DateField(allow_null=True, help_text="When this record was last verified.")
    last_verified_by = serializers.ChoiceField(
        choices=[*Physician.VerifiedBy.values, ""],
        help_text="Who verified it then: `curator` (checked by a curator), `physician` (confirmed by the physician "
        "on their own listing), or empty (not recorded).",
    )
    verification_is_stale = serializers.BooleanField(help_text="Never verified, or last verified over a year ago.")

    @extend_schema_field({"type": "number", "format": "double", "nullable": True, "minimum": 0})
    def get_distance_miles(self, physician) -> float | None:
        distance = getattr(physician, "distance_miles", None)
        return None if distance is None else round(distance, 2)

    def _location_rows(self, physician) -> list[dict]:
        return physician.location_rows  # Physician.objects.as_result_rows()

    def to_representation(self, physician) -> dict:
        """The declared fields above, built directly: DRF's field-by-field walk was most of a page's time.

        The declarations stay the contract (the OpenAPI schema is generated from them); the tests compare
        this output with them field by field, and Schemathesis validates every response against the schema.
        """
        return {
            "npi": physician.npi,
            "first_name": physician.first_name,
            "middle_name": physician.middle_name,
            "last_name": physician.last_name,
            "name_suffix": physician.name_suffix,
            "credentials": physician.credentials,
            "display_name": physician.display_name,
            "sex": physician.sex,
            "specialties": [
                {
                    "code": link.specialty.code,
                    "display_name": link.specialty.display_name,
                    "category": link.specialty.category,
                    "is_primary": link.is_primary,
                }
                for link in physician.specialty_links
            ],
            "cancer_types": [{"slug": cancer.slug, "name": cancer.name} for cancer in physician.cancer_type_list],
            "accepting_new_patients": physician.accepting_new_patients,
            "telehealth": physician.telehealth,
            "languages": list(physician.languages),
            "locations": [_location(row) for row in self._location_rows(physician)],
            "distance_miles": self.get_distance_miles(physician),
            "last_verified_on": _date(physician.last_verified_on),
            "last_verified_by": physician.last_verified_by,
            "verification_is_stale": physician.verification_is_stale,
            "url": self.get_url(physician),
            "profile_url": self.get_profile_url(physician),
        }


class PhysicianDetailSerializer(PhysicianListSerializer):
    """Everything the public profile shows."""

    distance_miles = None
    locations = PracticeLocationDetailSerializer(many=True)
    bio = serializers.CharField(help_text="Short bio.")
    certifications = BoardCertificationSerializer(many=True)
    affiliations = serializers.SerializerMethodField(help_text="Hospitals and cancer centers.")
    enumerated_on = serializers.DateField(allow_null=True, help_text="When the NPI was issued.")
    nppes_updated_on = serializers.DateField(allow_null=True, help_text="When NPPES last updated the record.")

    trials = serializers.SerializerMethodField(
        help_text="The clinical trials the physician runs, as the profile lists them (linked investigators only)."
    )

    def _location_rows(self, physician) -> list[dict]:
        fields = PracticeLocation.ROW_FIELDS
        return [{name: getattr(location, name) for name in fields} for location in physician.location_list]

    def to_representation(self, physician) -> dict:
        data = super().to_representation(physician)
        del data["distance_miles"]
        for row, location in zip(data["locations"], physician.location_list, strict=True):
            row["insurance_plans"] = InsurancePlanSerializer(location.plan_list, many=True).data
        data.update(
            bio=physician.bio,
            certifications=BoardCertificationSerializer(physician.certifications.all(), many=True).data,
            affiliations=self.get_affiliations(physician),
            enumerated_on=_date(physician.enumerated_on),
            nppes_updated_on=_date(physician.nppes_updated_on),
            trials=self.get_trials(physician),
        )
        return data

    @extend_schema_field(PhysicianTrialSerializer(many=True))
    def get_trials(self, physician) -> list:
        matches = InvestigatorMatch.objects.run_by(physician, practice_origin(physician.location_list))
        return PhysicianTrialSerializer(matches, many=True, context=self.context).data

    @extend_schema_field(InstitutionSerializer(many=True))
    def get_affiliations(self, physician) -> list:
        return InstitutionSerializer([a.institution for a in physician.affiliations.all()], many=True).data
