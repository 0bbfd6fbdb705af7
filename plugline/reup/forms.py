"""The form of "Redeem a Re-Up card": the PIN, and which of the account's devices gets the time."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from plugline.billing.checkout_selectors import RenewableDevice


class PinInput(forms.TextInput):
    """A text box for the PIN that never shows it again: a refused form comes back empty."""

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        return super().get_context(name, None, attrs)


class RedeemForm(forms.Form):
    pin = forms.CharField(
        label=_("PIN"),
        help_text=_(
            "The 16 digits on the back of the card, under the strip you scratch off. "
            "Spaces and dashes don't matter."
        ),
        error_messages={"required": _("Type the 16 digits of the PIN.")},
        widget=PinInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "off",
                "autocapitalize": "off",
                "spellcheck": "false",
                "class": "pin",
            }
        ),
    )
    device = forms.ChoiceField(
        label=_("Device"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose the device to add the time to."),
            "invalid_choice": _("Choose the device to add the time to."),
        },
    )

    def __init__(self, *args: Any, devices: list[RenewableDevice], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.devices = {row.device.serial: row for row in devices}
        field = self.fields["device"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(row.device.serial, device_label(row)) for row in devices]
        if len(devices) == 1 and not self.is_bound:
            self.initial.setdefault("device", devices[0].device.serial)


def device_label(row: RenewableDevice) -> str:
    """The device's name, serial and service, as the Renew page writes them."""
    if row.ends_at is None:
        state = gettext("no service yet")
    elif row.status in ("expired", "grace"):
        state = gettext("expired on %(date)s") % {
            "date": formats.date_format(timezone.localtime(row.ends_at), "DATE_FORMAT")
        }
    else:
        state = gettext("active until %(date)s") % {
            "date": formats.date_format(timezone.localtime(row.ends_at), "DATE_FORMAT")
        }
    return f"{row.name} ({row.device.serial}), {state}"
