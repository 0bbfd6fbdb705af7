"""Forms of a device's page: nickname, E911 address, release."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from plugline.core.addresses import ADDRESS_COUNTRIES, ADDRESS_FIELDS, address_normalize
from plugline.devices.models import Device
from plugline.devices.services import NICKNAME_MAX_LENGTH


class DeviceNicknameForm(forms.Form):
    nickname = forms.CharField(
        label=_("Nickname"),
        max_length=NICKNAME_MAX_LENGTH,
        required=False,
        help_text=_("A name you recognise, such as Kitchen or Cottage. Leave empty for none."),
        error_messages={
            "max_length": _("Keep the nickname to %(limit_value)d characters or fewer.")
        },
    )


class E911AddressForm(forms.Form):
    """Where emergency services go for a 911 call from the device; checked for its country."""

    country = forms.ChoiceField(
        label=_("Country"),
        choices=[("", _("Choose a country")), *ADDRESS_COUNTRIES],
        required=False,
        widget=forms.Select(attrs={"autocomplete": "country"}),
    )
    street_address = forms.CharField(
        label=_("Street address"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line1"}),
    )
    street_address_2 = forms.CharField(
        label=_("Apartment, suite, unit (optional)"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line2"}),
    )
    city = forms.CharField(
        label=_("City"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    country_area = forms.CharField(
        label=_("State or province"),
        max_length=100,
        required=False,
        help_text=_(
            "In the US and Canada: its code, such as NY or QC, or its name. Not in Denmark."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "address-level1"}),
    )
    postal_code = forms.CharField(
        label=_("ZIP or postal code"),
        max_length=20,
        required=False,
        widget=forms.TextInput(
            attrs={"autocomplete": "postal-code", "autocapitalize": "characters"}
        ),
    )

    def __init__(self, *args: Any, device: Device, **kwargs: Any) -> None:
        kwargs.setdefault("initial", device.e911_address)
        # Its own ids, so that it can share a page with other forms.
        kwargs.setdefault("prefix", "e911")
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if all(name in cleaned for name in ADDRESS_FIELDS):
            try:
                cleaned.update(
                    address_normalize(
                        {name: cleaned[name] for name in ADDRESS_FIELDS}, required=True
                    )
                )
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned

    def address(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in ADDRESS_FIELDS}


class DeviceReleaseForm(forms.Form):
    """ "Release this device": what becomes of the number, and the password again."""

    number = forms.ChoiceField(
        label=_("The phone number"),
        choices=[
            ("keep", _("Keep the number with the device for its next owner")),
            ("give_up", _("Give up the number")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what becomes of the phone number.")},
    )
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("Type your password to release the device.")},
    )

    def __init__(self, *args: Any, user: AbstractBaseUser, device: Device, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if not device.phone_number:
            # Nothing to choose: a device without a number.
            del self.fields["number"]

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(
                _("That is not your password. Type the password you sign in with.")
            )
        return password

    @property
    def keep_number(self) -> bool:
        return self.cleaned_data.get("number") == "keep"
