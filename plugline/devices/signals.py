"""Signals the devices app sends, for the apps above it (devices imports none of them)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent once the activation of a device has been committed, with `device`,
# `user` (its owner now) and `purchase_channel` ("store", "online" or "").
# Billing gives a store-bought device its included months.
device_activated = Signal()

# Sent inside the transaction that completes an activation, once the device
# is active on its account, with `activation`, `device`, `user` and `request`.
# A receiver that raises ActivationRefused undoes the whole activation (the
# free trial refuses a card or device that already had one).
activation_completing = Signal()


class ActivationRefused(Exception):
    """Raised by an `activation_completing` receiver; `message` is for the customer."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
