from django.contrib import admin
from django.http import HttpRequest

from portal.notifications.models import InboundMail


@admin.register(InboundMail)
class InboundMailAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """What came back to reply addresses: a record to read, never to edit."""

    list_display = ["received_at", "outcome", "sender", "person", "thread_id", "explained"]
    list_filter = ["outcome", "via", "explained"]
    search_fields = ["sender", "message_id"]
    readonly_fields = [field.name for field in InboundMail._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
