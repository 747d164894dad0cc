"""Oncology clinical trials imported from ClinicalTrials.gov, their sites, the people they name, and the
links between those people and the directory's physicians."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.expressions import RawSQL

from apps.directory.models import CancerType, Physician

from .rules import CLOSED_STATUSES, US_COUNTRY


class TrialQuerySet(models.QuerySet):
    def in_source(self):
        """Studies the last full import still found in its file."""
        return self.filter(in_source=True)

    def open(self):
        """Studies listed in the last full file whose overall status is not a closed one."""
        return self.in_source().exclude(status__in=CLOSED_STATUSES)


class Trial(models.Model):
    """One interventional cancer study, keyed by its NCT id. A study that leaves the source file is
    marked (`in_source` false, `left_source_at`), never deleted; a closed one keeps its status."""

    nct_id = models.CharField("NCT id", max_length=11, unique=True)
    title = models.TextField()
    status = models.CharField("overall status", max_length=40)
    phases = models.JSONField(default=list, help_text='As published: ["PHASE1", "PHASE2"], ["NA"] or [].')
    sponsor = models.CharField("lead sponsor", max_length=300, blank=True)
    conditions = models.JSONField(default=list, help_text="The conditions as published.")
    cancer_types = models.ManyToManyField(CancerType, blank=True, related_name="trials")
    minimum_age = models.CharField(max_length=30, blank=True, help_text='As published: "18 Years".')
    maximum_age = models.CharField(max_length=30, blank=True)
    sex = models.CharField(max_length=10, blank=True, help_text="ALL, FEMALE or MALE; empty when not given.")
    start_date = models.CharField(max_length=10, blank=True, help_text="As published: YYYY-MM or YYYY-MM-DD.")
    completion_date = models.CharField(max_length=10, blank=True)
    in_source = models.BooleanField("in the last file", default=True)
    left_source_at = models.DateTimeField(null=True, blank=True)
    # What the import compares to skip an unchanged study: see apps.trials.pipeline.read.checksum.
    content_hash = models.CharField(max_length=40, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TrialQuerySet.as_manager()

    class Meta:
        ordering = ["nct_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(nct_id__regex=r"^NCT[0-9]{8}$"),
                name="trial_nct_id_format",
                violation_error_message="An NCT id is NCT and 8 digits.",
            ),
        ]

    def __str__(self):
        return f"{self.nct_id} {self.title[:80]}"

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES or not self.in_source


class SiteQuerySet(models.QuerySet):
    def in_us(self):
        return self.filter(country=US_COUNTRY)

    def near(self, lat: float, lng: float, miles: float):
        """US sites with coordinates within `miles` of (lat, lng), with `distance_miles`: a site abroad is
        listed on its trial but never found by a US radius search."""
        meters = miles * 1609.344
        distance = RawSQL(
            "earth_distance(ll_to_earth(trials_site.latitude, trials_site.longitude), ll_to_earth(%s, %s)) / 1609.344",
            (lat, lng),
        )
        return (
            self.in_us()
            .filter(latitude__isnull=False)
            .extra(
                where=[
                    "earth_box(ll_to_earth(%s, %s), %s) @> ll_to_earth(trials_site.latitude, trials_site.longitude)",
                    "earth_distance(ll_to_earth(%s, %s), ll_to_earth(trials_site.latitude, trials_site.longitude)) <= %s",
                ],
                params=[lat, lng, meters, lat, lng, meters],
            )
            .annotate(distance_miles=distance)
        )


class Site(models.Model):
    """Where a study enrols, as published; coordinates are the site's `geoPoint`, or for a US site
    without one its ZIP code's centroid (`coordinates_from_zip`)."""

    # No index of its own: site_unique_position's (trial, position) serves the lookups by trial.
    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="sites", db_index=False)
    position = models.PositiveIntegerField(help_text="Its place in the study's list of locations, from 1.")
    facility = models.CharField(max_length=300, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=100, blank=True, help_text="As published: a full name, not a code.")
    zip_code = models.CharField("ZIP or postal code", max_length=20, blank=True)
    country = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=40, blank=True, help_text="RECRUITING, COMPLETED, ...; empty when not given.")
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    coordinates_from_zip = models.BooleanField(default=False)

    objects = SiteQuerySet.as_manager()

    class Meta:
        ordering = ["trial", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["trial", "position"],
                name="site_unique_position",
                violation_error_message="A study lists each location once.",
            ),
        ]

    def __str__(self):
        return ", ".join(part for part in (self.facility, self.city, self.state, self.country) if part)


