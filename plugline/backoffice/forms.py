"""The staff console's forms: every action asks for a reason, kept in the audit log."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from plugline.billing.refund_admin import RefundForm
from plugline.billing.services import GOODWILL_DAYS_MAX
from plugline.core.admin_numbers import StaffIntegerField

REASON_MAX_LENGTH = 200


def reason_field() -> forms.CharField:
    return forms.CharField(
        label=_("Reason (kept in the audit log)"),
        max_length=REASON_MAX_LENGTH,
        error_messages={"required": _("Give the reason (it goes in the audit log).")},
    )


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Email, phone number, serial, order, invoice, Re-Up serial or card"),
        required=False,
        max_length=400,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )


class ReasonForm(forms.Form):
    reason = reason_field()

    def clean_reason(self) -> str:
        return " ".join(self.cleaned_data["reason"].split())


class ConsoleRefundForm(RefundForm):
    """The admin's refund form (same amount rules), with the console's reason field."""

    reason = reason_field()


class GoodwillForm(ReasonForm):
    # ASCII digits only, as in the admin: full-width "12" is refused, not read as 12.
    days = StaffIntegerField(
        label=_("Days of service to give"),
        min_value=1,
        max_value=GOODWILL_DAYS_MAX,
    )


class TwoFactorRemoveForm(ReasonForm):
    identity_checked = forms.BooleanField(
        label=_("I checked who the customer is"),
        error_messages={
            "required": _("Check who the customer is first, then tick the box."),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order_fields(["identity_checked", "reason"])
