"""The curators' admin: every directory model, with history, filters and bulk curation actions."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ORDER_VAR
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.forms.models import BaseInlineFormSet
from django.utils import timezone
from django.utils.functional import cached_property
from localflavor.us.us_states import STATE_CHOICES
from simple_history.admin import SimpleHistoryAdmin

from . import services
from .filters import BY_NAME, PhysicianFilterSet, PhysicianSearchForm, SearchParameter
from .forms import FlagField
from .models import (
    AcceptedPlan,
    Affiliation,
    Board,
    BoardCertification,
    CancerType,
    CertificationStatus,
    Institution,
    InsuranceCarrier,
    InsurancePlan,
    ListingReport,
    ListingReportStatus,
    Physician,
    PhysicianSpecialty,
    PracticeLocation,
    Specialty,
)
from .search import LISTING_DEFERRED_FIELDS

TWO_PRIMARY_SPECIALTIES_MESSAGE = "Mark only one specialty as primary."
NO_PRIMARY_SPECIALTY_MESSAGE = "Mark one of the specialties as primary."
TWO_PRIMARY_LOCATIONS_MESSAGE = "Mark only one practice location as primary."


# --- filters -------------------------------------------------------------------------------------------


class SearchParameterFilter(admin.SimpleListFilter):
    """A public search filter (filters.PARAMETERS) in the admin's sidebar: the same choices, checked by the
    same form field and applied by the same QuerySet method as on the page and the API. An invalid value
    filters nothing out (the admin shows the whole list rather than an error)."""

    parameter: SearchParameter

    @classmethod
    def of(cls, name: str) -> type["SearchParameterFilter"]:
        parameter = BY_NAME[name]
        title = parameter.field().label
        return type(f"{name.title()}Filter", (cls,), {"parameter": parameter, "parameter_name": name, "title": title})

    def lookups(self, request, model_admin):
        field = PhysicianSearchForm().fields[self.parameter_name]
        if isinstance(field, FlagField):
            return [("1", "Yes")]
        return [(value, label) for value, label in field.choices if value]

    def queryset(self, request, queryset):
        search = PhysicianFilterSet({self.parameter_name: self.value() or ""}, queryset=queryset)
        return search.filtered(queryset) if self.value() and search.is_valid() else queryset


class LocationStateFilter(admin.SimpleListFilter):
    title = "state (of a practice location)"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return list(STATE_CHOICES)

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(
                Exists(PracticeLocation.objects.filter(physician=OuterRef("pk"), state=self.value()))
            )
        return queryset


class CertificationStatusFilter(admin.SimpleListFilter):
    title = "board certification"
    parameter_name = "certification"
    CURRENT = "current"
    NONE = "none"

    def lookups(self, request, model_admin):
        return [
            (self.CURRENT, "Currently certified"),
            *CertificationStatus.choices,
            (self.NONE, "No certification on file"),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        certificates = BoardCertification.objects.filter(physician=OuterRef("pk"))
        if value == self.CURRENT:
            return queryset.currently_certified()
        if value == self.NONE:
            return queryset.filter(~Exists(certificates))
        if value in CertificationStatus.values:
            return queryset.filter(Exists(certificates.filter(status=value)))
        return queryset


class VerificationFilter(admin.SimpleListFilter):
    title = "verification"
    parameter_name = "verification"
    STALE = "stale"
    RECENT = "recent"

    def lookups(self, request, model_admin):
        return [(self.STALE, "Not verified for over a year"), (self.RECENT, "Verified within a year")]

    def queryset(self, request, queryset):
        if self.value() == self.STALE:
            return queryset.filter(pk__in=Physician.objects.stale().values("pk"))
        if self.value() == self.RECENT:
            return queryset.exclude(pk__in=Physician.objects.stale().values("pk"))
        return queryset


class OpenReportsFilter(admin.SimpleListFilter):
    title = "reports from visitors"
    parameter_name = "reported"

    def lookups(self, request, model_admin):
        return [("open", "Has open reports")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(Exists(ListingReport.objects.open().filter(physician=OuterRef("pk"))))
        return queryset


# --- inlines -------------------------------------------------------------------------------------------


class PrimaryFlagLeftToFormSet:
    """Inline forms leave the one-primary rule to their formset, which sees every row at once.

    Checked row by row against the database, moving the primary flag from one row to another in one save
    would be refused (the old primary is still primary in the database); the formset checks the final
    state instead and the admin saves un-flagged rows first.
    """

    def _get_validation_exclusions(self):
        return {*super()._get_validation_exclusions(), "is_primary"}


class PrimaryFlagForm(PrimaryFlagLeftToFormSet, forms.ModelForm):
    pass


class PracticeLocationForm(forms.ModelForm):
    class Meta:
        model = PracticeLocation
        fields = (
            "name", "address_line1", "address_line2", "city", "state", "zip_code", "phone",
            "accepting_new_patients", "is_primary", "latitude", "longitude",
        )  # fmt: skip

    def clean(self):
        cleaned = super().clean()
        # A new ZIP with the old coordinates would misplace the practice: recompute them from the new ZIP.
        if "zip_code" in self.changed_data and not {"latitude", "longitude"} & set(self.changed_data):
            cleaned["latitude"] = cleaned["longitude"] = None
        return cleaned


class InlinePracticeLocationForm(PrimaryFlagLeftToFormSet, PracticeLocationForm):
    pass


class OnePrimaryFormSet(BaseInlineFormSet):
    too_many_message = ""
    none_message = ""  # empty: having no primary row is allowed

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        kept = [
            form
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and (form.instance.pk or form.has_changed())
        ]
        primaries = sum(1 for form in kept if form.cleaned_data.get("is_primary"))
        if primaries > 1:
            raise ValidationError(self.too_many_message, code="two_primaries")
        if kept and primaries == 0 and self.none_message:
            raise ValidationError(self.none_message, code="no_primary")


class SpecialtyFormSet(OnePrimaryFormSet):
    too_many_message = TWO_PRIMARY_SPECIALTIES_MESSAGE
    none_message = NO_PRIMARY_SPECIALTY_MESSAGE


class LocationFormSet(OnePrimaryFormSet):
    too_many_message = TWO_PRIMARY_LOCATIONS_MESSAGE


class PhysicianSpecialtyInline(admin.TabularInline):
    model = PhysicianSpecialty
    form = PrimaryFlagForm
    formset = SpecialtyFormSet
    fields = ("specialty", "is_primary")
    autocomplete_fields = ("specialty",)
    extra = 0


class PracticeLocationInline(admin.StackedInline):
    model = PracticeLocation
    form = InlinePracticeLocationForm
    formset = LocationFormSet
    extra = 0
    show_change_link = True  # the insurance plans a location takes are kept on its own page


class BoardCertificationInline(admin.StackedInline):
    model = BoardCertification
    fields = (
        ("board", "certificate_name"),
        ("status", "moc_status"),
        ("first_certified_on", "expires_on"),
        ("verified_on", "verification_source"),
    )
    autocomplete_fields = ("board",)
    extra = 0


class AffiliationInline(admin.TabularInline):
    model = Affiliation
    autocomplete_fields = ("institution",)
    extra = 0


# --- physicians ----------------------------------------------------------------------------------------


class ListingReportInline(admin.TabularInline):
    """The visitors' reports on this listing, newest first; each is worked on its own page."""

    model = ListingReport
    fields = ("created_at", "problem", "details", "status", "resolution")
    readonly_fields = fields
    show_change_link = True
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class EstimatedCountPaginator(Paginator):
    """Counting a million physicians takes seconds: for the unfiltered list, PostgreSQL's own estimate of the
    table's size is close enough to number the pages (filtered lists are counted exactly)."""

    EXACT_BELOW = 100_000

    @cached_property
    def count(self):
        query = getattr(self.object_list, "query", None)
        if query is not None and not query.where:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [query.model._meta.db_table]
                )
                estimate = cursor.fetchone()[0]
            if estimate >= self.EXACT_BELOW:
                return estimate
        return super().count


