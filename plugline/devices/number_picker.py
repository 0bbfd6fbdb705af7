"""Choosing a phone number: the search by area code or city and the list of free numbers.

Shared by the activation wizard's number step and the change of number on a
device's page (template devices/_number_picker.html).
"""

from __future__ import annotations

from typing import Any

from plugline.core.phones import format_phone_number
from plugline.devices.wizard.forms import NumberChoiceForm, NumberSearchForm
from plugline.telephony.selectors import number_cities, numbers_free

__all__ = ["NumberChoiceForm", "NumberSearchForm", "number_picker_context"]


def number_picker_context(
    *, search: NumberSearchForm, choice: NumberChoiceForm, search_action: str
) -> dict[str, Any]:
    """What devices/_number_picker.html shows: the search, and the free numbers it found."""
    numbers = []
    cities: list[tuple[str, str, str]] = []
    searched = search.is_valid() and any(search.cleaned_data.values())
    if searched:
        numbers = numbers_free(
            area_code=search.cleaned_data["area_code"], city=search.cleaned_data["city"]
        )
        if not numbers and search.cleaned_data["city"]:
            # Perhaps spelled otherwise: cities that start the same way.
            cities = number_cities(prefix=search.cleaned_data["city"][:3])
    return {
        "search": search,
        "choice": choice,
        "search_action": search_action,
        "searched": searched,
        "numbers": [(n.e164, format_phone_number(n.e164), n) for n in numbers],
        "suggested_cities": cities,
        "all_cities": number_cities(limit=200),
    }
