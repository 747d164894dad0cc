"""The directory: oncologists, what they treat, where they practise, and how we know it."""

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Greatest, Left, Upper
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from localflavor.us.models import USStateField, USZipCodeField
from simple_history.models import HistoricalRecords

from apps.common.models import TimeStampedModel

from . import display
from . import search as search_sql
from .geo import zip_centroid
from .validators import validate_npi, validate_taxonomy_code


class SpecialtyCategory(models.TextChoices):
    MEDICAL_ONCOLOGY = "medical-oncology", "Medical oncology"
    HEMATOLOGY_ONCOLOGY = "hematology-oncology", "Hematology-oncology"
    HEMATOLOGY = "hematology", "Hematology"
    SURGICAL_ONCOLOGY = "surgical-oncology", "Surgical oncology"
    RADIATION_ONCOLOGY = "radiation-oncology", "Radiation oncology"
    GYNECOLOGIC_ONCOLOGY = "gynecologic-oncology", "Gynecologic oncology"
    PEDIATRIC_HEMATOLOGY_ONCOLOGY = "pediatric-hematology-oncology", "Pediatric hematology-oncology"
    PALLIATIVE_CARE = "palliative-care", "Palliative care"


class Specialty(models.Model):
    """A NUCC Health Care Provider Taxonomy code. Oncology codes carry a category patients search by."""

    code = models.CharField("NUCC code", max_length=10, unique=True, validators=[validate_taxonomy_code])
    display_name = models.CharField(max_length=200)
    grouping = models.CharField(max_length=200, blank=True)
    classification = models.CharField(max_length=200)
    specialization = models.CharField(max_length=200, blank=True)
    category = models.CharField(max_length=40, choices=SpecialtyCategory.choices, blank=True)

    class Meta:
        verbose_name_plural = "specialties"
        ordering = ["display_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^[0-9]{3}[0-9A-Z]{6}X$"),
                name="specialty_code_format",
                violation_error_message="A NUCC taxonomy code is 10 characters ending in X.",
            ),
        ]

    def __str__(self):
        return f"{self.display_name} ({self.code})"


class CancerType(models.Model):
    """A focus area patients search by: breast, lung, lymphoma, ..."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Board(models.Model):
    """A certifying board: ABMS member boards (ABIM, ABS, ...) and AOA boards (AOBIM, ...)."""

    class Kind(models.TextChoices):
        ABMS = "abms", "ABMS member board (MD)"
        AOA = "aoa", "AOA certifying board (DO)"

    code = models.CharField(max_length=12, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=8, choices=Kind.choices)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return self.code


class InstitutionQuerySet(models.QuerySet):
    """Reads of hospitals on their own (FHIR's Organization search)."""

    def named(self, text: str):
        return self.filter(name__istartswith=text)

    def in_city(self, city: str):
        return self.filter(city__istartswith=city)

    def in_state(self, state: str):
        return self.filter(state__iexact=state)

    def changed(self, comparison: str, when):
        return self.filter(**{f"updated_at__{comparison}": when})


class Institution(TimeStampedModel):
    """A hospital or cancer center physicians are affiliated with."""

    class Kind(models.TextChoices):
        HOSPITAL = "hospital", "Hospital"
        CANCER_CENTER = "cancer-center", "Cancer center"
        ACADEMIC = "academic", "Academic medical center"
        CLINIC = "clinic", "Clinic or group practice"

    class NCIDesignation(models.TextChoices):
        NONE = "", "Not NCI-designated"
        CANCER_CENTER = "cancer-center", "NCI-Designated Cancer Center"
        COMPREHENSIVE = "comprehensive", "NCI-Designated Comprehensive Cancer Center"
        BASIC_LABORATORY = "basic-laboratory", "NCI-Designated Basic Laboratory Cancer Center"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.HOSPITAL)
    nci_designation = models.CharField(max_length=20, choices=NCIDesignation.choices, blank=True, default="")
    city = models.CharField(max_length=100, blank=True)
    state = USStateField(blank=True)

    objects = InstitutionQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["name", "city", "state"],
                name="institution_unique_name_place",
                violation_error_message="This institution is already listed in this city.",
            ),
        ]

    def __str__(self):
        return self.name


class PlanType(models.TextChoices):
    """What kind of product an insurance plan is: what a patient reads on their card."""

    HMO = "hmo", "HMO"
    PPO = "ppo", "PPO"
    EPO = "epo", "EPO"
    POS = "pos", "POS"
    MEDICARE = "medicare", "Original Medicare"
    MEDICARE_ADVANTAGE = "medicare-advantage", "Medicare Advantage"
    MEDICAID = "medicaid", "Medicaid"
    TRICARE = "tricare", "TRICARE"


