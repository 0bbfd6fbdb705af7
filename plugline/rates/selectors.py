"""Reads of the rate deck for "Calling rates" (public: the deck is no one's in particular)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from plugline.rates.models import Rate

# More rows than a page shows: a country with more prefixes says so instead.
COUNTRY_RATES_MAX = 200


def rates_current_for_countries(
    countries: list[str], *, at: dt.datetime | None = None
) -> tuple[list[Rate], bool]:
    """Each prefix's rate valid at `at` in `countries`, by country and prefix; and whether more.

    One query, however many countries and prefixes.
    """
    if not countries:
        return [], False
    at = at or timezone.now()
    # Older rates of the same prefixes come too (and are skipped): read a few times the page.
    read = COUNTRY_RATES_MAX * 4
    rows = list(
        Rate.objects.filter(country__in=countries, valid_from__lte=at).order_by(
            "country", "prefix", "-valid_from"
        )[:read]
    )
    current: list[Rate] = []
    for rate in rows:
        if current and current[-1].prefix == rate.prefix:
            continue  # an older rate of the same prefix
        current.append(rate)
    more = len(current) > COUNTRY_RATES_MAX or len(rows) == read
    return current[:COUNTRY_RATES_MAX], more
