"""Payment gateways: the interface (base) and its implementations.

`gateway_get()` returns the one configured by settings.PAYMENT_GATEWAY
("sandbox" by default; a Stripe adapter can follow with the same interface).
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from plugline.billing.gateways.base import Gateway

GATEWAYS = {"sandbox": "plugline.billing.gateways.sandbox.SandboxGateway"}


@cache
def gateway_get() -> Gateway:
    gateway: Gateway = import_string(GATEWAYS[settings.PAYMENT_GATEWAY])()
    return gateway
