"""Referrals in the admin: read-only; clinical content only for curators with the "view clinical data"
permission, who alone may filter on it too; every list (with its query) and view is access-logged."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models.constants import LOOKUP_SEP
from django.template.response import TemplateResponse

from apps.accounts.models import Role

from . import services
from .access import log_access, log_list
from .models import AccessLog, Message, Referral, ReferralEvent
from .permissions import has_clinical_permission

STATUS_AND_DATES = (
    "reference",
    "status",
    "priority",
    "version",
    "oncologist",
    "referring_gp",
    "created_at",
    "submitted_at",
    "response_due_at",
    "first_reviewed_at",
    "first_response_at",
    "decided_at",
    "accepted_at",
    "rejected_at",
    "scheduled_at",
    "appointment_at",
    "completed_at",
    "acknowledged_at",
    "cancelled_at",
    "failed_at",
    "entered_in_error_at",
    "replaces",
)
CLINICAL = Referral.CLINICAL_FIELDS


# The admin is otherwise read-only, so "change referral" means exactly "may take the admin's state-changing
# actions"; it is granted on its own, beside the clinical permission the same action needs on page and API.
CHANGE_PERMISSION = "referrals.change_referral"


def _is_curator(request) -> bool:
    user = request.user
    return user.is_active and user.is_staff and (user.role == Role.CURATOR or user.is_superuser)


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return _is_curator(request)

    def has_module_permission(self, request):
        return _is_curator(request)


class EventInline(ReadOnlyMixin, admin.TabularInline):
    model = ReferralEvent
    fields = ("created_at", "action", "from_status", "to_status", "actor", "reason")
    readonly_fields = fields
    extra = 0


class MessageInline(ReadOnlyMixin, admin.TabularInline):
    model = Message
    fields = ("created_at", "author", "body")
    readonly_fields = fields
    extra = 0


@admin.register(Referral)
class ReferralAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("reference", "status", "priority", "oncologist", "submitted_at", "response_due_at", "overdue")
    list_filter = ("status", "priority")
    search_fields = ("reference",)  # never patient names: the list is for every curator
    list_select_related = ("oncologist",)
    ordering = ("-created_at",)

    actions = ["enter_in_error"]

    def get_queryset(self, request):
        return super().get_queryset(request).sent().with_overdue_flag()

    def has_enter_in_error_permission(self, request) -> bool:
        return (
            _is_curator(request) and has_clinical_permission(request.user) and request.user.has_perm(CHANGE_PERMISSION)
        )

    def lookup_allowed(self, lookup, value, request=None):
        # A filter is a read: a row count answers "does a patient's name start with P?". Only the fields this
        # user may see can be filtered on, and never through a relation (replaces__patient_last_name).
        name, *rest = lookup.split(LOOKUP_SEP)
        if request is None or name not in self.get_fields(request):
            return False
        if self.model._meta.get_field(name).is_relation and rest[:1] not in ([], ["id"], ["exact"], ["isnull"]):
            return False
        return super().lookup_allowed(lookup, value, request)

    @admin.action(description="Mark as entered in error (with a reason)", permissions=["enter_in_error"])
    def enter_in_error(self, request, queryset):
        reason = (request.POST.get("reason") or "").strip()
        if "confirm" not in request.POST or not reason:
            return TemplateResponse(
                request,
                "referrals/admin_enter_in_error.html",
                {
                    **self.admin_site.each_context(request),
                    "referrals": queryset,
                    "missing_reason": "confirm" in request.POST,
                    "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                    "opts": self.model._meta,
                },
            )
        done = 0
        for referral in queryset:
            try:
                services.referral_enter_in_error(
                    referral=referral, by=request.user, version=referral.version, reason=reason
                )
            except (services.ReferralConflict, services.ReferralPermissionDenied, ValidationError) as error:
                message = getattr(error, "message", None) or "; ".join(getattr(error, "messages", [str(error)]))
                self.message_user(request, f"{referral.reference}: {message}", messages.ERROR)
                continue
            log_access(
                request, action=AccessLog.Action.TRANSITION, obj=referral, detail="enter_in_error", channel="admin"
            )
            done += 1
        if done:
            self.message_user(request, f"{done} referral(s) marked as entered in error.", messages.SUCCESS)
        return None

    @admin.display(boolean=True, ordering="overdue")
    def overdue(self, obj):
        return obj.is_overdue

    def get_fields(self, request, obj=None):
        return STATUS_AND_DATES + (CLINICAL if has_clinical_permission(request.user) else ())

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def get_inlines(self, request, obj):
        # Event reasons and messages carry clinical detail (questions, answers).
        return [EventInline, MessageInline] if has_clinical_permission(request.user) else []

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl") if response.status_code == 200 else None
        if changelist is not None:
            log_list(request, list(changelist.result_list), channel="admin", query=request.GET.urlencode())
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if response.status_code == 200:
            obj = self.get_object(request, object_id)
            if obj is not None:
                log_access(request, action=AccessLog.Action.VIEW, obj=obj, channel="admin")
        return response


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("created_at", "user", "role", "action", "object_type", "object_id", "channel", "ip_address")
    list_filter = ("action", "object_type", "channel", "role")
    search_fields = ("object_id",)
    list_select_related = ("user",)
    readonly_fields = (
        "created_at",
        "user",
        "role",
        "action",
        "object_type",
        "object_id",
        "detail",
        "channel",
        "ip_address",
        "user_agent",
    )
