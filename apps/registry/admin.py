from django.contrib import admin, messages

from .models import ImportRun, KeptEdit
from .services import kept_edits_apply_registry, kept_edits_resolve


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "kind",
        "file_name",
        "status",
        "dry_run",
        "started_at",
        "duration",
        "read",
        "scan_reused",
        "matched",
        "created",
        "updated",
        "unchanged",
        "deactivated",
        "reactivated",
        "rejected",
    ]
    list_filter = ["kind", "status", "dry_run"]
    search_fields = ["file_name"]
    date_hierarchy = "started_at"

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False  # runs are recorded by the import commands only

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(KeptEdit)
class KeptEditAdmin(admin.ModelAdmin):
    list_display = ["physician", "npi", "field", "curator_value", "registry_value", "detected_at", "resolved"]
    list_filter = ["resolved", "field"]
    search_fields = ["physician__npi", "physician__last_name"]
    list_select_related = ["physician"]
    readonly_fields = [
        "physician",
        "field",
        "curator_value",
        "registry_value",
        "import_run",
        "detected_at",
        "resolved",
        "resolved_at",
        "resolved_by",
    ]
    actions = ["mark_resolved", "apply_registry_value"]

    @admin.display(ordering="physician__npi", description="NPI")
    def npi(self, obj):
        return obj.physician.npi

    def has_add_permission(self, request):
        return False

    @admin.action(description="Mark resolved: keep the curator's value", permissions=["change"])
    def mark_resolved(self, request, queryset):
        count = kept_edits_resolve(edits=list(queryset), by=request.user)
        self.message_user(request, f"{count} kept edit(s) marked resolved.", messages.SUCCESS)

    @admin.action(description="Apply the registry's value (names and credentials)", permissions=["change"])
    def apply_registry_value(self, request, queryset):
        count = kept_edits_apply_registry(edits=list(queryset), by=request.user)
        self.message_user(request, f"{count} registry value(s) applied.", messages.SUCCESS)
