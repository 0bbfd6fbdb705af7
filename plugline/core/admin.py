from django.contrib import admin
from django.http import HttpRequest

from plugline.core.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit log, read-only: nobody edits or deletes history from the admin."""

    list_display = ["created_at", "action", "user", "actor", "identifier", "ip_address"]
    list_filter = ["action"]
    search_fields = ["user__email", "identifier", "ip_address"]
    date_hierarchy = "created_at"
    list_select_related = ["user", "actor"]
    readonly_fields = [field.name for field in AuditEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
