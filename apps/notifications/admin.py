from django.contrib import admin, messages

from .models import Notification
from .services import notifications_retry


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """The outbox, read-only: what was sent, what waits for the mail server and why, what was given up."""

    list_display = ["subject", "status", "attempts", "next_attempt_at", "sent_at", "created_at"]
    list_filter = ["status"]
    search_fields = ["subject"]
    date_hierarchy = "created_at"
    actions = ["retry"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Try sending the given-up ones again", permissions=["view"])
    def retry(self, request, queryset):
        count = notifications_retry(notifications=queryset)
        self.message_user(request, f"{count} will be tried again within a minute.", messages.SUCCESS)
