"""The Cards page: cards added on the sandbox gateway's card page, removed, made default."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import serializers
from django.test import Client

from conftest import Subscriber
from plugline.billing.models import CustomerAccount, PaymentMethod
from plugline.billing.services import customer_for_user, subscription_for_device
from plugline.core.models import AuditAction, AuditEvent
from plugline.sandbox_gateway import services as psp
from plugline.sandbox_gateway.models import SandboxCard

pytestmark = pytest.mark.django_db

CARDS = "/account/cards/"
VISA = "4242424242424242"
MASTERCARD = "5555555555554444"
DECLINED = "4000000000000002"


def signed_in(client: Client, subscriber: Subscriber) -> Client:
    client.force_login(subscriber.user)
    return client


def add_card(client: Client, number: str = VISA, expiry: str = "12/34"):
    """Add a card as the subscriber does: Add a card, the gateway's page, back."""
    response = client.post(CARDS + "add/")
    assert response.status_code == 302
    card_page = response["Location"]
    assert card_page.startswith("/sandbox-gateway/card/")
    response = client.post(
        card_page, {"number": number, "expiry": expiry, "cvc": "123", "name": "Alice Archer"}
    )
    if response.status_code != 302:
        # Refused on the card page: the subscriber gives up and comes back.
        cancel = response.context["cancel_url"]
        return client.get(cancel, follow=True)
    back = urlsplit(response["Location"])
    assert back.path == CARDS + "added/"
    return client.get(f"{back.path}?{back.query}", follow=True)


def listed(page: str) -> list[str]:
    """The last four digits of the cards listed, in order."""
    return re.findall(r'<h2 class="email-address" id="card-\d+">.*?(\d{4})</h2>', page)


def test_it_adds_a_card_typed_on_the_gateways_page_as_the_default(
    client: Client, alice: Subscriber
):
    signed_in(client, alice)
    page = add_card(client).content.decode()
    assert "Visa ending in 4242 is saved on your account." in page
    assert "Visa" in page and "4242" in page
    assert "Expires 12/2034" in page
    assert "Default" in page
    card = PaymentMethod.objects.get(user=alice.user)
    assert (card.brand, card.last4, card.exp_month, card.exp_year) == ("Visa", "4242", 12, 2034)
    assert card.is_default
    event = AuditEvent.objects.get(action=AuditAction.CARD_ADDED)
    assert event.user_id == alice.user.pk
    assert event.data == {"brand": "Visa", "last4": "4242"}


def test_it_never_keeps_the_card_number_or_code(client: Client, alice: Subscriber):
    signed_in(client, alice)
    add_card(client)
    add_card(client, MASTERCARD)
    dump = serializers.serialize(
        "json",
        [
            *PaymentMethod.objects.all(),
            *AuditEvent.objects.all(),
            *CustomerAccount.objects.all(),
            *SandboxCard.objects.all(),
        ],
    )
    assert VISA not in dump
    assert MASTERCARD not in dump
    assert "4242 4242" not in dump


def test_a_second_card_is_not_the_default_until_made_so(client: Client, alice: Subscriber):
    signed_in(client, alice)
    add_card(client)
    page = add_card(client, MASTERCARD).content.decode()
    assert "Mastercard ending in 4444 is saved on your account." in page
    visa = PaymentMethod.objects.get(last4="4242")
    mastercard = PaymentMethod.objects.get(last4="4444")
    assert visa.is_default and not mastercard.is_default
    # The default is listed first.
    assert listed(page) == ["4242", "4444"]

    page = client.post(f"{CARDS}{mastercard.pk}/default/", follow=True).content.decode()
    assert "Mastercard ending in 4444 is now your default card." in page
    visa.refresh_from_db()
    mastercard.refresh_from_db()
    assert mastercard.is_default and not visa.is_default
    assert listed(page) == ["4444", "4242"]
    event = AuditEvent.objects.get(action=AuditAction.DEFAULT_CARD_CHANGED)
    assert event.data == {"brand": "Mastercard", "last4": "4444"}


def test_it_removes_a_card_after_asking_and_the_other_becomes_default(
    client: Client, alice: Subscriber
):
    signed_in(client, alice)
    add_card(client)
    add_card(client, MASTERCARD)
    visa = PaymentMethod.objects.get(last4="4242")
    page = client.get(f"{CARDS}{visa.pk}/remove/").content.decode()
    assert "Remove this card?" in page
    assert "Visa ending in 4242" in page
    assert "Your most recently added other card becomes the default." in page
    # Asking changed nothing.
    assert PaymentMethod.objects.filter(removed_at__isnull=True).count() == 2

    page = client.post(f"{CARDS}{visa.pk}/remove/", follow=True).content.decode()
    assert "Visa ending in 4242 is removed." in page
    visa.refresh_from_db()
    assert visa.removed_at is not None and not visa.is_default
    assert PaymentMethod.objects.get(last4="4444").is_default
    assert listed(page) == ["4444"]
    # The gateway forgot it too: it can no longer be charged.
    assert not SandboxCard.objects.filter(token=visa.token, removed_at__isnull=True).exists()
    assert AuditEvent.objects.get(action=AuditAction.CARD_REMOVED).data == {
        "brand": "Visa",
        "last4": "4242",
    }


def test_removing_the_last_card_warns_about_autorenew(client: Client, alice: Subscriber):
    signed_in(client, alice)
    add_card(client)
    subscription = subscription_for_device(device=alice.devices[0])
    subscription.autorenew = True
    subscription.save()
    card = PaymentMethod.objects.get()
    page = client.get(f"{CARDS}{card.pk}/remove/").content.decode()
    assert "AutoRenew is on for 1 device: without a card it cannot renew it." in page
    client.post(f"{CARDS}{card.pk}/remove/")
    assert "There is no card on your account yet." in client.get(CARDS).content.decode()


