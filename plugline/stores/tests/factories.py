"""Chains and stores for tests."""

from __future__ import annotations

from itertools import count

from plugline.stores.models import RetailChain, Store

_numbers = count(1)


def make_chain(code: str = "cornermart", name: str = "CornerMart") -> RetailChain:
    chain, _ = RetailChain.objects.get_or_create(code=code, defaults={"name": name})
    return chain


def make_store(
    *,
    latitude: float,
    longitude: float,
    chain: RetailChain | None = None,
    name: str = "",
    city: str = "Montréal",
    region: str = "QC",
    postal_code: str = "H2X 1Y4",
    country: str = "CA",
    sells_devices: bool = True,
    sells_reup_cards: bool = True,
    active: bool = True,
) -> Store:
    number = next(_numbers)
    return Store.objects.create(
        chain=chain or make_chain(),
        external_id=str(number),
        name=name or f"Store {number}",
        address_line1=f"{number} Main Street",
        city=city,
        region=region,
        postal_code=postal_code,
        country=country,
        latitude=latitude,
        longitude=longitude,
        sells_devices=sells_devices,
        sells_reup_cards=sells_reup_cards,
        active=active,
    )