@admin.register(Physician)
class PhysicianAdmin(SimpleHistoryAdmin):
    list_display = (
        "npi", "name", "credentials", "primary_specialty", "primary_city", "primary_state", "is_active",
        "last_verified_on", "source",
    )  # fmt: skip
    list_display_links = ("npi", "name")
    list_filter = (
        SearchParameterFilter.of("specialty"), SearchParameterFilter.of("cancer"), LocationStateFilter, "is_active",
        SearchParameterFilter.of("insurance"), CertificationStatusFilter, VerificationFilter, "source", SearchParameterFilter.of("accepting"),
        SearchParameterFilter.of("telehealth"), SearchParameterFilter.of("language"), OpenReportsFilter,
    )  # fmt: skip
    search_fields = ("search_document",)  # shows the search box; get_search_results does the searching
    search_help_text = (
        "An NPI (or its first digits), or names, practices, hospitals and cities, as the public search reads "
        "them: typos, accents, case and word order do not matter."
    )
    show_full_result_count = False
    list_per_page = 50
    ordering = ("last_name", "first_name", "npi")
    autocomplete_fields = ("cancer_types",)
    readonly_fields = ("created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("npi", ("first_name", "middle_name", "last_name", "name_suffix"), "credentials", "sex")}),
        ("Practice", {"fields": ("languages", "telehealth", "cancer_types", "bio")}),
        (
            "Curation",
            {
                "fields": (
                    "source",
                    ("is_active", "deactivated_on", "reactivated_on"),
                    ("last_verified_on", "last_verified_by"),
                    ("enumerated_on", "nppes_updated_on"),
                    ("created_at", "updated_at"),
                )  # fmt: skip
            },
        ),
    )
    inlines = (
        PhysicianSpecialtyInline, PracticeLocationInline, BoardCertificationInline, AffiliationInline,
        ListingReportInline,
    )  # fmt: skip
    actions = ("mark_verified_today", "deactivate", "reactivate")
    history_list_display = ("is_active", "last_verified_on")

    paginator = EstimatedCountPaginator

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if term.isdigit():
            # An NPI, whole or its first digits: one index lookup instead of scanning every name.
            return queryset.filter(npi__startswith=term), False
        # The public search's own `q` (a substring scan of every name took 2.2 s at 1,000,000 physicians),
        # best match first unless a column is chosen for the order: in name order, a rare name walked the
        # whole name index to fill a page (1.6 s).
        found = BY_NAME["q"].apply(queryset, term, None)
        if ORDER_VAR not in request.GET:
            found = found.order_by("-search_rank", *queryset.query.order_by)
        return found, False

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.resolver_match is None or not request.resolver_match.url_name.endswith("changelist"):
            return queryset
        # The changelist shows a few columns: leave the large derived search columns in the database.
        queryset = queryset.defer(*LISTING_DEFERRED_FIELDS)
        primary_location = PracticeLocation.objects.filter(physician=OuterRef("pk"), is_primary=True)
        return queryset.annotate(
            primary_specialty_name=Subquery(
                PhysicianSpecialty.objects.filter(physician=OuterRef("pk"), is_primary=True).values(
                    "specialty__display_name"
                )[:1]
            ),
            primary_city_name=Subquery(primary_location.values("city")[:1]),
            primary_state_code=Subquery(primary_location.values("state")[:1]),
        )

    @admin.display(description="name", ordering="last_name")
    def name(self, physician):
        return physician.display_name

    @admin.display(description="primary specialty", ordering="primary_specialty_name")
    def primary_specialty(self, physician):
        return physician.primary_specialty_name or "—"

    @admin.display(description="city", ordering="primary_city_name")
    def primary_city(self, physician):
        return physician.primary_city_name or "—"

    @admin.display(description="state", ordering="primary_state_code")
    def primary_state(self, physician):
        return physician.primary_state_code or "—"

    def save_formset(self, request, form, formset, change):
        if not isinstance(formset, OnePrimaryFormSet):
            return super().save_formset(request, form, formset, change)
        # The one-primary constraint is checked row by row: delete first, then save un-flagged rows, so
        # moving the primary flag from one row to another never has two primaries at any moment.
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            obj.delete()
        for obj in sorted(instances, key=lambda obj: obj.is_primary):
            obj.save()
        formset.save_m2m()

    @admin.action(description="Mark selected physicians verified today", permissions=["change"])
    def mark_verified_today(self, request, queryset):
        count = services.physicians_mark_verified(physicians=queryset, by=request.user)
        self.message_user(request, f"Marked {count} physician(s) verified on {timezone.localdate():%Y-%m-%d}.")

    @admin.action(description="Deactivate selected physicians", permissions=["change"])
    def deactivate(self, request, queryset):
        count = services.physicians_deactivate(physicians=queryset, by=request.user)
        self.message_user(request, f"Deactivated {count} physician(s).", messages.SUCCESS)

    @admin.action(description="Reactivate selected physicians", permissions=["change"])
    def reactivate(self, request, queryset):
        count = services.physicians_reactivate(physicians=queryset, by=request.user)
        self.message_user(request, f"Reactivated {count} physician(s).", messages.SUCCESS)


