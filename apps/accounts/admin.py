"""Accounts in the admin: email as the login, a role, and an oncologist's link to the directory."""

from django.contrib import admin
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import forms as auth_forms

from .models import User

PROFILE_FIELDS = ("full_name", "role", "physician", "npi", "practice_name", "phone")


class EmailLoginMixin:
    def clean_email(self):
        # The manager stores emails lower-cased; the admin must too, or two accounts could differ by case.
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists():
            raise auth_forms.ValidationError("An account with this email already exists.", code="unique")
        return email


class UserCreationForm(EmailLoginMixin, auth_forms.AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", *PROFILE_FIELDS)


class UserChangeForm(EmailLoginMixin, auth_forms.UserChangeForm):
    class Meta:
        model = User
        fields = (
            "email", "password", *PROFILE_FIELDS, "is_active", "is_staff", "is_superuser", "groups",
            "user_permissions",
        )  # fmt: skip


@admin.register(User)
class UserAdmin(auth_admin.UserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    list_display = ("email", "full_name", "role", "physician", "is_staff", "is_active", "last_login")
    list_filter = ("role", "is_staff", "is_superuser", "is_active")
    list_select_related = ("physician",)
    search_fields = ("email", "full_name", "=npi", "=physician__npi")
    ordering = ("email",)
    autocomplete_fields = ("physician",)
    readonly_fields = ("last_login", "date_joined")
    filter_horizontal = ("groups", "user_permissions")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": PROFILE_FIELDS}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", *PROFILE_FIELDS, "usable_password", "password1", "password2"),
            },
        ),
    )
