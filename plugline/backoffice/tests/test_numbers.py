"""Every number staff type in the console is checked: a message on the customer's page,
nothing saved, never a 500 (the admin's rule, plugline.core.tests.test_admin_numbers)."""

from __future__ import annotations

import pytest
from django.contrib import messages
from django.test import Client
from django.urls import reverse

from plugline.backoffice.tests.conftest import Customer
from plugline.billing.models import Payment, Refund, Subscription
from plugline.core.models import AuditAction, AuditEvent
from plugline.core.tests.test_admin_numbers import NASTY
from plugline.sandbox_gateway.models import SandboxRefund


def _refused(response) -> list[str]:
    """The error messages the console's page shows after the action."""
    return [
        str(message)
        for message in messages.get_messages(response.wsgi_request)
        if message.level == messages.ERROR
    ]


@pytest.mark.parametrize("value", NASTY, ids=lambda value: repr(value[:12]))
def test_it_refunds_nothing_for_a_nasty_amount_and_says_why(
    customer: Customer, billing_client: Client, value: str
) -> None:
    response = billing_client.post(
        reverse(
            "backoffice:refund",
            kwargs={"pk": customer.user.pk, "payment_id": customer.payment.pk},
        ),
        {"amount": value, "reason": "Goodwill"},
    )

    assert response.status_code == 302
    assert _refused(response)
    assert not Refund.objects.exists() and not SandboxRefund.objects.exists()
    assert Payment.objects.get(pk=customer.payment.pk).refunded_amount == 0


@pytest.mark.parametrize("value", NASTY, ids=lambda value: repr(value[:12]))
def test_it_gives_no_goodwill_days_for_a_nasty_number_and_says_why(
    customer: Customer, billing_client: Client, value: str
) -> None:
    before = Subscription.objects.get(device=customer.device).ends_at
    extended = AuditEvent.objects.filter(action=AuditAction.SUBSCRIPTION_EXTENDED).count()

    response = billing_client.post(
        reverse(
            "backoffice:goodwill",
            kwargs={"pk": customer.user.pk, "device_id": customer.device.pk},
        ),
        {"days": value, "reason": "Outage on 3 March"},
    )

    assert response.status_code == 302
    assert _refused(response)
    assert Subscription.objects.get(device=customer.device).ends_at == before
    assert AuditEvent.objects.filter(action=AuditAction.SUBSCRIPTION_EXTENDED).count() == extended


def test_it_asks_for_whole_days_in_the_staff_members_language(
    customer: Customer, billing_client: Client, billing_staff
) -> None:
    billing_staff.language = "da"
    billing_staff.save(update_fields=["language"])

    response = billing_client.post(
        reverse(
            "backoffice:goodwill",
            kwargs={"pk": customer.user.pk, "device_id": customer.device.pk},
        ),
        {"days": "\uff11\uff12", "reason": "Udfald"},
    )

    assert _refused(response) == ["Dages tjeneste at give: Indtast et heltal."]


@pytest.mark.parametrize(
    "page", ["sNaN", "1e999999999", "-1", "0x10", "\uff12", "\x00", "9" * 10_000]
)
def test_it_shows_the_customers_timeline_whatever_page_is_asked(
    customer: Customer, billing_client: Client, page: str
) -> None:
    response = billing_client.get(
        reverse("backoffice:customer", kwargs={"pk": customer.user.pk}), {"page": page}
    )

    assert response.status_code == 200
    assert customer.user.email in response.content.decode()
