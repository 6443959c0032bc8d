from django.contrib import admin

from engagement.models import Invitation, Membership, Stage, Study


class StageInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Stage
    extra = 0


class MembershipInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Membership
    extra = 0
    raw_id_fields = ["user", "added_by"]


@admin.register(Study)
class StudyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["title", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["title"]
    inlines = [StageInline, MembershipInline]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["email", "study", "role", "created_at", "sent_at", "accepted_at", "revoked_at"]
    list_filter = ["role"]
    search_fields = ["email"]
    exclude = ["nonce"]
    raw_id_fields = ["invited_by", "accepted_by"]
