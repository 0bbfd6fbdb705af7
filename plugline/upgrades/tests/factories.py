"""Device upgrades for tests: a newer model, an offer, a device in stock, a paid order."""

from __future__ import annotations

import datetime as dt
import re

from django.test import Client
from django.utils import timezone

from conftest import Subscriber
from plugline.billing.models import PaymentMethod
from plugline.billing.payments import idempotency_key_new
from plugline.devices.models import Device, DeviceModel, DeviceStatus
from plugline.devices.services import device_model_default
from plugline.upgrades.models import UpgradeOffer, UpgradeOrder
from plugline.upgrades.orders import upgrade_order_pay

BROOKLYN = {
    "street_address": "1 Main St",
    "street_address_2": "Apt 4",
    "city": "Brooklyn",
    "country_area": "NY",
    "postal_code": "11201",
    "country": "US",
}
NEW_SERIAL = "PLNEW0000001"


def make_model(code: str = "plugline-usb-2", *, price: int = 7999) -> DeviceModel:
    model, _created = DeviceModel.objects.get_or_create(
        code=code, defaults={"name": "Plugline USB 2", "price": price}
    )
    return model


def make_offer(
    *,
    price: int = 2999,
    min_age_years: int | None = None,
    eligible: list[DeviceModel] | None = None,
    valid_from: dt.datetime | None = None,
    valid_until: dt.datetime | None = None,
    model: DeviceModel | None = None,
) -> UpgradeOffer:
    offer = UpgradeOffer.objects.create(
        name="USB 2 for loyal customers",
        model=model or make_model(),
        price=price,
        min_age_years=min_age_years,
        valid_from=valid_from or timezone.now() - dt.timedelta(days=1),
        valid_until=valid_until,
    )
    if eligible:
        offer.eligible_models.set(eligible)
    return offer


def make_stock_device(serial: str = NEW_SERIAL) -> Device:
    return Device.objects.create(serial=serial, model=make_model(), status=DeviceStatus.IN_STOCK)


def make_old(device: Device, *, years: int) -> Device:
    """The device, activated `years` years and a day ago."""
    Device.objects.filter(pk=device.pk).update(
        activated_at=timezone.now() - dt.timedelta(days=365 * years + 1 + years // 4),
        model=device_model_default(),
    )
    device.refresh_from_db()
    return device


def pay_order(
    subscriber: Subscriber, offer: UpgradeOffer, card: PaymentMethod, *, key: str = ""
) -> UpgradeOrder:
    """The subscriber's first device upgraded with `offer`, paid with `card`."""
    answer = upgrade_order_pay(
        user=subscriber.user,
        device=subscriber.devices[0],
        offer_id=offer.pk,
        address=BROOKLYN,
        payment_method=card,
        idempotency_key=key or idempotency_key_new(),
        price_shown=offer.price,
    )
    return UpgradeOrder.objects.get(payment=answer.payment)


def upgrade_form(page: str) -> dict[str, str]:
    """The fields of the rendered "Upgrade my device" form, as a browser sends them."""
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    offer = re.search(r'name="offer" value="([^"]+)"[^>]*checked', page)
    card = re.search(r'name="card" value="([^"]+)"[^>]*checked', page)
    assert key and offer and card, page
    fields = {"idempotency_key": key[1], "offer": offer[1], "card": card[1]}
    fields.update({f"ship-{name}": value for name, value in BROOKLYN.items()})
    return fields


def open_upgrade_page(client: Client, device: Device) -> str:
    response = client.get(f"/devices/{device.serial}/upgrade/")
    assert response.status_code == 200, response
    return response.content.decode()
