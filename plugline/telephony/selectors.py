"""Reads of the number inventory."""

from __future__ import annotations

from django.db.models import QuerySet

from plugline.telephony.models import PhoneNumber
from plugline.telephony.services import _free_now


def numbers_free(*, area_code: str = "", city: str = "", limit: int = 12) -> list[PhoneNumber]:
    """Numbers a customer may choose now, by area code or city (case-insensitive)."""
    numbers: QuerySet[PhoneNumber] = PhoneNumber.objects.filter(_free_now())
    if area_code:
        numbers = numbers.filter(area_code=area_code)
    if city:
        numbers = numbers.filter(city__iexact=city.strip())
    return list(numbers.order_by("e164")[:limit])


def number_cities(*, prefix: str = "", limit: int = 20) -> list[tuple[str, str, str]]:
    """(city, region, country) that have free numbers, for the city search."""
    numbers = PhoneNumber.objects.filter(_free_now())
    if prefix:
        numbers = numbers.filter(city__istartswith=prefix.strip())
    return list(
        numbers.values_list("city", "region", "country").distinct().order_by("city")[:limit]
    )
