"""Signals the devices app sends, for the apps above it (devices imports none of them)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent once the activation of a device has been committed, with `device`,
# `user` (its owner now) and `purchase_channel` ("store", "online" or "").
# Billing gives a store-bought device its included months.
device_activated = Signal()
