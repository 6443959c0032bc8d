from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.urls import reverse
from django.utils.html import format_html

from portal.accounts.models import Erasure, Profile, SensitiveAccess, User


class ProfileInline(admin.StackedInline):  # type: ignore[type-arg]
    model = Profile
    can_delete = False


@admin.register(User)
class UserAdmin(BaseUserAdmin):  # type: ignore[type-arg]
    ordering = ["email"]
    list_display = ["email", "display_name", "can_create_studies", "is_staff", "is_active"]
    list_filter = ["can_create_studies", "is_staff", "is_active"]
    search_fields = ["email", "display_name"]
    inlines = [ProfileInline]
    readonly_fields = ["personal_data"]
    fieldsets = (
        (None, {"fields": ("email", "password", "display_name")}),
        ("Access", {"fields": ("is_active", "can_create_studies", "is_staff", "is_superuser")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
        # Erasure goes through the portal's page, which refuses while payments are owed and
        # keeps the research record; deleting the person here would do neither.
        ("Personal data", {"fields": ("personal_data",)}),
    )
    add_fieldsets = ((None, {"fields": ("email", "display_name", "password1", "password2")}),)

    @admin.display(description="Erasure")
    def personal_data(self, user: User) -> str:
        if user.pk is None:
            return "—"
        if user.is_erased:
            return f"Erased on {user.erased_at:%d %B %Y}."
        return format_html(
            '<a href="{}">Erase this person\'s personal data</a>',
            reverse("person_erase", args=[user.pk]),
        )


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Records that nobody edits: they say what happened."""

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Erasure)
class ErasureAdmin(ReadOnlyAdmin):
    list_display = ["pk", "erased_at", "erased_by_name", "receipts_kept_until"]


@admin.register(SensitiveAccess)
class SensitiveAccessAdmin(ReadOnlyAdmin):
    list_display = ["at", "by", "subject", "what", "verb", "study_id", "detail"]
    list_filter = ["what", "verb"]
