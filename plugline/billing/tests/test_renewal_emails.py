"""The renewal run's emails: each customer's receipt and "AutoRenew renewed" notice read
exactly as when each was rendered on its own (names, devices, languages, time zones)."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from conftest import make_subscriber
from plugline.billing.models import (
    Payment,
    PaymentMethod,
    Plan,
    RenewalAttempt,
    Subscription,
)
from plugline.billing.receipts import invoice_lines
from plugline.billing.renewals import renewal_run
from plugline.billing.tests.factories import card_on_file, plan_make
from plugline.core.money import money_format
from plugline.notifications.models import OutboxMessage
from plugline.notifications.services import email_render

START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
# Late at night in UTC: still the day before in America, already the day in Europe.
ENDS_AT = datetime(2027, 3, 3, 2, 30, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def customer(
    index: int, *, name: str, language: str, zone: str, nickname: str = ""
) -> Subscription:
    subscriber = make_subscriber(
        f"customer{index}@example.com", numbers=(f"+1212555{index:04d}",), language=language
    )
    user = subscriber.user
    user.first_name, user.time_zone = name, zone
    user.save()
    device = subscriber.devices[0]
    if nickname:
        device.nickname = nickname
        device.save()
    card_on_file(user)
    plan = Plan.objects.filter(code="year").first() or plan_make()
    return Subscription.objects.create(
        device=device, ends_at=ENDS_AT, autorenew=True, autorenew_plan=plan
    )


def rendered(message: OutboxMessage) -> tuple[str, str, str]:
    return message.subject, message.body_text, message.body_html


def expected_receipt(payment: Payment) -> tuple[str, str, str]:
    """The receipt rendered on its own, from what it says (dates as moments)."""
    user = payment.user
    assert user is not None
    language = user.language
    with translation.override(language), timezone.override(zoneinfo.ZoneInfo(user.time_zone)):
        context = {
            "name": user.get_short_name(),
            "invoice_number": payment.invoice_number,
            "amount": money_format(payment.amount, payment.currency, language),
            "card_brand": payment.card_brand,
            "card_last4": payment.card_last4,
            "paid_at": payment.settled_at,
            "lines": invoice_lines(payment, language),
            "invoice_url": settings.SITE_URL
            + reverse("checkout:invoice", kwargs={"number": payment.invoice_number}),
        }
        return email_render(template="billing/email/receipt", context=context, language=language)


def expected_renewed(subscription: Subscription, payment: Payment) -> tuple[str, str, str]:
    """The "AutoRenew renewed" notice rendered on its own (dates as moments)."""
    subscription.refresh_from_db()
    device, user, plan = subscription.device, payment.user, subscription.autorenew_plan
    assert plan is not None and user is not None
    card = PaymentMethod.objects.get(user=user)
    language = user.language
    with translation.override(language), timezone.override(zoneinfo.ZoneInfo(user.time_zone)):
        context: dict[str, Any] = {
            "name": user.get_short_name(),
            "device": device.nickname or device.phone_number_display or device.serial,
            "serial": device.serial,
            "plan": plan.display_name(language),
            "amount": money_format(4999, "USD", language),
            "card_brand": card.brand,
            "card_last4": card.last4,
            "period_end": ENDS_AT,
            "renewal_date": ENDS_AT - timedelta(days=settings.AUTORENEW_DAYS_BEFORE),
            "cards_url": settings.SITE_URL + reverse("cards:list"),
            "autorenew_url": settings.SITE_URL + reverse("autorenew:page"),
            "final": False,
            "paid": money_format(payment.amount, payment.currency, language),
            "paid_brand": payment.card_brand,
            "paid_last4": payment.card_last4,
            "new_end": subscription.ends_at,
        }
        return email_render(
            template="billing/email/autorenew_succeeded", context=context, language=language
        )


@pytest.mark.django_db
def test_each_customer_of_a_batch_gets_the_receipt_and_notice_as_rendered_on_their_own(
    gateway: object, clock
) -> None:
    subscriptions = [
        customer(0, name="Zoë O'Brien", language="en", zone="America/New_York"),
        customer(1, name="Frank", language="en", zone="America/New_York", nickname="Den & hall"),
        customer(2, name="", language="fr", zone="America/Toronto"),
        customer(3, name="Søren", language="da", zone="Europe/Copenhagen", nickname="Køkken"),
        customer(4, name="J. R.", language="en", zone="UTC", nickname="www"),
        customer(5, name="Ami", language="fr", zone="America/Toronto"),
    ]
    assert renewal_run(batch=20, charges_at_once=20).outcomes == {"succeeded": 6}
    for subscription in subscriptions:
        payment = (
            RenewalAttempt.objects.select_related("payment__user")
            .get(subscription=subscription)
            .payment
        )
        assert payment is not None
        [receipt] = OutboxMessage.objects.filter(
            template="billing/email/receipt", user=payment.user
        )
        [renewed] = OutboxMessage.objects.filter(
            template="billing/email/autorenew_succeeded", user=payment.user
        )
        assert rendered(receipt) == expected_receipt(payment)
        assert rendered(renewed) == expected_renewed(subscription, payment)
    # The end dates as the day they are in each customer's zone.
    [new_york] = OutboxMessage.objects.filter(
        template="billing/email/autorenew_succeeded", user=subscriptions[0].device.owner
    )
    assert "March 2, 2028" in new_york.body_text
    [copenhagen] = OutboxMessage.objects.filter(
        template="billing/email/receipt", user=subscriptions[3].device.owner
    )
    assert "3. marts 2028" in copenhagen.body_text
