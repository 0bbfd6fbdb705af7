"""The operator's view of the device inventory, web orders and activations.

Devices come in with `import_devices` (the admin cannot add one: a device
without its key could never prove it is plugged in), and their keys and
label codes are never editable. Activations and transfer requests are
read-only, without their secret hashes.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from plugline.core.admin_numbers import StaffNumbersAdmin
from plugline.core.phones import normalize_phone_number
from plugline.devices.models import (
    Activation,
    Device,
    DeviceModel,
    DeviceStatus,
    TransferRequest,
    WebOrder,
)


@admin.register(DeviceModel)
class DeviceModelAdmin(StaffNumbersAdmin):
    list_display = ["code", "name", "included_months", "picture", "device_count"]
    search_fields = ["code", "name"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[DeviceModel]:
        return super().get_queryset(request).annotate(device_count=Count("devices"))

    @admin.display(description=_("devices"), ordering="device_count")
    def device_count(self, model: Any) -> int:
        return int(model.device_count)


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ["serial", "model", "status", "owner", "phone_number", "web_order", "created_at"]
    list_filter = ["status", "model"]
    search_fields = [
        "serial",
        "phone_number",
        "owner__email",
        "web_order__number",
        "web_order__email",
    ]
    list_select_related = ["model", "owner", "web_order"]
    raw_id_fields = ["owner", "web_order"]
    readonly_fields = [
        "phone_number",
        "public_key",
        "label_code_hash",
        "activated_at",
        "created_at",
    ]
    fieldsets = [
        (None, {"fields": ["serial", "model", "status", "nickname"]}),
        (_("Account"), {"fields": ["owner", "phone_number", "activated_at"]}),
        (_("Web order"), {"fields": ["web_order"]}),
        (
            _("E911 address"),
            {
                "fields": [
                    "e911_street_address",
                    "e911_street_address_2",
                    "e911_city",
                    "e911_country_area",
                    "e911_postal_code",
                    "e911_country",
                ]
            },
        ),
        (_("Device key"), {"fields": ["public_key", "label_code_hash", "created_at"]}),
    ]
    actions: list[str] = []

    def get_readonly_fields(self, request: HttpRequest, obj: Device | None = None) -> list[str]:
        # The label code's hash is made with the serial: the serial stays.
        return [*self.readonly_fields, "serial"] if obj is not None else list(self.readonly_fields)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Device], search_term: str
    ) -> tuple[QuerySet[Device], bool]:
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        # "(212) 555-0147" finds the device with +12125550147.
        e164 = normalize_phone_number(search_term)
        if e164 is not None:
            found |= queryset.filter(phone_number=e164)
        return found, may_have_duplicates

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Device | None = None) -> bool:
        # A device on an account leaves it by being released, never by deletion.
        if obj is not None and (obj.owner_id is not None or obj.status == DeviceStatus.ACTIVE):
            return False
        return super().has_delete_permission(request, obj)


class ShippedDeviceInline(admin.TabularInline):
    model = Device
    fields = readonly_fields = ("serial", "model", "status", "owner")
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WebOrder)
class WebOrderAdmin(admin.ModelAdmin):
    list_display = ["number", "email", "ordered_at", "device_count", "created_at"]
    search_fields = ["number", "email", "devices__serial"]
    date_hierarchy = "ordered_at"
    inlines = [ShippedDeviceInline]
    readonly_fields = ["created_at"]
    actions: list[str] = []

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebOrder]:
        return super().get_queryset(request).annotate(device_count=Count("devices"))

    @admin.display(description=_("devices"), ordering="device_count")
    def device_count(self, order: Any) -> int:
        return int(order.device_count)

    def has_delete_permission(self, request: HttpRequest, obj: WebOrder | None = None) -> bool:
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """A list and a page to look at; nothing to add, change or delete."""

    actions: list[str] = []

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Activation)
class ActivationAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "status",
        "device",
        "user",
        "email",
        "purchase_channel",
        "phone_number",
        "updated_at",
    ]
    list_filter = ["status", "purchase_channel"]
    search_fields = ["=device__serial", "user__email", "email", "phone_number"]
    list_select_related = ["device", "user"]
    # Never the password's hash or the activation code's.
    fields = readonly_fields = (
        "id",
        "status",
        "device",
        "present_until",
        "purchase_channel",
        "order_email_matched_at",
        "user",
        "first_name",
        "last_name",
        "email",
        "contact_address",
        "e911_address",
        "phone_number",
        "terms_version",
        "terms_accepted_at",
        "code_sent_at",
        "code_expires_at",
        "code_failures",
        "created_at",
        "updated_at",
        "completed_at",
    )


@admin.register(TransferRequest)
class TransferRequestAdmin(ReadOnlyAdmin):
    list_display = ["device", "owner", "status", "created_at", "expires_at", "decided_at"]
    list_filter = ["status"]
    search_fields = ["=device__serial", "owner__email"]
    list_select_related = ["device", "owner"]
    # Never the hash of the token in the owner's links.
    fields = readonly_fields = (
        "device",
        "owner",
        "activation",
        "status",
        "created_at",
        "expires_at",
        "decided_at",
    )
