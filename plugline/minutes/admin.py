"""The ledger in the back office: read-only, except that staff can add an adjustment.

An adjustment (a credit, or a debit with a minus sign) always has a reason and
goes through plugline.minutes.services.minutes_adjustment_add (audited); no
entry is ever changed or deleted here.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from babel.numbers import get_currency_precision
from django import forms
from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from plugline.accounts.models import User
from plugline.core.money import money_format
from plugline.minutes.models import (
    LowBalanceAttempt,
    LowBalanceSetting,
    MinutesEntry,
    MinutesTopUp,
    UnratedCall,
)
from plugline.minutes.services import minutes_adjustment_add

# An optional minus, digits 0-9 and a decimal point or comma: never an exponent or NaN.
SIGNED_AMOUNT = re.compile(r"-?[0-9]{1,9}(?:[.,][0-9]{1,6})?")


class AdjustmentForm(forms.ModelForm):
    amount_text = forms.CharField(
        label=_("Amount"),
        max_length=20,
        help_text=_("In the billing currency, e.g. 5.00 to credit or -5.00 to debit."),
    )

    class Meta:
        model = MinutesEntry
        fields = ["user", "reason"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = True

    def clean_amount_text(self) -> int:
        text = self.cleaned_data["amount_text"].strip()
        if not SIGNED_AMOUNT.fullmatch(text):
            raise forms.ValidationError(_("Enter an amount such as 5.00 or -5.00."))
        minor = Decimal(text.replace(",", ".")).scaleb(
            get_currency_precision(settings.BILLING_CURRENCY)
        )
        if minor != minor.to_integral_value() or minor == 0:
            raise forms.ValidationError(_("Enter an amount such as 5.00 or -5.00."))
        return int(minor)


@admin.register(MinutesEntry)
class MinutesEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "kind", "amount_display", "origin"]
    list_filter = ["kind"]
    search_fields = ["user__email", "reason"]
    list_select_related = ["user", "call_record"]
    date_hierarchy = "created_at"
    raw_id_fields = ["user"]
    readonly_fields = [
        "user",
        "kind",
        "amount_display",
        "created_at",
        "payment",
        "call_record",
        "reason",
        "created_by",
    ]

    @admin.display(description=_("amount"))
    def amount_display(self, entry: MinutesEntry) -> str:
        return money_format(entry.amount, entry.currency)

    @admin.display(description=_("from"))
    def origin(self, entry: MinutesEntry) -> str:
        if entry.payment_id is not None:
            return str(_("payment %(id)s") % {"id": entry.payment_id})
        if entry.call_record is not None:
            return str(entry.call_record.callee)
        return entry.reason

    def get_form(  # type: ignore[no-untyped-def]
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ):
        if obj is None:
            kwargs["form"] = AdjustmentForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["user", "amount_text", "reason"]
        return list(self.readonly_fields)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return list(self.readonly_fields) if obj is not None else []

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: MinutesEntry, form: Any, change: bool) -> None:
        # Written by the service (audited), never by the admin itself.
        assert isinstance(request.user, User)
        entry = minutes_adjustment_add(
            staff=request.user,
            user=form.cleaned_data["user"],
            amount=form.cleaned_data["amount_text"],
            reason=form.cleaned_data["reason"],
            request=request,
        )
        obj.pk = entry.pk
        obj.kind = entry.kind
        obj.amount = entry.amount
        obj.currency = entry.currency
        obj._state.adding = False

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        return None


class _ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by the top-up flows only: staff look, never add, change or delete."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(MinutesTopUp)
class MinutesTopUpAdmin(_ReadOnlyAdmin):
    list_display = ["created_at", "user", "amount_display", "status", "applied_at", "payment"]
    list_filter = ["status"]
    search_fields = ["user__email", "=payment__id"]
    list_select_related = ["user", "payment"]

    @admin.display(description=_("amount"))
    def amount_display(self, top_up: MinutesTopUp) -> str:
        return money_format(top_up.amount, top_up.currency)


@admin.register(LowBalanceSetting)
class LowBalanceSettingAdmin(_ReadOnlyAdmin):
    list_display = [
        "user",
        "enabled",
        "threshold_shown",
        "amount_shown",
        "monthly_cap_shown",
        "armed",
        "crossings",
    ]
    list_filter = ["enabled", "armed"]
    search_fields = ["user__email"]
    list_select_related = ["user"]

    @admin.display(description=_("threshold"), ordering="threshold")
    def threshold_shown(self, setting: LowBalanceSetting) -> str:
        return money_format(setting.threshold, setting.currency)

    @admin.display(description=_("amount"), ordering="amount")
    def amount_shown(self, setting: LowBalanceSetting) -> str:
        return money_format(setting.amount, setting.currency)

    @admin.display(description=_("monthly cap"), ordering="monthly_cap")
    def monthly_cap_shown(self, setting: LowBalanceSetting) -> str:
        return money_format(setting.monthly_cap, setting.currency)


@admin.register(LowBalanceAttempt)
class LowBalanceAttemptAdmin(_ReadOnlyAdmin):
    list_display = [
        "created_at",
        "user",
        "crossing",
        "amount_shown",
        "status",
        "attempts",
        "payment",
    ]
    list_filter = ["status"]
    search_fields = ["user__email"]
    list_select_related = ["user", "payment"]

    @admin.display(description=_("amount"), ordering="amount")
    def amount_shown(self, attempt: LowBalanceAttempt) -> str:
        # The attempt's charge is in the billing currency, as its payment is.
        return money_format(attempt.amount, settings.BILLING_CURRENCY)


@admin.register(UnratedCall)
class UnratedCallAdmin(_ReadOnlyAdmin):
    """International calls not charged (no rate, no account): for staff to look into."""

    list_display = ["created_at", "call_record", "reason"]
    list_filter = ["reason"]
    search_fields = ["call_record__callee", "call_record__caller"]
    list_select_related = ["call_record"]
