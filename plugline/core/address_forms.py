"""The fields of a postal address in a form, checked with `address_normalize`.

The profile's contact address, a device's E911 address and the activation
wizard's two addresses all use these fields, with the same labels, hints
and autocomplete tokens.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from plugline.core.addresses import ADDRESS_COUNTRIES, ADDRESS_FIELDS, address_normalize

# The order in which people write an address (country first: it decides the rest).
ADDRESS_DISPLAY_ORDER = (
    "country",
    "street_address",
    "street_address_2",
    "city",
    "country_area",
    "postal_code",
)


def address_form_fields(*, prefix: str = "", section: str = "") -> dict[str, forms.Field]:
    """New address fields in display order, named `<prefix>_<field>` when there is a prefix.

    `section` ("billing", "shipping") goes before each autocomplete token, so
    that a browser fills two addresses on one page from different entries.
    """

    def name(field: str) -> str:
        return f"{prefix}_{field}" if prefix else field

    def autocomplete(token: str) -> str:
        return f"{section} {token}" if section else token

    return {
        name("country"): forms.ChoiceField(
            label=_("Country"),
            choices=[("", _("Choose a country")), *ADDRESS_COUNTRIES],
            required=False,
            widget=forms.Select(attrs={"autocomplete": autocomplete("country")}),
        ),
        name("street_address"): forms.CharField(
            label=_("Street address"),
            max_length=200,
            required=False,
            widget=forms.TextInput(attrs={"autocomplete": autocomplete("address-line1")}),
        ),
        name("street_address_2"): forms.CharField(
            label=_("Apartment, suite, unit (optional)"),
            max_length=200,
            required=False,
            widget=forms.TextInput(attrs={"autocomplete": autocomplete("address-line2")}),
        ),
        name("city"): forms.CharField(
            label=_("City"),
            max_length=100,
            required=False,
            widget=forms.TextInput(attrs={"autocomplete": autocomplete("address-level2")}),
        ),
        name("country_area"): forms.CharField(
            label=_("State or province"),
            max_length=100,
            required=False,
            help_text=_(
                "In the US and Canada: its code, such as NY or QC, or its name. Not in Denmark."
            ),
            widget=forms.TextInput(attrs={"autocomplete": autocomplete("address-level1")}),
        ),
        name("postal_code"): forms.CharField(
            label=_("ZIP or postal code"),
            max_length=20,
            required=False,
            widget=forms.TextInput(
                attrs={
                    "autocomplete": autocomplete("postal-code"),
                    "autocapitalize": "characters",
                }
            ),
        ),
    }


class AddressForm(forms.Form):
    """A form whose address fields are checked, and normalised, for their country.

    The address fields come first; subclasses add their own fields (and a
    `field_order` to place them);
    `address_required` says whether an empty address is refused. Each
    problem is shown next to its field.
    """

    address_required = False

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if all(name in cleaned for name in ADDRESS_FIELDS):
            try:
                cleaned.update(
                    address_normalize(
                        {name: cleaned[name] for name in ADDRESS_FIELDS},
                        required=self.address_required,
                    )
                )
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned

    def address(self) -> dict[str, str]:
        """The normalised address (after is_valid())."""
        return {name: self.cleaned_data[name] for name in ADDRESS_FIELDS}


# The fields themselves: declared once, on the class, so that Django copies
# them for each form like any declared field.
for _name, _field in address_form_fields().items():
    AddressForm.base_fields[_name] = _field
    AddressForm.declared_fields[_name] = _field
