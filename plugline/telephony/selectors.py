"""Reads of telephony: the number inventory, a device's SIP settings, its blocked callers."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet

from plugline.telephony.blocking import BlockedEntry
from plugline.telephony.models import (
    BlockedCaller,
    CallScreening,
    NumberStatus,
    PhoneNumber,
    SipAccount,
)
from plugline.telephony.services import _free_now
from plugline.telephony.sip import sip_password


def numbers_free(*, area_code: str = "", city: str = "", limit: int = 12) -> list[PhoneNumber]:
    """Numbers a customer may choose now, by area code or city (case-insensitive)."""
    numbers: QuerySet[PhoneNumber] = PhoneNumber.objects.filter(_free_now())
    if area_code:
        numbers = numbers.filter(area_code=area_code)
    if city:
        numbers = numbers.filter(city__iexact=city.strip())
    return list(numbers.order_by("e164")[:limit])


def number_held(*, holder: str) -> PhoneNumber | None:
    """The number `holder` reserved, if nobody took it since (a lapsed hold still counts)."""
    return PhoneNumber.objects.filter(status=NumberStatus.RESERVED, reserved_for=holder).first()


def number_cities(*, prefix: str = "", limit: int = 20) -> list[tuple[str, str, str]]:
    """(city, region, country) that have free numbers, for the city search."""
    numbers = PhoneNumber.objects.filter(_free_now())
    if prefix:
        numbers = numbers.filter(city__istartswith=prefix.strip())
    return list(
        numbers.values_list("city", "region", "country").distinct().order_by("city")[:limit]
    )


@dataclass(frozen=True)
class SipSettings:
    """What a device needs to register: its credentials and where to send them."""

    username: str
    domain: str
    password: str
    proxy: str
    transport: str


def sip_settings_for_device(*, device_id: int) -> SipSettings | None:
    """The device's own SIP settings (password included), or None if it has no SIP account.

    Only for the device itself, once it has proved it holds its key.
    """
    account = SipAccount.objects.select_related("device").filter(device_id=device_id).first()
    if account is None:
        return None
    return SipSettings(
        username=account.username,
        domain=account.domain,
        password=sip_password(serial=account.device.serial, generation=account.generation),
        proxy=settings.SIP_PROXY,
        transport=settings.SIP_TRANSPORT,
    )


@dataclass(frozen=True)
class BlockedCallerRow:
    id: int
    entry: BlockedEntry


@dataclass(frozen=True)
class CallerBlocking:
    """A device's blocked numbers and prefixes, and whether it refuses anonymous callers."""

    blocked: list[BlockedCallerRow]
    refuse_anonymous: bool


def caller_blocking_for_device(*, device_id: int) -> CallerBlocking:
    """The device's blocking (two queries, however long its list). The caller has already
    checked that the device is the asker's."""
    rows = [
        BlockedCallerRow(id=pk, entry=BlockedEntry(e164=e164, is_prefix=is_prefix))
        for pk, e164, is_prefix in BlockedCaller.objects.filter(device_id=device_id)
        .order_by("is_prefix", "e164")
        .values_list("pk", "e164", "is_prefix")
    ]
    refuse = CallScreening.objects.filter(device_id=device_id, refuse_anonymous=True).exists()
    return CallerBlocking(blocked=rows, refuse_anonymous=refuse)
