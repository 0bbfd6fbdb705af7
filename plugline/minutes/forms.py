"""The form of "International minutes": an amount on sale, a card on file, this page's intent."""

from __future__ import annotations

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
