"""Rates for tests."""

from __future__ import annotations

import datetime as dt

from plugline.rates.lookup import prefix_country
from plugline.rates.models import Rate

LONG_AGO = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


def make_rate(
    prefix: str,
    *,
    destination: str = "",
    destination_fr: str = "",
    destination_da: str = "",
    price_per_minute: int = 10,
    connection_fee: int = 0,
    increments: tuple[int, int] = (60, 60),
    valid_from: dt.datetime = LONG_AGO,
    currency: str = "USD",
) -> Rate:
    return Rate.objects.create(
        prefix=prefix,
        country=prefix_country(prefix),
        destination=destination or f"Destination {prefix}",
        destination_fr=destination_fr,
        destination_da=destination_da,
        price_per_minute=price_per_minute,
        connection_fee=connection_fee,
        first_increment=increments[0],
        next_increment=increments[1],
        valid_from=valid_from,
        currency=currency,
    )
