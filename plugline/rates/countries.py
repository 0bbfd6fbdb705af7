"""Countries by name, in the reader's language: what "Calling rates" searches by.

The names are CLDR's (Babel), in the reader's language and in English, for
the countries that have a calling code (phonenumbers). Names match without
regard to case, accents or punctuation ("etats unis", "Royaume Uni"), on the
whole name or on the start of any of its words ("kingdom", "danm").
"""

from __future__ import annotations

import functools
import re
import unicodedata

import phonenumbers
from babel import Locale
from django.utils import translation

from plugline.core.money import locale_for_language

MATCHES_MAX = 10
_SEPARATORS = re.compile(r"[^0-9a-zø]+")


def fold(text: str) -> str:
    """`text` without case, accents or punctuation: "Côte-d'Ivoire" -> "cote d ivoire"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SEPARATORS.sub(" ", bare.replace("æ", "ae").replace("œ", "oe")).strip()


def country_name(region: str, language: str | None = None) -> str:
    """The country's name in `language` (the active one by default): "Royaume-Uni"; or "".

    "" for a code of no country ("001": +800 freephone, satellite networks).
    """
    names = _names(locale_for_language(language or translation.get_language()))
    return names.get(region, "")


def countries_find(query: str, language: str | None = None) -> list[str]:
    """The countries (ISO 3166-1 alpha-2) whose name `query` is, or starts a word of.

    Exact names first, then by name in the reader's language; [] for none.
    """
    folded = fold(query)
    if len(folded) < 2:
        return []
    locale = locale_for_language(language or translation.get_language())
    names = _names(locale)
    english = _names("en_US")
    exact: set[str] = set()
    partial: set[str] = set()
    if len(folded) == 2 and folded.upper() in names:
        exact.add(folded.upper())
    for table in (names, english):
        for region, name in table.items():
            own = fold(name)
            if own == folded:
                exact.add(region)
            elif own.startswith(folded) or f" {folded}" in f" {own}":
                partial.add(region)
    found = sorted(exact, key=lambda r: names.get(r, r)) + sorted(
        partial - exact, key=lambda r: names.get(r, r)
    )
    return found[:MATCHES_MAX]


@functools.cache
def _names(locale: str) -> dict[str, str]:
    """Region code -> name in `locale`, for the regions that have a calling code."""
    territories = Locale.parse(locale).territories
    return {
        region: territories[region]
        for region in phonenumbers.SUPPORTED_REGIONS
        if region in territories
    }
