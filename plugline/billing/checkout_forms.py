"""Forms of online renewal: choose a device and a plan, choose a card, ask for a link."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import formats
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from plugline.billing.checkout_selectors import PricedPlan, RenewableDevice
from plugline.billing.models import PaymentMethod
from plugline.core.money import money_format


class RenewForm(forms.Form):
    """ "Add to cart": a plan for one of the account's devices."""

    device = forms.ChoiceField(
        label=_("Device"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the device to renew.")},
    )
    plan = forms.ChoiceField(
        label=_("Plan"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a plan.")},
    )

    def __init__(
        self,
        *args: Any,
        devices: list[RenewableDevice],
        plans: list[PricedPlan],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.devices = {row.device.serial: row for row in devices}
        self.plans = {priced.plan.code: priced for priced in plans}
        _choice_field(self, "device").choices = [
            (row.device.serial, _device_label(row)) for row in devices
        ]
        _choice_field(self, "plan").choices = [
            (
                priced.plan.code,
                gettext("%(plan)s: %(price)s")
                % {
                    "plan": priced.plan.display_name(),
                    "price": money_format(priced.amount, priced.currency),
                },
            )
            for priced in plans
        ]
        if len(devices) == 1 and not self.is_bound:
            self.initial.setdefault("device", devices[0].device.serial)


def _choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


def _device_label(row: RenewableDevice) -> str:
    from django.utils.translation import gettext

    if row.ends_at is None:
        state = gettext("no service yet")
    elif row.reactivate:
        state = gettext("expired on %(date)s: Reactivate") % {
            "date": formats.date_format(row.ends_at, "DATE_FORMAT")
        }
    elif row.status in ("expired", "grace"):
        state = gettext("expired on %(date)s") % {
            "date": formats.date_format(row.ends_at, "DATE_FORMAT")
        }
    else:
        state = gettext("active until %(date)s") % {
            "date": formats.date_format(row.ends_at, "DATE_FORMAT")
        }
    return f"{row.name} ({row.device.serial}), {state}"


class PayForm(forms.Form):
    """ "Pay": a card on file, and the key that makes this one intent to pay."""

    card = forms.ChoiceField(
        label=_("Pay with"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose a card, or use a new card."),
            "invalid_choice": _("Choose a card, or use a new card."),
        },
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=80)
    # The total the page showed: a cart changed meanwhile (another tab) is
    # shown again before anything is charged.
    total = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args: Any, cards: list[PaymentMethod], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cards = {str(card.pk): card for card in cards}
        _choice_field(self, "card").choices = [(str(card.pk), _card_label(card)) for card in cards]

    def clean_idempotency_key(self) -> str:
        key: str = self.cleaned_data["idempotency_key"]
        if not key.startswith("pay_") or not key.replace("_", "").replace("-", "").isalnum():
            raise forms.ValidationError(
                _("This page is out of date. Check the cart and pay again.")
            )
        return key


def _card_label(card: PaymentMethod) -> str:
    from django.utils.translation import gettext

    label = gettext("%(brand)s ending in %(last4)s, expires %(month)02d/%(year)s") % {
        "brand": card.brand,
        "last4": card.last4,
        "month": card.exp_month,
        "year": card.exp_year,
    }
    if card.is_default:
        label += " " + gettext("(default)")
    return label


class RenewLinkForm(forms.Form):
    email = forms.CharField(
        label=_("Email or phone number"),
        max_length=254,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        ),
        error_messages={"required": _("Enter the email or phone number of your account.")},
    )
