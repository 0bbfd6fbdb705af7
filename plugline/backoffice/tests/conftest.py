"""The staff console's test data: a customer with one of every identifier, and staff per role."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.test import Client

from conftest import Subscriber, make_subscriber, sign_in_with_two_factor
from plugline.accounts.models import User
from plugline.backoffice.roles import BILLING, INVENTORY, SUPPORT_AGENT
from plugline.billing import payments
from plugline.billing.gateways.sandbox import SandboxGateway
from plugline.billing.models import Payment, PaymentKind, PaymentMethod, Plan, Subscription
from plugline.billing.payments import payment_charge, payment_create
from plugline.billing.tests.factories import (
    card_on_file,
    plan_make,
    sandbox_reset,
    subscription_make,
)
from plugline.devices.models import Device, WebOrder
from plugline.reup.models import ReupCard
from plugline.reup.redemption import card_redeem
from plugline.reup.tests.factories import make_activated_card


def gateway_ready() -> SandboxGateway:
    """The real sandbox gateway, answering at once and always."""
    sandbox_reset()
    assert payments.gateway_get().name == "sandbox"
    return SandboxGateway()


@pytest.fixture
def gateway(db: None) -> SandboxGateway:
    return gateway_ready()


@dataclass
class Customer:
    subscriber: Subscriber
    device: Device
    payment: Payment
    card: PaymentMethod
    order: WebOrder
    reup_card: ReupCard

    @property
    def user(self) -> User:
        return self.subscriber.user


def pay(user: User, device: Device, card: PaymentMethod, key: str) -> Payment:
    """A year for `device`, paid with `card` at the sandbox."""
    plan = Plan.objects.filter(code="year").first() or plan_make()
    subscription = Subscription.objects.filter(device=device).first() or subscription_make(device)
    payment = payment_create(
        user=user,
        kind=PaymentKind.CHECKOUT,
        items=[(subscription, plan)],
        payment_method=card,
        idempotency_key=key,
    )
    paid = payment_charge(payment=payment).payment
    assert paid.status == "succeeded"
    return paid


@pytest.fixture
def customer(alice: Subscriber, gateway: SandboxGateway) -> Customer:
    return customer_make(alice)


def customer_make(alice: Subscriber) -> Customer:
    """Alice: a second email, a paid invoice, a card on file, a web order, a redeemed Re-Up card."""
    EmailAddress.objects.create(
        user=alice.user, email="alice.work@example.org", verified=True, primary=False
    )
    device = alice.devices[0]
    order = WebOrder.objects.create(number="WO-77001", email=alice.user.email)
    Device.objects.filter(pk=device.pk).update(web_order=order)
    card = card_on_file(alice.user, expiry="12/29")
    payment = pay(alice.user, device, card, "pay_console_1")
    reup_card, pin = make_activated_card()
    assert card_redeem(user=alice.user, pin_raw=pin, device=device).failure is None
    reup_card.refresh_from_db()
    return Customer(alice, device, payment, card, order, reup_card)


def staff_with_role(email: str, *roles: str) -> User:
    user = make_subscriber(email, numbers=()).user
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.groups.set(Group.objects.filter(name__in=roles))
    return user


def console_for(user: User) -> Client:
    client = Client()
    sign_in_with_two_factor(client, user)
    return client


@pytest.fixture
def support_agent(db: None) -> User:
    return staff_with_role("agent@example.com", SUPPORT_AGENT)


@pytest.fixture
def billing_staff(db: None) -> User:
    return staff_with_role("billing@example.com", BILLING)


@pytest.fixture
def inventory_staff(db: None) -> User:
    return staff_with_role("stock@example.com", INVENTORY)


@pytest.fixture
def agent_client(support_agent: User) -> Client:
    return console_for(support_agent)


@pytest.fixture
def billing_client(billing_staff: User) -> Client:
    return console_for(billing_staff)
