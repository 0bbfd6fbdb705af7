"""The form of "International minutes": an amount on sale, a card on file, this page's intent."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from plugline.billing.checkout_forms import PayForm
from plugline.billing.models import PaymentMethod
from plugline.core.money import money_format


class TopUpForm(PayForm):
    amount = forms.TypedChoiceField(
        label=_("Amount"),
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose an amount."),
            "invalid_choice": _("Choose one of the amounts shown."),
        },
    )
    # The latest top-up the page knew of: a page older than another top-up is shown again.
    last_seen = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    field_order = ["amount", "card", "idempotency_key", "last_seen"]

    def __init__(
        self,
        *args: Any,
        cards: list[PaymentMethod],
        amounts: list[int],
        currency: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, cards=cards, **kwargs)
        # The amount is the total: no total of its own.
        del self.fields["total"]
        amount = self.fields["amount"]
        assert isinstance(amount, forms.TypedChoiceField)
        amount.choices = [(str(value), money_format(value, currency)) for value in amounts]

    def clean_idempotency_key(self) -> str:
        try:
            return super().clean_idempotency_key()
        except forms.ValidationError:
            raise forms.ValidationError(
                _("This page is out of date. Check your balance and choose again.")
            ) from None


def _money_choices(amounts: Iterable[int], currency: str) -> list[tuple[str, str]]:
    return [(str(amount), money_format(amount, currency)) for amount in amounts]


class LowBalanceForm(forms.Form):
    """ "Low-balance top-up": on or off, below which balance, how much, at most how much a month."""

    enabled = forms.BooleanField(
        label=_("Top up automatically when my balance is low"),
        required=False,
        help_text=_(
            "Your default card is charged once each time your balance falls below the "
            "threshold, never more than the monthly limit."
        ),
    )
    threshold = forms.TypedChoiceField(
        label=_("When my balance falls below"),
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose a threshold."),
            "invalid_choice": _("Choose one of the thresholds shown."),
        },
    )
    amount = forms.TypedChoiceField(
        label=_("Add"),
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose an amount."),
            "invalid_choice": _("Choose one of the amounts shown."),
        },
    )
    monthly_cap = forms.TypedChoiceField(
        label=_("At most, each month"),
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose a monthly limit."),
            "invalid_choice": _("Choose one of the limits shown."),
        },
    )

    def __init__(
        self,
        *args: Any,
        thresholds: Iterable[int],
        amounts: Iterable[int],
        caps: Iterable[int],
        currency: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        for name, values in (("threshold", thresholds), ("amount", amounts), ("monthly_cap", caps)):
            field = self.fields[name]
            assert isinstance(field, forms.TypedChoiceField)
            field.choices = _money_choices(values, currency)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        amount, cap = cleaned.get("amount"), cleaned.get("monthly_cap")
        if amount is not None and cap is not None and cap < amount:
            self.add_error("monthly_cap", _("The monthly limit must be at least the amount added."))
        return cleaned
