"""AutoRenew's renewal run: due subscriptions charged once, retries, notices.

The gateway is the sandbox (settings.PAYMENT_GATEWAY), answering at once; what
a card does when charged is what its test card does (4242 is charged, 9995 is
a soft decline, 0341 a hard one), a timeout rate of 1 loses the answer to a
charge the sandbox made. Charges are counted in the sandbox's own records.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from conftest import Subscriber
from plugline.billing import payments
from plugline.billing.gateways.sandbox import SandboxGateway
from plugline.billing.models import (
    Payment,
    PaymentMethod,
    PaymentStatus,
    RenewalAttempt,
    Subscription,
    SubscriptionPeriod,
)
from plugline.billing.notices import autorenew_notices_send
from plugline.billing.periods import SubscriptionStatus, subscription_status
from plugline.billing.renewals import AttemptStatus, renewal_run
from plugline.billing.services import card_make_default
from plugline.billing.tests.factories import (
    CARD_DECLINED_WHEN_CHARGED,
    CARD_INSUFFICIENT_FUNDS,
    CARD_SUCCEEDS,
    card_on_file,
    plan_make,
)
from plugline.notifications.models import OutboxMessage
from plugline.sandbox_gateway import services as psp
from plugline.sandbox_gateway.models import SandboxCharge

START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def gateway(gateway: SandboxGateway, charges_asked: list[str]) -> list[str]:
    """The real sandbox; the keys Plugline asks it to charge, in order (it still charges)."""
    return charges_asked


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def autorenewing(
    subscriber: Subscriber, *, days_left: int, card: str = CARD_SUCCEEDS, expiry: str = ""
) -> Subscription:
    plan = _plan() or plan_make()
    if card:
        card_on_file(subscriber.user, card, expiry=expiry)
    return Subscription.objects.create(
        device=subscriber.devices[0],
        ends_at=timezone.now() + timedelta(days=days_left),
        autorenew=True,
        autorenew_plan=plan,
    )


def _plan():
    from plugline.billing.models import Plan

    return Plan.objects.filter(code="year").first()


def charged(subscription: Subscription, status: str = "") -> list[SandboxCharge]:
    """The sandbox's charges for this subscription's renewals (keys autorenew-<attempt>-<n>)."""
    charges = SandboxCharge.objects.none()
    for attempt_id in RenewalAttempt.objects.filter(subscription=subscription).values_list(
        "pk", flat=True
    ):
        charges |= SandboxCharge.objects.filter(
            idempotency_key__startswith=f"autorenew-{attempt_id}-"
        )
    if status:
        charges = charges.filter(status=status)
    return list(charges.order_by("idempotency_key"))


def subjects(email: str) -> list[str]:
    return list(
        OutboxMessage.objects.filter(to_email=email)
        .order_by("pk")
        .values_list("subject", flat=True)
    )


def test_it_charges_a_due_subscription_once_and_emails_as_listed(
    alice: Subscriber, gateway: list[str], clock
) -> None:
    subscription = autorenewing(alice, days_left=40)
    ends_at = subscription.ends_at
    assert ends_at is not None
    # 33 days before the end: the "coming" notice, once however often the job runs.
    clock.move_to(ends_at - timedelta(days=33))
    assert autorenew_notices_send() == 1
    assert autorenew_notices_send() == 0
    assert renewal_run().processed == 0  # not due yet
    [coming] = OutboxMessage.objects.filter(to_email=alice.email)
    assert "AutoRenew will renew" in coming.subject
    assert "$49.99" in coming.body_text and "Visa ending in 4242" in coming.body_text
    # Three days before: charged, once, however many runs.
    clock.move_to(ends_at - timedelta(days=3))
    assert renewal_run().outcomes == {"succeeded": 1}
    assert renewal_run().processed == 0
    assert len(gateway) == 1
    [charge] = charged(subscription)
    assert (charge.status, charge.amount, charge.currency) == ("succeeded", 4999, "USD")
    renewed = Subscription.objects.get(pk=subscription.pk)
    assert renewed.ends_at == ends_at.replace(year=ends_at.year + 1)
    assert SubscriptionPeriod.objects.filter(subscription=subscription).count() == 1
    sent = subjects(alice.email)
    assert len(sent) == 3  # coming, receipt, renewed
    assert any("AutoRenew renewed" in subject for subject in sent)
    # The next period's end is far off: nothing more.
    clock.move_to(ends_at + timedelta(days=1))
    assert renewal_run().processed == 0
    assert len(gateway) == 1
    assert len(charged(subscription)) == 1


def test_it_says_in_french_when_the_card_will_have_expired_by_the_renewal(
    bob: Subscriber, gateway: list[str], clock
) -> None:
    clock.move_to(datetime(2027, 3, 20, 9, 0, tzinfo=UTC))
    # Good until the end of March; the renewal is on April 16.
    subscription = autorenewing(bob, days_left=30, expiry="03/27")
    assert PaymentMethod.objects.get(user=bob.user).exp_month == 3
    assert autorenew_notices_send() == 2
    expiring = OutboxMessage.objects.get(
        to_email=bob.email, template="billing/email/autorenew_card_expiring"
    )
    assert expiring.language == "fr"
    assert "/account/cards/" in expiring.body_text
    assert autorenew_notices_send() == 0
    assert subscription.pk


def test_a_soft_decline_is_retried_then_succeeds_and_the_device_is_not_cut_off(
    alice: Subscriber, gateway: list[str], clock
) -> None:
    subscription = autorenewing(alice, days_left=3, card=CARD_INSUFFICIENT_FUNDS)
    ends_at = subscription.ends_at
    assert ends_at is not None
    assert renewal_run().outcomes == {AttemptStatus.RETRY: 1}
    attempt = RenewalAttempt.objects.get(subscription=subscription)
    assert attempt.next_try_at == START + timedelta(days=1)
    failed = OutboxMessage.objects.get(template="billing/email/autorenew_failed")
    assert "/account/cards/" in failed.body_text and "try again" in failed.body_text
    # Not before its time.
    clock.move_to(START + timedelta(hours=23))
    assert renewal_run().processed == 0
    # The second try is declined too: two days later; the device ended meanwhile
    # but is in grace, not cut off, while a retry is to come.
    clock.move_to(START + timedelta(days=1))
    assert renewal_run().outcomes == {AttemptStatus.RETRY: 1}
    clock.move_to(START + timedelta(days=3, minutes=1))
    assert subscription_status(ends_at, None, timezone.now(), 7) == SubscriptionStatus.GRACE
    # Alice puts a card that works on file and makes it her default.
    assert card_make_default(user=alice.user, payment_method=card_on_file(alice.user))
    assert renewal_run().outcomes == {AttemptStatus.SUCCEEDED: 1}
    assert len(gateway) == 3
    assert len(set(gateway)) == 3  # three keys, one per try
    charges = charged(subscription)
    assert [(charge.status, charge.decline_code) for charge in charges] == [
        ("declined", "insufficient_funds"),
        ("declined", "insufficient_funds"),
        ("succeeded", ""),
    ]
    assert Payment.objects.filter(status=PaymentStatus.SUCCEEDED).count() == 1
    # Extended once, by a year, from no earlier than its old end.
    [period] = SubscriptionPeriod.objects.filter(subscription=subscription)
    assert period.starts_at >= ends_at
    assert period.ends_at == period.starts_at.replace(year=period.starts_at.year + 1)
    assert Subscription.objects.get(pk=subscription.pk).ends_at == period.ends_at
    # One failure email for the period end, however many tries.
    assert OutboxMessage.objects.filter(template="billing/email/autorenew_failed").count() == 1


def test_a_hard_decline_is_not_retried(alice: Subscriber, gateway: list[str], clock) -> None:
    subscription = autorenewing(alice, days_left=3, card=CARD_DECLINED_WHEN_CHARGED)
    assert renewal_run().outcomes == {AttemptStatus.FAILED: 1}
    failed = OutboxMessage.objects.get(template="billing/email/autorenew_failed")
    assert "We will not try again" in failed.body_text
    for days in (1, 2, 4, 8):
        clock.move_to(START + timedelta(days=days))
        assert renewal_run().processed == 0
    assert len(gateway) == 1
    [charge] = charged(subscription)
    assert (charge.status, charge.decline_code, charge.hard_decline) == (
        "declined",
        "card_declined",
        True,
    )
    assert Subscription.objects.get(pk=subscription.pk).ends_at == subscription.ends_at


def test_soft_declines_stop_when_the_grace_period_would_be_over(
    alice: Subscriber, gateway: list[str], clock
) -> None:
    subscription = autorenewing(alice, days_left=3, card=CARD_INSUFFICIENT_FUNDS)
    statuses: list[str] = []
    for days in (0, 1, 3, 7, 15):
        clock.move_to(START + timedelta(days=days))
        statuses.extend(renewal_run().outcomes)
    # Tried at the start, then after 1, 2 and 4 days; the next would be past the grace.
    assert statuses == ["retry", "retry", "retry", "failed"]
    assert len(gateway) == 4
    charges = charged(subscription)
    assert len(charges) == 4 and not charged(subscription, "succeeded")
    assert {(charge.decline_code, charge.hard_decline) for charge in charges} == {
        ("insufficient_funds", False)
    }
    assert OutboxMessage.objects.filter(template="billing/email/autorenew_failed").count() == 2
    assert Subscription.objects.get(pk=subscription.pk).ends_at == subscription.ends_at


def test_an_unknown_outcome_is_left_to_the_settle_job_and_never_charged_with_a_new_key(
    alice: Subscriber, gateway: list[str], clock
) -> None:
    subscription = autorenewing(alice, days_left=3)
    psp.config_set(timeout_rate=1.0)  # the sandbox charges; its answer never comes back
    assert renewal_run().outcomes == {AttemptStatus.WAITING: 1}
    assert len(gateway) == 1
    [charge] = charged(subscription)
    assert charge.status == "succeeded"  # yet the card was charged
    psp.config_set(timeout_rate=0.0)
    clock.move_to(START + timedelta(minutes=11))
    # Still unknown (the settle job has not run): looked at, not charged again.
    assert renewal_run().outcomes == {AttemptStatus.WAITING: 1}
    assert len(gateway) == 1
    assert payments.payments_settle_unknown() == 1
    clock.move_to(START + timedelta(minutes=22))
    assert renewal_run().outcomes == {AttemptStatus.SUCCEEDED: 1}
    assert len(gateway) == 1
    assert charged(subscription) == [charge]  # the one charge, never a second key
    assert SandboxCharge.objects.count() == 1
    assert SubscriptionPeriod.objects.filter(subscription=subscription).count() == 1
    assert OutboxMessage.objects.filter(template="billing/email/autorenew_succeeded").count() == 1


def test_no_card_is_a_failure_that_is_retried_and_said(
    alice: Subscriber, gateway: list[str], clock
) -> None:
    subscription = autorenewing(alice, days_left=3, card="")
    assert renewal_run().outcomes == {AttemptStatus.RETRY: 1}
    failed = OutboxMessage.objects.get(template="billing/email/autorenew_failed")
    assert "no card on your account" in failed.body_text
    assert gateway == []
    assert not charged(subscription) and not SandboxCharge.objects.exists()


def test_turning_autorenew_off_before_the_run_charges_nothing(
    alice: Subscriber, gateway: list[str], clock
) -> None:
    subscription = autorenewing(alice, days_left=3)
    Subscription.objects.filter(pk=subscription.pk).update(autorenew=False)
    assert renewal_run().processed == 0
    assert gateway == []
    assert not SandboxCharge.objects.exists()


def test_the_command_runs_the_renewals(
    alice: Subscriber, gateway: list[str], clock, capsys: pytest.CaptureFixture[str]
) -> None:
    subscription = autorenewing(alice, days_left=2)
    call_command("run_renewals", "--threads", "1")
    assert "1 renewal attempts" in capsys.readouterr().out
    assert len(gateway) == 1
    assert len(charged(subscription, "succeeded")) == 1


def test_a_batch_of_renewals_gets_consecutive_invoice_numbers_each_on_its_own_receipt(
    alice: Subscriber, bob: Subscriber, gateway: list[str], clock
) -> None:
    earlier = Payment.objects.create(
        user=alice.user,
        kind="checkout",
        idempotency_key="earlier",
        amount=100,
        currency="USD",
        status=PaymentStatus.SUCCEEDED,
        invoice_number=41,
    )
    autorenewing(alice, days_left=2)
    autorenewing(bob, days_left=2)  # Bob reads French
    assert renewal_run(batch=10).outcomes == {AttemptStatus.SUCCEEDED: 2}
    paid = Payment.objects.exclude(pk=earlier.pk)
    assert sorted(paid.values_list("invoice_number", flat=True)) == [42, 43]  # type: ignore[type-var]
    for payment in paid:
        [receipt] = OutboxMessage.objects.filter(
            template="billing/email/receipt", user__payments=payment
        )
        number = str(payment.invoice_number)
        assert number in receipt.subject
        assert f"/invoices/{number}/" in receipt.body_text
        assert f"/invoices/{number}/" in receipt.body_html
        [period] = SubscriptionPeriod.objects.filter(payment_item__payment=payment)
        assert str(period.ends_at.year) in receipt.body_text
    french = OutboxMessage.objects.get(template="billing/email/receipt", to_email=bob.email)
    assert french.language == "fr" and "facture" in french.subject.lower()


def test_a_renewal_that_fails_unexpectedly_holds_back_none_of_its_batch(
    alice: Subscriber, bob: Subscriber, gateway: list[str], clock
) -> None:
    from plugline.billing.models import CustomerAccount

    renewed = autorenewing(alice, days_left=2)
    broken = autorenewing(bob, days_left=2)
    # Bob's account lost its customer at the gateway: his renewal cannot be charged, and
    # the batch fails after Alice's card was charged.
    CustomerAccount.objects.filter(user=bob.user).delete()
    # Each is then taken on its own: both payments are left to the settle job (never
    # charged again with a new key), neither claim is held for the lease's five minutes.
    assert renewal_run(batch=10).outcomes == {AttemptStatus.WAITING: 2}
    clock.shift(timedelta(minutes=3))
    assert payments.payments_settle_unknown() == 2
    clock.shift(timedelta(minutes=10))
    assert renewal_run(batch=10).outcomes == {AttemptStatus.SUCCEEDED: 1, AttemptStatus.RETRY: 1}
    assert [charge.status for charge in charged(renewed)] == ["succeeded"]
    assert not charged(broken)
    assert SubscriptionPeriod.objects.filter(subscription=renewed).count() == 1
    assert not SubscriptionPeriod.objects.filter(subscription=broken).exists()


def test_charges_sent_to_the_gateway_together_end_each_as_their_card_does(
    alice: Subscriber, bob: Subscriber, gateway: list[str], clock
) -> None:
    from conftest import make_subscriber

    carol = make_subscriber("carol@example.com", numbers=("+12125550199",))
    paid = autorenewing(alice, days_left=2)
    poor = autorenewing(bob, days_left=2, card=CARD_INSUFFICIENT_FUNDS)
    refused = autorenewing(carol, days_left=2, card=CARD_DECLINED_WHEN_CHARGED)
    outcomes = renewal_run(batch=10, charges_at_once=10).outcomes
    assert outcomes == {AttemptStatus.SUCCEEDED: 1, AttemptStatus.RETRY: 1, AttemptStatus.FAILED: 1}
    assert [charge.status for charge in charged(paid)] == ["succeeded"]
    assert [charge.decline_code for charge in charged(poor)] == ["insufficient_funds"]
    assert [charge.decline_code for charge in charged(refused)] == ["card_declined"]
    assert SubscriptionPeriod.objects.filter(subscription=paid).count() == 1
    assert not SubscriptionPeriod.objects.exclude(subscription=paid).exists()
    assert Payment.objects.get(status=PaymentStatus.SUCCEEDED).invoice_number is not None
    assert any("AutoRenew renewed" in subject for subject in subjects(alice.email))
    assert len(subjects(bob.email)) == 1 and len(subjects(carol.email)) == 1
    # Bob's card is tried again a day later, on its own key.
    clock.shift(timedelta(days=1, minutes=1))
    card_on_file(bob.user, CARD_SUCCEEDS)
    card_make_default(
        user=bob.user, payment_method=PaymentMethod.objects.get(user=bob.user, last4="4242")
    )
    assert renewal_run(batch=10, charges_at_once=10).outcomes == {AttemptStatus.SUCCEEDED: 1}
    assert [charge.status for charge in charged(poor)] == ["declined", "succeeded"]
    assert renewal_run(batch=10, charges_at_once=10).processed == 0