class InsuranceCarrier(models.Model):
    """A payer patients name their insurance by (Aetna, Medicare, ...)."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=60, unique=True, help_text="What the search's `insurance` parameter says.")
    payer_id = models.CharField(
        "payer id", max_length=20, blank=True, help_text="The carrier's id in a payer's feed (e.g. its NAIC code)."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class InsurancePlan(TimeStampedModel):
    """A product a carrier sells (FHIR Plan-Net's InsurancePlan): a curator names it by its type, a payer's feed
    by its own name and id. A practice location lists the plans it takes (AcceptedPlan)."""

    class Source(models.TextChoices):
        CURATOR = "curator", "Entered by a curator"
        PAYER = "payer", "A payer's feed"

    carrier = models.ForeignKey(InsuranceCarrier, on_delete=models.PROTECT, related_name="plans")
    plan_type = models.CharField(max_length=20, choices=PlanType.choices)
    name = models.CharField(max_length=200, blank=True, help_text="The product's own name; empty: the type says it.")
    external_id = models.CharField(
        "feed id", max_length=64, blank=True, help_text="The plan's id in its payer's feed; unique per carrier."
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.CURATOR)

    class Meta:
        ordering = ["carrier__name", "plan_type", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["carrier", "plan_type", "name"],
                name="insurance_plan_unique_name",
                violation_error_message="This carrier already has a plan of this type and name.",
            ),
            models.UniqueConstraint(
                fields=["carrier", "external_id"],
                condition=~Q(external_id=""),
                name="insurance_plan_unique_feed_id",
                violation_error_message="This carrier already has a plan with this feed id.",
            ),
        ]

    def __str__(self):
        return f"{self.carrier.name} {self.name or self.get_plan_type_display()}"

    @property
    def search_value(self) -> str:
        """The search's `insurance` value for this carrier's plans of this type: "aetna:ppo"."""
        return insurance_value(self.carrier.slug, self.plan_type)


def insurance_value(carrier_slug: str, plan_type: str = "") -> str:
    """The `insurance` search value: a carrier's slug (any of its plans), or with a plan type after a colon."""
    return f"{carrier_slug}:{plan_type}" if plan_type else carrier_slug


# Two practice locations at the same address: the same street line (any case) and 5-digit ZIP.
SAME_STREET = (
    "upper(theirs.address_line1) = upper(ours.address_line1) AND left(theirs.zip_code, 5) = left(ours.zip_code, 5)"
)


class PhysicianQuerySet(models.QuerySet):
    """Every read of physicians the public pages, the API and the admin share."""

    def active(self):
        return self.filter(is_active=True)

    def verification_summary(self, days: int = 365) -> dict[str, int]:
        """How many were verified within `days` days, longer ago, or never: one aggregate query."""
        cutoff = timezone.localdate() - timezone.timedelta(days=days)
        return self.aggregate(
            recent=models.Count("pk", filter=Q(last_verified_on__gte=cutoff)),
            older=models.Count("pk", filter=Q(last_verified_on__lt=cutoff)),
            never=models.Count("pk", filter=Q(last_verified_on__isnull=True)),
        )

    def stale(self, days: int = 365):
        """Not verified for more than `days` days (or never)."""
        cutoff = timezone.localdate() - timezone.timedelta(days=days)
        return self.filter(Q(last_verified_on__lt=cutoff) | Q(last_verified_on__isnull=True))

    def search(self, text: str):
        """Free text over names, practice and hospital names and cities, forgiving typos, accents, case
        and word order. Annotates `search_rank` (higher is better); an empty text matches everything."""
        return search_sql.apply_text_search(self, text)

    def near(self, lat: float, lng: float, miles: float, *, accepting=False, plans=None, coarse=False, small=False):
        """Physicians with a practice location within `miles` of (lat, lng), annotated with
        `distance_miles` of the nearest such location. With accepting=True only locations accepting
        new patients count, so "accepting near 10001" means accepting at a practice near 10001; with
        `plans` (insurance plan ids) only locations taking one of them.
        coarse=True when another filter is the selective one (a name): see search.query_cells; small=True
        for a circle holding a few locations (search.apply_near)."""
        return search_sql.apply_near(
            self, lat, lng, miles, accepting=accepting, plans=plans, coarse=coarse, small=small
        )

    def in_cells_around(self, lat: float, lng: float, miles: float, *, accepting: bool = False, coarse: bool = False):
        """A cheap superset of near(): physicians with a location in the map cells covering the circle."""
        return search_sql.apply_cells(self, lat, lng, miles, accepting=accepting, coarse=coarse)

    def accepting_new_patients(self):
        """A known yes only: a physician whose locations are not known to accept is not listed."""
        return self.filter(accepting_new_patients=True)

    def offering_telehealth(self):
        """A known yes only, as accepting_new_patients()."""
        return self.filter(telehealth=True)

    def taking_insurance(self, plan_ids):
        """Taking one of these insurance plans at one of their practice locations (known plans only: a location
        that lists none is not known to take any)."""
        return self.filter(insurance_plan_ids__overlap=list(plan_ids))

    def running_trials(self):
        """Linked (InvestigatorMatchQuerySet.linked: never a pair waiting for review) to a person an open
        study names: an EXISTS, so no other search pays for it."""
        from apps.trials.models import InvestigatorMatch  # the trials app builds on this one

        return self.filter(
            models.Exists(InvestigatorMatch.objects.linked().current().filter(physician=models.OuterRef("pk")))
        )

    def currently_certified(self):
        """Holding at least one board certificate that is certified and not expired today."""
        return self.filter(certified_until__gte=timezone.localdate())

    def in_specialties(self, specialty_ids):
        return self.filter(specialty_ids__overlap=list(specialty_ids))

    def treating(self, cancer_type_id: int):
        return self.filter(cancer_type_ids__contains=[cancer_type_id])

    def speaking(self, language: str):
        return self.filter(languages__contains=[language])

    def of_sex(self, sex: str):
        return self.filter(sex=sex)

    def certified_by(self, board_id: int):
        """Holding a current certificate (see BoardCertificationQuerySet.current) from this board."""
        return self.filter(
            models.Exists(
                BoardCertification.objects.current().filter(physician=models.OuterRef("pk"), board_id=board_id)
            )
        )

    def with_npis(self, npis):
        return self.filter(npi__in=list(npis))

    def named(self, text: str):
        """A name part (given, middle or family) starting with `text`, in any case: FHIR's `name` search."""
        return self.filter(
            Q(first_name__istartswith=text) | Q(middle_name__istartswith=text) | Q(last_name__istartswith=text)
        )

    def with_family_name(self, text: str):
        return self.filter(last_name__istartswith=text)

    def with_given_name(self, text: str):
        return self.filter(Q(first_name__istartswith=text) | Q(middle_name__istartswith=text))

    def changed(self, comparison: str, when):
        """Last changed (`updated_at`) `comparison` (gt, gte, lt, lte) `when`: FHIR's `_lastUpdated`."""
        return self.filter(**{f"updated_at__{comparison}": when})

    def for_practitioner(self):
        """A FHIR Practitioner: the physician and its board certifications (with their boards), two queries."""
        return self.defer(*search_sql.LISTING_DEFERRED_FIELDS).prefetch_related(qualifications_prefetch())

    def care_team(self, of: "Physician", *, limit: int = 12):
        """Up to `limit` other active physicians who practise at one of `of`'s addresses (the same street line
        and ZIP) or hospitals: the team a patient of `of` will meet. Those at the same address come first, then
        by name; each carries what the page names as the shared place (`shared_location`: [name, street], or
        `shared_institution`) and `team_size`, how many there are in all."""
        # The practice addresses' match uses location_street_zip_idx; affiliations, the institution's FK index.
        # The SQL is constant text (SAME_STREET included); the physician's id is a parameter.
        members = RawSQL(  # noqa: S611
            f"""SELECT theirs.physician_id FROM directory_practicelocation ours
                  JOIN directory_practicelocation theirs ON {SAME_STREET} WHERE ours.physician_id = %s
                UNION SELECT theirs.physician_id FROM directory_affiliation ours
                  JOIN directory_affiliation theirs USING (institution_id) WHERE ours.physician_id = %s""",  # noqa: S608
            [of.pk, of.pk],
        )
        shared_location = RawSQL(  # noqa: S611
            f"""SELECT ARRAY[theirs.name, theirs.address_line1] FROM directory_practicelocation ours
                  JOIN directory_practicelocation theirs ON {SAME_STREET}
                 WHERE ours.physician_id = %s AND theirs.physician_id = directory_physician.id
                 ORDER BY theirs.is_primary DESC, theirs.id LIMIT 1""",  # noqa: S608
            [of.pk],
            output_field=ArrayField(models.TextField()),
        )
        shared_institution = RawSQL(
            """SELECT i.name FROM directory_affiliation ours
                 JOIN directory_affiliation theirs USING (institution_id)
                 JOIN directory_institution i ON i.id = ours.institution_id
                WHERE ours.physician_id = %s AND theirs.physician_id = directory_physician.id
                ORDER BY i.name LIMIT 1""",
            [of.pk],
            output_field=models.TextField(),
        )
        return (
            self.active()
            .exclude(pk=of.pk)
            .filter(pk__in=members)
            .defer(*search_sql.LISTING_DEFERRED_FIELDS)
            .annotate(
                shared_location=shared_location,
                shared_institution=shared_institution,
                team_size=models.Window(models.Count("pk")),
            )
            .order_by(
                models.ExpressionWrapper(Q(shared_location__isnull=True), output_field=models.BooleanField()),
                "last_name",
                "first_name",
                "npi",
            )[:limit]
        )

    def for_listing(self):
        """A result row (search page, API list): the physician and its `location_list` (primary first, a
        plain list: a related manager per physician cost more than the query), in two queries whatever the
        page size. Its specialties and cancer types are named from its own id arrays and the reference
        tables (reference.describe_listing), not read again."""
        return self.defer(*search_sql.LISTING_DEFERRED_FIELDS).prefetch_related(_locations_prefetch())

    def as_result_rows(self):
        """A result row in one query (the API's list): the physician's ROW_FIELDS, `location_rows`, each
        location's ROW_FIELDS as a dict (primary first), and `primary_specialty_id`; describe_listing names
        the specialties and cancer types.
        For_listing's prefetch and a primary-specialty query cost more Python than the page's own SQL; the
        subqueries are constant SQL text because resolving them as ORM expressions cost as much again
        (bench/api_bench.py). They name the physician table, so the queryset must not be a subquery."""
        return self.only(*Physician.ROW_FIELDS).annotate(
            location_rows=_RowSubquery(LOCATION_ROWS_SQL, (), output_field=models.JSONField()),
            primary_specialty_id=_RowSubquery(PRIMARY_SPECIALTY_SQL, (), output_field=models.IntegerField()),
        )

    def with_open_reports(self):
        """`has_open_reports`: a visitor reported the listing wrong and no curator has closed the report yet."""
        return self.annotate(
            has_open_reports=models.Exists(ListingReport.objects.open().filter(physician=models.OuterRef("pk")))
        )

    def for_profile(self):
        """Everything the profile page shows, in a fixed number of queries: `specialty_links`
        (PhysicianSpecialty, primary first), `location_list` (each with its insurance `plan_list`),
        `cancer_type_list`, the certifications and the affiliations."""
        return self.prefetch_related(
            *_listing_prefetches(),
            models.Prefetch(
                "certifications",
                queryset=BoardCertification.objects.select_related("board").order_by("-first_certified_on", "id"),
            ),
            models.Prefetch("affiliations", queryset=Affiliation.objects.select_related("institution").order_by("id")),
            models.Prefetch(
                "location_list__plans", queryset=InsurancePlan.objects.select_related("carrier"), to_attr="plan_list"
            ),
        )


def qualifications_prefetch() -> models.Prefetch:
    """A physician's certifications, newest first, each with its board: `qualification_list`."""
    return models.Prefetch(
        "certifications",
        queryset=BoardCertification.objects.select_related("board").order_by("-first_certified_on", "id"),
        to_attr="qualification_list",
    )


def _locations_prefetch() -> models.Prefetch:
    return models.Prefetch(
        "locations",
        queryset=PracticeLocation.objects.all(),
        to_attr="location_list",  # its Meta.ordering
    )


def _listing_prefetches() -> list[models.Prefetch]:
    return [
        models.Prefetch(
            "physician_specialties",
            queryset=PhysicianSpecialty.objects.select_related("specialty").order_by("-is_primary", "id"),
            to_attr="specialty_links",
        ),
        _locations_prefetch(),
        models.Prefetch("cancer_types", queryset=CancerType.objects.order_by("name"), to_attr="cancer_type_list"),
    ]


class Physician(TimeStampedModel):
    """An individual physician in the directory, keyed by NPI."""

    class Sex(models.TextChoices):
        FEMALE = "F", "Female"
        MALE = "M", "Male"
        UNDISCLOSED = "", "Not stated"

    class Source(models.TextChoices):
        NPPES = "nppes", "NPPES import"
        MANUAL = "manual", "Entered by a curator"

    # What the API's result row reads (PhysicianQuerySet.as_result_rows): the other columns (the derived
    # search columns, dates, provenance) cost a page about 0.4 ms of CPU to read and convert.
    ROW_FIELDS = (
        "npi",
        "first_name",
        "middle_name",
        "last_name",
        "name_suffix",
        "credentials",
        "sex",
        "specialty_ids",
        "cancer_type_ids",
        "accepting_new_patients",
        "telehealth",
        "languages",
        "last_verified_on",
        "last_verified_by",
    )

    npi = models.CharField("NPI", max_length=10, unique=True, validators=[validate_npi])
    first_name = models.CharField(max_length=100)
    middle_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100)
    name_suffix = models.CharField(max_length=20, blank=True)
    credentials = models.CharField(max_length=100, blank=True, help_text="For example MD, DO, MD PhD.")
    sex = models.CharField(max_length=1, choices=Sex.choices, blank=True, default="")
    bio = models.TextField("short bio", max_length=2000, blank=True)
    languages = ArrayField(
        models.CharField(max_length=2),
        default=list,
        blank=True,
        help_text="ISO 639-1 codes of the languages spoken, for example en, es, zh. Empty: not known (the "
        "registry does not say).",
    )
    specialties = models.ManyToManyField(Specialty, through="PhysicianSpecialty", related_name="physicians")
    cancer_types = models.ManyToManyField(CancerType, blank=True, related_name="physicians")
    institutions = models.ManyToManyField(Institution, through="Affiliation", related_name="physicians")
    # None: not known (the registry does not say); `telehealth=1` finds only a known yes.
    telehealth = models.BooleanField("offers telehealth", null=True, blank=True, default=None)
    is_active = models.BooleanField("active", default=True)
    deactivated_on = models.DateField(null=True, blank=True)
    reactivated_on = models.DateField(null=True, blank=True)
    enumerated_on = models.DateField("NPI enumerated on", null=True, blank=True)
    nppes_updated_on = models.DateField("NPPES last updated on", null=True, blank=True)

    class VerifiedBy(models.TextChoices):
        CURATOR = "curator", "checked by a curator"
        PHYSICIAN = "physician", "confirmed by the physician"

    last_verified_on = models.DateField(null=True, blank=True)
    # db_default: the import and seed_demo write physicians with SQL that does not name this column.
    last_verified_by = models.CharField(max_length=10, choices=VerifiedBy.choices, blank=True, db_default="")
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    # The values of the last NPPES import, so a re-import can tell a curator's edit from a registry change.
    nppes_snapshot = models.JSONField(default=dict, blank=True, editable=False)

    # Search columns. Each is derived data kept by database triggers (apps/directory/sql/), never by Python,
    # so seed_demo's COPY, import_nppes's upserts, the admin and the ORM all keep them right without
    # knowing they exist; a writer that sets them by mistake is ignored. They exist because answering
    # "breast oncologists accepting patients, certified, speaking Spanish, near 10001" by joining five
    # tables is too slow at a million physicians: with them, every filter is one indexed column.
    search_names = models.TextField(
        db_default="", editable=False, help_text="Unaccented lower-case full name: what directory_search_rank ranks."
    )
    location_text = models.TextField(
        db_default="", editable=False, help_text="Unaccented practice names and cities (from locations)."
    )
    institution_text = models.TextField(
        db_default="", editable=False, help_text="Unaccented hospital names (from affiliations)."
    )
    search_document = models.TextField(
        db_default="", editable=False, help_text="Names, practices, hospitals and cities: what `q` searches."
    )
    search_vector = SearchVectorField(
        null=True, editable=False, help_text="The words of search_document: the GIN index `q` uses."
    )
    accepting_new_patients = models.BooleanField(
        null=True,
        editable=False,
        help_text="Yes when a practice location accepts new patients, no when every one is known not to, "
        "null (not known) otherwise.",
    )
    certified_until = models.DateField(
        null=True,
        editable=False,
        help_text="Latest expiry of a board certificate in status certified (9999-12-31 when lifetime), "
        "so `certified=1` is one date comparison that stays right as certificates expire.",
    )
    specialty_ids = ArrayField(
        models.BigIntegerField(),
        db_default=Value([], output_field=ArrayField(models.BigIntegerField())),
        editable=False,
        help_text="Ids of the physician's specialties (from PhysicianSpecialty).",
    )
    cancer_type_ids = ArrayField(
        models.BigIntegerField(),
        db_default=Value([], output_field=ArrayField(models.BigIntegerField())),
        editable=False,
        help_text="Ids of the cancer types treated (from the cancer_types relation).",
    )
    geo_cells = ArrayField(
        models.IntegerField(),
        db_default=Value([], output_field=ArrayField(models.IntegerField())),
        editable=False,
        help_text="Map grid cells (three sizes) of the practice locations: lets `near` narrow the physicians "
        "with the same GIN index as every other filter before measuring exact distances.",
    )
    accepting_geo_cells = ArrayField(
        models.IntegerField(),
        db_default=Value([], output_field=ArrayField(models.IntegerField())),
        editable=False,
        help_text="The same for the locations accepting new patients (`near` with `accepting=1`).",
    )
    insurance_plan_ids = ArrayField(
        models.BigIntegerField(),
        db_default=Value([], output_field=ArrayField(models.BigIntegerField())),
        editable=False,
        help_text="Ids of the insurance plans one of the practice locations takes (from AcceptedPlan).",
    )

    history = HistoricalRecords(excluded_fields=["nppes_snapshot", "updated_at", *search_sql.DERIVED_FIELDS])
    objects = PhysicianQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name", "npi"]
        indexes = [
            # One GIN index per selective filter (specialty, cancer type, language, the map cells of
            # `near`), so the planner combines (BitmapAnd) only those selective for the search at hand: in
            # one multi-column index, `language=en` (nine physicians in ten) cost as much as the rest.
            # The coarse ones (sex, telehealth, accepting, certified) are checked on the rows left.
            # Only active physicians are searched.
            *[
                GinIndex(fields=[field], name=name, condition=Q(is_active=True))
                for field, name in [
                    ("specialty_ids", "physician_specialties_gin"),
                    ("cancer_type_ids", "physician_cancer_types_gin"),
                    ("languages", "physician_languages_gin"),
                    ("geo_cells", "physician_geo_cells_gin"),
                    ("accepting_geo_cells", "physician_accepting_cells_gin"),
                    ("insurance_plan_ids", "physician_insurance_plans_gin"),
                ]
            ],
            # `q`: the words of names, practices, hospitals and cities (typos are resolved to real words
            # through SearchTerm's trigram index first). The map cells are in the same index because the
            # planner does not combine two GIN indexes for `q` near a ZIP (it checks the cells row by row,
            # 4,783 heap pages for "ngyuen" within 50 miles of 10001 at 1M physicians); one multicolumn GIN
            # scan answers both (185 pages).
            GinIndex(
                fields=["search_vector", "accepting_geo_cells", "geo_cells"],
                name="physician_text_cells_gin",
                condition=Q(is_active=True),
            ),
            # sort=name, deep pages of broad searches and the admin's list (inactive physicians included)
            # walk this index in order.
            models.Index(fields=["last_name", "first_name", "npi"], name="physician_name_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(npi__regex=r"^[0-9]{10}$"),
                name="physician_npi_ten_digits",
                violation_error_message="An NPI is exactly 10 digits.",
            ),
            models.CheckConstraint(
                condition=Q(is_active=True) | Q(deactivated_on__isnull=False),
                name="physician_inactive_has_date",
                violation_error_message="An inactive physician needs a deactivation date.",
            ),
            models.CheckConstraint(
                condition=Q(sex__in=["", "F", "M"]),
                name="physician_sex_valid",
                violation_error_message="Sex is F, M or not stated.",
            ),
        ]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name as pages and the API show it: readable case from registry capitals, credentials
        normalized (display.py); the stored fields keep the registry's own text."""
        return display.full_name(self.first_name, self.middle_name, self.last_name, self.name_suffix, self.credentials)

    @property
    def display_last_name(self) -> str:
        return display.person_name(self.last_name)

    @property
    def slug(self) -> str:
        return slugify(f"{self.first_name} {self.last_name}") or "physician"

    def get_absolute_url(self):
        return reverse("directory:physician-detail", kwargs={"npi": self.npi, "slug": self.slug})

    @property
    def verification_is_stale(self) -> bool:
        if self.last_verified_on is None:
            return True
        return (timezone.localdate() - self.last_verified_on).days > 365


