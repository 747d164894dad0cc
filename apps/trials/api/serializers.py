"""What the trials API shows: explicit fields, the same values the pages show, linked people only."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class SiteSerializer(serializers.Serializer):
    facility = serializers.CharField()
    city = serializers.CharField()
    state = serializers.CharField(help_text="As published: a full name, not a code.")
    zip_code = serializers.CharField()
    country = serializers.CharField()
    status = serializers.CharField(help_text="RECRUITING, NOT_YET_RECRUITING, ...; empty when not given.")
    distance_miles = serializers.FloatField(
        allow_null=True, help_text="Miles from `near` (US sites with coordinates only); null without `near`."
    )


class LinkedPhysicianSerializer(serializers.Serializer):
    """A directory physician a study names (a link our matching was confident of or a curator confirmed)."""

    npi = serializers.CharField(source="physician.npi")
    name = serializers.CharField(source="physician.display_name")
    role = serializers.CharField(help_text="PRINCIPAL_INVESTIGATOR, SUB_INVESTIGATOR, STUDY_CHAIR or STUDY_DIRECTOR.")
    url = serializers.SerializerMethodField(help_text="The physician in this API.")
    profile_url = serializers.SerializerMethodField(help_text="The physician's public profile page.")

    def get_url(self, match) -> str:
        return _absolute(self, reverse("api:physician-detail", args=[match.physician.npi]))

    def get_profile_url(self, match) -> str:
        return _absolute(self, match.physician.get_absolute_url())


def _absolute(serializer, path: str) -> str:
    request = serializer.context.get("request")
    return request.build_absolute_uri(path) if request else path


class TrialSerializer(serializers.Serializer):
    nct_id = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField(help_text="The overall status as published: RECRUITING, COMPLETED, ...")
    phases = serializers.ListField(child=serializers.CharField(), help_text='As published: ["PHASE1", "PHASE2"].')
    phase_display = serializers.CharField(help_text='As the pages show it: "Phase 1/2".')
    minimum_age = serializers.CharField(help_text='As published: "18 Years"; empty when none.')
    maximum_age = serializers.CharField()
    sex = serializers.CharField(help_text="ALL, FEMALE or MALE; empty when not given.")
    conditions = serializers.ListField(child=serializers.CharField())
    study_url = serializers.URLField(help_text="The study on ClinicalTrials.gov.")
    url = serializers.SerializerMethodField(help_text="The study in this API.")

    def get_url(self, trial) -> str:
        return _absolute(self, reverse("api:trial-detail", args=[trial.nct_id]))


class TrialListSerializer(TrialSerializer):
    """A recruiting study near the searched ZIP code, with its nearest recruiting site."""

    nearest_site = SiteSerializer(source="site")
    oncologists = LinkedPhysicianSerializer(
        source="people", many=True, help_text="The directory's oncologists linked at the nearest site."
    )


class TrialSiteSerializer(SiteSerializer):
    oncologists = LinkedPhysicianSerializer(source="people", many=True)


class TrialDetailSerializer(TrialSerializer):
    sponsor = serializers.CharField()
    start_date = serializers.CharField(help_text="As published: YYYY-MM or YYYY-MM-DD.")
    completion_date = serializers.CharField()
    in_source = serializers.BooleanField(help_text="false: the study left ClinicalTrials.gov's file.")
    cancer_types = serializers.SerializerMethodField()
    leaders = LinkedPhysicianSerializer(many=True, help_text="Overall officials linked to the directory.")
    sites = TrialSiteSerializer(
        source="sites_list", many=True, help_text="Every site, nearest to `near` first (US sites only measured)."
    )

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_cancer_types(self, trial) -> list[str]:
        return [cancer.slug for cancer in trial.cancer_types.all()]


class PhysicianTrialSerializer(serializers.Serializer):
    """A study the physician runs, as the profile lists it."""

    trial = TrialSerializer()
    role = serializers.CharField()
    nearest_site = serializers.SerializerMethodField(
        help_text="The study's site nearest to the physician's main practice."
    )

    @extend_schema_field(SiteSerializer(allow_null=True))
    def get_nearest_site(self, match):
        return SiteSerializer(match.nearest_site).data if match.nearest_site else None
