"""Demo data for trying Plugline locally. Idempotent; never for production.

Besides the demo accounts (the subscriber's two devices with service ending
at different dates) and the plans with their prices, it fills the inventory
the way an operator would, through the same imports (devices, web orders,
numbers): a few dozen available numbers in six cities, and four boxed
devices to activate, whose keys and label codes are derived from fixed
strings so that the README can give them. Three Re-Up cards of the demo
chain CornerMart have fixed PINs for the same reason: two sold at the till,
one still on the shelf (which no one can redeem until it is sold), and the
till's demo API key is fixed too.

Whatever was done in the demo since (the preferred email changed, a device
released, transferred or renumbered, cards redeemed, an account closed, a
boxed device activated...), running it again puts the demo back in the state
the README describes, and prints one "reset: ..." line for each thing it put
back. The demo accounts are found by their original email, which stays on an
account for good.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.adapter import get_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from plugline.accounts.models import User
from plugline.backoffice.roles import SUPPORT_AGENT
from plugline.billing.models import PeriodSource, Plan, PlanPrice, SubscriptionPeriod
from plugline.billing.services import subscription_for_device
from plugline.core.csv_import import ImportReport
from plugline.devices import keys
from plugline.devices.importing import devices_import, orders_import
from plugline.devices.models import Device, DeviceModel, DeviceStatus
from plugline.devices.services import device_assign, device_model_default, device_release
from plugline.helpcentre.seeding import help_articles_seed
from plugline.rates.importing import demo_rates_import
from plugline.reports.demo import HISTORY_CUSTOMERS, HISTORY_WEEKS, demo_history_seed
from plugline.reup.models import RetailerApiKey, ReupBatch, ReupCardStatus
from plugline.reup.pins import pin_hash, pin_normalize
from plugline.reup.services import batch_create, card_activate
from plugline.stores.importing import demo_stores_import
from plugline.stores.models import RetailChain
from plugline.telephony.importing import numbers_import
from plugline.telephony.services import number_mark_assigned, number_quarantine
from plugline.upgrades.models import UpgradeOffer

# Where the device agent looks for the portal unless told otherwise (PORT or --portal).
DEFAULT_SITE_URL = "http://127.0.0.1:8000"
DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "plugline-demo"  # demo only, printed by `make run`
STAFF_EMAIL = "staff@example.com"
# Staff sign in with two-factor: the demo staff accounts' authenticator secrets (base32),
# fixed so that the README can give them; demo only, like the demo password.
STAFF_TOTP_SECRET = "DEMOSTAFFPLUGLINE2345672"
AGENT_EMAIL = "agent@example.com"
AGENT_TOTP_SECRET = "DEMOAGENTPLUGLINE2345672"
DEMO_DEVICES = [
    ("PL1000000147", "+12125550147", "Kitchen"),
    ("PL1000000148", "+14165550148", "Cottage"),
]
# Boxed devices to activate: three sold in a store, one sold on the website.
DEMO_STORE_SERIALS = ["PL2000000001", "PL2000000002", "PL2000000003"]
DEMO_ORDER_NUMBER = "W-100001"
DEMO_ORDER_EMAIL = "buyer@example.com"
DEMO_ORDER_SERIAL = "PL2000000004"
# Re-Up cards: fixed PINs and till key, demo only (real PINs come from the printer file).
DEMO_REUP_CHAIN = "cornermart"
DEMO_REUP_NOTE = "Demo cards (PINs in the README)"
DEMO_REUP_PINS = ["1111 2222 3333 4444", "5555 6666 7777 8888", "9999 0000 1111 2222"]
DEMO_REUP_SOLD = 2  # the first two are sold; the last one is still on the shelf
DEMO_REUP_REPLACED_NOTE = "Demo cards, replaced by seed_demo"
DEMO_TILL_KEY_PREFIX = "demo"
DEMO_TILL_KEY_SECRET = "cornermart-demo-till"
# "Upgrade my device": a newer model at a special price for every demo line.
DEMO_UPGRADE_MODEL = ("plugline-usb-2", "Plugline USB 2", 7999)
DEMO_UPGRADE_OFFER = ("Plugline USB 2 for current subscribers", 2999)
# Fictional numbers (555-0100 to 555-0199 are reserved for fiction).
DEMO_NUMBER_PLACES = [
    ("212", "New York", "NY", "US"),
    ("646", "New York", "NY", "US"),
    ("416", "Toronto", "ON", "CA"),
    ("514", "Montréal", "QC", "CA"),
    ("415", "San Francisco", "CA", "US"),
    ("312", "Chicago", "IL", "US"),
]
DEMO_NUMBER_LINES = range(100, 106)
# Plans: code, names (English, French, Danish), months, AutoRenew allowed, prices in minor units.
DEMO_PLANS = [
    ("1-year", ("1 year", "1 an", "1 år"), 12, True, {"USD": 4999, "CAD": 6499, "DKK": 39900}),
    (
        "5-years",
        ("5 years", "5 ans", "5 år"),
        60,
        False,
        {"USD": 19999, "CAD": 25999, "DKK": 149900},
    ),
]
# Days of service left on each demo device when first seeded.
DEMO_DAYS_LEFT = [20, 240]


def demo_device_key(serial: str) -> str:
    """The demo device's key: fixed, so that the README can give it. Demo only."""
    index = _demo_index(serial)
    return keys.b64encode(hashlib.sha256(f"plugline-demo-device-{index}".encode()).digest())