class PhysicianSpecialty(models.Model):
    """A physician's taxonomy code; exactly one of them may be primary."""

    physician = models.ForeignKey(Physician, on_delete=models.CASCADE, related_name="physician_specialties")
    specialty = models.ForeignKey(Specialty, on_delete=models.PROTECT, related_name="+")
    is_primary = models.BooleanField("primary", default=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "specialty"
        verbose_name_plural = "specialties"
        constraints = [
            models.UniqueConstraint(
                fields=["physician", "specialty"],
                name="physician_specialty_unique",
                violation_error_message="This specialty is already listed for this physician.",
            ),
            models.UniqueConstraint(
                fields=["physician"],
                condition=Q(is_primary=True),
                name="physician_one_primary_specialty",
                violation_error_message="A physician has only one primary specialty.",
            ),
        ]

    def __str__(self):
        return f"{self.specialty}{' (primary)' if self.is_primary else ''}"


class CertificationStatus(models.TextChoices):
    CERTIFIED = "certified", "Certified"
    LAPSED = "lapsed", "Lapsed"
    EXPIRED = "expired", "Expired"
    SUSPENDED = "suspended", "Suspended"
    REVOKED = "revoked", "Revoked"
    INACTIVE = "inactive", "Inactive"


class MOCStatus(models.TextChoices):
    MEETING = "meeting", "Meeting requirements"
    NOT_MEETING = "not-meeting", "Not meeting requirements"
    NOT_REQUIRED = "not-required", "Not required (lifetime certificate)"
    UNKNOWN = "unknown", "Unknown"


class BoardCertificationQuerySet(models.QuerySet):
    def current(self):
        """Certified today: status certified and not past its expiry date."""
        today = timezone.localdate()
        return self.filter(status=CertificationStatus.CERTIFIED).filter(
            Q(expires_on__isnull=True) | Q(expires_on__gte=today)
        )


class BoardCertification(TimeStampedModel):
    """A board certificate a physician holds (or held), with how and when we checked it."""

    physician = models.ForeignKey(Physician, on_delete=models.CASCADE, related_name="certifications")
    board = models.ForeignKey(Board, on_delete=models.PROTECT, related_name="certifications")
    certificate_name = models.CharField(max_length=200, help_text="For example Medical Oncology.")
    status = models.CharField(max_length=12, choices=CertificationStatus.choices, default=CertificationStatus.CERTIFIED)
    moc_status = models.CharField(
        "maintenance of certification", max_length=14, choices=MOCStatus.choices, default=MOCStatus.UNKNOWN
    )
    first_certified_on = models.DateField()
    expires_on = models.DateField(null=True, blank=True, help_text="Empty for lifetime certificates.")
    verified_on = models.DateField(null=True, blank=True)
    verification_source = models.CharField(
        max_length=200, blank=True, help_text="For example ABMS Certification Matters."
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = BoardCertificationQuerySet.as_manager()

    class Meta:
        ordering = ["-first_certified_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True) | Q(expires_on__gt=F("first_certified_on")),
                name="certification_expires_after_start",
                violation_error_message="A certificate must expire after it was first granted.",
            ),
            models.CheckConstraint(
                condition=Q(verified_on__isnull=True) | Q(verified_on__gte=F("first_certified_on")),
                name="certification_verified_after_start",
                violation_error_message="A certificate cannot be verified before it was first granted.",
            ),
            models.UniqueConstraint(
                fields=["physician", "board", "certificate_name"],
                name="certification_unique_per_board",
                violation_error_message="This physician already has this certificate from this board.",
            ),
        ]

    def __str__(self):
        return f"{self.board.code} {self.certificate_name} ({self.get_status_display()})"

    @property
    def is_current(self) -> bool:
        return self.status == CertificationStatus.CERTIFIED and (
            self.expires_on is None or self.expires_on >= timezone.localdate()
        )


class PracticeLocationQuerySet(models.QuerySet):
    """Reads of practice locations on their own (FHIR's Location and PractitionerRole)."""

    def for_roles(self):
        """Each location with its physician (a FHIR PractitionerRole), without the physician's large columns."""
        return self.select_related("physician").defer(
            *(f"physician__{name}" for name in search_sql.LISTING_DEFERRED_FIELDS)
        )

    def near(self, lat: float, lng: float, miles: float, *, accepting: bool = False, by_physician: bool = False):
        """Within `miles` of (lat, lng) (accepting new patients, if asked), with `distance_miles`: the same
        measure as PhysicianQuerySet.near, per location. by_physician: see search.apply_location_near."""
        return search_sql.apply_location_near(self, lat, lng, miles, accepting=accepting, by_physician=by_physician)

    def accepting_new_patients(self):
        """A known yes only, as PhysicianQuerySet.accepting_new_patients()."""
        return self.filter(accepting_new_patients=True)

    def taking_insurance(self, plan_ids):
        """Known to take one of these insurance plans: PhysicianQuerySet.taking_insurance, per location."""
        return self.filter(
            models.Exists(AcceptedPlan.objects.filter(location=models.OuterRef("pk"), plan_id__in=list(plan_ids)))
        )

    def named(self, text: str):
        """The practice's name starts with `text` (any case)."""
        return self.filter(name__istartswith=text)

    def in_postal_code(self, prefix: str):
        return self.filter(zip_code__startswith=prefix)

    def in_state(self, state: str):
        return self.filter(state__iexact=state)

    def in_city(self, city: str):
        return self.filter(city__istartswith=city)

    def changed(self, comparison: str, when):
        """Last changed `comparison` `when`: the location's own `updated_at`."""
        return self.filter(**{f"updated_at__{comparison}": when})

    def role_changed(self, comparison: str, when):
        """The PractitionerRole (location and physician) last changed `comparison` `when`."""
        return self.alias(role_updated_at=Greatest("updated_at", "physician__updated_at")).filter(
            **{f"role_updated_at__{comparison}": when}
        )


class PracticeLocation(TimeStampedModel):
    """Where a physician sees patients. Coordinates default to the ZIP code's centroid.

    The table also has `earth_point`, a stored generated column `ll_to_earth(latitude, longitude)` with a
    GiST index (migration 0005), unknown to the ORM: `near` compares it with earth_box() and
    earth_distance() without recomputing the point for every row.
    """

    # What a result row shows of each location (PhysicianQuerySet.as_result_rows).
    ROW_FIELDS = (
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
    )

    physician = models.ForeignKey(Physician, on_delete=models.CASCADE, related_name="locations")
    name = models.CharField("practice or hospital name", max_length=200, blank=True)
    address_line1 = models.CharField("address", max_length=200)
    address_line2 = models.CharField("address line 2", max_length=200, blank=True)
    city = models.CharField(max_length=100)
    state = USStateField()
    zip_code = USZipCodeField("ZIP code")
    phone = models.CharField(max_length=30, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    # None: not known (what an import sets: the registry does not say); `accepting=1` finds only a known yes.
    accepting_new_patients = models.BooleanField(null=True, blank=True, default=None)
    is_primary = models.BooleanField("primary location", default=False)
    # Empty: not known (the registry does not say), as with accepting_new_patients.
    plans = models.ManyToManyField(InsurancePlan, through="AcceptedPlan", blank=True, related_name="locations")

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = PracticeLocationQuerySet.as_manager()

    class Meta:
        ordering = ["-is_primary", "id"]
        indexes = [
            # Physician.objects.care_team(): who else practises at this address.
            models.Index(Upper("address_line1"), Left("zip_code", 5), name="location_street_zip_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["physician"],
                condition=Q(is_primary=True),
                name="location_one_primary",
                violation_error_message="A physician has only one primary location.",
            ),
            models.CheckConstraint(
                condition=Q(zip_code__regex=r"^[0-9]{5}(-?[0-9]{4})?$"),
                name="location_zip_format",
                violation_error_message="A ZIP code has 5 or 9 digits.",
            ),
            models.CheckConstraint(
                condition=(Q(latitude__isnull=True) & Q(longitude__isnull=True))
                | (Q(latitude__gte=-90) & Q(latitude__lte=90) & Q(longitude__gte=-180) & Q(longitude__lte=180)),
                name="location_coordinates_valid",
                violation_error_message="Latitude and longitude are given together and within range.",
            ),
        ]

    def __str__(self):
        return f"{self.name or self.address_line1}, {self.city}, {self.state} {self.zip_code}"

    @property
    def title(self) -> str:
        """The practice name, or the street address when there is none: never a placeholder."""
        return display.location_title(self.name, self.address_line1)

    @property
    def display_street(self) -> str:
        return ", ".join(display.address(line) for line in (self.address_line1, self.address_line2) if line)

    @property
    def display_city(self) -> str:
        return display.address(self.city)

    @property
    def display_place(self) -> str:
        """City, state and ZIP as an envelope reads: "Farmington, CT 06030-0001"."""
        return f"{self.display_city}, {self.state} {display.zip_code(self.zip_code)}"

    @property
    def display_phone(self) -> str:
        return display.phone(self.phone)

    @property
    def tel_uri(self) -> str:
        return display.tel_uri(self.phone)

    @property
    def insurance_by_carrier(self) -> list[tuple[str, list[str]]]:
        """[(carrier, [plan, ...]), ...] from `plan_list` (PhysicianQuerySet.for_profile() reads it)."""
        grouped: dict[str, list[str]] = {}
        for plan in self.plan_list:
            grouped.setdefault(plan.carrier.name, []).append(plan.name or plan.get_plan_type_display())
        return list(grouped.items())

    def fill_coordinates(self) -> None:
        if self.latitude is None or self.longitude is None:
            centroid = zip_centroid(self.zip_code)
            self.latitude, self.longitude = centroid if centroid else (None, None)

    def save(self, *args, **kwargs):
        self.fill_coordinates()
        super().save(*args, **kwargs)


class _RowSubquery(RawSQL):
    """A subquery on the physician row (constant text). Not a grouping column: the physician's id, which a
    grouped search already groups by, determines it; and as a grouping column PostgreSQL would compute it
    for every candidate, not only for the page's rows."""

    def get_group_by_cols(self):
        return []


def _sql_order(table: str, ordering) -> str:
    """A model's Meta.ordering (field names, "-" for descending) as SQL text."""
    return ", ".join(f"{table}.{name.lstrip('-')}{' DESC' if name.startswith('-') else ''}" for name in ordering)


# PhysicianQuerySet.as_result_rows: a result row's locations (ROW_FIELDS, in their Meta.ordering) as one JSON array,
# and its primary specialty, computed for the rows of the page only (PostgreSQL evaluates them after LIMIT).
LOCATION_ROWS_SQL = (
    "SELECT coalesce(jsonb_agg(jsonb_build_object("  # noqa: S608 (constant text: the model's own names)
    + ", ".join(f"'{name}', location.{name}" for name in PracticeLocation.ROW_FIELDS)
    + f") ORDER BY {_sql_order('location', PracticeLocation._meta.ordering)}), '[]')"
    + f" FROM {PracticeLocation._meta.db_table} location"
    f' WHERE location.physician_id = "{Physician._meta.db_table}".id'
)
PRIMARY_SPECIALTY_SQL = (
    f"SELECT specialty_id FROM {PhysicianSpecialty._meta.db_table}"  # noqa: S608 (constant text)
    f' WHERE physician_id = "{Physician._meta.db_table}".id AND is_primary LIMIT 1'
)


class AcceptedPlan(models.Model):
    """A practice location takes this insurance plan: kept by the physician, a curator or a payer's feed (which
    replaces only its own rows)."""

    class Source(models.TextChoices):
        PHYSICIAN = "physician", "Confirmed by the physician"
        CURATOR = "curator", "Entered by a curator"
        PAYER = "payer", "A payer's feed"

    location = models.ForeignKey(PracticeLocation, on_delete=models.CASCADE, related_name="accepted_plans")
    plan = models.ForeignKey(InsurancePlan, on_delete=models.PROTECT, related_name="accepted_at")
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.CURATOR)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["location", "plan"],
                name="accepted_plan_unique",
                violation_error_message="This location already takes this plan.",
            ),
        ]
        # The search's EXISTS looks plans up by location (the unique index) and, for a broad search, the
        # locations by plan.
        indexes = [models.Index(fields=["plan", "location"], name="accepted_plan_by_plan_idx")]

    def __str__(self):
        return str(self.plan)


