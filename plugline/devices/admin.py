"""The operator's view of the device inventory, web orders and activations.

Devices come in with `import_devices` (the admin cannot add one: a device
without its key could never prove it is plugged in), and their keys and
label codes are never editable. Activations and transfer requests are
read-only, without their secret hashes.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from plugline.core.admin_numbers import StaffNumbersAdmin
from plugline.core.money import money_format
from plugline.core.phones import normalize_phone_number
from plugline.devices.models import (
    Activation,
    Device,
    DeviceModel,
    DeviceStatus,
    TransferRequest,
    WebOrder,
)
from plugline.devices.services import (
    SUSPENSION_REASON_MAX_LENGTH,
    device_resume,
    device_suspend,
)


@admin.register(DeviceModel)
class DeviceModelAdmin(StaffNumbersAdmin):
    list_display = ["code", "name", "price_shown", "included_months", "picture", "device_count"]
    search_fields = ["code", "name"]

    @admin.display(description=_("price"), ordering="price")
    def price_shown(self, model: DeviceModel) -> str:
        return money_format(model.price, settings.BILLING_CURRENCY)

    def get_queryset(self, request: HttpRequest) -> QuerySet[DeviceModel]:
        return super().get_queryset(request).annotate(device_count=Count("devices"))

    @admin.display(description=_("devices"), ordering="device_count")
    def device_count(self, model: Any) -> int:
        return int(model.device_count)


class LineActionForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (kept in the audit log)"),
        max_length=SUSPENSION_REASON_MAX_LENGTH,
        widget=forms.TextInput(attrs={"size": 60}),
    )


class SuspendedFilter(admin.SimpleListFilter):
    title = _("suspension")
    parameter_name = "suspended"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("suspended")), ("no", _("not suspended"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Device]) -> QuerySet[Device]:
        if self.value() == "yes":
            return queryset.filter(suspended_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(suspended_at__isnull=True)
        return queryset


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = [
        "serial",
        "model",
        "status",
        "owner",
        "phone_number",
        "suspended_at",
        "web_order",
        "created_at",
    ]
    list_filter = ["status", SuspendedFilter, "model"]
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
        "suspended_at",
        "suspension_reason",
        "created_at",
    ]
    fieldsets = [
        (None, {"fields": ["serial", "model", "status", "nickname"]}),
        (_("Suspension"), {"fields": ["suspended_at", "suspension_reason"]}),
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
    actions = ["suspend_line", "resume_line"]

    @admin.action(
        description=_("Suspend the line (refused at once, whatever the service)"),
        permissions=["change"],
    )
    def suspend_line(self, request: HttpRequest, queryset: QuerySet[Device]) -> Any:
        return self._line_action(request, queryset, suspend=True)

    @admin.action(description=_("Resume the line"), permissions=["change"])
    def resume_line(self, request: HttpRequest, queryset: QuerySet[Device]) -> Any:
        return self._line_action(request, queryset, suspend=False)

    def _line_action(
        self, request: HttpRequest, queryset: QuerySet[Device], *, suspend: bool
    ) -> TemplateResponse | None:
        """Ask for the reason on a page of its own, then suspend or resume each device."""
        form = LineActionForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            assert isinstance(request.user, AbstractBaseUser)  # the admin is for staff only
            service = device_suspend if suspend else device_resume
            changed = 0
            try:
                for device in queryset.order_by("pk"):
                    changed += service(
                        device=device,
                        reason=form.cleaned_data["reason"],
                        actor=request.user,
                        request=request,
                    )
            except ValidationError as error:
                form.add_error("reason", error.message_dict.get("reason", error.messages))
            else:
                self.message_user(request, self._line_message(changed, suspend), messages.SUCCESS)
                return None
        return TemplateResponse(
            request,
            "admin/devices/device/line_action.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": _("Suspend the line") if suspend else _("Resume the line"),
                "explanation": _(
                    "These devices are refused at their next REGISTER and their live "
                    "registrations are ended, whatever their service, until staff resume them."
                )
                if suspend
                else _("These devices may register again, if their service allows it."),
                "devices": list(queryset.order_by("pk")),
                "form": form,
                "action": "suspend_line" if suspend else "resume_line",
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )

    @staticmethod
    def _line_message(count: int, suspend: bool) -> str:
        if suspend:
            return ngettext(
                "Line suspended for %(count)d device.",
                "Lines suspended for %(count)d devices.",
                count,
            ) % {"count": count}
        return ngettext(
            "Line resumed for %(count)d device.",
            "Lines resumed for %(count)d devices.",
            count,
        ) % {"count": count}

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
