"""Staff act on a customer from the console: each action asks for a reason, and is audited."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client
from django.urls import reverse

from plugline.accounts.models import User
from plugline.backoffice.tests.conftest import Customer
from plugline.billing import payments
from plugline.billing.models import Subscription
from plugline.core.models import AuditAction, AuditEvent
from plugline.devices.models import Device
from plugline.notifications.models import OutboxMessage
from plugline.sandbox_gateway.models import SandboxRefund


def url(name: str, customer: Customer, **kwargs: object) -> str:
    return reverse(f"backoffice:{name}", kwargs={"pk": customer.user.pk, **kwargs})


def test_billing_staff_refund_part_of_a_payment_once_through_the_payment_core(
    customer: Customer,
    billing_client: Client,
    billing_staff: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = []
    real_refund = payments.payment_refund

    def counting_refund(**kwargs: object):
        calls.append(kwargs)
        return real_refund(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("plugline.backoffice.views.payment_refund", counting_refund)
    response = billing_client.post(
        url("refund", customer, payment_id=customer.payment.pk),
        {"amount": "10.00", "reason": "Line was down for a week"},
    )
    assert response.status_code == 302
    assert len(calls) == 1
    customer.payment.refresh_from_db()
    assert (customer.payment.status, customer.payment.refunded_amount) == (
        "partially_refunded",
        1000,
    )
    assert SandboxRefund.objects.get().amount == 1000
    event = AuditEvent.objects.get(action=AuditAction.REFUND_ISSUED)
    assert event.actor == billing_staff and event.user == customer.user
    assert event.data["reason"] == "Line was down for a week"
    page = billing_client.get(response["Location"]).content.decode()
    assert "Refunded $10.00." in page
    assert "reason: Line was down for a week" in page


def test_billing_staff_refund_a_whole_payment(customer: Customer, billing_client: Client) -> None:
    billing_client.post(
        url("refund", customer, payment_id=customer.payment.pk),
        {"amount": "49.99", "reason": "Cancelled within 30 days"},
    )
    customer.payment.refresh_from_db()
    assert (customer.payment.status, customer.payment.refunded_amount) == ("refunded", 4999)


@pytest.mark.parametrize(
    ("amount", "reason", "message"),
    [
        ("sNaN", "Goodwill", "Enter an amount such as 10.00."),
        ("1e999", "Goodwill", "Enter an amount such as 10.00."),
        ("50.00", "Goodwill", "At most $49.99 can be refunded."),
        ("10.00", "", "Give the reason (it goes in the audit log)."),
        ("10.00", "x" * 201, "Ensure this value has at most 200 characters"),
    ],
)
def test_it_refunds_nothing_for_a_bad_amount_or_reason_and_says_why(
    customer: Customer, billing_client: Client, amount: str, reason: str, message: str
) -> None:
    response = billing_client.post(
        url("refund", customer, payment_id=customer.payment.pk),
        {"amount": amount, "reason": reason},
        follow=True,
    )
    assert message in response.content.decode()
    assert not SandboxRefund.objects.exists()
    customer.payment.refresh_from_db()
    assert customer.payment.refunded_amount == 0


def test_it_refunds_only_the_customers_own_payment(
    customer: Customer, billing_client: Client, bob: object
) -> None:
    other = User.objects.get(email="bob@example.com")
    response = billing_client.post(
        reverse("backoffice:refund", kwargs={"pk": other.pk, "payment_id": customer.payment.pk}),
        {"amount": "10.00", "reason": "Wrong account"},
    )
    assert response.status_code == 404
    assert not SandboxRefund.objects.exists()


def test_billing_staff_give_goodwill_days(
    customer: Customer, billing_client: Client, billing_staff: User
) -> None:
    before = Subscription.objects.get(device=customer.device).ends_at
    assert before is not None
    billing_client.post(
        url("goodwill", customer, device_id=customer.device.pk),
        {"days": "14", "reason": "Outage on 3 March"},
    )
    after = Subscription.objects.get(device=customer.device).ends_at
    assert after is not None and (after - before).days == 14
    event = AuditEvent.objects.filter(action=AuditAction.SUBSCRIPTION_EXTENDED).first()
    assert event is not None and event.actor == billing_staff
    assert event.data["days"] == 14 and event.data["reason"] == "Outage on 3 March"


@pytest.mark.parametrize("days", ["0", "91", "ten", ""])
def test_it_gives_no_goodwill_days_out_of_bounds(
    customer: Customer, billing_client: Client, days: str
) -> None:
    before = Subscription.objects.get(device=customer.device).ends_at
    billing_client.post(
        url("goodwill", customer, device_id=customer.device.pk), {"days": days, "reason": "x"}
    )
    assert Subscription.objects.get(device=customer.device).ends_at == before


def test_support_agents_suspend_and_resume_a_line_with_a_reason(
    customer: Customer, agent_client: Client, support_agent: User
) -> None:
    agent_client.post(
        url("suspend", customer, device_id=customer.device.pk), {"reason": "Chargeback 5521"}
    )
    device = Device.objects.get(pk=customer.device.pk)
    assert device.suspended_at is not None and device.suspension_reason == "Chargeback 5521"
    agent_client.post(url("resume", customer, device_id=customer.device.pk), {"reason": "Paid"})
    assert Device.objects.get(pk=customer.device.pk).suspended_at is None
    actions = list(
        AuditEvent.objects.filter(actor=support_agent)
        .exclude(action=AuditAction.CUSTOMER_SEARCHED)
        .values_list("action", "data__reason")
        .order_by("id")
    )
    assert actions == [
        (AuditAction.DEVICE_SUSPENDED, "Chargeback 5521"),
        (AuditAction.DEVICE_RESUMED, "Paid"),
    ]


def test_it_suspends_nothing_without_a_reason(customer: Customer, agent_client: Client) -> None:
    response = agent_client.post(
        url("suspend", customer, device_id=customer.device.pk), {"reason": "  "}, follow=True
    )
    assert "Give the reason (it goes in the audit log)." in response.content.decode()
    assert Device.objects.get(pk=customer.device.pk).suspended_at is None


def test_support_agents_send_the_receipt_again(
    customer: Customer, agent_client: Client, support_agent: User
) -> None:
    before = OutboxMessage.objects.filter(template="billing/email/receipt").count()
    agent_client.post(
        url("receipt_resend", customer, payment_id=customer.payment.pk),
        {"reason": "Customer deleted it"},
    )
    receipts = OutboxMessage.objects.filter(template="billing/email/receipt")
    assert receipts.count() == before + 1
    assert receipts.first().to_email == "alice@example.com"  # type: ignore[union-attr]
    event = AuditEvent.objects.get(action=AuditAction.RECEIPT_RESENT)
    assert event.actor == support_agent
    assert event.data == {
        "invoice_number": customer.payment.invoice_number,
        "reason": "Customer deleted it",
    }


def test_support_agents_send_a_reset_link_to_the_customer_never_to_themselves(
    customer: Customer, agent_client: Client, support_agent: User
) -> None:
    response = agent_client.post(
        url("password_reset", customer), {"reason": "Locked out"}, follow=True
    )
    page = response.content.decode()
    assert "A password reset link is on its way to alice@example.com." in page
    message = OutboxMessage.objects.filter(user=customer.user).order_by("-id").first()
    assert message is not None and message.to_email == "alice@example.com"
    assert "/accounts/password/reset/key/" in message.body_text
    link = next(line for line in message.body_text.splitlines() if "/password/reset/key/" in line)
    assert link.strip() not in page
    assert not OutboxMessage.objects.filter(to_email=support_agent.email).exists()
    event = AuditEvent.objects.get(action=AuditAction.PASSWORD_RESET_SENT_BY_STAFF)
    assert event.actor == support_agent and event.data == {"reason": "Locked out"}


def test_administrators_remove_two_factor_after_an_identity_check(
    customer: Customer, console_client: Client, staff: User
) -> None:
    TOTP.activate(customer.user, generate_totp_secret())
    refused = console_client.post(
        url("two_factor_remove", customer), {"reason": "Lost phone"}, follow=True
    )
    assert "Check who the customer is first, then tick the box." in refused.content.decode()
    assert Authenticator.objects.filter(user=customer.user).exists()

    console_client.post(
        url("two_factor_remove", customer),
        {"reason": "Lost phone; ID checked by video", "identity_checked": "on"},
    )
    assert not Authenticator.objects.filter(user=customer.user).exists()
    event = AuditEvent.objects.get(action=AuditAction.TWO_FACTOR_REMOVED_BY_STAFF)
    assert event.actor == staff and event.data["reason"] == "Lost phone; ID checked by video"
    notice = OutboxMessage.objects.get(template="backoffice/email/two_factor_removed")
    assert notice.to_email == "alice@example.com"
    assert "Two-factor sign-in was removed" in notice.subject


def test_actions_refuse_a_request_without_the_csrf_token(
    customer: Customer, support_agent: User
) -> None:
    from conftest import sign_in_with_two_factor

    client = Client(enforce_csrf_checks=True)
    sign_in_with_two_factor(client, support_agent)
    response = client.post(
        url("suspend", customer, device_id=customer.device.pk), {"reason": "Chargeback"}
    )
    assert response.status_code == 403
    assert Device.objects.get(pk=customer.device.pk).suspended_at is None


def field_value(page: str, element: str) -> str | None:
    """The value the page's input `element` (its id) is shown with; None if it has none."""
    import html
    import re

    tag = re.search(rf'<input[^>]*\bid="{re.escape(element)}"[^>]*>', page)
    assert tag is not None, f"no input #{element}"
    found = re.search(r'\bvalue="([^"]*)"', tag[0])
    return html.unescape(found[1]) if found and found[1] else None