def test_a_card_refused_by_the_gateway_is_not_added(client: Client, alice: Subscriber):
    signed_in(client, alice)
    page = add_card(client, DECLINED).content.decode()
    assert "No card was added. If your card was refused, try another one" in page
    assert not PaymentMethod.objects.exists()


def test_coming_back_twice_from_the_card_page_adds_the_card_once(client: Client, alice: Subscriber):
    signed_in(client, alice)
    card_page = client.post(CARDS + "add/")["Location"]
    back = client.post(
        card_page, {"number": VISA, "expiry": "12/34", "cvc": "123", "name": "Alice Archer"}
    )["Location"]
    client.get(back)
    client.get(back)
    assert PaymentMethod.objects.count() == 1
    assert AuditEvent.objects.filter(action=AuditAction.CARD_ADDED).count() == 1


def test_another_accounts_card_and_card_session_are_out_of_reach(
    client: Client, alice: Subscriber, bob: Subscriber
):
    signed_in(client, alice)
    card_page = client.post(CARDS + "add/")["Location"]
    back = client.post(
        card_page, {"number": VISA, "expiry": "12/34", "cvc": "123", "name": "Alice Archer"}
    )["Location"]
    # Bob opens Alice's return link: the session is not his customer's.
    bobs_browser = signed_in(Client(), bob)
    page = bobs_browser.get(back, follow=True).content.decode()
    assert "Aucune carte n’a été ajoutée." in page  # noqa: RUF001 (Bob reads French)
    assert not PaymentMethod.objects.filter(user=bob.user).exists()
    client.get(back)
    alices = PaymentMethod.objects.get(user=alice.user)
    assert bobs_browser.get(f"{CARDS}{alices.pk}/remove/").status_code == 404
    assert bobs_browser.post(f"{CARDS}{alices.pk}/remove/").status_code == 404
    assert bobs_browser.post(f"{CARDS}{alices.pk}/default/").status_code == 404
    alices.refresh_from_db()
    assert alices.removed_at is None
    assert "4242" not in bobs_browser.get(CARDS).content.decode()


def test_a_removed_card_cannot_be_made_default_or_removed_again(client: Client, alice: Subscriber):
    signed_in(client, alice)
    add_card(client)
    card = PaymentMethod.objects.get()
    client.post(f"{CARDS}{card.pk}/remove/")
    assert client.post(f"{CARDS}{card.pk}/default/").status_code == 404
    assert client.post(f"{CARDS}{card.pk}/remove/").status_code == 404


@time_machine.travel(dt.datetime(2026, 11, 29, 12, tzinfo=dt.UTC), tick=False)
def test_it_says_which_cards_have_expired_or_expire_soon(client: Client, alice: Subscriber):
    signed_in(client, alice)
    add_card(client, expiry="12/26")
    add_card(client, MASTERCARD, expiry="12/34")
    PaymentMethod.objects.filter(last4="4444").update(exp_month=10, exp_year=2026)
    page = client.get(CARDS).content.decode()
    visa_part = page[page.index("4242") : page.index("Expires 12/2026") + 40]
    assert "Expires soon" in visa_part
    master_part = page[page.index("4444") :]
    assert "Expired" in master_part
    assert "Expires 10/2026" in master_part
    assert "This card can no longer be charged." in master_part


def test_it_needs_signing_in_and_a_post_to_change_anything(client: Client, alice: Subscriber):
    assert client.get(CARDS)["Location"].startswith("/accounts/login/")
    assert client.post(CARDS + "add/")["Location"].startswith("/accounts/login/")
    signed_in(client, alice)
    assert client.get(CARDS + "add/").status_code == 405


def test_the_account_page_links_to_the_cards(client: Client, alice: Subscriber):
    signed_in(client, alice)
    page = client.get("/account/").content.decode()
    assert f'href="{CARDS}"' in page
    assert "Manage your cards" in page


def test_adding_cards_is_rate_limited(client: Client, alice: Subscriber, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "card_add": "2/h/user"}
    signed_in(client, alice)
    assert client.post(CARDS + "add/").status_code == 302
    assert client.post(CARDS + "add/").status_code == 302
    assert client.post(CARDS + "add/").status_code == 429


def test_it_says_so_when_the_gateway_cannot_be_reached(client: Client, alice: Subscriber):
    signed_in(client, alice)
    psp.config_set(failure_rate=1.0)
    page = client.post(CARDS + "add/", follow=True).content.decode()
    assert "The card page cannot be reached just now. Try again in a minute." in page


def test_the_customer_at_the_gateway_is_made_once(alice: Subscriber):
    first = customer_for_user(user=alice.user)
    CustomerAccount.objects.all().delete()
    # The gateway answers the same idempotency key with the same customer.
    assert customer_for_user(user=alice.user).gateway_customer_id == first.gateway_customer_id
    assert customer_for_user(user=alice.user) == CustomerAccount.objects.get()


def test_after_a_change_of_gateway_the_account_gets_the_new_gateways_customer(
    alice: Subscriber,
):
    CustomerAccount.objects.create(user=alice.user, gateway="oldpsp", gateway_customer_id="c_1")
    customer = customer_for_user(user=alice.user)
    assert customer.gateway == "sandbox"
    assert customer.gateway_customer_id != "c_1"
    assert CustomerAccount.objects.get() == customer