class Investigator(models.Model):
    """A person a study names: an overall official (no site) or a site contact with a role."""

    class Role(models.TextChoices):
        PRINCIPAL_INVESTIGATOR = "PRINCIPAL_INVESTIGATOR", "Principal investigator"
        SUB_INVESTIGATOR = "SUB_INVESTIGATOR", "Sub-investigator"
        STUDY_CHAIR = "STUDY_CHAIR", "Study chair"
        STUDY_DIRECTOR = "STUDY_DIRECTOR", "Study director"
        CONTACT = "CONTACT", "Contact"

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="investigators")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, null=True, blank=True, related_name="investigators")
    name = models.CharField(max_length=300)
    role = models.CharField(max_length=40, blank=True, help_text="As published; see Role for the usual ones.")
    affiliation = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["trial", "site", "id"]

    def __str__(self):
        return f"{self.name} ({self.role or 'no role'}, {self.trial.nct_id})"


class InvestigatorMatchQuerySet(models.QuerySet):
    def linked(self):
        """The links a page may show: confident automatic ones and the curators'."""
        return self.filter(status__in=InvestigatorMatch.LINKED)

    def to_review(self):
        return self.filter(status=InvestigatorMatch.Status.PENDING)


class InvestigatorMatch(models.Model):
    """A directory physician a study's named person may be, keyed by the study, the person's name key
    (apps/trials/sql/trials_name_key.sql) and the physician, so that a curator's decision (confirmed,
    rejected) outlives the re-imports that replace the study's sites and people."""

    class Status(models.TextChoices):
        AUTO = "auto", "Linked automatically"
        PENDING = "pending", "Waiting for review"
        CONFIRMED = "confirmed", "Confirmed by a curator"
        REJECTED = "rejected", "Rejected by a curator"

    LINKED = (Status.AUTO, Status.CONFIRMED)
    DECIDED = (Status.CONFIRMED, Status.REJECTED)

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="investigator_matches")
    name_key = models.CharField(max_length=200, help_text="The person's name, normalized: 'jane doe'.")
    name = models.CharField(max_length=300, help_text="The name as the study gives it.")
    physician = models.ForeignKey(Physician, on_delete=models.CASCADE, related_name="trial_matches")
    confidence = models.FloatField(default=1.0)
    reasons = models.CharField(max_length=200, blank=True, help_text="What agreed: name, middle, city, zip, ...")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = InvestigatorMatchQuerySet.as_manager()

    class Meta:
        ordering = ["trial", "name_key", "-confidence"]
        constraints = [
            models.UniqueConstraint(
                fields=["trial", "name_key", "physician"],
                name="investigatormatch_unique",
                violation_error_message="This person of this study is already paired with this physician.",
            ),
            models.CheckConstraint(
                condition=Q(confidence__gte=0) & Q(confidence__lte=1),
                name="investigatormatch_confidence_range",
                violation_error_message="A confidence is between 0 and 1.",
            ),
        ]
        # The review queue lists the pending pairs.
        indexes = [models.Index(fields=["status"], name="investigatormatch_status_idx")]

    def __str__(self):
        return f"{self.name} ({self.trial.nct_id}) = {self.physician} [{self.get_status_display()}]"