def test_a_refused_refund_shows_what_was_typed_again_once(
    customer: Customer, billing_client: Client
) -> None:
    amount, reason = f"amount-{customer.payment.pk}", f"reason-refund-{customer.payment.pk}"
    typed = 'Line down "a week" <3 days>'
    refused = billing_client.post(
        url("refund", customer, payment_id=customer.payment.pk),
        {"amount": "50.00", "reason": typed},
        follow=True,
    )
    page = refused.content.decode()

    assert "At most $49.99 can be refunded." in page
    assert (field_value(page, amount), field_value(page, reason)) == ("50.00", typed)
    assert typed not in page  # escaped, as everything the page shows
    assert not SandboxRefund.objects.exists()
    # Shown once: the page opened again starts empty.
    again = billing_client.get(url("customer", customer)).content.decode()
    assert (field_value(again, amount), field_value(again, reason)) == (None, None)


def test_a_refused_goodwill_form_keeps_what_was_typed(
    customer: Customer, console_client: Client
) -> None:
    device = customer.device.pk
    page = console_client.post(
        url("goodwill", customer, device_id=device),
        {"days": "91", "reason": "Outage on 3 March"},
        follow=True,
    ).content.decode()
    assert (
        field_value(page, f"days-{device}"),
        field_value(page, f"reason-goodwill-{device}"),
    ) == (
        "91",
        "Outage on 3 March",
    )


