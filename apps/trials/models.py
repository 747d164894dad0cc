"""Oncology clinical trials imported from ClinicalTrials.gov, their sites, the people they name, and the
links between those people and the directory's physicians."""

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Case, Exists, F, Func, Min, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import JSONObject

from apps.directory.models import CancerType, Physician, PracticeLocation
from apps.directory.search import (
    METERS_PER_MILE,
    AtMost,
    CubeContains,
    EarthBox,
    EarthDistance,
    LLToEarth,
    LocationEarthPoint,
)

from .rules import (
    CLOSED_STATUSES,
    NCT_ID_FORMAT,
    NCT_ID_PATTERN,
    RECRUITING,
    SITE_RECRUITING,
    STATE_CODE_SQL,
    STATE_CODES,
    STATE_NAMES,
    STUDY_URL,
    US_COUNTRY,
)

# How a study's phases read: ["PHASE1", "PHASE2"] is "Phase 1/2".
PHASE_NAMES = {"EARLY_PHASE1": "Early phase 1", "PHASE1": "1", "PHASE2": "2", "PHASE3": "3", "PHASE4": "4"}
SEX_NAMES = {"ALL": "All", "FEMALE": "Female", "MALE": "Male"}


def status_words(status: str) -> str:
    """A published status as words: ACTIVE_NOT_RECRUITING is "Active, not recruiting"."""
    return status.replace("_NOT_", ", not ").replace("_", " ").capitalize()


class NameKey(models.Func):
    """A person's name as InvestigatorMatch.name_key keeps it (matching.UPSERT): the words of
    sql/trials_name_words.sql joined by spaces, at most 200 characters."""

    template = "left(array_to_string(trials_name_words(%(expressions)s), ' '), 200)"
    arity = 1
    output_field = models.CharField()


class StateCode(Func):
    """A site's state as its postal code (rules.STATE_CODE_SQL, as the matching reads it), one expression with
    the states as two array parameters: a CASE of 60 WHENs cost the ORM 20 ms to build and compile for each
    query that used it (with_places)."""

    arity = 1
    output_field = models.CharField()

    def as_sql(self, compiler, connection, **extra_context):
        state, params = compiler.compile(self.source_expressions[0])
        sql = STATE_CODE_SQL.format(codes="%s", names="%s", state=state)
        return sql, (STATE_CODES, STATE_NAMES, *params, *params)


def _distance_from(lat: float, lng: float):
    """Miles from (lat, lng) to a site's stored earth_point: earthdistance, as the directory's search measures."""
    point = LocationEarthPoint(F("latitude"), output_field=models.FloatField())
    return EarthDistance(point, LLToEarth(Value(float(lat)), Value(float(lng)))) / Value(METERS_PER_MILE)


