"""Forms of "Upgrade my device": the offer, the shipping address, the card."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from plugline.billing.checkout_forms import PayForm
from plugline.billing.models import PaymentMethod
from plugline.core.address_forms import AddressForm
from plugline.core.money import money_format
from plugline.upgrades.models import UpgradeOffer


class ShippingAddressForm(AddressForm):
    """Where the new device goes: required, and checked for its country like the E911
    address (core.address_forms, core.addresses.address_normalize)."""

    address_required = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Its own ids, so that it shares the page with the offer and the card.
        kwargs.setdefault("prefix", "ship")
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            token = field.widget.attrs.get("autocomplete")
            if token:
                field.widget.attrs["autocomplete"] = f"shipping {token}"


def offer_choice(offer: UpgradeOffer) -> str:
    """An offer's value in the form: its id and the price the page showed."""
    return f"{offer.pk}-{offer.price}"


class UpgradePayForm(PayForm):
    """The offer chosen (with the price the page showed), the card, and the intent's key."""

    offer = forms.ChoiceField(
        label=_("New device"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose the new device."),
            "invalid_choice": _(
                "This offer changed or ended meanwhile, and nothing was charged. Choose again."
            ),
        },
    )
    field_order = ["offer", "card"]

    def __init__(
        self,
        *args: Any,
        offers: list[UpgradeOffer],
        cards: list[PaymentMethod],
        currency: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, cards=cards, **kwargs)
        # The price is in the offer's value; the total of the cart does not apply.
        del self.fields["total"]
        field = self.fields["offer"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            (
                offer_choice(offer),
                gettext("%(model)s for %(price)s (usually %(usual)s)")
                % {
                    "model": offer.model.name,
                    "price": money_format(offer.price, currency),
                    "usual": money_format(offer.model.price, currency),
                }
                if offer.model.price > offer.price
                else gettext("%(model)s for %(price)s")
                % {"model": offer.model.name, "price": money_format(offer.price, currency)},
            )
            for offer in offers
        ]
        if len(offers) == 1 and not self.is_bound:
            self.initial.setdefault("offer", offer_choice(offers[0]))

    @property
    def offer_id_and_price(self) -> tuple[int, int]:
        offer_id, price = self.cleaned_data["offer"].split("-")
        return int(offer_id), int(price)
