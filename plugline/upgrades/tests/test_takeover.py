"""An upgrade ordered, paid, shipped and activated: the new device takes the old one's line
over once (number, service end date, AutoRenew, E911, voicemail, blocked callers, call
settings) and the old device is retired, its SIP credentials no longer accepted."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from conftest import Subscriber
from plugline.billing.models import Subscription
from plugline.billing.tests.factories import (
    CARD_SUCCEEDS,
    card_on_file,
    make_plan,
    sandbox_reset,
)
from plugline.devices.models import Device, DeviceStatus
from plugline.devices.services import device_e911_update
from plugline.devices.tests.test_activate_code import at_code_step
from plugline.devices.tests.wizard_factory import make_numbers
from plugline.notifications.models import OutboxMessage
from plugline.telephony.models import (
    BlockedCaller,
    CallScreening,
    CallSettings,
    NumberStatus,
    PhoneNumber,
    SipAccount,
)
from plugline.telephony.sip import digest_ha1, sip_password
from plugline.telephony.tests.sip_factory import subscribers_in_view
from plugline.upgrades.models import UpgradeOrder, UpgradeOrderStatus
from plugline.upgrades.orders import UpgradeRefused, upgrade_order_cancel, upgrade_order_ship
from plugline.upgrades.takeover import upgrade_take_over
from plugline.upgrades.tests.factories import NEW_SERIAL, make_offer, make_stock_device, pay_order
from plugline.voicemail.models import Mailbox, VoicemailMessage

pytestmark = pytest.mark.django_db

OLD_NUMBER = "+12125550147"
BROOKLYN_E911 = {
    "street_address": "20 W 34th St",
    "street_address_2": "",
    "city": "New York",
    "country_area": "NY",
    "postal_code": "10001",
    "country": "US",
}


@pytest.fixture
def shipped(alice: Subscriber, staff) -> UpgradeOrder:
    """Alice's device with a year of service, AutoRenew, E911, voicemail, blocked callers and
    call settings; its upgrade paid and shipped."""
    sandbox_reset()
    old = alice.devices[0]
    plan = make_plan()
    Subscription.objects.create(
        device=old,
        plan=plan,
        ends_at=timezone.now() + dt.timedelta(days=200),
        autorenew=True,
        autorenew_plan=plan,
    )
    PhoneNumber.objects.create(
        e164=OLD_NUMBER, country="US", area_code="212", status=NumberStatus.ASSIGNED
    )
    device_e911_update(device=old, address=BROOKLYN_E911)
    Mailbox.objects.create(device=old, email_new_messages=True)
    VoicemailMessage.objects.create(
        device=old,
        caller="+14165550148",
        received_at=timezone.now(),
        duration_seconds=9,
        audio="voicemail/messages/2026/12/one.wav",
    )
    BlockedCaller.objects.create(device=old, e164="+19005550000", is_prefix=False)
    CallScreening.objects.create(device=old, refuse_anonymous=True)
    CallSettings.objects.create(device=old, ring_seconds=35, do_not_disturb=True)
    make_stock_device()
    order = pay_order(alice, make_offer(), card_on_file(alice.user, CARD_SUCCEEDS))
    return upgrade_order_ship(order=order, tracking_number="T1", new_serial=NEW_SERIAL, staff=staff)


def activate_new_device(client: Client, subscriber: Subscriber) -> Device:
    """Alice, signed in, activates the device she received through the wizard."""
    client.force_login(subscriber.user)
    number = make_numbers("312", count=1)[0]
    code = at_code_step(
        client, device=Device.objects.get(serial=NEW_SERIAL), user=subscriber.user, number=number
    )
    assert client.post("/activate/code/", {"code": code})["Location"] == "/activate/done/"
    return Device.objects.get(serial=NEW_SERIAL)


def test_the_new_device_takes_the_old_ones_line_over_when_activated(
    alice: Subscriber, shipped: UpgradeOrder, client: Client
):
    old = alice.devices[0]
    old_sip = SipAccount.objects.get(device=old)
    old_ha1 = digest_ha1(
        username=OLD_NUMBER[1:],
        domain=settings.SIP_DOMAIN,
        password=sip_password(serial=old.serial, generation=old_sip.generation),
    )
    ends_at = Subscription.objects.get(device=old).ends_at

    new = activate_new_device(client, alice)

    assert (new.owner_id, new.status, new.phone_number) == (
        alice.user.pk,
        DeviceStatus.ACTIVE,
        OLD_NUMBER,
    )
    assert new.e911_address == BROOKLYN_E911
    subscription = Subscription.objects.get(device=new)
    assert subscription.ends_at == ends_at
    assert subscription.autorenew is True
    assert subscription.autorenew_plan is not None
    assert [m.caller for m in VoicemailMessage.objects.filter(device=new)] == ["+14165550148"]
    assert Mailbox.objects.get(device=new).email_new_messages is True
    assert [b.e164 for b in BlockedCaller.objects.filter(device=new)] == ["+19005550000"]
    assert CallScreening.objects.get(device=new).refuse_anonymous is True
    call_settings = CallSettings.objects.get(device=new)
    assert (call_settings.ring_seconds, call_settings.do_not_disturb) == (35, True)
    # The old device is retired, on no account, with nothing of Alice's left on it.
    old.refresh_from_db()
    assert (old.status, old.owner_id, old.phone_number) == (DeviceStatus.RETIRED, None, None)
    assert old.e911_address == dict.fromkeys(BROOKLYN_E911, "")
    old_subscription = Subscription.objects.get(device=old)
    assert old_subscription.autorenew is False
    assert old_subscription.ends_at is not None and old_subscription.ends_at <= timezone.now()
    assert not VoicemailMessage.objects.filter(device=old).exists()
    assert not BlockedCaller.objects.filter(device=old).exists()
    # Kamailio accepts the number only with the new device's password, never the old one's.
    assert not SipAccount.objects.filter(device=old).exists()
    [(_username, _domain, _password, ha1, _ha1b)] = [
        row for row in subscribers_in_view() if row[0] == OLD_NUMBER[1:]
    ]
    assert ha1 != old_ha1
    assert SipAccount.objects.get(device=new).username == OLD_NUMBER[1:]
    # A number the wizard held for the new device goes back; the old number is the line's.
    [given] = PhoneNumber.objects.filter(area_code="312")
    assert given.status == NumberStatus.AVAILABLE
    assert PhoneNumber.objects.get(e164=OLD_NUMBER).status == NumberStatus.ASSIGNED
    # The order is taken over, once; the wizard's email names the line's number.
    shipped.refresh_from_db()
    assert shipped.new_device == new and shipped.taken_over_at is not None
    active = OutboxMessage.objects.filter(template="devices/email/device_active").get()
    assert "(212) 555-0147" in active.body_text
    # The device page of the new device shows the line; the old one's is gone.
    assert client.get(f"/devices/{old.serial}/").status_code == 404
    assert "(212) 555-0147" in client.get(f"/devices/{new.serial}/").content.decode()


def test_a_taken_over_order_is_taken_over_only_once(
    alice: Subscriber, shipped: UpgradeOrder, client: Client
):
    new = activate_new_device(client, alice)
    assert upgrade_take_over(user=alice.user, new_device=new) is None
    assert Device.objects.get(pk=new.pk).phone_number == OLD_NUMBER


def test_a_taken_over_order_can_no_longer_be_cancelled(
    alice: Subscriber, shipped: UpgradeOrder, client: Client, staff
):
    activate_new_device(client, alice)
    with pytest.raises(UpgradeRefused):
        upgrade_order_cancel(order=shipped, reason="too late", staff=staff)
    shipped.refresh_from_db()
    assert shipped.status == UpgradeOrderStatus.SHIPPED


def test_a_cancelled_order_takes_nothing_over(
    alice: Subscriber, shipped: UpgradeOrder, client: Client, staff
):
    upgrade_order_cancel(order=shipped, reason="returned", staff=staff)
    new = activate_new_device(client, alice)
    assert new.phone_number != OLD_NUMBER
    assert Device.objects.get(pk=alice.devices[0].pk).status == DeviceStatus.ACTIVE


def test_someone_else_activating_the_device_takes_nothing_over(
    alice: Subscriber, bob: Subscriber, shipped: UpgradeOrder, client: Client
):
    new = activate_new_device(client, bob)
    assert new.owner_id == bob.user.pk
    assert new.phone_number != OLD_NUMBER
    assert Device.objects.get(pk=alice.devices[0].pk).phone_number == OLD_NUMBER
    assert UpgradeOrder.objects.get(pk=shipped.pk).taken_over_at is None


def test_the_new_device_keeps_its_number_if_the_old_one_left_the_account(
    alice: Subscriber, shipped: UpgradeOrder, client: Client
):
    from plugline.devices.services import device_release

    device_release(device=alice.devices[0], keep_number=False)
    new = activate_new_device(client, alice)
    assert new.phone_number is not None and new.phone_number.startswith("+1312")
    assert UpgradeOrder.objects.get(pk=shipped.pk).taken_over_at is None


def test_the_wizard_of_the_new_device_has_no_number_to_choose(
    alice: Subscriber, shipped: UpgradeOrder, client: Client
):
    from plugline.devices.tests.wizard_factory import last_code, wizard_at

    client.force_login(alice.user)
    wizard_at(client, "number", device=Device.objects.get(serial=NEW_SERIAL), user=alice.user)
    page = client.get("/activate/number/").content.decode()
    assert "This device keeps your number" in page
    assert "(212) 555-0147" in page
    assert client.get("/activate/terms/").status_code == 200
    assert client.post("/activate/terms/", {"accept": "on"})["Location"] == "/activate/code/"
    assert "(212) 555-0147" in client.get("/activate/code/").content.decode()
    done = client.post("/activate/code/", {"code": last_code(alice.email)}, follow=True)
    assert "(212) 555-0147" in done.content.decode()
    assert Device.objects.get(serial=NEW_SERIAL).phone_number == OLD_NUMBER
    assert not PhoneNumber.objects.filter(status=NumberStatus.RESERVED).exists()


def test_an_activation_whose_line_cannot_move_is_refused_and_changes_nothing(
    alice: Subscriber, shipped: UpgradeOrder, client: Client, monkeypatch
):
    monkeypatch.setattr("plugline.upgrades.takeover.device_line_take_over", lambda **kwargs: False)
    client.force_login(alice.user)
    number = make_numbers("312", count=1)[0]
    code = at_code_step(
        client, device=Device.objects.get(serial=NEW_SERIAL), user=alice.user, number=number
    )
    page = client.post("/activate/code/", {"code": code}).content.decode()
    assert "line could not move to this one, and nothing changed" in page
    new = Device.objects.get(serial=NEW_SERIAL)
    assert (new.owner_id, new.phone_number) == (None, None)
    assert Device.objects.get(pk=alice.devices[0].pk).phone_number == OLD_NUMBER
    assert UpgradeOrder.objects.get(pk=shipped.pk).taken_over_at is None
