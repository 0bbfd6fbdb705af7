"""Money for people: integer minor units and an ISO 4217 currency, formatted for a language.

Amounts are stored in minor units (cents, øre); `money_format` shows them the
way the reader's language writes prices (babel's CLDR data): "$49.99" in
English, "49,99 $ US" in French, "49,99 USD" in Danish.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from babel.core import UnknownLocaleError
from babel.numbers import format_currency, get_currency_precision
from django.utils import translation

# Django's language codes to the locale whose way of writing prices they use:
# the service is sold in the US and Canada (French as in Québec), and Danish
# as in Denmark.
LOCALES = {"en": "en_US", "fr": "fr_CA", "da": "da_DK"}
DEFAULT_LOCALE = "en_US"


def locale_for_language(language: str | None) -> str:
    """The babel locale for a Django language code ("fr", "fr-ca", "en-gb"...)."""
    if not language:
        return DEFAULT_LOCALE
    language = language.lower().replace("_", "-")
    base, _, region = language.partition("-")
    if region:
        return f"{base}_{region.upper()}"
    return LOCALES.get(base, DEFAULT_LOCALE)


def money_amount(amount: int, currency: str) -> Decimal:
    """Minor units as a decimal amount of the currency (4999 USD → 49.99)."""
    return Decimal(amount).scaleb(-get_currency_precision(currency.upper()))


def money_format(amount: int, currency: str, language: str | None = None) -> str:
    """`amount` minor units of `currency`, written for `language` (default: the active one)."""
    return _money_format(
        amount, currency, locale_for_language(language or translation.get_language())
    )


@lru_cache(maxsize=4096)
def _money_format(amount: int, currency: str, locale: str) -> str:
    # The same few prices are written again and again (a batch of renewals: twice in each
    # receipt and notice), and babel takes about 0.1 ms to write one.
    value = money_amount(amount, currency)
    try:
        return format_currency(value, currency.upper(), locale=locale)
    except (UnknownLocaleError, ValueError):  # a locale babel does not know: the default
        return format_currency(value, currency.upper(), locale=DEFAULT_LOCALE)