class AffiliationQuerySet(models.QuerySet):
    def for_roles(self):
        """Each affiliation with its physician and institution (a FHIR PractitionerRole at a hospital)."""
        return self.select_related("physician", "institution").defer(
            *(f"physician__{name}" for name in search_sql.LISTING_DEFERRED_FIELDS)
        )

    def role_changed(self, comparison: str, when):
        """The PractitionerRole (physician and institution) last changed `comparison` `when`."""
        return self.alias(role_updated_at=Greatest("institution__updated_at", "physician__updated_at")).filter(
            **{f"role_updated_at__{comparison}": when}
        )


class Affiliation(models.Model):
    """A physician's link to a hospital or cancer center."""

    physician = models.ForeignKey(Physician, on_delete=models.CASCADE, related_name="affiliations")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="affiliations")

    objects = AffiliationQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["physician", "institution"],
                name="affiliation_unique",
                violation_error_message="This physician is already affiliated with this institution.",
            ),
        ]

    def __str__(self):
        return str(self.institution)


class SearchTerm(models.Model):
    """Every distinct word of the physicians' search documents, kept by a database trigger.

    Trigram similarity over a few hundred thousand distinct words is fast (a GIN trigram search), over a
    million documents it is not; so `q` first turns each typed word into the real words it is close
    to ("smtih" -> "smith"), then finds physicians by those words through search_vector's GIN index.
    Words are only added, never removed: a stale word only costs a look-up that finds nobody.
    """

    term = models.TextField(primary_key=True)

    class Meta:
        # GIN, not GiST: a trigram `%` search is a fraction of a millisecond with GIN, several with GiST.
        indexes = [GinIndex(OpClass("term", name="gin_trgm_ops"), name="searchterm_trgm_gin")]

    def __str__(self):
        return self.term


