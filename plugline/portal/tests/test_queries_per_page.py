"""Every signed-in page costs the same number of queries whatever the account holds.

Each page a subscriber sees is loaded for an account with one device and for
one with fifty, each device with its service, periods, invoices, calls and
blocked callers, the account with cards on file and a cart: a page whose
count grows with the account reads its rows one by one. The list of pages
is checked against the URL configuration, so that a new page is walked too.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver

from conftest import Subscriber, make_subscriber
from plugline.billing.models import (
    CartItem,
    Payment,
    PaymentItem,
    PaymentKind,
    PaymentMethod,
    PaymentStatus,
    Plan,
)
from plugline.billing.services import subscription_apply_payment_item, subscription_for_device
from plugline.billing.tests.factories import make_plan
from plugline.core.account_pages import account_pages_changed
from plugline.devices.models import Device
from plugline.helpcentre.seeding import help_articles_seed
from plugline.minutes.models import MinutesEntry, MinutesEntryKind
from plugline.reup.models import ReupCard
from plugline.reup.tests.factories import make_redeemed_card
from plugline.telephony.models import BlockedCaller, CallOutcome
from plugline.telephony.tests.call_factory import call
from plugline.upgrades.tests.factories import make_offer
from plugline.voicemail.models import Mailbox, VoicemailMessage

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 4, 12, tzinfo=dt.UTC)


@dataclass
class Account:
    subscriber: Subscriber
    invoice_number: int
    payment_id: uuid.UUID
    card_id: int
    reup_serial: str
    voicemail_id: int

    @property
    def serial(self) -> str:
        return self.subscriber.devices[0].serial


def _paid_periods(
    subscriber: Subscriber, devices: list[Device], *, number: int, plan: Plan
) -> Payment:
    """One invoice paying a year for each of `devices`, its periods applied."""
    payment = Payment.objects.create(
        user=subscriber.user,
        kind=PaymentKind.CHECKOUT,
        idempotency_key=f"test-{uuid.uuid4()}",
        amount=4999 * len(devices),
        currency="USD",
        status=PaymentStatus.SUCCEEDED,
        gateway="sandbox",
        card_brand="Visa",
        card_last4="4242",
        invoice_number=number,
    )
    for device in devices:
        item = PaymentItem.objects.create(
            payment=payment,
            subscription=subscription_for_device(device=device),
            plan=plan,
            amount=4999,
        )
        subscription_apply_payment_item(item=item)
    return payment


def _vary(device: Device, index: int) -> None:
    """The devices after the first in turn: in a free trial, expired, in grace with E911."""
    subscription = subscription_for_device(device=device)
    kind = index % 4
    if kind == 1:
        subscription.trial_ends_at = subscription.ends_at = NOW + dt.timedelta(days=10)
    elif kind == 2:
        subscription.ends_at = NOW - dt.timedelta(days=60)
        subscription.autorenew = False
    elif kind == 3:
        subscription.ends_at = NOW - dt.timedelta(days=2)
        Device.objects.filter(pk=device.pk).update(
            nickname=f"Line {index}",
            e911_street_address="20 W 34th St",
            e911_city="New York",
            e911_country_area="NY",
            e911_postal_code="10001",
            e911_country="US",
        )
    subscription.save()


def make_account(devices: int, *, first_number: int, varied: bool = False) -> Account:
    """An account with `devices` devices, each served, paid, called and screening callers.

    `varied`: the devices after the first in each state a device can be in.
    """
    plan = make_plan()
    numbers = tuple(f"+1212{first_number:03d}{n:04d}" for n in range(devices))
    subscriber = make_subscriber(f"holder{first_number}@example.com", numbers=numbers)
    # The devices renewed together once (one invoice for all), then each on its own.
    renewed_together = _paid_periods(
        subscriber, subscriber.devices, number=first_number * 1000, plan=plan
    )
    cards = []
    for index, device in enumerate(subscriber.devices):
        _paid_periods(subscriber, [device], number=first_number * 1000 + 1 + index, plan=plan)
        subscription = subscription_for_device(device=device)
        subscription.plan = plan
        subscription.autorenew = True
        subscription.autorenew_plan = plan
        subscription.save()
        hour = first_number * 100 + 2 * index
        outgoing = call(hour, caller_device=device, callee="+13125550199")
        # An international call of each device, charged to the account's minutes.
        abroad = call(hour + 2, caller_device=device, callee=f"+3314268{index:04d}")
        MinutesEntry.objects.create(
            user=subscriber.user,
            kind=MinutesEntryKind.CALL_CHARGE,
            amount=-(30 + index),
            currency="USD",
            call_record=abroad,
        )
        MinutesEntry.objects.create(
            user=subscriber.user,
            kind=MinutesEntryKind.ADJUSTMENT,
            amount=500,
            currency="USD",
            reason=f"goodwill for {outgoing.call_id}",
        )
        call(
            hour + 1,
            callee_device=device,
            caller="+14165550148",
            outcome=CallOutcome.NO_ANSWER,
        )
        BlockedCaller.objects.create(device=device, e164=f"+1416555{index:04d}")
        Mailbox.objects.create(device=device, email_new_messages=True)
        for n in range(2):
            VoicemailMessage.objects.create(
                device=device,
                caller=f"+1416555{index:04d}",
                received_at=dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC) + dt.timedelta(hours=n),
                duration_seconds=12,
                heard=n % 2 == 0,
                audio=f"voicemail/messages/2026/03/{first_number}-{index}-{n}.wav",
            )
        cards.append(
            PaymentMethod.objects.create(
                user=subscriber.user,
                gateway="sandbox",
                token=f"pm_{uuid.uuid4().hex}",
                brand="Visa",
                last4=f"{index:04d}",
                exp_month=12,
                exp_year=2030,
                is_default=index == 0,
            )
        )
        CartItem.objects.create(user=subscriber.user, subscription=subscription, plan=plan)
        if varied and index:
            _vary(device, index)
    reup_card, _ = make_redeemed_card(
        subscription=subscription_for_device(device=subscriber.devices[0]), plan=plan
    )
    ReupCard.objects.filter(pk=reup_card.pk).update(redeemed_by=subscriber.user)
    # An upgrade offered to every device.
    make_offer(valid_from=NOW - dt.timedelta(days=1))
    # The help centre's articles (public, the same for every account).
    help_articles_seed()
    return Account(
        subscriber=subscriber,
        invoice_number=renewed_together.invoice_number or 0,
        payment_id=renewed_together.pk,
        card_id=cards[-1].pk,
        reup_serial=reup_card.serial,
        voicemail_id=VoicemailMessage.objects.filter(device=subscriber.devices[0])
        .values_list("pk", flat=True)
        .first()
        or 0,
    )


# Each signed-in page a subscriber sees (its URL name), and where it is for an account.
PAGES: dict[str, Callable[[Account], str]] = {
    "portal:home": lambda a: "/",
    "portal:device": lambda a: f"/devices/{a.serial}/",
    "portal:device_release": lambda a: f"/devices/{a.serial}/release/",
    "portal:device_number": lambda a: f"/devices/{a.serial}/number/",
    "portal:device_voicemail_delete": lambda a: (
        f"/devices/{a.serial}/voicemail/{a.voicemail_id}/delete/"
    ),
    "portal:device_call_settings": lambda a: f"/devices/{a.serial}/call-settings/",
    "portal:device_softphone": lambda a: f"/devices/{a.serial}/softphone/",
    "accounts:home": lambda a: "/account/",
    "accounts:profile": lambda a: "/account/profile/",
    "accounts:security": lambda a: "/account/security/",
    "accounts:privacy": lambda a: "/account/privacy/",
    "accounts:close": lambda a: "/account/privacy/close/",
    "cards:list": lambda a: "/account/cards/",
    "cards:remove": lambda a: f"/account/cards/{a.card_id}/remove/",
    "autorenew:page": lambda a: "/account/autorenew/",
    "reup:redeem": lambda a: "/account/reup/",
    "reup:done": lambda a: f"/account/reup/{a.reup_serial}/",
    "minutes:minutes": lambda a: "/account/minutes/",
    "checkout:renew": lambda a: "/renew/",
    "checkout:cart": lambda a: "/renew/cart/",
    "checkout:checkout": lambda a: "/renew/checkout/",
    "checkout:done": lambda a: f"/renew/payments/{a.payment_id}/done/",
    "checkout:invoices": lambda a: "/invoices/",
    "checkout:invoice": lambda a: f"/invoices/{a.invoice_number}/",
    "checkout:invoice_pdf": lambda a: f"/invoices/{a.invoice_number}/pdf/",
    "devices:activate_detect": lambda a: "/activate/",
    # Public, and the same for every account: its rate found in one query.
    "rates:find": lambda a: "/rates/?q=%2B44+20+7946+0018",
    "upgrades:device_upgrade": lambda a: f"/devices/{a.serial}/upgrade/",
    "account_email": lambda a: "/accounts/email/",
    "account_change_password": lambda a: "/accounts/password/change/",
    "mfa_index": lambda a: "/accounts/2fa/",
    "usersessions_list": lambda a: "/accounts/sessions/",
    # Public, and the same for every account.
    "helpcentre:index": lambda a: "/help/",
    "helpcentre:category": lambda a: "/help/troubleshooting/",
    "helpcentre:article": lambda a: "/help/troubleshooting/device-does-not-start/",
    "helpcentre:search": lambda a: "/help/search/?q=usb",
}

# The other URL names of those apps, and why the walk leaves them out.
NOT_WALKED: dict[str, str] = {
    **dict.fromkeys(
        [
            "portal:device_nickname",
            "portal:device_e911",
            "portal:device_trial_cancel",
            "portal:device_blocked_caller_add",
            "portal:device_blocked_caller_remove",
            "portal:device_anonymous_callers",
            "portal:device_call_caller_block",
            "portal:device_voicemail_greeting",
            "portal:device_voicemail_greeting_reset",
            "portal:device_voicemail_email",
            "cards:add",
            "cards:default",
            "autorenew:change",
            "checkout:renew_device",
            "checkout:cart_remove",
            "checkout:card_new",
            "minutes:low_balance",
            "helpcentre:feedback",
            "helpcentre:feedback_reason",
        ],
        "a form's POST, which redirects to a walked page",
    ),
    "portal:device_voicemail_audio": "a message's recording (a WAV file), not a page",
    "portal:device_softphone_credentials": "the softphone's credentials (JSON by POST)",
    "accounts:data_export": "the download of everything the account holds, by design",
    "accounts:closed": "shown once the account is closed, signed out",
    "cards:added": "the gateway's return after adding a card, with its session",
    "checkout:card_added": "the gateway's return after adding a card, with its session",
    **dict.fromkeys(
        ["checkout:renew_link", "checkout:renew_link_sent", "checkout:renew_link_open"],
        "the renew link, for a subscriber signed out",
    ),
    **dict.fromkeys(
        [
            "devices:activate_detect_challenge",
            "devices:activate_detect_proof",
            "devices:activate_purchase",
            "devices:activate_account",
            "devices:activate_addresses",
            "devices:activate_number",
            "devices:activate_terms",
            "devices:activate_code",
            "devices:activate_code_send",
            "devices:activate_done",
        ],
        "a step of the activation wizard, reached only with its activation under way",
    ),
    "checkout:payment_return": "the gateway's return, which redirects to the payment's page",
    "portal:device_number_confirm": "a change of number's second step, with a number held",
    "portal:device_number_payment": "a change of number's payment waiting for the bank",
    "upgrades:device_upgrade_payment": "an upgrade's payment waiting for the bank",
    "minutes:payment": "a top-up's payment waiting for the bank",
    "devices:transfer_request": "a form's POST from the activation wizard",
    "devices:transfer_answer": "the previous owner's answer, opened from an email's token",
}

WALKED_NAMESPACES = (
    "portal",
    "accounts",
    "cards",
    "autorenew",
    "reup",
    "checkout",
    "devices",
    "rates",
    "upgrades",
    "minutes",
    "helpcentre",
)
WALKED_ALLAUTH = ("account_email", "account_change_password", "mfa_index", "usersessions_list")


def _url_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns: list[URLPattern | URLResolver], namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace or ""
                walk(pattern.url_patterns, f"{namespace}{inner}:" if inner else namespace)
            elif pattern.name:
                names.add(f"{namespace}{pattern.name}")

    walk(get_resolver().url_patterns, "")
    return names


def test_it_walks_every_signed_in_page_of_the_subscribers_apps():
    names = _url_names()
    ours = {name for name in names if name.split(":")[0] in WALKED_NAMESPACES and ":" in name}
    assert ours - set(PAGES) - set(NOT_WALKED) == set(), "a page missing from PAGES"
    assert set(PAGES) | set(NOT_WALKED) <= names, "a name no longer in the URL conf"
    assert set(WALKED_ALLAUTH) <= set(PAGES)


def page_queries(client: Client, page: str, account: Account) -> int:
    """How many queries `page` takes for `account`, its session and caches warmed."""
    url = PAGES[page](account)
    client.force_login(account.subscriber.user)
    first = client.get(url)
    assert first.status_code == 200, (url, first.status_code)
    # A page kept rendered ("My account") is counted as rendered, not as read from the cache.
    account_pages_changed(user_ids=[account.subscriber.user.pk])
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    client.logout()
    return len(queries)


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("page", sorted(PAGES))
def test_it_loads_each_page_with_as_many_queries_for_fifty_devices_as_for_one(
    page: str, client: Client
):
    one = page_queries(client, page, make_account(1, first_number=501))
    fifty = page_queries(client, page, make_account(50, first_number=502))
    assert one == fifty, f"{page}: {one} queries at 1 device, {fifty} at 50"


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("page", sorted(PAGES))
def test_it_loads_each_page_with_as_many_queries_for_fifty_devices_in_every_state_as_for_four(
    page: str, client: Client
):
    four = page_queries(client, page, make_account(4, first_number=503, varied=True))
    fifty = page_queries(client, page, make_account(50, first_number=504, varied=True))
    assert four == fifty, f"{page}: {four} queries at 4 devices, {fifty} at 50"
