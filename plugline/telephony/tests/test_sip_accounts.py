"""SIP credentials: provisioned with the number, hashes only, rotated by staff, and listed
for Kamailio only while the service allows the line."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from conftest import make_subscriber
from plugline.core.models import AuditAction, AuditEvent
from plugline.devices.models import Device
from plugline.devices.services import device_assign, device_release
from plugline.devices.tests.test_activate_code import at_code_step
from plugline.devices.tests.wizard_factory import make_numbers
from plugline.telephony.models import SipAccount
from plugline.telephony.services import sip_credentials_rotate
from plugline.telephony.sip import sip_password
from plugline.telephony.sipview import sip_subscriber_view_write
from plugline.telephony.tests.kamailio import needs_postgres
from plugline.telephony.tests.sip_factory import (
    fetch_sip_settings,
    make_line,
    subscribers_in_view,
    usernames_in_view,
)

pytestmark = pytest.mark.django_db

ALICE = "12125550147"


def md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def test_it_gives_a_device_with_a_number_sip_credentials_stored_as_hashes_only(settings):
    settings.SIP_DOMAIN = "sip.example.net"
    alice = make_subscriber(numbers=())
    line = make_line(alice.user)

    account = SipAccount.objects.get(device=line.boxed.device)
    password = sip_password(serial=line.serial, generation=1)
    assert (account.username, account.domain, account.generation) == (
        ALICE,
        "sip.example.net",
        1,
    )
    assert len(password) >= 24
    assert account.ha1 == md5(f"{ALICE}:sip.example.net:{password}")
    assert account.ha1b == md5(f"{ALICE}@sip.example.net:sip.example.net:{password}")
    stored = [str(value) for value in SipAccount.objects.values_list().get(pk=account.pk)]
    assert password not in " ".join(stored)


def test_it_derives_a_different_password_for_each_device_generation_and_key(settings):
    first = sip_password(serial="PLS1", generation=1)
    assert first == sip_password(serial="PLS1", generation=1)
    assert first != sip_password(serial="PLS2", generation=1)
    assert first != sip_password(serial="PLS1", generation=2)
    settings.SIP_PASSWORD_KEY = "another operator's key"
    assert first != sip_password(serial="PLS1", generation=1)


def test_it_gives_the_device_activated_through_the_wizard_its_sip_account(client: Client):
    number = make_numbers("212", count=1)[0]
    code = at_code_step(client, number=number)
    client.post("/activate/code/", {"code": code})

    device = Device.objects.get(activations__status="completed")
    assert SipAccount.objects.get(device=device).username == number.lstrip("+")


def test_it_lists_the_line_for_kamailio_while_the_service_allows_it(settings):
    settings.BILLING_GRACE_DAYS = 7
    sip_subscriber_view_write(connection)
    alice = make_subscriber(numbers=())
    paid = make_line(alice.user, serial="PLS1", number="+12125550101", days_left=20)
    make_line(alice.user, serial="PLS2", number="+12125550102", days_left=-6)
    make_line(alice.user, serial="PLS3", number="+12125550103", days_left=-8)
    trial = make_line(alice.user, serial="PLS4", number="+12125550104", days_left=-30)
    trial.subscription.trial_ends_at = timezone.now() + timedelta(days=10)
    trial.subscription.save()
    device_assign(serial="PLS5", owner=alice.user, phone_number="+12125550105")

    assert usernames_in_view() == ["12125550101", "12125550102", "12125550104"]
    row = subscribers_in_view()[0]
    account = SipAccount.objects.get(device=paid.boxed.device)
    assert row == ("12125550101", account.domain, "", account.ha1, account.ha1b)


def test_it_takes_the_line_off_when_the_device_leaves_its_account(settings):
    alice = make_subscriber(numbers=())
    line = make_line(alice.user)
    assert usernames_in_view() == [ALICE]

    device_release(device=line.boxed.device, keep_number=True)

    assert usernames_in_view() == []


def test_it_follows_a_changed_grace_setting_after_migrate_or_provisioning(settings):
    alice = make_subscriber(numbers=())
    make_line(alice.user, days_left=-3)
    settings.BILLING_GRACE_DAYS = 7
    call_command("sip_provision", stdout=StringIO())
    assert usernames_in_view() == [ALICE]

    settings.BILLING_GRACE_DAYS = 2
    call_command("sip_provision", stdout=StringIO())

    assert usernames_in_view() == []

    settings.BILLING_GRACE_DAYS = 5
    call_command("migrate", verbosity=0)

    assert usernames_in_view() == [ALICE]


def test_it_gives_a_number_left_by_one_device_to_the_next_one():
    alice = make_subscriber(numbers=())
    first = make_line(alice.user, serial="PLS1")
    device_release(device=first.boxed.device, keep_number=False)
    bob = make_subscriber("bob@example.com", numbers=())

    make_line(bob.user, serial="PLS2")

    assert list(SipAccount.objects.values_list("device__serial", "username")) == [("PLS2", ALICE)]
    assert usernames_in_view() == [ALICE]


def test_it_rotates_the_credentials_and_audits_it_without_a_secret(staff):
    alice = make_subscriber(numbers=())
    line = make_line(alice.user)
    before = SipAccount.objects.get()

    sip_credentials_rotate(account=before, actor=staff)

    after = SipAccount.objects.get()
    new_password = sip_password(serial=line.serial, generation=2)
    assert after.generation == 2
    assert after.ha1 != before.ha1
    assert after.ha1 == md5(f"{ALICE}:{after.domain}:{new_password}")
    event = AuditEvent.objects.get(action=AuditAction.SIP_CREDENTIALS_ROTATED)
    assert (event.user, event.actor) == (alice.user, staff)
    assert event.data == {"serial": line.serial, "generation": 2}
    old_password = sip_password(serial=line.serial, generation=1)
    for secret in (old_password, new_password, before.ha1, after.ha1):
        assert secret not in str(event.data)


def test_staff_rotate_a_devices_credentials_from_the_admin(staff_client: Client):
    alice = make_subscriber(numbers=())
    line = make_line(alice.user)
    account = SipAccount.objects.get()

    response = staff_client.post(
        "/admin/telephony/sipaccount/",
        {"action": "rotate_credentials", "_selected_action": [account.pk]},
        follow=True,
    )

    assert "New SIP credentials for 1 device." in response.content.decode()
    assert SipAccount.objects.get().generation == 2
    client = Client()
    settings_ = fetch_sip_settings(client, line.boxed).json()
    assert settings_["password"] == sip_password(serial=line.serial, generation=2)


def test_it_provisions_every_device_again_without_changing_passwords():
    alice = make_subscriber(numbers=())
    make_line(alice.user)
    make_line(alice.user, serial="PLS2", number="+12125550148")
    sip_credentials_rotate(account=SipAccount.objects.get(username="12125550148"))
    rotated_ha1 = SipAccount.objects.get(username="12125550148").ha1
    SipAccount.objects.filter(username=ALICE).delete()
    released = make_line(alice.user, serial="PLS3", number="+12125550149")
    device_release(device=released.boxed.device, keep_number=False)

    out = StringIO()
    call_command("sip_provision", stdout=out)
    first = dict(SipAccount.objects.values_list("username", "ha1"))
    call_command("sip_provision", stdout=StringIO())

    assert "2 SIP accounts provisioned, 1 removed." in out.getvalue()
    assert dict(SipAccount.objects.values_list("username", "ha1")) == first
    assert set(first) == {ALICE, "12125550148"}
    # The rotated device keeps its new password.
    assert first["12125550148"] == rotated_ha1


@needs_postgres
def test_it_gives_kamailio_exactly_the_columns_of_its_subscriber_table():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name, data_type, character_maximum_length"
            "  FROM information_schema.columns WHERE table_name = 'sip_subscriber'"
            " ORDER BY ordinal_position"
        )
        columns = cursor.fetchall()

    # As in Kamailio's auth_db-create.sql (subscriber, version 7).
    assert columns == [
        ("id", "integer", None),
        ("username", "character varying", 64),
        ("domain", "character varying", 64),
        ("password", "character varying", 64),
        ("ha1", "character varying", 128),
        ("ha1b", "character varying", 128),
    ]