# --- the rows around a physician, each also editable on its own ---------------------------------------


class PhysicianRowSearch:
    """Search for tables of rows that belong to a physician: by the physician, as the public search finds
    physicians (an NPI or its first digits: an index lookup), or by the row's own `row_search_fields`
    (substrings, any case). A substring scan of unaccented last names over the join took 0.9 s for the
    practice locations of 100,000 physicians."""

    row_search_fields: tuple[str, ...] = ()
    # A table with a row or more per physician: a filtered page says "N results" without counting them all.
    show_full_result_count = False
    search_fields = ("physician__search_document",)  # shows the search box; get_search_results searches
    search_help_text = "The physician (an NPI, a name, a practice or a city, as the public search reads them)"

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        if term.isdigit():
            found = Q(physician__npi__startswith=term)
        else:
            found = Q(physician__in=Physician.objects.search(term).values("pk"))
        for field in self.row_search_fields:
            found |= Q(**{f"{field}__icontains": term})
        return queryset.filter(found), False


@admin.register(PhysicianSpecialty)
class PhysicianSpecialtyAdmin(PhysicianRowSearch, SimpleHistoryAdmin):
    list_display = ("physician", "specialty", "is_primary")
    list_select_related = ("physician", "specialty")
    list_filter = ("is_primary", "specialty__category")
    row_search_fields = ("specialty__code",)
    search_help_text = f"{PhysicianRowSearch.search_help_text}, or a NUCC code."
    autocomplete_fields = ("physician", "specialty")


