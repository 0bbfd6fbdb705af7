"""Step 2 of the activation wizard: "Where did you buy it?", and the order's email."""

from __future__ import annotations

import pytest
from django.test import Client

from plugline.devices.models import DeviceStatus, PurchaseChannel
from plugline.devices.tests.wizard_factory import described_by, fresh, make_device, wizard_at

PURCHASE = "/activate/purchase/"
ACCOUNT = "/activate/account/"

pytestmark = pytest.mark.django_db


def test_it_says_which_step_this_is(client: Client):
    wizard_at(client, "purchase")
    page = client.get(PURCHASE).content.decode()
    assert "Step 2 of 7" in page
    assert "Where did you buy it?" in page


def test_it_sends_a_browser_without_a_wizard_to_step_1(client: Client):
    response = client.get(PURCHASE)
    assert response.status_code == 302
    assert response["Location"] == "/activate/"


def test_it_sends_a_wizard_whose_device_is_no_longer_present_to_step_1(client: Client):
    activation = wizard_at(client, "purchase")
    activation.present_until = None
    activation.save()
    assert client.get(PURCHASE)["Location"] == "/activate/"


def test_it_accepts_a_device_sold_in_a_store_without_an_email(client: Client):
    activation = wizard_at(client, "purchase")
    response = client.post(PURCHASE, {"channel": "store"})
    assert response.status_code == 302
    assert response["Location"] == ACCOUNT
    assert fresh(activation).purchase_channel == PurchaseChannel.STORE


def test_it_accepts_a_device_from_stock_bought_in_a_store(client: Client):
    wizard_at(client, "purchase", device=make_device(status=DeviceStatus.IN_STOCK))
    assert client.post(PURCHASE, {"channel": "store"})["Location"] == ACCOUNT


def test_it_registers_a_device_sold_online_with_the_orders_email_in_any_case(client: Client):
    device = make_device(status=DeviceStatus.SOLD_ONLINE, order_email="Buyer@Example.com")
    activation = wizard_at(client, "purchase", device=device)
    response = client.post(PURCHASE, {"channel": "online", "order_email": "buyer@EXAMPLE.com"})
    assert response["Location"] == ACCOUNT
    activation = fresh(activation)
    assert activation.purchase_channel == PurchaseChannel.ONLINE
    assert activation.order_email_matched_at is not None


def test_it_refuses_a_device_sold_online_with_another_email(client: Client):
    device = make_device(status=DeviceStatus.SOLD_ONLINE, order_email="buyer@example.com")
    activation = wizard_at(client, "purchase", device=device)
    response = client.post(PURCHASE, {"channel": "online", "order_email": "thief@example.com"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "This email does not match the order for this device." in page
    # What was typed stays.
    assert 'value="thief@example.com"' in page
    assert fresh(activation).order_email_matched_at is None
    # And the next step stays closed.
    assert client.get(ACCOUNT)["Location"] == PURCHASE


def test_it_refuses_a_device_sold_online_said_to_be_bought_in_a_store(client: Client):
    device = make_device(status=DeviceStatus.SOLD_ONLINE, order_email="buyer@example.com")
    activation = wizard_at(client, "purchase", device=device)
    page = client.post(PURCHASE, {"channel": "store"}).content.decode()
    assert "This device was sold on our website." in page
    assert fresh(activation).purchase_channel == ""


def test_it_tells_that_a_device_sold_in_a_store_has_no_web_order(client: Client):
    wizard_at(client, "purchase")
    page = client.post(
        PURCHASE, {"channel": "online", "order_email": "buyer@example.com"}
    ).content.decode()
    assert "We have no order from our website for this device." in page


def test_it_asks_for_the_email_of_an_online_order(client: Client):
    wizard_at(client, "purchase")
    page = client.post(PURCHASE, {"channel": "online"}).content.decode()
    assert "Enter the email you gave when you ordered the device." in page
    assert described_by(page, "id_order_email") == {
        "id_order_email_error",
        "id_order_email_helptext",
    }


def test_it_asks_to_choose_where(client: Client):
    wizard_at(client, "purchase")
    page = client.post(PURCHASE, {}).content.decode()
    assert "Choose where you bought the device." in page
    assert 'aria-describedby="id_channel_error"' in page


def test_it_stops_guessing_the_orders_email_after_5_wrong_tries(client: Client):
    device = make_device(status=DeviceStatus.SOLD_ONLINE, order_email="buyer@example.com")
    activation = wizard_at(client, "purchase", device=device)
    for n in range(5):
        guess = {"channel": "online", "order_email": f"guess{n}@example.com"}
        assert client.post(PURCHASE, guess).status_code == 200
    right = {"channel": "online", "order_email": "buyer@example.com"}
    response = client.post(PURCHASE, right)
    assert response.status_code == 429
    assert "Too many tries with a wrong email." in response.content.decode()
    assert fresh(activation).order_email_matched_at is None


def test_it_lets_a_right_email_through_after_a_few_typing_mistakes(client: Client):
    device = make_device(status=DeviceStatus.SOLD_ONLINE, order_email="buyer@example.com")
    wizard_at(client, "purchase", device=device)
    for typo in ("buyer@exmaple.com", "buyr@example.com"):
        client.post(PURCHASE, {"channel": "online", "order_email": typo})
    right = {"channel": "online", "order_email": "buyer@example.com"}
    assert client.post(PURCHASE, right)["Location"] == ACCOUNT


def test_it_shows_the_answer_given_before_when_coming_back(client: Client):
    wizard_at(client, "account")
    page = client.get(PURCHASE).content.decode()
    assert 'value="store" id="id_channel_1" required checked>' in page
    assert 'value="online" id="id_channel_0" required>' in page
    # Changing the answer is saved too.
    assert client.post(PURCHASE, {"channel": "store"})["Location"] == ACCOUNT


def test_it_lets_a_released_device_be_registered_as_bought_in_a_store(client: Client):
    device = make_device(status=DeviceStatus.RELEASED, order_email="first@example.com")
    wizard_at(client, "purchase", device=device)
    assert client.post(PURCHASE, {"channel": "store"})["Location"] == ACCOUNT
