"""One payment per cart, whichever page or tab sends "Pay".

The intent is the cart (these renewals), not the rendered checkout page: two
tabs each with their own Pay form, or a second Pay after the gateway's answer
was lost, find the cart held by the payment still waiting for its outcome and
are refused until it is settled. Outcomes come from the sandbox gateway; what
was charged is read from its own records.
"""

from __future__ import annotations

import importlib
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import make_subscriber
from plugline.billing.checkout import cart_add
from plugline.billing.gateways.base import ChargeResult, Outcome
from plugline.billing.gateways.sandbox import SandboxGateway
from plugline.billing.models import (
    CartItem,
    Payment,
    PaymentKind,
    PaymentStatus,
    Subscription,
    SubscriptionPeriod,
)
from plugline.billing.payments import payment_create, payment_record, payments_settle_unknown
from plugline.billing.tests.factories import (
    CARD_NEEDS_AUTHENTICATION,
    card_on_file,
    make_paid_item,
    plan_make,
    subscription_make,
)
from plugline.notifications.models import OutboxMessage
from plugline.sandbox_gateway import services as psp
from plugline.sandbox_gateway.models import SandboxCharge

BEING_PAID = "Your cart is being paid: it cannot be changed or paid again"
WAITING = "it cannot be paid again until the payment is settled"


@pytest.fixture
def shop(client: Client, gateway: SandboxGateway) -> dict:
    """Dana, signed in, with a year ($49.99) for her first device in the cart, a Visa on file."""
    dana = make_subscriber("dana@example.com", numbers=("+13105550100", "+14165550148"))
    plan_make("year", 12, 4999)
    first = subscription_make(dana.devices[0], days_left=20)
    subscription_make(dana.devices[1], days_left=40)
    card = card_on_file(dana.user)
    client.force_login(dana.user)
    client.post(reverse("checkout:renew"), {"device": dana.devices[0].serial, "plan": "year"})
    assert CartItem.objects.filter(user=dana.user).count() == 1
    return {"dana": dana, "first": first, "card": card, "ends_at": first.ends_at}


def _pay_form(client: Client, card_id: int) -> dict:
    """The Pay form as one tab of the checkout page renders it (its own key)."""
    page = client.get(reverse("checkout:checkout")).content.decode()
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    total = re.search(r'name="total" value="([^"]+)"', page)
    assert key and total, page
    return {"card": card_id, "idempotency_key": key.group(1), "total": total.group(1)}


def _pay(client: Client, form: dict):
    return client.post(reverse("checkout:checkout"), form)


def _renewed_once(shop: dict) -> None:
    """Exactly one charge, one period, one receipt; the cart is empty."""
    charge = SandboxCharge.objects.get()
    assert charge.status == "succeeded"
    assert SubscriptionPeriod.objects.filter(subscription=shop["first"]).count() == 1
    renewed = Subscription.objects.get(pk=shop["first"].pk).ends_at
    assert renewed is not None and renewed.year == shop["ends_at"].year + 1
    assert OutboxMessage.objects.filter(template="billing/email/receipt").count() == 1
    assert not CartItem.objects.exists()


def _offers_no_pay(client: Client) -> None:
    cart = client.get(reverse("checkout:cart")).content.decode()
    assert "Your cart is being paid" in cart and WAITING in cart
    assert reverse("checkout:checkout") not in cart  # no Checkout button
    checkout = client.get(reverse("checkout:checkout")).content.decode()
    assert "Pay $49.99" not in checkout and 'name="idempotency_key"' not in checkout
    assert "Check again" in checkout and WAITING in checkout