class TrialQuerySet(models.QuerySet):
    def in_source(self):
        """Studies the last full import still found in its file."""
        return self.filter(in_source=True)

    def open(self):
        """Studies listed in the last full file whose overall status is not a closed one."""
        return self.in_source().exclude(status__in=CLOSED_STATUSES)

    def recruiting(self):
        """Studies listed in the last full file that are enrolling now."""
        return self.in_source().filter(status=RECRUITING)

    def for_cancer(self, cancer_type_id: int):
        return self.filter(cancer_types=cancer_type_id)

    def changed(self, comparison: str, when):
        """Last changed (`updated_at`, written by the import) `comparison` (gt, gte, lt, lte) `when`: FHIR's
        `_lastUpdated`."""
        return self.filter(**{f"updated_at__{comparison}": when})

    def recruiting_near(self, lat: float, lng: float, miles: float, *, cancer_type_id: int | None = None):
        """/trials/ and /api/v1/trials/: recruiting studies (for a cancer type) with a recruiting US site
        within `miles` of (lat, lng), nearest first, each with `distance_miles` and `nearest_site_id`, the
        nearest such site (the lowest position on a tie).

        Set-based, from the sites' side: one scan of the partial GiST index `trials_site_recruiting_near`
        (it holds only the recruiting US sites of recruiting studies, with each one's study and cancer types)
        finds every site in the circle, and the studies are their groups. At 60,000 studies (876,650 sites)
        this is a quarter of the time of the same join filtering the studies and cancer types in their own
        tables (24 against 95-100 ms for breast cancer near 10001), and a tenth of a subquery per study."""
        origin = LLToEarth(Value(float(lat)), Value(float(lng)))
        meters = Value(float(miles) * METERS_PER_MILE)
        point = LocationEarthPoint(F("sites__latitude"), output_field=models.FloatField())
        # One filter() call: every condition and the Min() below share one join to the sites.
        site = {
            "sites__trial_recruiting": True,
            "sites__country": US_COUNTRY,
            "sites__status__in": list(SITE_RECRUITING),
        }
        if cancer_type_id is not None:
            site["sites__cancer_type_ids__contains"] = [cancer_type_id]
        nearest = Site.objects.filter(trial=OuterRef("pk")).recruiting().near(lat, lng, miles)
        return (
            self.filter(
                CubeContains(EarthBox(origin, meters), point), AtMost(EarthDistance(origin, point), meters), **site
            )
            .annotate(distance_miles=Min(EarthDistance(origin, point) / Value(METERS_PER_MILE)))
            # Evaluated by PostgreSQL for the page's rows only: a subquery in the select list is computed after
            # the ORDER BY ... LIMIT.
            .annotate(nearest_site_id=Subquery(nearest.order_by("distance_miles", "position").values("pk")[:1]))
            .order_by("distance_miles", "nct_id")
        )


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
                condition=Q(nct_id__regex=NCT_ID_PATTERN),
                name="trial_nct_id_format",
                violation_error_message=NCT_ID_FORMAT,
            ),
        ]

    def __str__(self):
        return f"{self.nct_id} {self.title[:80]}"

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES or not self.in_source

    @property
    def study_url(self) -> str:
        return STUDY_URL.format(nct_id=self.nct_id)

    @property
    def status_display(self) -> str:
        """The status in words ("Recruiting", "Active, not recruiting"); a study gone from the source says so."""
        return status_words(self.status) if self.in_source else "No longer listed"

    @property
    def phase_display(self) -> str:
        if not self.phases:
            return "Not given"
        if self.phases == ["NA"]:
            return "Not applicable"
        named = [PHASE_NAMES.get(phase, phase) for phase in self.phases]
        return named[0] if named[0].startswith("Early") else "Phase " + "/".join(named)

    @property
    def age_display(self) -> str:
        low, high = self.minimum_age.lower(), self.maximum_age.lower()
        if low and high:
            return f"{low} to {high}"
        if low:
            return f"{low} and older"
        return f"up to {high}" if high else "Any age"

    @property
    def sex_display(self) -> str:
        return SEX_NAMES.get(self.sex, "Not given")


class SiteQuerySet(models.QuerySet):
    def in_us(self):
        return self.filter(country=US_COUNTRY)

    def recruiting(self):
        """Sites enrolling now: a site status of RECRUITING, or none given (the study's status speaks)."""
        return self.filter(status__in=list(SITE_RECRUITING))

    def near(self, lat: float, lng: float, miles: float):
        """US sites with coordinates within `miles` of (lat, lng), with `distance_miles`: a site abroad is
        listed on its trial but never found by a US radius search. Written with expressions, not SQL
        text, so that it also works as a subquery (TrialQuerySet.recruiting_near)."""
        box = EarthBox(LLToEarth(Value(float(lat)), Value(float(lng))), Value(float(miles) * METERS_PER_MILE))
        return (
            self.in_us()
            .filter(latitude__isnull=False, longitude__isnull=False)
            .filter(CubeContains(box, LocationEarthPoint(F("latitude"), output_field=models.FloatField())))
            .annotate(distance_miles=_distance_from(lat, lng))
            .filter(distance_miles__lte=float(miles))
        )

    def nearest_first(self, origin: tuple[float, float] | None):
        """The sites in the order a visitor near `origin` reads them: US sites with coordinates by
        `distance_miles` (None for the others, which follow in the study's order); without an origin, the
        study's order."""
        if origin is None:
            return self.annotate(distance_miles=Value(None, output_field=models.FloatField())).order_by("position")
        measurable = Q(country=US_COUNTRY, latitude__isnull=False, longitude__isnull=False)
        distance = Case(When(measurable, then=_distance_from(*origin)), output_field=models.FloatField())
        return self.annotate(distance_miles=distance).order_by(F("distance_miles").asc(nulls_last=True), "position")


