"""`manage.py sip_provision`: SIP credentials for every device that has a number."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from plugline.telephony.services import sip_accounts_provision_all


class Command(BaseCommand):
    help = (
        "Give every device with a number its SIP account (HA1 hashes), remove the "
        "accounts of devices without one, and write the view sip_subscriber again. "
        "Safe to run again: passwords do not change."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        kept, removed = sip_accounts_provision_all()
        self.stdout.write(f"{kept} SIP accounts provisioned, {removed} removed.")
