from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from .forms import ImportStartForm
from .models import ImportRun, KeptEdit
from .services import import_enqueue, inbox_receive, kept_edits_apply_registry, kept_edits_resolve


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
        return False  # runs are recorded by the imports themselves

    def has_change_permission(self, request, obj=None):
        return False

    def may_start(self, request) -> bool:
        return request.user.has_perm("registry.add_importrun")

    def get_urls(self):
        start = path("start/", self.admin_site.admin_view(self.start_view), name="registry_importrun_start")
        return [start, *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {**(extra_context or {}), "may_start": self.may_start(request)})

    def start_view(self, request):
        """Start an import on a worker; its run then shows in the list, its counts growing batch by batch."""
        if not self.may_start(request):
            raise PermissionDenied
        form = ImportStartForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            name = data["name"] or inbox_receive(data["upload"])
            import_enqueue(source=data["source"], name=name, dry_run=data["dry_run"])
            self.message_user(
                request, f"The import of {name} is queued: it shows here when a worker starts it.", messages.SUCCESS
            )
            return redirect(reverse("admin:registry_importrun_changelist"))
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "form": form}
        context["title"] = "Start an import"
        return TemplateResponse(request, "admin/registry/importrun/start.html", context)


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
