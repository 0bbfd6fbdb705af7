"""Refunds in the back office: an amount and a reason, never more than is left, audited.

The payment is a real charge at the sandbox gateway; refunds are read from its records.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from conftest import Subscriber, sign_in_with_two_factor
from plugline.billing.gateways.sandbox import SandboxGateway
from plugline.billing.models import Payment, PaymentKind
from plugline.billing.payments import payment_charge, payment_create
from plugline.billing.tests.factories import (
    card_on_file,
    plan_make,
    subscription_make,
)
from plugline.core.models import AuditAction, AuditEvent
from plugline.sandbox_gateway.models import SandboxCharge, SandboxRefund


@pytest.fixture
def paid(alice: Subscriber, gateway: SandboxGateway) -> Payment:
    payment = payment_create(
        user=alice.user,
        kind=PaymentKind.CHECKOUT,
        items=[(subscription_make(alice.devices[0]), plan_make())],
        payment_method=card_on_file(alice.user),
        idempotency_key="pay_refund_me",
    )
    paid = payment_charge(payment=payment).payment
    assert paid.status == "succeeded"
    return paid


def staff_client(django_user_model, *, allowed: bool) -> Client:
    staff = django_user_model.objects.create_user(
        "billing@example.com", "staff-password-1", is_staff=True
    )
    if allowed:
        staff.user_permissions.add(
            Permission.objects.get(codename="add_refund"),
            Permission.objects.get(codename="view_payment"),
        )
    client = Client()
    sign_in_with_two_factor(client, staff)
    return client


def refund_url(payment: Payment) -> str:
    return reverse("billing_payment_refund", kwargs={"payment_id": payment.pk})


def test_staff_refund_part_of_a_payment_with_a_reason(
    paid: Payment, gateway: SandboxGateway, django_user_model
) -> None:
    client = staff_client(django_user_model, allowed=True)
    page = client.get(refund_url(paid)).content.decode()
    assert "49.99" in page
    response = client.post(refund_url(paid), {"amount": "10.00", "reason": "Moved abroad"})
    assert response.status_code == 302
    paid.refresh_from_db()
    assert (paid.status, paid.refunded_amount) == ("partially_refunded", 1000)
    event = AuditEvent.objects.get(action=AuditAction.REFUND_ISSUED)
    assert event.actor is not None and event.actor.email == "billing@example.com"
    refund = SandboxRefund.objects.get()
    assert (refund.charge_id, refund.amount, refund.succeeded) == (
        paid.gateway_charge_id,
        1000,
        True,
    )
    assert SandboxCharge.objects.get(id=paid.gateway_charge_id).refunded_amount == 1000


def test_staff_cannot_refund_more_than_is_left(
    paid: Payment, gateway: SandboxGateway, django_user_model
) -> None:
    client = staff_client(django_user_model, allowed=True)
    page = client.post(refund_url(paid), {"amount": "50.00", "reason": "Oops"}).content.decode()
    assert "At most $49.99 can be refunded." in page
    assert not SandboxRefund.objects.exists()


def test_staff_without_the_permission_cannot_refund(
    paid: Payment, gateway: SandboxGateway, django_user_model
) -> None:
    client = staff_client(django_user_model, allowed=False)
    response = client.post(refund_url(paid), {"amount": "10.00", "reason": "x"})
    assert response.status_code == 403
    assert not SandboxRefund.objects.exists()


def test_a_subscriber_cannot_reach_the_refund_page(paid: Payment, alice: Subscriber) -> None:
    client = Client()
    client.force_login(alice.user)
    response = client.get(refund_url(paid))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.parametrize(
    "amount",
    [
        "sNaN",
        "NaN",
        "-inf",
        "Infinity",
        "1e999999999",
        "1e-999999999",
        "99999999999999999999999",
        "-1",
        "\uff11\uff12",  # full-width 12
        " ",
        "0x10",
        "1e1",
        "9" * 10_000,
    ],
)
def test_it_answers_an_amount_that_is_not_one_with_a_form_error(
    paid: Payment, gateway: SandboxGateway, django_user_model, amount: str
) -> None:
    client = staff_client(django_user_model, allowed=True)
    response = client.post(refund_url(paid), {"amount": amount, "reason": "Moved abroad"})
    assert response.status_code == 200
    assert response.context["form"].errors["amount"]
    assert not SandboxRefund.objects.exists()
    paid.refresh_from_db()
    assert (paid.status, paid.refunded_amount) == ("succeeded", 0)


def test_it_tells_staff_in_their_language_that_an_amount_is_not_one(
    paid: Payment, gateway: SandboxGateway, django_user_model
) -> None:
    client = staff_client(django_user_model, allowed=True)
    django_user_model.objects.filter(email="billing@example.com").update(language="fr")
    page = client.post(refund_url(paid), {"amount": "sNaN", "reason": "x"}).content.decode()
    assert "Saisissez un montant comme 10.00." in page
