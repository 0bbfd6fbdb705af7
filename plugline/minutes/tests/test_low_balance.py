"""The low-balance top-up: opt-in; once per crossing below the threshold, within the monthly
cap; soft declines tried again, hard ones not; a charge the bank must approve is never
tried again blindly: the subscriber is emailed."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from conftest import Subscriber, sign_in_with_two_factor
from plugline.accounts.models import User
from plugline.billing.models import Payment, PaymentStatus
from plugline.billing.tests.factories import (
    CARD_DECLINED_WHEN_CHARGED,
    CARD_INSUFFICIENT_FUNDS,
    CARD_NEEDS_AUTHENTICATION,
    CARD_SUCCEEDS,
    card_on_file,
    sandbox_reset,
)
from plugline.minutes.low_balance import (
    LowBalanceRefused,
    low_balance_run,
    low_balance_set,
)
from plugline.minutes.models import LowBalanceAttempt, LowBalanceAttemptStatus, LowBalanceSetting
from plugline.minutes.selectors import minutes_balance
from plugline.minutes.services import minutes_adjustment_add
from plugline.notifications.models import OutboxMessage
from plugline.sandbox_gateway.models import SandboxCharge

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)
PAGE = "/account/minutes/"


@pytest.fixture(autouse=True)
def _sandbox(settings) -> None:
    settings.MINUTES_TOP_UP_AMOUNTS = ["500", "1000", "2000"]
    settings.BILLING_CURRENCY = "USD"
    sandbox_reset()


def switched_on(
    subscriber: Subscriber, card: str = CARD_SUCCEEDS, *, threshold: int = 200, cap: int = 5000
) -> None:
    card_on_file(subscriber.user, card)
    low_balance_set(
        user=subscriber.user, enabled=True, threshold=threshold, amount=1000, monthly_cap=cap
    )


def spend(user: User, staff: User, amount: int) -> None:
    minutes_adjustment_add(staff=staff, user=user, amount=-amount, reason="calls")


def emails(name: str) -> int:
    return OutboxMessage.objects.filter(template=f"minutes/email/{name}").count()


def test_it_charges_the_default_card_once_when_the_balance_falls_below_the_threshold(
    alice: Subscriber, staff: User
) -> None:
    switched_on(alice)
    minutes_adjustment_add(staff=staff, user=alice.user, amount=500, reason="start")
    assert low_balance_run()["enqueued"] == 0  # $5.00 is above $2.00
    spend(alice.user, staff, 400)  # $1.00 left

    low_balance_run()
    low_balance_run()

    assert SandboxCharge.objects.count() == 1
    assert minutes_balance(user=alice.user) == 1100
    assert LowBalanceAttempt.objects.get().status == LowBalanceAttemptStatus.SUCCEEDED
    assert OutboxMessage.objects.filter(template="billing/email/receipt").count() == 1


def test_it_charges_again_only_after_the_balance_went_back_up_and_fell_again(
    alice: Subscriber, staff: User
) -> None:
    switched_on(alice)
    low_balance_run()  # $0.00: the first crossing, topped up to $10.00
    low_balance_run()  # back above: armed again, nothing charged
    assert SandboxCharge.objects.count() == 1
    spend(alice.user, staff, 900)  # $1.00 left: a second crossing

    low_balance_run()

    assert SandboxCharge.objects.count() == 2
    assert minutes_balance(user=alice.user) == 1100


def test_a_top_up_that_leaves_the_balance_below_the_threshold_is_not_followed_by_another(
    alice: Subscriber, staff: User
) -> None:
    switched_on(alice, threshold=1000)
    spend(alice.user, staff, 500)  # -$5.00

    for _run in range(3):
        low_balance_run()

    assert SandboxCharge.objects.count() == 1
    assert minutes_balance(user=alice.user) == 500


def test_it_never_passes_the_monthly_cap_and_says_so(alice: Subscriber, staff: User) -> None:
    switched_on(alice, cap=1000)
    low_balance_run()  # $10.00 charged: the month's cap
    spend(alice.user, staff, 1000)  # below again: a second crossing
    low_balance_run()
    low_balance_run()

    assert SandboxCharge.objects.count() == 1
    assert LowBalanceAttempt.objects.filter(status=LowBalanceAttemptStatus.CAPPED).count() == 1
    assert emails("low_balance_capped") == 1


def test_a_soft_decline_is_tried_again_later_then_given_up(
    alice: Subscriber,
) -> None:
    switched_on(alice, CARD_INSUFFICIENT_FUNDS)
    now = timezone.now()
    low_balance_run(now=now)
    attempt = LowBalanceAttempt.objects.get()
    assert attempt.status == LowBalanceAttemptStatus.RETRY
    assert low_balance_run(now=now + dt.timedelta(hours=1)).get("retry") is None  # not yet
    for days in (1, 3, 7):
        low_balance_run(now=now + days * DAY + dt.timedelta(minutes=1))

    attempt.refresh_from_db()
    assert attempt.status == LowBalanceAttemptStatus.FAILED
    assert attempt.attempts == 4
    assert Payment.objects.filter(status=PaymentStatus.DECLINED).count() == 4
    assert emails("low_balance_failed") == 4
    assert minutes_balance(user=alice.user) == 0


def test_a_hard_decline_is_not_tried_again(alice: Subscriber) -> None:
    switched_on(alice, CARD_DECLINED_WHEN_CHARGED)
    now = timezone.now()
    low_balance_run(now=now)
    low_balance_run(now=now + 10 * DAY)

    assert LowBalanceAttempt.objects.get().status == LowBalanceAttemptStatus.FAILED
    assert Payment.objects.count() == 1
    assert emails("low_balance_failed") == 1


def test_a_charge_the_bank_must_approve_is_emailed_and_never_tried_again_blindly(
    alice: Subscriber,
) -> None:
    switched_on(alice, CARD_NEEDS_AUTHENTICATION)
    now = timezone.now()
    low_balance_run(now=now)

    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.REQUIRES_ACTION
    approval = OutboxMessage.objects.get(template="minutes/email/low_balance_approval")
    assert f"/account/minutes/payments/{payment.pk}/" in approval.body_text
    for hours in (1, 5, 30):
        low_balance_run(now=now + dt.timedelta(hours=hours))
    assert Payment.objects.count() == 1  # asked once
    assert emails("low_balance_approval") == 1
    assert LowBalanceAttempt.objects.get().status == LowBalanceAttemptStatus.WAITING


def test_it_does_nothing_when_switched_off_or_refused_settings(
    alice: Subscriber, staff: User
) -> None:
    card_on_file(alice.user, CARD_SUCCEEDS)
    low_balance_set(user=alice.user, enabled=False, threshold=200, amount=1000, monthly_cap=5000)
    low_balance_run()
    assert not SandboxCharge.objects.exists()
    with pytest.raises(LowBalanceRefused):
        low_balance_set(user=alice.user, enabled=True, threshold=200, amount=1000, monthly_cap=1)
    with pytest.raises(LowBalanceRefused):
        low_balance_set(user=alice.user, enabled=True, threshold=200, amount=7, monthly_cap=5000)


def test_it_saves_the_settings_from_the_minutes_page(alice: Subscriber, client: Client) -> None:
    card_on_file(alice.user, CARD_SUCCEEDS)
    client.force_login(alice.user)
    page = client.get(PAGE).content.decode()
    assert "Low-balance top-up" in page
    assert "Charged to your default card, Visa ending in 4242." in page

    saved = client.post(
        f"{PAGE}low-balance/",
        {
            "low_balance-enabled": "on",
            "low_balance-threshold": "500",
            "low_balance-amount": "2000",
            "low_balance-monthly_cap": "5000",
        },
        follow=True,
    )

    assert "Low-balance top-up is on." in saved.content.decode()
    setting = LowBalanceSetting.objects.get(user=alice.user)
    assert (setting.enabled, setting.threshold, setting.amount, setting.monthly_cap) == (
        True,
        500,
        2000,
        5000,
    )
    shown = client.get(PAGE).content.decode()
    assert re.search(r'name="low_balance-amount" value="2000"[^>]*checked', shown)


def test_a_monthly_limit_below_the_amount_is_refused_in_the_subscribers_language(
    alice: Subscriber, client: Client
) -> None:
    alice.user.language = "da"
    alice.user.save()
    client.force_login(alice.user)

    refused = client.post(
        f"{PAGE}low-balance/",
        {
            "low_balance-enabled": "on",
            "low_balance-threshold": "500",
            "low_balance-amount": "2000",
            "low_balance-monthly_cap": "1000",
        },
        HTTP_ACCEPT_LANGUAGE="da",
    )

    assert refused.status_code == 400
    assert "Den månedlige grænse skal være mindst det beløb, der lægges til." in (
        refused.content.decode()
    )
    assert not LowBalanceSetting.objects.exists()


def test_the_approval_emails_link_leads_to_the_banks_page_and_credits_once_approved(
    alice: Subscriber, client: Client
) -> None:
    switched_on(alice, CARD_NEEDS_AUTHENTICATION)
    low_balance_run()
    approval = OutboxMessage.objects.get(template="minutes/email/low_balance_approval")
    link = re.search(r"http\S+/account/minutes/payments/\S+/", approval.body_text)
    assert link
    client.force_login(alice.user)

    waiting = client.get(urlsplit(link[0]).path)

    page = waiting.content.decode()
    bank = re.search(r'href="(/sandbox-gateway/authenticate/[^"]+)"', page)
    assert bank, page
    assert Client().post(bank[1].split("?")[0], {"answer": "approve"}).status_code == 200
    client.get(urlsplit(link[0]).path, follow=True)
    client.get(urlsplit(link[0]).path, follow=True)
    assert minutes_balance(user=alice.user) == 1000
    assert SandboxCharge.objects.count() == 1


def test_a_refund_of_its_top_up_is_not_a_crossing_that_charges_the_card_again(
    alice: Subscriber, staff: User, client: Client
) -> None:
    """Staff refunded the top-up the customer did not want: the next run charges nothing."""
    switched_on(alice)
    low_balance_run()  # $0.00: topped up to $10.00
    low_balance_run()  # back above: armed again
    payment = Payment.objects.get()
    sign_in_with_two_factor(client, staff)

    client.post(
        f"/admin/billing/payment/{payment.pk}/refund/",
        {"amount": "10.00", "reason": "Did not want it"},
    )
    low_balance_run()
    low_balance_run()

    assert minutes_balance(user=alice.user) == 0
    assert SandboxCharge.objects.count() == 1
    assert LowBalanceAttempt.objects.count() == 1
