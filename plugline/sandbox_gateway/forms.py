"""The hosted card page's form: number, expiry, security code, name on the card."""

from __future__ import annotations

import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from plugline.sandbox_gateway.cards import digits_only, luhn_valid
from plugline.sandbox_gateway.services import Expiry

EXPIRY = re.compile(r"^\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*$")


class CardForm(forms.Form):
    number = forms.CharField(
        label=_("Card number"),
        max_length=30,
        help_text=_("The 13 to 19 digits on the front of the card."),
        widget=forms.TextInput(
            attrs={"autocomplete": "cc-number", "inputmode": "numeric", "spellcheck": "false"}
        ),
        error_messages={"required": _("Enter the card number.")},
    )
    expiry = forms.CharField(
        label=_("Expiry date (MM/YY)"),
        max_length=7,
        help_text=_("As printed on the card, such as 04/29."),
        widget=forms.TextInput(attrs={"autocomplete": "cc-exp", "inputmode": "numeric"}),
        error_messages={"required": _("Enter the expiry date, such as 04/29.")},
    )
    cvc = forms.CharField(
        label=_("Security code (CVC)"),
        max_length=4,
        help_text=_("The 3 or 4 digits on the back of the card."),
        # Never written back into the page.
        widget=forms.PasswordInput(
            attrs={"autocomplete": "cc-csc", "inputmode": "numeric"}, render_value=False
        ),
        error_messages={"required": _("Enter the security code.")},
    )
    name = forms.CharField(
        label=_("Name on the card"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "cc-name"}),
        error_messages={"required": _("Enter the name on the card.")},
    )

    def clean_number(self) -> str:
        number = digits_only(self.cleaned_data["number"])
        if not number.isdigit() or not 13 <= len(number) <= 19:
            raise forms.ValidationError(
                _("Enter the card number: 13 to 19 digits, spaces allowed."), code="digits"
            )
        if not luhn_valid(number):
            raise forms.ValidationError(
                _("This card number is not valid: check it against the card."), code="luhn"
            )
        return number

    def clean_expiry(self) -> Expiry:
        match = EXPIRY.match(self.cleaned_data["expiry"])
        month = int(match.group(1)) if match else 0
        if match is None or not 1 <= month <= 12:
            raise forms.ValidationError(
                _("Enter the expiry date as month and year, such as 04/29."), code="format"
            )
        year = int(match.group(2))
        expiry = Expiry(month=month, year=year if year > 99 else 2000 + year)
        if expiry.passed(timezone.now()):
            raise forms.ValidationError(
                _("This card has expired. Use another card."), code="expired"
            )
        return expiry

    def clean_cvc(self) -> str:
        cvc: str = self.cleaned_data["cvc"].strip()
        if not (cvc.isdigit() and 3 <= len(cvc) <= 4):
            raise forms.ValidationError(_("Enter the security code: 3 or 4 digits."), code="cvc")
        return cvc