class PracticeLocationPlansForm(PracticeLocationForm):
    """A location on its own page, with the insurance plans it takes (saved by services.location_plans_set)."""

    insurance_plans = forms.ModelMultipleChoiceField(
        queryset=InsurancePlan.objects.select_related("carrier"),
        required=False,
        widget=FilteredSelectMultiple("insurance plans", is_stacked=False),
        help_text="None chosen: not known (the profile asks patients to call).",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["insurance_plans"] = [link.plan_id for link in self.instance.accepted_plans.all()]


@admin.register(PracticeLocation)
class PracticeLocationAdmin(PhysicianRowSearch, SimpleHistoryAdmin):
    form = PracticeLocationPlansForm
    fields = ("physician", *PracticeLocationForm.Meta.fields, "insurance_plans")
    list_display = ("physician", "name", "city", "state", "zip_code", "phone", "accepting_new_patients", "is_primary")
    list_select_related = ("physician",)
    list_filter = ("is_primary", "accepting_new_patients", "state")
    row_search_fields = ("name", "city", "zip_code")
    search_help_text = f"{PhysicianRowSearch.search_help_text}, or the location's name, city or ZIP code."
    autocomplete_fields = ("physician",)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.location_plans_set(
            location=form.instance,
            plans=form.cleaned_data["insurance_plans"],
            by=request.user,
            source=AcceptedPlan.Source.CURATOR,
        )


@admin.register(BoardCertification)
class BoardCertificationAdmin(PhysicianRowSearch, SimpleHistoryAdmin):
    list_display = ("physician", "board", "certificate_name", "status", "moc_status", "expires_on", "verified_on")
    list_select_related = ("physician", "board")
    list_filter = ("status", "moc_status", "board")
    row_search_fields = ("certificate_name",)
    search_help_text = f"{PhysicianRowSearch.search_help_text}, or the certificate's name."
    autocomplete_fields = ("physician", "board")


@admin.register(Affiliation)
class AffiliationAdmin(PhysicianRowSearch, admin.ModelAdmin):
    list_display = ("physician", "institution")
    list_select_related = ("physician", "institution")
    row_search_fields = ("institution__name",)
    search_help_text = f"{PhysicianRowSearch.search_help_text}, or the institution's name."
    autocomplete_fields = ("physician", "institution")


# --- reference data ------------------------------------------------------------------------------------


@admin.register(Specialty)
class SpecialtyAdmin(admin.ModelAdmin):
    list_display = ("code", "display_name", "classification", "specialization", "category")
    list_filter = ("category", "grouping")
    search_fields = ("code", "display_name", "classification", "specialization")


@admin.register(CancerType)
class CancerTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "description")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Board)
class BoardAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind")
    list_filter = ("kind",)
    search_fields = ("code", "name")


