from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from plugline.core.models import AuditEvent, StaffAlert


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


@admin.register(StaffAlert)
class StaffAlertAdmin(admin.ModelAdmin):
    """Alerts raised for staff; the only change is marking one as acknowledged."""

    list_display = ["created_at", "kind", "message", "repeats", "last_seen_at", "acknowledged_at"]
    list_filter = ["kind", ("acknowledged_at", admin.EmptyFieldListFilter)]
    date_hierarchy = "created_at"
    readonly_fields = [
        field.name for field in StaffAlert._meta.fields if field.name != "acknowledged_at"
    ]
    actions = ["acknowledge"]

    @admin.action(description=gettext_lazy("Mark as acknowledged"))
    def acknowledge(self, request: HttpRequest, queryset: QuerySet[StaffAlert]) -> None:
        count = queryset.filter(acknowledged_at__isnull=True).update(
            acknowledged_at=timezone.now(), acknowledged_by=request.user
        )
        self.message_user(request, _("%(count)d alert(s) acknowledged.") % {"count": count})

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
