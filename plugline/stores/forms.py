"""The "Find a store" search: a city or postal code, or the browser's location, and a filter.

A GET form, so that a search is a link one can bookmark or share
(/stores/?q=Montréal&sells=reup_cards). "Use my location" fills the hidden
`lat` and `lon` and leaves the text field empty; coordinates, when both are
given, win over the text.
"""

from __future__ import annotations

import math

from django import forms
from django.utils.translation import gettext_lazy as _

SELLS_CHOICES = [
    ("", _("Anything")),
    ("devices", _("Devices")),
    ("reup_cards", _("Re-Up cards")),
]


class StoreSearchForm(forms.Form):
    q = forms.CharField(
        label=_("City or postal code"),
        max_length=100,
        required=False,
        strip=True,
        widget=forms.TextInput(attrs={"spellcheck": "false"}),
    )
    sells = forms.ChoiceField(
        label=_("Sells"),
        choices=SELLS_CHOICES,
        required=False,
        initial="",
        widget=forms.RadioSelect,
    )
    # Filled by "Use my location" (and never shown): degrees, as the browser gives them.
    lat = forms.CharField(required=False, widget=forms.HiddenInput)
    lon = forms.CharField(required=False, widget=forms.HiddenInput)
    # Which of the places found for `q` ("Did you mean ..." links): 0 is the best.
    pick = forms.IntegerField(required=False, min_value=0, max_value=9, widget=forms.HiddenInput)

    LOCATION_REFUSED = _("We could not use that location. Type a city or postal code instead.")

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        lat, lon = cleaned.get("lat") or "", cleaned.get("lon") or ""
        cleaned["location"] = None
        if lat or lon:
            location = _coordinates(str(lat), str(lon))
            if location is None:
                raise forms.ValidationError(self.LOCATION_REFUSED, code="location")
            cleaned["location"] = location
        elif not cleaned.get("q") and "q" not in self.errors:
            self.add_error("q", forms.ValidationError(_("Type a city or a postal code."), "empty"))
        return cleaned


def _coordinates(lat: str, lon: str) -> tuple[float, float] | None:
    """(latitude, longitude) in degrees, or None unless both are numbers on the globe."""
    try:
        latitude, longitude = float(lat), float(lon)
    except ValueError:
        return None
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return latitude, longitude
