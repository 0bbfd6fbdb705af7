"""Renew online in the portal: the renew page, the cart, checkout, invoices, the renew link.

Payments go to the sandbox gateway: cards are put on file through its card
page, outcomes come from its test cards and its configuration, and what was
charged is read from its own records.
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import Subscriber, make_subscriber
from plugline.billing.gateways.sandbox import SandboxGateway
from plugline.billing.models import CartItem, Payment, Subscription, SubscriptionPeriod
from plugline.billing.tests.factories import (
    CARD_DECLINED_WHEN_CHARGED,
    CARD_NEEDS_AUTHENTICATION,
    card_on_file,
    plan_make,
    subscription_make,
)
from plugline.notifications.models import OutboxMessage
from plugline.sandbox_gateway import services as psp
from plugline.sandbox_gateway.models import SandboxCharge

DECLINED = "Your card was declined. Nothing was charged. Try another card."


@pytest.fixture
def shop(client: Client, gateway: SandboxGateway) -> dict:
    """Dana, signed in, with two devices in service and a Visa on file; two plans."""
    bob = make_subscriber("dana@example.com", numbers=("+13105550100", "+14165550148"))
    year = plan_make("year", 12, 4999)
    month = plan_make("month", 1, 599)
    first = subscription_make(bob.devices[0], days_left=20)
    second = subscription_make(bob.devices[1], days_left=40)
    card = card_on_file(bob.user)
    client.force_login(bob.user)
    return {
        "bob": bob,
        "year": year,
        "month": month,
        "first": first,
        "second": second,
        "card": card,
    }


def _add(client: Client, device_serial: str, plan: str = "year"):
    return client.post(reverse("checkout:renew"), {"device": device_serial, "plan": plan})


def _pay_form(client: Client, card_id: int) -> dict:
    """The Pay form as the checkout page renders it, with this card chosen."""
    page = client.get(reverse("checkout:checkout")).content.decode()
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    total = re.search(r'name="total" value="([^"]+)"', page)
    assert key and total, page
    return {"card": card_id, "idempotency_key": key.group(1), "total": total.group(1)}


def test_it_lists_each_device_with_its_end_date_and_the_plans(shop: dict, client: Client) -> None:
    page = client.get(reverse("checkout:renew")).content.decode()
    for device in shop["bob"].devices:
        assert device.serial in page
    assert "active until" in page
    assert "$49.99" in page and "$5.99" in page


def test_it_offers_reactivate_for_a_device_that_expired_recently(
    shop: dict, client: Client
) -> None:
    Subscription.objects.filter(pk=shop["first"].pk).update(
        ends_at=timezone.now() - timedelta(days=30)
    )
    assert "Reactivate" in client.get(reverse("checkout:renew")).content.decode()


def test_it_keeps_one_plan_per_device_in_the_cart(shop: dict, client: Client) -> None:
    serial = shop["bob"].devices[0].serial
    assert _add(client, serial, "month").status_code == 302
    _add(client, serial, "year")
    _add(client, shop["bob"].devices[1].serial, "month")
    items = CartItem.objects.filter(user=shop["bob"].user).order_by("added_at")
    assert [(i.subscription.device.serial, i.plan.code) for i in items] == [
        (serial, "year"),
        (shop["bob"].devices[1].serial, "month"),
    ]
    page = client.get(reverse("checkout:cart")).content.decode()
    assert "$55.98" in page


def test_it_refuses_someone_elses_device(shop: dict, alice: Subscriber, client: Client) -> None:
    response = _add(client, alice.devices[0].serial)
    assert response.status_code == 200
    assert not CartItem.objects.exists()


def test_it_removes_an_item_but_not_someone_elses(shop: dict, alice: Subscriber) -> None:
    bob_client, alice_client = Client(), Client()
    bob_client.force_login(shop["bob"].user)
    alice_client.force_login(alice.user)
    _add(bob_client, shop["bob"].devices[0].serial)
    item = CartItem.objects.get()
    alice_client.post(reverse("checkout:cart_remove", kwargs={"item_id": item.pk}))
    assert CartItem.objects.exists()
    bob_client.post(reverse("checkout:cart_remove", kwargs={"item_id": item.pk}))
    assert not CartItem.objects.exists()


def test_paying_renews_only_the_chosen_device_and_empties_the_cart(
    shop: dict, client: Client, gateway: SandboxGateway
) -> None:
    first_end, second_end = shop["first"].ends_at, shop["second"].ends_at
    _add(client, shop["bob"].devices[0].serial)
    response = client.post(reverse("checkout:checkout"), _pay_form(client, shop["card"].pk))
    payment = Payment.objects.get()
    assert response.status_code == 302
    charge = SandboxCharge.objects.get()
    assert (charge.id, charge.idempotency_key) == (
        payment.gateway_charge_id,
        payment.idempotency_key,
    )
    assert (charge.status, charge.amount, charge.currency) == ("succeeded", 4999, "USD")
    assert response["Location"] == reverse("checkout:done", kwargs={"payment_id": payment.pk})
    renewed = Subscription.objects.get(pk=shop["first"].pk).ends_at
    assert renewed is not None and renewed.year == first_end.year + 1
    assert Subscription.objects.get(pk=shop["second"].pk).ends_at == second_end
    assert not CartItem.objects.exists()
    done = client.get(response["Location"]).content.decode()
    assert "Thank you" in done and "ending in 4242" in done
    receipt = OutboxMessage.objects.get(template="billing/email/receipt")
    assert receipt.to_email == "dana@example.com"
    assert "4242" in receipt.body_text and "$49.99" in receipt.body_text
    assert f"Invoice {payment.invoice_number}".lower() in receipt.subject.lower()


def test_the_receipt_is_in_the_recipients_language(
    shop: dict, client: Client, gateway: SandboxGateway
) -> None:
    user = shop["bob"].user
    user.language = "fr"
    user.save()
    _add(client, shop["bob"].devices[0].serial)
    client.post(reverse("checkout:checkout"), _pay_form(client, shop["card"].pk))
    receipt = OutboxMessage.objects.get(template="billing/email/receipt")
    assert receipt.language == "fr"
    assert "49,99" in receipt.body_text


def test_a_second_pay_with_the_same_key_charges_once(
    shop: dict, client: Client, gateway: SandboxGateway, charges_asked: list[str]
) -> None:
    _add(client, shop["bob"].devices[0].serial)
    form = _pay_form(client, shop["card"].pk)
    first = client.post(reverse("checkout:checkout"), form)
    second = client.post(reverse("checkout:checkout"), form)
    assert first["Location"] == second["Location"]
    assert Payment.objects.count() == 1
    assert charges_asked == [form["idempotency_key"]]  # the second Pay is not sent again
    assert SandboxCharge.objects.filter(idempotency_key=form["idempotency_key"]).count() == 1
    assert SandboxCharge.objects.count() == 1
    assert SubscriptionPeriod.objects.count() == 1


def test_a_declined_card_changes_nothing_and_keeps_the_cart(
    shop: dict, client: Client, gateway: SandboxGateway
) -> None:
    card = card_on_file(shop["bob"].user, CARD_DECLINED_WHEN_CHARGED)
    _add(client, shop["bob"].devices[0].serial)
    form = _pay_form(client, card.pk)
    key = form["idempotency_key"]
    response = client.post(reverse("checkout:checkout"), form)
    page = response.content.decode()
    assert response.status_code == 200
    assert DECLINED in page
    charge = SandboxCharge.objects.get()
    assert (charge.idempotency_key, charge.status, charge.decline_code) == (
        key,
        "declined",
        "card_declined",
    )
    assert key not in page  # the next try is a new intent
    assert CartItem.objects.count() == 1
    assert Subscription.objects.get(pk=shop["first"].pk).ends_at == shop["first"].ends_at


def test_a_lost_answer_says_not_to_pay_again(
    shop: dict, client: Client, gateway: SandboxGateway
) -> None:
    psp.config_set(timeout_rate=1.0)  # the sandbox charges; its answer never comes back
    _add(client, shop["bob"].devices[0].serial)
    form = _pay_form(client, shop["card"].pk)
    page = client.post(reverse("checkout:checkout"), form).content.decode()
    assert "Do not pay again" in page
    assert SandboxCharge.objects.get().status == "succeeded"
    assert SubscriptionPeriod.objects.count() == 0  # not renewed on a guess
    psp.config_set(timeout_rate=0.0)
    payment = Payment.objects.get()
    response = client.get(reverse("checkout:payment_return", kwargs={"payment_id": payment.pk}))
    assert response["Location"] == reverse("checkout:done", kwargs={"payment_id": payment.pk})
    charge = SandboxCharge.objects.get()  # exactly one charge at the gateway
    assert (charge.idempotency_key, charge.status) == (form["idempotency_key"], "succeeded")
    assert SubscriptionPeriod.objects.count() == 1


def test_someone_elses_card_cannot_pay(
    shop: dict, client: Client, gateway: SandboxGateway, alice: Subscriber
) -> None:
    alice_card = card_on_file(alice.user, "4111 1111 1111 1111")
    assert alice_card.last4 == "1111"
    _add(client, shop["bob"].devices[0].serial)
    response = client.post(reverse("checkout:checkout"), _pay_form(client, alice_card.pk))
    assert response.status_code == 200
    assert not Payment.objects.exists()
    assert not SandboxCharge.objects.exists()


def test_invoices_list_every_payment_and_download_as_pdf(
    shop: dict, client: Client, gateway: SandboxGateway, alice: Subscriber
) -> None:
    _add(client, shop["bob"].devices[0].serial)
    client.post(reverse("checkout:checkout"), _pay_form(client, shop["card"].pk))
    number = Payment.objects.get().invoice_number
    listing = client.get(reverse("checkout:invoices")).content.decode()
    assert f"Invoice {number}" in listing and "$49.99" in listing
    page = client.get(reverse("checkout:invoice", kwargs={"number": number})).content.decode()
    assert "ending in 4242" in page
    pdf = client.get(reverse("checkout:invoice_pdf", kwargs={"number": number}))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    other = Client()
    other.force_login(alice.user)
    assert other.get(reverse("checkout:invoice", kwargs={"number": number})).status_code == 404
    assert other.get(reverse("checkout:invoice_pdf", kwargs={"number": number})).status_code == 404


def test_renew_pages_ask_to_sign_in(db: None) -> None:
    page = Client().get(reverse("checkout:renew")).content.decode()
    assert "Sign in to renew" in page
    assert reverse("checkout:renew_link") in page  # or renew without signing in
    for name in ("checkout:cart", "checkout:checkout", "checkout:invoices"):
        response = Client().get(reverse(name))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def _link_from_outbox() -> str:
    body = OutboxMessage.objects.get(template="billing/email/renew_link").body_text
    match = re.search(r"https?://\S+/renew/link/(\S+)/", body)
    assert match, body
    return reverse("checkout:renew_link_open", kwargs={"token": match.group(1)})


def test_the_renew_link_answer_never_tells_whether_an_account_exists(alice: Subscriber) -> None:
    client = Client()
    known = client.post(reverse("checkout:renew_link"), {"email": "(212) 555-0147"})
    unknown = client.post(reverse("checkout:renew_link"), {"email": "nobody@example.com"})
    assert known["Location"] == unknown["Location"] == reverse("checkout:renew_link_sent")
    assert OutboxMessage.objects.filter(to_email=alice.email).count() == 1


def test_the_renew_link_opens_checkout_once_without_signing_in(alice: Subscriber) -> None:
    plan_make()
    Client().post(reverse("checkout:renew_link"), {"email": alice.email})
    link = _link_from_outbox()
    client = Client()
    assert client.get(link).status_code == 200  # an email scanner's visit uses nothing
    assert client.post(link)["Location"] == reverse("checkout:renew")
    page = client.get(reverse("checkout:renew"))
    assert page.status_code == 200 and alice.devices[0].serial in page.content.decode()
    _add(client, alice.devices[0].serial)
    assert CartItem.objects.filter(user=alice.user).count() == 1
    # Not signed in to the rest of the portal.
    assert client.get(reverse("portal:home")).status_code == 302
    assert client.get(reverse("checkout:invoices")).status_code == 302
    # Once only.
    again = Client().post(link)
    assert "This link no longer works" in again.content.decode()


def test_the_renew_link_lasts_one_hour(alice: Subscriber) -> None:
    Client().post(reverse("checkout:renew_link"), {"email": alice.email})
    link = _link_from_outbox()
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        assert "This link no longer works" in Client().post(link).content.decode()


def test_the_renew_link_is_rate_limited(alice: Subscriber) -> None:
    client = Client()
    statuses = [
        client.post(reverse("checkout:renew_link"), {"email": alice.email}).status_code
        for _ in range(6)
    ]
    assert statuses[:5] == [302] * 5 and statuses[5] == 429
    assert OutboxMessage.objects.filter(template="billing/email/renew_link").count() == 5


def test_someone_signed_in_as_another_account_is_not_switched(alice: Subscriber) -> None:
    other = make_subscriber("carol@example.com", numbers=("+13125550100",))
    Client().post(reverse("checkout:renew_link"), {"email": alice.email})
    link = _link_from_outbox()
    client = Client()
    client.force_login(other.user)
    assert "This link no longer works" in client.post(link).content.decode()


def test_a_card_that_needs_authentication_goes_to_the_bank_and_comes_back_settled(
    shop: dict, client: Client, gateway: SandboxGateway
) -> None:
    card = card_on_file(shop["bob"].user, CARD_NEEDS_AUTHENTICATION)
    _add(client, shop["bob"].devices[0].serial)
    response = client.post(reverse("checkout:checkout"), _pay_form(client, card.pk))
    payment = Payment.objects.get()
    charge = SandboxCharge.objects.get()
    assert charge.status == "requires_action"
    back = reverse("checkout:payment_return", kwargs={"payment_id": payment.pk})
    bank = reverse("sandbox_gateway:authenticate", args=[charge.id])
    assert response["Location"].startswith(f"{bank}?return_url=")
    assert back.replace("/", "%2F") in response["Location"]
    assert SubscriptionPeriod.objects.count() == 0
    # Coming back without approving renews nothing.
    assert client.get(back).status_code == 200  # still waiting for the bank
    assert SubscriptionPeriod.objects.count() == 0
    # The cardholder approves on the bank's page, which sends them back.
    approved = client.post(response["Location"], {"answer": "approve"})
    assert approved.status_code == 302
    assert urlsplit(approved["Location"]).path == back
    assert client.get(approved["Location"])["Location"] == reverse(
        "checkout:done", kwargs={"payment_id": payment.pk}
    )
    assert SubscriptionPeriod.objects.count() == 1
    assert not CartItem.objects.exists()
    assert SandboxCharge.objects.get().status == "succeeded"


def test_a_cart_changed_in_another_tab_is_shown_again_before_paying(
    shop: dict, client: Client, gateway: SandboxGateway
) -> None:
    _add(client, shop["bob"].devices[0].serial)
    form = _pay_form(client, shop["card"].pk)
    _add(client, shop["bob"].devices[1].serial)  # another tab
    page = client.post(reverse("checkout:checkout"), form).content.decode()
    assert "Your cart changed meanwhile. Check the total, then pay." in page
    assert "$99.98" in page
    assert not SandboxCharge.objects.exists() and not Payment.objects.exists()


def _pdf_text(content: bytes) -> str:
    """The text drawn on a PDF's pages (fpdf2 compresses each page's stream)."""
    import zlib

    text = ""
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S):
        try:
            text += zlib.decompress(stream).decode("latin-1")
        except zlib.error:
            text += stream.decode("latin-1")
    return text


def test_the_invoice_pdf_says_what_was_paid_and_nothing_more(
    shop: dict, client: Client, gateway: SandboxGateway
) -> None:
    _add(client, shop["bob"].devices[0].serial)
    client.post(reverse("checkout:checkout"), _pay_form(client, shop["card"].pk))
    payment = Payment.objects.get()
    pdf = client.get(reverse("checkout:invoice_pdf", kwargs={"number": payment.invoice_number}))
    text = _pdf_text(pdf.content)
    for expected in (
        f"Invoice {payment.invoice_number}",
        "Alice Archer",
        "dana@example.com",
        shop["bob"].devices[0].serial,
        "$49.99",
        "Visa ending in 4242",
    ):
        assert expected in text, expected
    for secret in (payment.idempotency_key, shop["card"].token, payment.gateway_charge_id):
        assert secret not in text
