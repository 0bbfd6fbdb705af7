"""The operator's view of the number inventory and of the devices' SIP accounts.

Numbers come in with `import_numbers`; their status changes only through
plugline.telephony.services (reservations, assignment, quarantine), so it is
shown here, not edited.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from plugline.core.phones import normalize_phone_number
from plugline.telephony.models import NumberStatus, PhoneNumber, SipAccount
from plugline.telephony.services import sip_credentials_rotate
from plugline.telephony.sip import sip_username


@admin.register(PhoneNumber)
class PhoneNumberAdmin(admin.ModelAdmin):
    list_display = [
        "e164",
        "city",
        "region",
        "country",
        "area_code",
        "status",
        "reserved_until",
        "quarantined_until",
    ]
    list_filter = ["status", "country"]
    search_fields = ["e164", "area_code", "city", "region"]
    readonly_fields = [
        "e164",
        "country",
        "area_code",
        "status",
        "reserved_for",
        "reserved_until",
        "quarantined_until",
        "updated_at",
    ]
    fields = ["e164", "country", "area_code", "city", "region", *readonly_fields[3:]]
    actions: list[str] = []

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[PhoneNumber], search_term: str
    ) -> tuple[QuerySet[PhoneNumber], bool]:
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        # "(212) 555-0147" finds +12125550147.
        e164 = normalize_phone_number(search_term)
        if e164 is not None:
            found |= queryset.filter(e164=e164)
        return found, may_have_duplicates

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Only a number nobody has or holds may leave the inventory.
        if obj is not None and obj.status != NumberStatus.AVAILABLE:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(SipAccount)
class SipAccountAdmin(admin.ModelAdmin):
    """Devices' SIP accounts: made by provisioning, never edited; staff may rotate them."""

    list_display = ["username", "domain", "device", "generation", "updated_at"]
    search_fields = ["username", "device__serial"]
    list_select_related = ["device"]
    readonly_fields = ["device", "username", "domain", "generation", "created_at", "updated_at"]
    fields = ["device", "username", "domain", "generation", "created_at", "updated_at"]
    actions = ["rotate_credentials"]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[SipAccount], search_term: str
    ) -> tuple[QuerySet[SipAccount], bool]:
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        e164 = normalize_phone_number(search_term)
        if e164 is not None:
            found |= queryset.filter(username=sip_username(e164))
        return found, may_have_duplicates

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(
        description=_("Rotate SIP credentials (the device must fetch its new password)"),
        permissions=["change"],
    )
    def rotate_credentials(self, request: HttpRequest, queryset: QuerySet[SipAccount]) -> None:
        count = 0
        for account in queryset:
            assert isinstance(request.user, AbstractBaseUser)  # the admin is for staff only
            sip_credentials_rotate(account=account, actor=request.user, request=request)
            count += 1
        self.message_user(
            request,
            ngettext(
                "New SIP credentials for %(count)d device.",
                "New SIP credentials for %(count)d devices.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
