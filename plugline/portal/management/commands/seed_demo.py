"""Demo data for trying Plugline locally. Idempotent; never for production."""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from plugline.accounts.models import User
from plugline.devices.services import device_assign

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "plugline-demo"  # demo only, printed by `make run`
STAFF_EMAIL = "staff@example.com"
DEMO_DEVICES = [
    ("PL1000000147", "+12125550147", "Kitchen"),
    ("PL1000000148", "+14165550148", "Cottage"),
]


class Command(BaseCommand):
    help = "Create the demo subscriber and staff member (DEBUG only; safe to run again)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo creates known passwords: it runs only with DEBUG on.")
        with transaction.atomic():
            demo = self._user(DEMO_EMAIL, first_name="Dana", last_name="Demo")
            for serial, number, nickname in DEMO_DEVICES:
                device_assign(serial=serial, owner=demo, phone_number=number, nickname=nickname)
            self._user(STAFF_EMAIL, first_name="Sam", last_name="Staff", staff=True)
        self.stdout.write(
            "Demo subscriber: demo@example.com (or (212) 555-0147 / (416) 555-0148), "
            f"password {DEMO_PASSWORD}\n"
            f"Demo staff (admin at /admin/): {STAFF_EMAIL}, password {DEMO_PASSWORD}"
        )

    def _user(self, email: str, *, first_name: str, last_name: str, staff: bool = False) -> User:
        user, _ = User.objects.get_or_create(
            email=email,
            defaults={"first_name": first_name, "last_name": last_name},
        )
        user.first_name, user.last_name = first_name, last_name
        user.is_staff = user.is_superuser = staff
        user.set_password(DEMO_PASSWORD)
        user.save()
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        return user
