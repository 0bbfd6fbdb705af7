"""The operator's view of the rate deck: read only.

Rates come from the operator's deck (`import_rates FILE`), which checks
every row and keeps the history of prices (a new `valid_from` is a new
rate); staff find a destination here by prefix or name, and change a rate
by importing a corrected deck.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from plugline.rates.models import Rate
from plugline.rates.pricing import connection_fee_text, increments_text, price_per_minute_text


@admin.register(Rate)
class RateAdmin(admin.ModelAdmin):
    list_display = [
        "prefix",
        "destination",
        "country",
        "price",
        "fee",
        "increments",
        "valid_from",
    ]
    list_filter = ["country", "valid_from"]
    search_fields = ["prefix", "destination", "destination_fr", "destination_da"]
    ordering = ["prefix", "-valid_from"]
    fields = [
        "prefix",
        "country",
        "destination",
        "destination_fr",
        "destination_da",
        "currency",
        "price_per_minute",
        "connection_fee",
        "first_increment",
        "next_increment",
        "valid_from",
        "imported_at",
    ]

    def get_search_results(self, request: HttpRequest, queryset: Any, search_term: str) -> Any:
        # "+44 20" finds prefix 4420.
        digits = "".join(search_term.split()).removeprefix("+")
        if digits.isdigit():
            return queryset.filter(prefix__startswith=digits), False
        return super().get_search_results(request, queryset, search_term)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("price per minute"), ordering="price_per_minute")
    def price(self, rate: Rate) -> str:
        return price_per_minute_text(rate)

    @admin.display(description=_("connection fee"), ordering="connection_fee")
    def fee(self, rate: Rate) -> str:
        return connection_fee_text(rate)

    @admin.display(description=_("billing increments"))
    def increments(self, rate: Rate) -> str:
        return increments_text(rate)