def test_it_charges_once_when_two_tabs_pay_the_same_cart(
    shop: dict, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    first_tab = _pay_form(client, shop["card"].pk)
    second_tab = _pay_form(client, shop["card"].pk)
    assert first_tab["idempotency_key"] != second_tab["idempotency_key"]
    # The second tab's Pay arrives while the gateway is still working on the first.
    real_charge = SandboxGateway.charge
    second_answers = []
    charges = []

    def slow_charge(self: SandboxGateway, **kwargs: object) -> ChargeResult:
        charges.append(kwargs["idempotency_key"])
        if len(charges) == 1:
            second_answers.append(_pay(client, second_tab))
        return real_charge(self, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(SandboxGateway, "charge", slow_charge)
    first = _pay(client, first_tab)
    payment = Payment.objects.get(idempotency_key=first_tab["idempotency_key"])
    assert first["Location"] == reverse("checkout:done", kwargs={"payment_id": payment.pk})
    [second] = second_answers
    assert second.status_code == 409
    assert BEING_PAID in second.content.decode() and "Check again" in second.content.decode()
    assert not Payment.objects.filter(idempotency_key=second_tab["idempotency_key"]).exists()
    assert charges == [first_tab["idempotency_key"]]
    _renewed_once(shop)
    # That tab's Pay pressed again, once the first is through: nothing left to pay.
    again = _pay(client, second_tab)
    assert again["Location"] == reverse("checkout:cart")
    assert "If you paid it in another window" in client.get(again["Location"]).content.decode()
    _renewed_once(shop)


def test_it_refuses_a_second_pay_after_a_lost_answer_until_the_payment_is_settled(
    shop: dict, client: Client
) -> None:
    first_tab = _pay_form(client, shop["card"].pk)
    second_tab = _pay_form(client, shop["card"].pk)
    psp.config_set(timeout_rate=1.0)  # the sandbox charges; its answer never comes back
    assert "Do not pay again" in _pay(client, first_tab).content.decode()
    psp.config_set(timeout_rate=0.0)
    refused = _pay(client, second_tab)
    assert refused.status_code == 409
    assert BEING_PAID in refused.content.decode() and WAITING in refused.content.decode()
    assert SandboxCharge.objects.count() == 1
    assert Payment.objects.count() == 1
    _offers_no_pay(client)
    # The line cannot be changed or removed meanwhile either.
    device = shop["dana"].devices[0]
    changed = client.post(reverse("checkout:renew"), {"device": device.serial, "plan": "year"})
    assert BEING_PAID in changed.content.decode()
    item = CartItem.objects.get()
    removed = client.post(reverse("checkout:cart_remove", kwargs={"item_id": item.pk}), follow=True)
    assert BEING_PAID in removed.content.decode()
    assert CartItem.objects.filter(pk=item.pk).exists()
    # "Check again" settles it: the first charge went through.
    payment = Payment.objects.get()
    back = client.get(reverse("checkout:payment_return", kwargs={"payment_id": payment.pk}))
    assert back["Location"] == reverse("checkout:done", kwargs={"payment_id": payment.pk})
    _renewed_once(shop)


def test_it_empties_the_cart_when_the_settle_job_finds_the_payment_went_through(
    shop: dict, client: Client
) -> None:
    psp.config_set(timeout_rate=1.0)
    _pay(client, _pay_form(client, shop["card"].pk))
    psp.config_set(timeout_rate=0.0)
    with time_machine.travel(timezone.now() + timedelta(minutes=3)):
        assert payments_settle_unknown() == 1
    assert Payment.objects.get().status == PaymentStatus.SUCCEEDED
    _renewed_once(shop)
    assert "Your cart is empty." in client.get(reverse("checkout:cart")).content.decode()


def test_it_frees_the_cart_when_the_settle_job_finds_the_charge_never_reached_the_gateway(
    shop: dict, client: Client
) -> None:
    second_tab = _pay_form(client, shop["card"].pk)
    psp.config_set(failure_rate=1.0)  # the charge never reaches the gateway
    assert "Do not pay again" in _pay(client, _pay_form(client, shop["card"].pk)).content.decode()
    psp.config_set(failure_rate=0.0)
    assert _pay(client, second_tab).status_code == 409
    _offers_no_pay(client)
    with time_machine.travel(timezone.now() + timedelta(minutes=3)):
        assert payments_settle_unknown() == 1
    payment = Payment.objects.get()
    assert (payment.status, payment.decline_code) == (PaymentStatus.DECLINED, "not_sent")
    assert not SandboxCharge.objects.exists()
    # Payable again, once.
    assert reverse("checkout:checkout") in client.get(reverse("checkout:cart")).content.decode()
    paid = _pay(client, _pay_form(client, shop["card"].pk))
    assert urlsplit(paid["Location"]).path.endswith("/done/")
    _renewed_once(shop)


def test_it_frees_the_cart_when_the_bank_declines_and_another_card_pays_once(
    shop: dict, client: Client
) -> None:
    strict = card_on_file(shop["dana"].user, CARD_NEEDS_AUTHENTICATION)
    second_tab = _pay_form(client, shop["card"].pk)
    to_bank = _pay(client, _pay_form(client, strict.pk))
    assert SandboxCharge.objects.get().status == "requires_action"
    # While the bank waits for the cardholder, the other tab cannot pay.
    assert _pay(client, second_tab).status_code == 409
    _offers_no_pay(client)
    declined = client.post(to_bank["Location"], {"answer": "decline"})
    back = client.get(declined["Location"])
    assert "Your card was declined. Nothing was charged." in back.content.decode()
    assert Payment.objects.get().status == PaymentStatus.DECLINED
    assert CartItem.objects.get().payment is None
    SandboxCharge.objects.all().delete()  # the declined one; what follows is counted
    paid = _pay(client, _pay_form(client, shop["card"].pk))
    assert urlsplit(paid["Location"]).path.endswith("/done/")
    _renewed_once(shop)


def test_it_lets_another_device_join_the_cart_while_it_is_paid(shop: dict, client: Client) -> None:
    psp.config_set(timeout_rate=1.0)
    _pay(client, _pay_form(client, shop["card"].pk))
    second = shop["dana"].devices[1]
    client.post(reverse("checkout:renew"), {"device": second.serial, "plan": "year"})
    held, waiting = CartItem.objects.order_by("added_at")
    assert held.payment is not None and waiting.payment is None
    # The new line waits for the payment's outcome too: one payment per cart at a time.
    _offers_no_pay(client)


def test_autorenew_payments_are_recorded_without_reading_the_cart(shop: dict) -> None:
    dana = shop["dana"]
    payment = payment_create(
        user=dana.user,
        kind=PaymentKind.AUTORENEW,
        items=[(shop["first"], CartItem.objects.get().plan)],
        payment_method=shop["card"],
        idempotency_key="renewal_test_1",
    )
    with CaptureQueriesContext(connection) as queries:
        payment_record(
            payment=payment, result=ChargeResult(outcome=Outcome.SUCCEEDED, charge_id="ch_1")
        )
    assert not [q["sql"] for q in queries.captured_queries if "billing_cartitem" in q["sql"]]
    # The cart's own line for that device is not the renewal's business.
    assert CartItem.objects.get().payment is None


def test_it_offers_the_banks_page_again_for_a_payment_left_unapproved(
    shop: dict, client: Client
) -> None:
    strict = card_on_file(shop["dana"].user, CARD_NEEDS_AUTHENTICATION)
    to_bank = _pay(client, _pay_form(client, strict.pk))
    # The cardholder closed the bank's page; later the cart sends them to "Check again".
    payment = Payment.objects.get()
    check_again = reverse("checkout:payment_return", kwargs={"payment_id": payment.pk})
    assert check_again in client.get(reverse("checkout:cart")).content.decode()
    page = client.get(check_again).content.decode()
    assert "Approve it at your bank" in page and WAITING in page
    bank = re.search(r'href="([^"]*/authenticate/[^"]*)"', page)
    assert bank, page
    assert bank.group(1).replace("&amp;", "&") == to_bank["Location"]
    approved = client.post(to_bank["Location"], {"answer": "approve"})
    assert client.get(approved["Location"])["Location"] == reverse(
        "checkout:done", kwargs={"payment_id": payment.pk}
    )
    _renewed_once(shop)


def test_the_upgrade_holds_the_cart_lines_of_checkout_payments_still_open(shop: dict) -> None:
    """Payments made before carts were held: those still open hold their devices' lines."""
    from django.apps import apps

    migration = importlib.import_module("plugline.billing.migrations.0003_cart_item_payment")
    dana, plan = shop["dana"], CartItem.objects.get().plan
    second = Subscription.objects.get(device=dana.devices[1])
    cart_add(user=dana.user, device=dana.devices[1], plan=plan)
    unknown = make_paid_item(
        user=dana.user, subscription=shop["first"], plan=plan, status=PaymentStatus.UNKNOWN
    ).payment
    declined = make_paid_item(
        user=dana.user, subscription=second, plan=plan, status=PaymentStatus.DECLINED
    ).payment
    renewal = make_paid_item(
        user=dana.user, subscription=second, plan=plan, status=PaymentStatus.PENDING
    ).payment
    Payment.objects.filter(pk=renewal.pk).update(kind=PaymentKind.AUTORENEW)
    migration.claim_lines_of_open_payments(apps, None)
    held = {item.subscription_id: item.payment_id for item in CartItem.objects.all()}
    assert held == {shop["first"].pk: unknown.pk, second.pk: None}
    assert declined.pk not in held.values()
