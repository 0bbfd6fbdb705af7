"""The activation wizard's periodic jobs, registered in DevicesConfig.ready(), run by run_scheduler.

`devices.activations_abandon_idle`: wizards left alone for a day are
abandoned. Their numbers go back to the inventory, and what they kept of a
new account (the password's hash, the code's hash) is wiped.

`devices.activations_delete_abandoned`: abandoned wizards (free trials'
too) are deleted `ABANDONED_ACTIVATION_DAYS` after they were abandoned.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from plugline.devices.wizard.services import (
    activations_abandon_idle,
    activations_abandoned_delete,
)

JOB_NAME = "devices.activations_abandon_idle"
JOB_EVERY = timedelta(minutes=15)
DELETE_JOB_NAME = "devices.activations_delete_abandoned"
DELETE_JOB_EVERY = timedelta(hours=1)


def abandon_idle_activations() -> int:
    return activations_abandon_idle()


def delete_abandoned_activations() -> int:
    return activations_abandoned_delete(
        older_than=timedelta(days=settings.ABANDONED_ACTIVATION_DAYS)
    )
