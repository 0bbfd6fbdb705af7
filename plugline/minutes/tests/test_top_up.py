"""Buying international minutes by card: the balance is credited once per payment, the receipt
and the invoice say "International minutes", declines, the bank's approval and lost answers
are handled as for any payment, and a second tab or click never charges twice."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import Subscriber, sign_in_with_two_factor
from plugline.billing.models import Payment, PaymentStatus
from plugline.billing.payments import payments_settle_unknown
from plugline.billing.receipts import invoice_lines
from plugline.billing.tests.factories import (
    CARD_DECLINED_WHEN_CHARGED,
    CARD_NEEDS_AUTHENTICATION,
    CARD_SUCCEEDS,
    card_on_file,
    sandbox_reset,
)
from plugline.minutes.models import MinutesEntry, MinutesTopUp, TopUpStatus
from plugline.minutes.selectors import minutes_balance
from plugline.notifications.models import OutboxMessage
from plugline.sandbox_gateway import services as psp
from plugline.sandbox_gateway.models import SandboxCharge

pytestmark = pytest.mark.django_db

PAGE = "/account/minutes/"


@pytest.fixture(autouse=True)
def _amounts(settings) -> None:
    settings.MINUTES_TOP_UP_AMOUNTS = ["500", "1000", "2000"]
    settings.BILLING_CURRENCY = "USD"
    sandbox_reset()


def form_fields(page: str, amount: str = "1000") -> dict[str, str]:
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    seen = re.search(r'name="last_seen" value="([^"]+)"', page)
    card = re.search(r'name="card" value="([^"]+)"[^>]*checked', page)
    assert key and seen and card, page
    return {"idempotency_key": key[1], "last_seen": seen[1], "card": card[1], "amount": amount}


def signed_in(subscriber: Subscriber, client: Client, card: str = CARD_SUCCEEDS) -> Client:
    card_on_file(subscriber.user, card)
    client.force_login(subscriber.user)
    return client


def test_it_adds_the_amount_chosen_to_the_balance_with_a_receipt_and_an_invoice(
    alice: Subscriber, client: Client
) -> None:
    signed_in(alice, client)
    page = client.get(PAGE).content.decode()
    assert "$0.00" in page
    assert all(amount in page for amount in ("$5.00", "$10.00", "$20.00"))

    done = client.post(PAGE, form_fields(page, "2000"), follow=True)

    assert "Done: $20.00 was added to your international balance." in done.content.decode()
    assert "$20.00" in client.get(PAGE).content.decode()
    assert minutes_balance(user=alice.user) == 2000
    payment = Payment.objects.get()
    assert (payment.status, payment.amount, payment.kind) == ("succeeded", 2000, "minutes_top_up")
    assert MinutesEntry.objects.get().payment == payment
    receipt = OutboxMessage.objects.get(template="billing/email/receipt")
    assert "International minutes, $20.00" in receipt.body_text
    assert "()" not in receipt.body_text
    [line] = invoice_lines(payment, "fr")
    assert line.plan == "Minutes internationales"
    invoice = client.get(
        reverse("checkout:invoice", kwargs={"number": payment.invoice_number})
    ).content.decode()
    assert "International minutes:" in invoice


def test_a_second_click_or_a_retry_charges_once_and_credits_once(
    alice: Subscriber, client: Client
) -> None:
    signed_in(alice, client)
    fields = form_fields(client.get(PAGE).content.decode())

    client.post(PAGE, fields)
    again = client.post(PAGE, fields, follow=True)

    assert "Done: $10.00 was added" in again.content.decode()
    assert SandboxCharge.objects.count() == 1
    assert Payment.objects.count() == 1
    assert minutes_balance(user=alice.user) == 1000


def test_a_page_shown_before_another_top_up_is_shown_again_not_charged(
    alice: Subscriber, client: Client
) -> None:
    signed_in(alice, client)
    first_tab = form_fields(client.get(PAGE).content.decode())
    second_tab = form_fields(client.get(PAGE).content.decode())
    client.post(PAGE, first_tab)

    refused = client.post(PAGE, second_tab, follow=True)

    page = refused.content.decode()
    assert "Minutes were bought from another page meanwhile, and nothing more was charged." in page
    assert SandboxCharge.objects.count() == 1
    assert minutes_balance(user=alice.user) == 1000
    # The page shown again can buy more, on purpose.
    client.post(PAGE, form_fields(page, "500"))
    assert SandboxCharge.objects.count() == 2
    assert minutes_balance(user=alice.user) == 1500


def test_a_declined_card_credits_nothing_and_another_try_is_possible(
    alice: Subscriber, client: Client
) -> None:
    signed_in(alice, client, CARD_DECLINED_WHEN_CHARGED)

    declined = client.post(PAGE, form_fields(client.get(PAGE).content.decode()), follow=True)

    page = declined.content.decode()
    assert "Your card was declined. Nothing was charged" in page
    assert minutes_balance(user=alice.user) == 0
    assert MinutesTopUp.objects.get().status == TopUpStatus.DECLINED
    assert 'name="idempotency_key"' in page  # ready to try again


def test_a_payment_the_bank_must_approve_credits_once_approved(
    alice: Subscriber, client: Client
) -> None:
    signed_in(alice, client, CARD_NEEDS_AUTHENTICATION)
    fields = form_fields(client.get(PAGE).content.decode())

    to_bank = client.post(PAGE, fields)

    bank_url, _, query = to_bank["Location"].partition("?")
    assert bank_url.startswith("/sandbox-gateway/authenticate/")
    back = parse_qs(query)["return_url"][0]
    waiting = client.get(PAGE).content.decode()
    assert "A top-up is waiting for its payment" in waiting
    assert 'name="idempotency_key"' not in waiting
    other_tab = client.post(PAGE, {**fields, "idempotency_key": "pay_another"}, follow=True)
    assert "Your bank asked you to approve this payment" in other_tab.content.decode()
    assert minutes_balance(user=alice.user) == 0

    assert Client().post(bank_url, {"answer": "approve"}).status_code == 200
    done = client.get(back, follow=True)
    client.get(back, follow=True)  # back twice (a reload)

    assert "Done: $10.00 was added" in done.content.decode()
    assert SandboxCharge.objects.count() == 1
    assert minutes_balance(user=alice.user) == 1000


def test_a_lost_answer_waits_and_the_settle_job_credits_once(
    alice: Subscriber, client: Client
) -> None:
    signed_in(alice, client)
    fields = form_fields(client.get(PAGE).content.decode())
    psp.config_set(timeout_rate=1.0)  # the sandbox charges; its answer never comes back

    lost = client.post(PAGE, fields)

    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.UNKNOWN
    assert lost["Location"] == reverse("minutes:payment", kwargs={"payment_id": payment.pk})
    assert "A top-up is waiting for its payment" in client.get(PAGE).content.decode()
    assert minutes_balance(user=alice.user) == 0
    psp.config_set(timeout_rate=0.0)
    with time_machine.travel(timezone.now() + timedelta(minutes=3)):
        assert payments_settle_unknown() == 1
    assert Payment.objects.get().status == PaymentStatus.SUCCEEDED
    client.post(PAGE, fields)  # the retry after the timeout: the same payment
    assert SandboxCharge.objects.count() == 1
    assert minutes_balance(user=alice.user) == 1000


def test_an_amount_not_on_sale_is_refused_in_the_subscribers_language(
    alice: Subscriber, client: Client
) -> None:
    alice.user.language = "fr"
    alice.user.save()
    signed_in(alice, client)
    page = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    refused = client.post(PAGE, form_fields(page, "1"), HTTP_ACCEPT_LANGUAGE="fr")

    assert refused.status_code == 400
    assert "Choisissez l\u2019un des montants proposés." in refused.content.decode()
    assert not Payment.objects.exists()


def test_another_accounts_payment_page_is_not_found(
    alice: Subscriber, bob: Subscriber, client: Client
) -> None:
    signed_in(alice, client)
    client.post(PAGE, form_fields(client.get(PAGE).content.decode()))
    payment = Payment.objects.get()
    client.force_login(bob.user)
    response = client.get(reverse("minutes:payment", kwargs={"payment_id": payment.pk}))
    assert response.status_code == 404


def test_the_invoices_list_says_a_top_up_was_for_international_minutes(
    alice: Subscriber, client: Client
) -> None:
    signed_in(alice, client)
    client.post(PAGE, form_fields(client.get(PAGE).content.decode()))

    listing = client.get(reverse("checkout:invoices")).content.decode()

    assert re.search(r'<p class="meta">\s*International minutes\s*</p>', listing), listing


def test_it_says_a_page_is_out_of_date_in_the_readers_language_without_a_field_name(
    alice: Subscriber, client: Client
) -> None:
    """The page's own hidden fields have no name a reader knows: their message stands alone."""
    alice.user.language = "fr"
    alice.user.save(update_fields=["language"])
    signed_in(alice, client)
    page = client.get(PAGE).content.decode()
    fields = {**form_fields(page), "idempotency_key": "an old page", "last_seen": "page"}

    refused = client.post(PAGE, fields).content.decode()

    assert "Cette page n\u2019est plus à jour. Vérifiez votre solde et choisissez de nouveau." in (
        refused
    )
    assert "Saisissez un nombre entier." in refused
    assert "Idempotency key" not in refused
    assert "Last seen" not in refused
    assert not Payment.objects.exists()


def test_a_top_up_refunded_by_staff_takes_its_minutes_back_once_per_refund(
    alice: Subscriber, client: Client, staff
) -> None:
    """The card gets the money back and the balance gives the minutes back: never both kept."""
    signed_in(alice, client)
    client.post(PAGE, form_fields(client.get(PAGE).content.decode(), "2000"))
    payment = Payment.objects.get()
    assert minutes_balance(user=alice.user) == 2000
    sign_in_with_two_factor(client, staff)
    refund_page = f"/admin/billing/payment/{payment.pk}/refund/"

    client.post(refund_page, {"amount": "5.00", "reason": "Calls did not go through"})
    client.post(refund_page, {"amount": "5.00", "reason": "Calls did not go through"})

    assert Payment.objects.get().refunded_amount == 1000
    assert minutes_balance(user=alice.user) == 1000
    refunds = MinutesEntry.objects.filter(kind="refund").order_by("pk")
    assert [(entry.amount, entry.payment_id) for entry in refunds] == [
        (-500, payment.pk),
        (-500, payment.pk),
    ]
    client.force_login(alice.user)
    assert "$10.00" in client.get(PAGE).content.decode()