class InsurancePlanInline(admin.TabularInline):
    model = InsurancePlan
    fields = ("plan_type", "name", "external_id", "source")
    extra = 0


@admin.register(InsuranceCarrier)
class InsuranceCarrierAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "payer_id", "plan_count")
    search_fields = ("name", "slug", "payer_id")
    prepopulated_fields = {"slug": ("name",)}
    inlines = (InsurancePlanInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(plan_count=Count("plans"))

    @admin.display(description="plans", ordering="plan_count")
    def plan_count(self, carrier):
        return carrier.plan_count


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "nci_designation", "city", "state")
    list_filter = ("kind", "nci_designation", "state")
    search_fields = ("name__unaccent", "city")


# --- visitors' reports of wrong listings -----------------------------------------------------------------


class ListingReportCloseForm(forms.ModelForm):
    """A curator closes a report: saying what was done is required."""

    class Meta:
        model = ListingReport
        fields = ("status", "resolution")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("status") != ListingReportStatus.OPEN and not cleaned.get("resolution", "").strip():
            self.add_error("resolution", "Say what was done about this report before you close it.")
        return cleaned


@admin.register(ListingReport)
class ListingReportAdmin(PhysicianRowSearch, SimpleHistoryAdmin):
    """The curators' queue: open reports first filter, how many each physician has open, and closing one
    records what was done (services.listing_reports_close)."""

    form = ListingReportCloseForm
    list_display = ("created_at", "physician", "problem", "short_details", "open_for_physician", "status")
    list_select_related = ("physician",)
    list_filter = ("status", "problem")
    row_search_fields = ("details",)
    date_hierarchy = "created_at"
    actions = ("dismiss_as_spam",)
    fields = ("physician", "created_at", "problem", "details", "status", "resolution", "resolved_by", "resolved_at")

    def get_queryset(self, request):
        open_reports = ListingReport.objects.open().filter(physician=OuterRef("physician")).order_by()
        count = open_reports.values("physician").annotate(n=Count("pk")).values("n")
        return super().get_queryset(request).annotate(physician_open=Coalesce(Subquery(count), 0))

    def get_readonly_fields(self, request, obj=None):
        closed = obj is not None and obj.status != ListingReportStatus.OPEN
        return (
            self.fields if closed else ("physician", "created_at", "problem", "details", "resolved_by", "resolved_at")
        )

    def has_add_permission(self, request):
        return False  # reports come from the profile's form

    def has_delete_permission(self, request, obj=None):
        return False  # a report is closed as dismissed, and kept

    @admin.display(description="details")
    def short_details(self, report):
        return report.details if len(report.details) <= 80 else report.details[:79] + "…"

    @admin.display(description="open for this physician", ordering="physician_open")
    def open_for_physician(self, report):
        return report.physician_open

    def save_model(self, request, obj, form, change):
        if obj.status == ListingReportStatus.OPEN:
            return  # nothing else on the page can change while it is open
        services.listing_reports_close(reports=[obj], by=request.user, status=obj.status, resolution=obj.resolution)

    @admin.action(description="Dismiss the selected reports as spam", permissions=["change"])
    def dismiss_as_spam(self, request, queryset):
        count = services.listing_reports_close(
            reports=queryset, by=request.user, status=ListingReportStatus.DISMISSED, resolution=services.SPAM_RESOLUTION
        )
        self.message_user(request, f"Dismissed {count} report(s) as spam.", messages.SUCCESS)
