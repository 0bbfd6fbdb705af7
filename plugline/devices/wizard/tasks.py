"""The activation wizard's periodic job: wizards left alone for a day are abandoned.

Their numbers go back to the inventory, and what they kept of a new account
(the password's hash, the code's hash) is wiped. Registered in
DevicesConfig.ready(), run by `manage.py run_scheduler`.
"""

from __future__ import annotations

from datetime import timedelta

from plugline.devices.wizard.services import activations_abandon_idle

JOB_NAME = "devices.activations_abandon_idle"
JOB_EVERY = timedelta(minutes=15)


def abandon_idle_activations() -> int:
    return activations_abandon_idle()
