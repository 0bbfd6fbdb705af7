""" "Calling rates": one field, a country's name or a phone number in any common format.

A GET form, so that a search is a link one can share (/rates/?q=France).
What was typed is a number when it is only digits and the signs people write
numbers with; anything else is a country's name.
"""

from __future__ import annotations

import re

import phonenumbers
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

NUMBER_SIGNS = re.compile(r"[0-9+()./\s-]+")
# International call prefixes people type instead of "+": 00 (most of the world) and 011 (+1).
INTERNATIONAL_PREFIXES = ("011", "00")


def looks_like_a_number(text: str) -> bool:
    return bool(NUMBER_SIGNS.fullmatch(text)) and any(ch.isdigit() for ch in text)


def number_parse(text: str) -> phonenumbers.PhoneNumber | None:
    """ "+44 20 7946 0018", "011 44 20 7946 0018", "0044 20 7946 0018": the number, or None.

    A number without a country code is read as one of DEFAULT_PHONE_REGION
    ("212 555 0147" in the US).
    """
    digits = "".join(ch for ch in text if ch.isdigit() or ch == "+")
    if not digits.startswith("+"):
        for prefix in INTERNATIONAL_PREFIXES:
            if digits.startswith(prefix):
                digits = "+" + digits[len(prefix) :]
                break
    try:
        number = phonenumbers.parse(digits, settings.DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


class RateSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Country or phone number"),
        help_text=_("For example: France, or +44 20 7946 0018"),
        max_length=100,
        required=False,
        strip=True,
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        query = " ".join(str(cleaned.get("q") or "").split())
        cleaned["number"] = None
        if "q" in self.errors:
            return cleaned
        if not query:
            self.add_error(
                "q", forms.ValidationError(_("Type a country or a phone number."), "empty")
            )
        elif looks_like_a_number(query):
            number = number_parse(query)
            if number is None:
                self.add_error(
                    "q",
                    forms.ValidationError(
                        _(
                            "“%(query)s” is not a phone number we can read. Write it with its "
                            "country code, like +44 20 7946 0018."
                        ),
                        "number",
                        params={"query": query},
                    ),
                )
            cleaned["number"] = number
        cleaned["q"] = query
        return cleaned