class Site(models.Model):
    """Where a study enrols, as published; coordinates are the site's `geoPoint`, or for a US site
    without one its ZIP code's centroid (`coordinates_from_zip`).

    The table also has `earth_point`, a stored generated column `ll_to_earth(latitude, longitude)` unknown to
    the ORM (as PracticeLocation's), and on it the partial GiST index `trials_site_recruiting_near`
    (migration 0002)."""

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
    # The study's, copied here by the import (its only writer) so that the radius search's partial index
    # holds just what it looks for (TrialQuerySet.recruiting_near): TrialQuerySet.recruiting's rule, and the
    # study's cancer types.
    trial_recruiting = models.BooleanField(default=False, editable=False)
    cancer_type_ids = ArrayField(models.IntegerField(), default=list, editable=False)

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

    @property
    def status_display(self) -> str:
        return status_words(self.status)


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


def with_sites(trial: "Trial", origin: tuple[float, float] | None) -> "Trial":
    """Give a trial (the trial page, its API detail) `sites_list`, nearest to `origin` first, each site its
    `people` (linked oncologists named there), and `leaders` (linked overall officials): two queries."""
    trial.sites_list = list(trial.sites.nearest_first(origin))
    people = list(InvestigatorMatch.objects.of_trial(trial))
    at_site: dict[int, list[InvestigatorMatch]] = {}
    for match in people:
        for site_id in match.site_ids:
            at_site.setdefault(site_id, []).append(match)
    for site in trial.sites_list:
        site.people = at_site.get(site.pk, [])
    trial.leaders = [match for match in people if not match.site_ids]
    return trial


def practice_origin(locations) -> tuple[float, float] | None:
    """Where a physician's trials are measured from (run_by's nearest site): the main practice, from the
    profile's `location_list` (main first)."""
    main = locations[0] if locations else None
    return (main.latitude, main.longitude) if main and main.latitude is not None else None


def with_nearest_sites(trials: list["Trial"]) -> list["Trial"]:
    """Give each study of a recruiting_near() page its `site` (the nearest site, with `distance_miles`) and
    `people` (the linked oncologists named at that site): two queries, whatever the page size."""
    sites = Site.objects.in_bulk([trial.nearest_site_id for trial in trials])
    people: dict[int, list[InvestigatorMatch]] = {}
    for match in InvestigatorMatch.objects.at_sites(sites) if sites else ():
        for site_id in match.site_ids:
            people.setdefault(site_id, []).append(match)
    for trial in trials:
        trial.site = sites[trial.nearest_site_id]
        trial.site.distance_miles = trial.distance_miles
        trial.people = people.get(trial.nearest_site_id, [])
    return trials


# The role a page names for a person the study lists more than once: the most responsible one.
ROLE_ORDER = ("PRINCIPAL_INVESTIGATOR", "STUDY_CHAIR", "STUDY_DIRECTOR", "SUB_INVESTIGATOR")


