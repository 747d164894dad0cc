"""Curators' screens: the studies (read-only: the import writes them), and the review queue of
investigator matches, where a curator confirms or rejects a pair or links a person by hand."""

from django import forms
from django.contrib import admin, messages

from .models import InvestigatorMatch, Site, Trial
from .services import NO_NAME_MESSAGE, investigator_link, investigator_match_decide


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class SiteInline(ReadOnlyInline):
    model = Site
    fields = ["position", "facility", "city", "state", "zip_code", "country", "status", "latitude", "longitude"]


class MatchInline(ReadOnlyInline):
    model = InvestigatorMatch
    fields = ["name", "physician", "status", "confidence", "reasons"]


@admin.register(Trial)
class TrialAdmin(admin.ModelAdmin):
    list_display = ["nct_id", "title", "status", "in_source", "updated_at"]
    list_filter = ["status", "in_source", "cancer_types"]
    search_fields = ["nct_id", "title", "sponsor"]
    inlines = [SiteInline, MatchInline]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields] + ["cancer_types"]

    def has_add_permission(self, request):
        return False  # studies come from import_trials only


class LinkByHandForm(forms.ModelForm):
    """A curator's own link: the study, the person's name as the study gives it, and the physician."""

    class Meta:
        model = InvestigatorMatch
        fields = ["trial", "name", "physician"]


@admin.register(InvestigatorMatch)
class InvestigatorMatchAdmin(admin.ModelAdmin):
    list_display = ["name", "trial", "physician", "status", "confidence", "reasons", "decided_by"]
    list_filter = ["status"]
    search_fields = ["name", "trial__nct_id", "physician__last_name", "physician__npi"]
    list_select_related = ["trial", "physician", "decided_by"]
    raw_id_fields = ["trial", "physician"]
    actions = ["confirm", "reject"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = LinkByHandForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [field.name for field in self.model._meta.fields]

    def save_model(self, request, obj, form, change):
        if change:
            return  # decisions are taken with the actions
        try:
            saved = investigator_link(trial=obj.trial, name=obj.name, physician=obj.physician, by=request.user)
        except ValueError:
            self.message_user(request, NO_NAME_MESSAGE, messages.ERROR)
            return
        obj.pk = saved.pk

    @admin.action(description="Confirm: this person is this physician", permissions=["change"])
    def confirm(self, request, queryset):
        count = investigator_match_decide(matches=list(queryset), by=request.user, confirm=True)
        self.message_user(request, f"{count} match(es) confirmed.", messages.SUCCESS)

    @admin.action(
        description="Reject: not this physician (never proposed again for this study)", permissions=["change"]
    )
    def reject(self, request, queryset):
        count = investigator_match_decide(matches=list(queryset), by=request.user, confirm=False)
        self.message_user(request, f"{count} match(es) rejected.", messages.SUCCESS)
