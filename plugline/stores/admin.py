"""The operator's view of the retail chains and their stores.

Stores usually come from the chains' lists (`import_stores`); here staff
find one by name, city or postal code, correct it, or take it off the
store locator (active). The form checks what the import checks: the
coordinates, the postal code's shape in the US, Canada and Denmark, and
the opening hours' syntax.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from plugline.core.admin_numbers import StaffNumbersAdmin
from plugline.stores.hours import HoursError, hours_parse
from plugline.stores.importing import COUNTRY, POSTAL_CODES
from plugline.stores.models import RetailChain, Store

POSTAL_CODE_MESSAGES = {
    "US": _("Enter a ZIP code like 10001 or 10001-1234."),
    "CA": _("Enter a postal code like H2X 1Y4."),
    "DK": _("Enter a postal code of 4 digits, like 2100."),
}


@admin.register(RetailChain)
class RetailChainAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "store_count", "created_at"]
    search_fields = ["name", "code"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[RetailChain]:
        return super().get_queryset(request).annotate(store_count=Count("stores"))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # The chain's store lists name it by its code: changing it would duplicate its stores.
        return ["code"] if obj is not None else []

    @admin.display(description=_("stores"), ordering="store_count")
    def store_count(self, chain: Any) -> int:
        return int(chain.store_count)


class StoreAdminForm(forms.ModelForm):
    class Meta:
        model = Store
        fields = [
            "chain",
            "external_id",
            "name",
            "active",
            "address_line1",
            "address_line2",
            "city",
            "region",
            "postal_code",
            "country",
            "latitude",
            "longitude",
            "phone",
            "opening_hours",
            "sells_devices",
            "sells_reup_cards",
        ]
        help_texts = {
            "opening_hours": _(
                "Like “Mo-Fr 08:00-21:00; Sa 09:00-18:00; Su off” "
                "(days: Mo Tu We Th Fr Sa Su). Empty if not known."
            ),
            "country": _("The 2-letter code: US, CA or DK."),
            "latitude": _("In degrees, from -90 to 90 (north is positive)."),
            "longitude": _("In degrees, from -180 to 180 (east is positive)."),
        }

    def clean_country(self) -> str:
        country = str(self.cleaned_data["country"]).strip().upper()
        if not COUNTRY.fullmatch(country):
            raise forms.ValidationError(
                _("Enter the country's 2-letter code, like US, CA or DK."), code="country"
            )
        return country

    def clean_opening_hours(self) -> str:
        hours = " ".join(str(self.cleaned_data["opening_hours"]).split())
        try:
            hours_parse(hours)
        except HoursError as error:
            raise forms.ValidationError(
                _(
                    "Write opening hours like “Mo-Fr 08:00-21:00; Sa 09:00-18:00; Su off” "
                    "(days: Mo Tu We Th Fr Sa Su; times: 08:00-21:00; or off)."
                ),
                code="opening_hours",
            ) from error
        return hours

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        country = cleaned.get("country")
        postal_code = " ".join(str(cleaned.get("postal_code") or "").upper().split())
        if postal_code:
            cleaned["postal_code"] = postal_code
            rule = POSTAL_CODES.get(str(country))
            if rule is not None and not rule[0].fullmatch(postal_code):
                self.add_error("postal_code", POSTAL_CODE_MESSAGES[str(country)])
        return cleaned


@admin.register(Store)
class StoreAdmin(StaffNumbersAdmin):
    form = StoreAdminForm
    list_display = [
        "name",
        "chain",
        "city",
        "postal_code",
        "country",
        "sells_devices",
        "sells_reup_cards",
        "active",
    ]
    list_filter = ["chain", "country", "sells_devices", "sells_reup_cards", "active"]
    search_fields = ["name", "city", "postal_code", "postal_code_key", "external_id"]
    list_select_related = ["chain"]
    readonly_fields = ["updated_at"]
    fieldsets = [
        (None, {"fields": ["chain", "external_id", "name", "active"]}),
        (
            _("Address"),
            {
                "fields": [
                    "address_line1",
                    "address_line2",
                    "city",
                    "region",
                    "postal_code",
                    "country",
                    "latitude",
                    "longitude",
                ]
            },
        ),
        (
            _("In the store"),
            {"fields": ["phone", "opening_hours", "sells_devices", "sells_reup_cards"]},
        ),
        (None, {"fields": ["updated_at"]}),
    ]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Store], search_term: str
    ) -> tuple[QuerySet[Store], bool]:
        # "H2X 1Y4" finds the stores whose code is "H2X1Y4" too.
        found, duplicates = super().get_search_results(request, queryset, search_term)
        key = "".join(ch for ch in search_term.upper() if ch.isalnum())
        if key and len(key) <= 20:
            found = found | queryset.filter(postal_code_key__startswith=key)
        return found, duplicates