def test_a_refund_the_gateway_refused_keeps_what_was_typed(
    customer: Customer, billing_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(**kwargs: object):
        raise payments.PaymentRefused("gateway")

    monkeypatch.setattr("plugline.backoffice.views.payment_refund", refused)
    page = billing_client.post(
        url("refund", customer, payment_id=customer.payment.pk),
        {"amount": "10.00", "reason": "Line was down"},
        follow=True,
    ).content.decode()

    assert "The payment gateway refused the refund" in page
    assert field_value(page, f"amount-{customer.payment.pk}") == "10.00"
    assert field_value(page, f"reason-refund-{customer.payment.pk}") == "Line was down"


def test_what_was_typed_for_one_customer_is_never_shown_on_anothers_page(
    customer: Customer, agent_client: Client, bob
) -> None:
    # Every customer's page has this field, by this id.
    typed = "Alice asked for it " + "x" * 200
    refused = agent_client.post(url("password_reset", customer), {"reason": typed})
    assert refused.status_code == 302

    bobs = agent_client.get(reverse("backoffice:customer", kwargs={"pk": bob.user.pk}))
    assert field_value(bobs.content.decode(), "reason-password-reset") is None
    # Nor on Alice's page after that: it was for the page shown next.
    alices = agent_client.get(url("customer", customer)).content.decode()
    assert field_value(alices, "reason-password-reset") is None