def demo_line_key(serial: str) -> str:
    """The key of one of the demo subscriber's own devices: fixed, so that the README can
    register its line with plugline-device (`make sip`). Demo only."""
    return keys.b64encode(hashlib.sha256(f"plugline-demo-line-{serial}".encode()).digest())


def demo_label_code(serial: str) -> str:
    index = _demo_index(serial)
    digest = hashlib.sha256(f"plugline-demo-label-{index}".encode()).digest()
    alphabet = keys.LABEL_ALPHABET
    return "".join(alphabet[byte % len(alphabet)] for byte in digest[: keys.LABEL_CODE_LENGTH])


def _demo_index(serial: str) -> int:
    return [*DEMO_STORE_SERIALS, DEMO_ORDER_SERIAL].index(serial) + 1


class Command(BaseCommand):
    help = (
        "Create the demo subscriber and staff member, a number inventory and boxed "
        "devices to activate (DEBUG only; safe to run again)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo creates known passwords: it runs only with DEBUG on.")
        resets: list[str] = []
        with transaction.atomic():
            seeded_before = RetailerApiKey.objects.filter(prefix=DEMO_TILL_KEY_PREFIX).exists()
            demo = self._user(
                DEMO_EMAIL,
                first_name="Dana",
                last_name="Demo",
                who="demo subscriber",
                resets=resets,
                seeded_before=seeded_before,
            )
            self._user(
                STAFF_EMAIL,
                first_name="Sam",
                last_name="Staff",
                staff=True,
                superuser=True,
                totp_secret=STAFF_TOTP_SECRET,
                who="demo staff member",
                resets=resets,
                seeded_before=seeded_before,
            )
            self._user(
                AGENT_EMAIL,
                first_name="Alex",
                last_name="Agent",
                staff=True,
                role=SUPPORT_AGENT,
                totp_secret=AGENT_TOTP_SECRET,
                who="demo support agent",
                resets=resets,
                seeded_before=seeded_before,
            )
            self._demo_devices(demo, resets=resets)
            self._inventory()
            self._boxed_devices(resets=resets)
            self._billing(demo)
            self._upgrade_offer()
            stores = demo_stores_import()
            rates = demo_rates_import()
            till_key, cards = self._reup(resets=resets)
            help_seeded = help_articles_seed()
            resets += help_seeded.reset
            # History for the staff reports, on accounts of its own (plugline.reports.demo).
            demo_history_seed(now=timezone.now())
        for line in resets:
            self.stdout.write(f"reset: {line}")
        self.stdout.write(
            "Demo subscriber: demo@example.com (or (212) 555-0147 / (416) 555-0148), "
            f"password {DEMO_PASSWORD}\n"
            "Demo staff (console at /staff/, admin at /admin/), password "
            f"{DEMO_PASSWORD}, then the code of an authenticator app given the secret:\n"
            f"  administrator {STAFF_EMAIL}: secret {STAFF_TOTP_SECRET}\n"
            f"  support agent {AGENT_EMAIL}: secret {AGENT_TOTP_SECRET}\n"
            f"Demo stores ({stores.rows}) at /stores/: search Montréal, Copenhagen or 10001\n"
            f"Demo calling rates ({rates.rows}) at /rates/: search France or +44 20 7946 0018\n"
            f"Demo upgrade offer: {DEMO_UPGRADE_OFFER[0]!r}, on each demo device's page\n"
            "Help centre at /help/: articles in English, French and Danish "
            "(search USB, téléphone or telefon)\n"
            f"Demo history for the reports at /staff/reports/: {HISTORY_CUSTOMERS} customers "
            f"over the last {HISTORY_WEEKS} weeks\n"
            f"Demo Re-Up cards of {DEMO_REUP_CHAIN} (redeem at /account/reup/; "
            f"the till's API key: {till_key}):\n"
            + "".join(f"  {serial}: PIN {pin} ({status})\n" for serial, pin, status in cards)
            + "Demo devices to activate: start one with its command, then "
            '"Activate" in the portal (or type its serial and label code):'
        )
        for serial in [*DEMO_STORE_SERIALS, DEMO_ORDER_SERIAL]:
            sold = (
                f"sold online, order {DEMO_ORDER_NUMBER} for {DEMO_ORDER_EMAIL}"
                if serial == DEMO_ORDER_SERIAL
                else "sold in a store"
            )
            self.stdout.write(
                f"  {serial} ({sold}), label code {demo_label_code(serial)}:\n"
                f"    .venv/bin/plugline-device --serial {serial} --key {demo_device_key(serial)}"
            )
        if settings.KAMAILIO_RPC_URL:
            self.stdout.write(
                "The demo subscriber's lines, on the SIP server (`make sip`): register one "
                "and answer its calls, then call it from the other:"
            )
            for (serial, number, _), flags in zip(
                DEMO_DEVICES, ["--answer", f"--call {DEMO_DEVICES[0][1][2:]}"], strict=True
            ):
                self.stdout.write(
                    f"  {number}: .venv/bin/plugline-device --serial {serial} "
                    f"--key {demo_line_key(serial)} --register {flags}"
                )
        if settings.SITE_URL != DEFAULT_SITE_URL:
            # The agent answers only the portal's pages: by default, those on port 8000.
            self.stdout.write(
                f"  The portal is at {settings.SITE_URL}: add --portal {settings.SITE_URL} "
                "to the command (or start it with the same PORT as the portal)."
            )

    def _reup(self, *, resets: list[str]) -> tuple[str, list[tuple[str, str, str]]]:
        """The demo till key and Re-Up cards: (the key, [(serial, PIN, status)]).

        Made once; later runs list them, unless one was redeemed, voided or
        sold since: then the batch is retired (its PINs no longer redeem) and
        fresh cards with the same PINs take its place.
        """
        chain = RetailChain.objects.get(code=DEMO_REUP_CHAIN)
        key, _ = RetailerApiKey.objects.get_or_create(
            prefix=DEMO_TILL_KEY_PREFIX,
            defaults={
                "chain": chain,
                "name": "Demo till",
                "secret_hash": hashlib.sha256(DEMO_TILL_KEY_SECRET.encode()).hexdigest(),
            },
        )
        batch = ReupBatch.objects.filter(chain=chain, note=DEMO_REUP_NOTE).first()
        if batch is not None:
            documented = [ReupCardStatus.ACTIVATED] * DEMO_REUP_SOLD
            documented += [ReupCardStatus.PRINTED] * (len(DEMO_REUP_PINS) - DEMO_REUP_SOLD)
            changed = [
                f"{card.serial} {card.get_status_display()}"
                for card, status in zip(batch.cards.order_by("pk"), documented, strict=True)
                if card.status != status
            ]
            if changed:
                resets.append(
                    "demo Re-Up cards replaced by new ones with the same PINs "
                    f"({', '.join(changed)})"
                )
                batch.cards.update(pin_hash=None)
                batch.note = DEMO_REUP_REPLACED_NOTE
                batch.save(update_fields=["note"])
                batch = None
        if batch is None:
            plan = Plan.objects.get(code=DEMO_PLANS[0][0])
            batch = batch_create(
                chain=chain, plan=plan, count=len(DEMO_REUP_PINS), note=DEMO_REUP_NOTE
            )
            # Demo only: the PINs are the fixed ones, and there is no printer file to download.
            batch.exported_at = timezone.now()
            batch.save(update_fields=["exported_at"])
            for card, pin in zip(batch.cards.order_by("pk"), DEMO_REUP_PINS, strict=True):
                card.pin_hash = pin_hash(pin_normalize(pin) or "")
                card.save(update_fields=["pin_hash"])
            for card in batch.cards.order_by("pk")[:DEMO_REUP_SOLD]:
                card_activate(key=key, serial=card.serial)
        cards = batch.cards.order_by("pk")
        listed = [
            (card.serial, pin, card.get_status_display())
            for card, pin in zip(cards, DEMO_REUP_PINS, strict=True)
        ]
        return f"plr_{DEMO_TILL_KEY_PREFIX}_{DEMO_TILL_KEY_SECRET}", listed

    def _user(
        self,
        email: str,
        *,
        first_name: str,
        last_name: str,
        who: str,
        resets: list[str],
        seeded_before: bool,
        staff: bool = False,
        superuser: bool = False,
        role: str = "",
        totp_secret: str = "",
    ) -> User:
        """The demo account registered with `email`, as the README describes it."""
        user = (
            User.objects.filter(original_email=email).order_by("pk").first()
            or User.objects.filter(email__iexact=email).first()
            or User.objects.filter(emailaddress__email__iexact=email).first()
        )
        created = user is None
        if user is None:
            user = User.objects.create_user(
                email,
                DEMO_PASSWORD,
                first_name=first_name,
                last_name=last_name,
                is_staff=staff,
                is_superuser=superuser,
            )
            if seeded_before:
                resets.append(f"{who} {email} made again (the account was closed)")
        if user.original_email != email:
            resets.append(f"{who}'s original email back to {email}")
            user.original_email = email
        if user.email != email:
            resets.append(f"{who}'s preferred email back to {email}")
            user.email = email
        if (user.first_name, user.last_name) != (first_name, last_name):
            resets.append(f"{who}'s name back to {first_name} {last_name}")
            user.first_name, user.last_name = first_name, last_name
        if (user.is_staff, user.is_superuser, user.is_active) != (staff, superuser, True):
            resets.append(f"{who}'s access back to {'staff' if staff else 'subscriber'}")
            user.is_staff, user.is_superuser = staff, superuser
            user.is_active = True
        if not user.check_password(DEMO_PASSWORD):
            resets.append(f"{who}'s password back to {DEMO_PASSWORD}")
            user.set_password(DEMO_PASSWORD)
        user.save()
        # The email belongs to this account alone, preferred, and the only one.
        taken = EmailAddress.objects.filter(email__iexact=email).exclude(user=user)
        others = EmailAddress.objects.filter(user=user).exclude(email__iexact=email)
        for address in [*taken.select_related("user"), *others]:
            owner = "" if address.user_id == user.pk else f" from {address.user.email}"
            resets.append(f"removed email {address.email}{owner} ({who}'s demo emails)")
        taken.delete()
        others.delete()
        address, created = EmailAddress.objects.get_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        if not created and not (address.verified and address.primary):
            address.verified = address.primary = True
            address.save(update_fields=["verified", "primary"])
        groups = list(Group.objects.filter(name=role)) if role else []
        if set(user.groups.all()) != set(groups):
            if not created:
                resets.append(f"{who}'s role back to {role or 'none'}")
            user.groups.set(groups)
        self._two_factor(user, totp_secret, who=who, resets=resets)
        return user

    @staticmethod
    def _two_factor(user: User, secret: str, *, who: str, resets: list[str]) -> None:
        """Staff: exactly the demo authenticator. The subscriber: none (nobody has its code)."""
        two_factor = list(Authenticator.objects.filter(user=user))
        has_demo_secret = [
            authenticator.type == Authenticator.Type.TOTP
            and get_adapter().decrypt(authenticator.data["secret"]) == secret
            for authenticator in two_factor
        ]
        if secret and has_demo_secret == [True]:
            return
        if two_factor:
            done = "back to the demo secret" if secret else "turned off"
            resets.append(f"{who}'s two-factor sign-in {done}")
            Authenticator.objects.filter(user=user).delete()
        if secret:
            TOTP.activate(user, secret)

    def _demo_devices(self, demo: User, *, resets: list[str]) -> None:
        """The demo subscriber's two devices, with their numbers and nicknames."""
        for serial, number, nickname in DEMO_DEVICES:
            device = Device.objects.select_for_update().filter(serial=serial).first()
            if device is not None and device.owner_id not in (None, demo.pk):
                resets.append(f"device {serial} taken back from {device.owner}'s account")
                device_release(device=device, keep_number=False)
            elif device is not None and device.owner_id is None:
                resets.append(f"device {serial} back on the demo subscriber's account")
            elif device is not None:
                if device.phone_number != number:
                    resets.append(f"device {serial}'s number back to {number}")
                    if device.phone_number:
                        number_quarantine(e164=device.phone_number)
                if device.nickname != nickname:
                    resets.append(f"device {serial}'s name back to {nickname}")
            device_assign(serial=serial, owner=demo, phone_number=number, nickname=nickname)
            number_mark_assigned(e164=number)
            Device.objects.filter(serial=serial).update(
                public_key=keys.public_key_from_device_key(demo_line_key(serial))
            )

    def _boxed_devices(self, *, resets: list[str]) -> None:
        """The boxed demo devices are on no account: activated in the demo, they go back."""
        statuses = {serial: DeviceStatus.SOLD_IN_STORE for serial in DEMO_STORE_SERIALS}
        statuses[DEMO_ORDER_SERIAL] = DeviceStatus.SOLD_ONLINE
        for serial, status in statuses.items():
            device = Device.objects.select_for_update().get(serial=serial)
            if device.owner_id is None and device.status == status:
                continue
            if device.owner_id is not None:
                resets.append(f"device {serial} taken off {device.owner}'s account, boxed again")
                device_release(device=device, keep_number=False)
            else:
                resets.append(f"device {serial} back in its box")
            Device.objects.filter(pk=device.pk).update(status=status, activated_at=None)

    def _inventory(self) -> None:
        """Numbers, boxed devices and a web order, through the operator's imports."""
        model = device_model_default()
        # The demo subscriber's numbers are in the inventory too (assigned).
        demo_numbers = {number[2:5]: number for _, number, _ in DEMO_DEVICES}
        numbers = [
            (number, city, region, country)
            for area_code, city, region, country in DEMO_NUMBER_PLACES
            for number in [
                *(f"+1{area_code}555{line:04d}" for line in DEMO_NUMBER_LINES),
                *([demo_numbers[area_code]] if area_code in demo_numbers else []),
            ]
        ]
        _import(numbers_import, ["number", "city", "region", "country"], numbers)
        # Numbers that were in the inventory before their device had them.
        for _, number, _ in DEMO_DEVICES:
            number_mark_assigned(e164=number)

        devices = [
            (serial, model.code, demo_device_key(serial), demo_label_code(serial), status)
            for serial, status in [
                *((serial, "sold_in_store") for serial in DEMO_STORE_SERIALS),
                (DEMO_ORDER_SERIAL, "in_stock"),
            ]
        ]
        _import(devices_import, ["serial", "model", "device_key", "label_code", "status"], devices)
        _import(
            orders_import,
            ["order_number", "email", "serial"],
            [(DEMO_ORDER_NUMBER, DEMO_ORDER_EMAIL, DEMO_ORDER_SERIAL)],
        )

    def _upgrade_offer(self) -> None:
        """A newer model at a special price, offered to every demo device (the device page's
        "Upgrade my device"), valid from yesterday with no end."""
        code, name, price = DEMO_UPGRADE_MODEL
        model, _ = DeviceModel.objects.update_or_create(
            code=code, defaults={"name": name, "price": price}
        )
        offer_name, offer_price = DEMO_UPGRADE_OFFER
        UpgradeOffer.objects.update_or_create(
            name=offer_name,
            defaults={
                "model": model,
                "price": offer_price,
                "min_age_years": None,
                "valid_from": timezone.now() - timedelta(days=1),
                "valid_until": None,
            },
        )

    def _billing(self, demo: User) -> None:
        """The plans and prices, and the demo subscriber's service end dates.

        Store-bought devices include their first year. The demo devices' end
        dates are set only the first time (a renewal tried in the demo stays),
        one ending in about 20 days and one in about 8 months, so that
        renewing one visibly moves its date and not the other's.
        """
        model = device_model_default()
        model.included_months = 12
        model.save(update_fields=["included_months"])
        for code, (name, name_fr, name_da), months, autorenew_allowed, prices in DEMO_PLANS:
            plan, _ = Plan.objects.update_or_create(
                code=code,
                defaults={
                    "name": name,
                    "name_fr": name_fr,
                    "name_da": name_da,
                    "months": months,
                    "autorenew_allowed": autorenew_allowed,
                    "active": True,
                },
            )
            for currency, amount in prices.items():
                PlanPrice.objects.update_or_create(
                    plan=plan, currency=currency, defaults={"amount": amount}
                )
        now = timezone.now()
        for (serial, _, _), days_left in zip(DEMO_DEVICES, DEMO_DAYS_LEFT, strict=True):
            device = Device.objects.get(serial=serial, owner=demo)
            subscription = subscription_for_device(device=device)
            if subscription.periods.exists():
                continue
            # Demo data only: a first year that began in the past, included with the device.
            ends_at = now + timedelta(days=days_left)
            SubscriptionPeriod.objects.create(
                subscription=subscription,
                starts_at=ends_at - timedelta(days=365),
                ends_at=ends_at,
                source=PeriodSource.INCLUDED,
            )
            subscription.ends_at = ends_at
            subscription.save(update_fields=["ends_at", "updated_at"])


def _import(
    run: Callable[..., ImportReport], columns: Sequence[str], rows: Sequence[Sequence[str]]
) -> None:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(columns)
    writer.writerows(rows)
    report = run(data=text.getvalue())
    if report.rejections:
        problems = "\n".join(str(rejection) for rejection in report.rejections)
        raise CommandError(f"the demo {report.kind} do not fit this database:\n{problems}")
