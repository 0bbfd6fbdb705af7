"""The customer's summary beside a conversation in the agent's console: devices, when
their service ends, the last payments, and a link to the customer's page for staff."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.urls import reverse
from django.utils import formats
from django.utils.translation import get_language

from plugline.billing.checkout_selectors import payments_for_user
from plugline.billing.selectors import subscriptions_for_devices
from plugline.chat.models import Conversation
from plugline.core.money import money_format
from plugline.core.phones import format_phone_number
from plugline.devices.selectors import device_list_for_user

LAST_PAYMENTS = 3


def _date(moment: datetime | None) -> str:
    return formats.date_format(moment, "DATE_FORMAT") if moment is not None else ""


def customer_summary(*, conversation: Conversation) -> dict[str, Any] | None:
    """None for a signed-out visitor (nothing is known but what they typed)."""
    customer = conversation.customer
    if customer is None:
        return None
    devices = list(device_list_for_user(user=customer))
    services = subscriptions_for_devices(devices)
    return {
        "url": reverse("backoffice:customer", kwargs={"pk": customer.pk}),
        "devices": [
            {
                "number": format_phone_number(device.phone_number) if device.phone_number else "",
                "serial": device.serial,
                "service_until": _date(services[device.pk].shown_until),
            }
            for device in devices
        ],
        "payments": [
            {
                "amount": money_format(payment.amount, payment.currency, get_language()),
                "status": payment.get_status_display(),
                "date": formats.date_format(payment.created_at, "DATE_FORMAT"),
            }
            for payment in payments_for_user(user=customer)[:LAST_PAYMENTS]
        ],
    }