class InvestigatorMatchQuerySet(models.QuerySet):
    def linked(self):
        """The links a page may show: confident automatic ones and the curators'."""
        return self.filter(status__in=InvestigatorMatch.LINKED)

    def to_review(self):
        return self.filter(status=InvestigatorMatch.Status.PENDING)

    def current(self):
        """Pairs whose study is open: what "runs clinical trials" means."""
        return self.filter(trial__in=Trial.objects.open())

    def with_places(self):
        """Each pair with what the study says of its person: `role` (the most responsible of the roles the
        study gives them) and `site_ids` (the US sites that name them in a state where the physician
        practises; empty for an overall official)."""
        people = Investigator.objects.filter(trial=OuterRef("trial_id")).annotate(name_key=NameKey("name"))
        people = people.filter(name_key=OuterRef("name_key"))
        rank = Case(*(When(role=role, then=Value(i)) for i, role in enumerate(ROLE_ORDER)), default=len(ROLE_ORDER))
        # A site counts only in a state where the physician practises (the matching's rule): the same name at
        # another state's site of the study is a namesake, not this physician.
        state = StateCode("site__state")
        practises_there = PracticeLocation.objects.filter(
            physician=OuterRef(OuterRef("physician_id")), state=OuterRef("site_state")
        )
        at_sites = people.filter(site__country=US_COUNTRY).annotate(site_state=state)
        at_sites = at_sites.filter(Exists(practises_there)).order_by("site_id").values("site_id")
        return self.annotate(
            role=Subquery(people.order_by(rank, "id").values("role")[:1]),
            site_ids=ArraySubquery(at_sites),
        )

    def run_by(self, physician: Physician, origin: tuple[float, float] | None):
        """The profile's trials (page and API): the physician's linked pairs of studies still listed, open
        ones first, each with its `trial`, `role` and `nearest_site` (a dict: the study's site nearest to
        `origin`, the physician's practice; see SiteQuerySet.nearest_first), in one query."""
        sites = Site.objects.filter(trial=OuterRef("trial_id")).nearest_first(origin)
        nearest = sites.values(
            json=JSONObject(
                id="id",
                facility="facility",
                city="city",
                state="state",
                zip_code="zip_code",
                country="country",
                status="status",
                distance_miles="distance_miles",
            )
        )[:1]
        closed = Case(When(trial__status__in=CLOSED_STATUSES, then=Value(1)), default=Value(0))
        return (
            self.linked()
            .filter(physician=physician, trial__in_source=True)
            .with_places()
            .select_related("trial")
            .annotate(nearest_site=Subquery(nearest, output_field=models.JSONField()), closed=closed)
            .order_by("closed", "-trial__start_date", "trial__nct_id", "id")
        )

    def of_trial(self, trial: Trial):
        """The trial page's linked people, with `role` and `site_ids` (empty: an overall official)."""
        return (
            self.linked()
            .filter(trial=trial)
            .with_places()
            .select_related("physician")
            .order_by("physician__last_name", "physician__first_name", "id")
        )

    def principal_investigators(self):
        """Linked pairs whose person the study names as an overall official with the role of principal
        investigator (FHIR's ResearchStudy.principalInvestigator; a site's PI is not the study's)."""
        officials = Investigator.objects.filter(
            trial=OuterRef("trial_id"), site__isnull=True, role=Investigator.Role.PRINCIPAL_INVESTIGATOR
        )
        officials = officials.annotate(name_key=NameKey("name")).filter(name_key=OuterRef("name_key"))
        return self.linked().filter(Exists(officials))

    def at_sites(self, site_ids):
        """The linked physicians named at these sites (the trials list's and the trial page's "oncologists
        at this site"), with `role` and `site_ids`, in one query."""
        site_ids = list(site_ids)
        # The studies of these sites first: with_places' subqueries then run for their pairs only.
        trials = Site.objects.filter(pk__in=site_ids).values("trial_id")
        return (
            self.linked()
            .filter(trial_id__in=trials)
            .with_places()
            .filter(site_ids__overlap=site_ids)
            .select_related("physician")
            .order_by("physician__last_name", "physician__first_name", "id")
        )


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

    @property
    def role_display(self) -> str:
        """The `role` annotation of with_places(), as a page names it."""
        role = getattr(self, "role", "") or ""
        return (
            Investigator.Role(role).label if role in Investigator.Role.values else role.replace("_", " ").capitalize()
        )
