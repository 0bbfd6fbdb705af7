"""The admin shows money as money and reads in the staff member's language."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from conftest import Subscriber
from plugline.accounts.models import User
from plugline.billing.models import Subscription
from plugline.devices.models import DeviceModel
from plugline.minutes.models import LowBalanceSetting
from plugline.upgrades.models import UpgradeOffer


def listing(client: Client, name: str) -> str:
    response = client.get(reverse(f"admin:{name}_changelist"))
    assert response.status_code == 200
    return response.content.decode()


def test_it_shows_prices_and_amounts_in_admin_lists_as_money(
    staff_client: Client, alice: Subscriber
) -> None:
    model = DeviceModel.objects.create(code="usb-2", name="USB 2", price=7999)
    UpgradeOffer.objects.create(
        name="Spring offer", model=model, price=2999, valid_from=timezone.now()
    )
    LowBalanceSetting.objects.create(
        user=alice.user, threshold=500, amount=1000, monthly_cap=5000, currency="USD"
    )
    assert "$79.99" in listing(staff_client, "devices_devicemodel")
    assert "$29.99" in listing(staff_client, "upgrades_upgradeoffer")
    settings_page = listing(staff_client, "minutes_lowbalancesetting")
    assert "$5.00" in settings_page and "$10.00" in settings_page and "$50.00" in settings_page
    assert ">5000<" not in settings_page and ">7999<" not in settings_page


@pytest.mark.parametrize(("language", "word"), [("en", "until"), ("fr", "jusqu"), ("da", "til")])
def test_it_names_a_subscription_in_the_staff_members_language(
    alice: Subscriber, language: str, word: str
) -> None:
    subscription = Subscription.objects.create(
        device=alice.devices[0], ends_at=dt.datetime(2027, 3, 2, 12, tzinfo=dt.UTC)
    )
    with translation.override(language):
        text = str(subscription)
    assert text.startswith("PLTEST5550147 ") and word in text
    if language != "en":
        assert "until" not in text


def test_staff_read_the_admin_in_their_language(staff_client: Client, staff: User) -> None:
    staff.language = "da"
    staff.save(update_fields=["language"])
    LowBalanceSetting.objects.create(
        user=staff, threshold=500, amount=1000, monthly_cap=5000, currency="USD"
    )
    page = listing(staff_client, "minutes_lowbalancesetting")
    assert "månedligt loft" in page.lower()