class ListingProblem(models.TextChoices):
    """What a visitor can report about a listing (the profile's "Report a problem with this listing")."""

    PHONE = "phone", "The phone number is wrong"
    ADDRESS = "address", "The address is wrong"
    NOT_ACCEPTING = "not_accepting", "No longer taking new patients"
    MOVED = "moved", "Moved to another practice"
    RETIRED = "retired", "Retired or no longer practicing"
    OTHER = "other", "Something else"


class ListingReportStatus(models.TextChoices):
    OPEN = "open", "Open"
    CORRECTED = "corrected", "Listing corrected"
    DISMISSED = "dismissed", "Dismissed: the listing was right"


class ListingReportQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=ListingReportStatus.OPEN)

    def open_by_problem(self) -> list[tuple[str, int]]:
        """(problem label, open reports) for every kind of problem, in the order the form lists them."""
        counts = dict(self.open().values_list("problem").annotate(n=models.Count("pk")).values_list("problem", "n"))
        return [(label, counts.get(value, 0)) for value, label in ListingProblem.choices]


class ListingReport(models.Model):
    """A visitor's report that a listing is wrong, waiting for a curator (no account needed to send one).
    Closing it records what was done (apps/directory/services.py)."""

    physician = models.ForeignKey(Physician, on_delete=models.CASCADE, related_name="listing_reports")
    problem = models.CharField(max_length=20, choices=ListingProblem.choices)
    details = models.TextField(max_length=2000, blank=True, help_text="What the visitor wrote.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    status = models.CharField(max_length=20, choices=ListingReportStatus.choices, default=ListingReportStatus.OPEN)
    resolution = models.TextField("what was done", max_length=2000, blank=True)
    resolved_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)

    objects = ListingReportQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The profile's "has open reports" and the admin queue read only the open ones.
            models.Index(fields=["physician"], condition=Q(status="open"), name="listingreport_open_physician"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", resolved_at__isnull=True)
                | (~Q(status="open") & Q(resolved_at__isnull=False) & ~Q(resolution="")),
                name="listingreport_closed_says_what",
                violation_error_message="A closed report says what was done, and when.",
            ),
            models.CheckConstraint(
                condition=~Q(problem="other") | ~Q(details=""),
                name="listingreport_other_has_details",
                violation_error_message="Say what is wrong.",
            ),
        ]

    def __str__(self):
        return f"{self.get_problem_display()}: {self.physician}"
