"""Used devices: asking the owner to release a device, and the owner's answer by email link."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django.utils.formats import date_format

from conftest import Subscriber, make_subscriber
from plugline.core.models import AuditAction, AuditEvent
from plugline.devices.keys import label_code_hash
from plugline.devices.models import (
    Activation,
    Device,
    DeviceStatus,
    TransferRequest,
    TransferStatus,
)
from plugline.devices.transfer import TransferRefused, transfer_request_create
from plugline.devices.wizard.state import (
    SESSION_KEY,
    activation_device_is_free,
    activation_step_done,
)
from plugline.notifications.models import OutboxMessage
from plugline.telephony.models import NumberStatus, PhoneNumber

ASK = "/devices/transfer/request/"
LINK = re.compile(r"http://[^/\s]+(/devices/transfer/([\w-]+)/)")


def wizard_holding(client: Client, device: Device, *, user=None) -> Activation:
    """A second person's wizard in `client`'s browser, with `device` proved present."""
    activation = Activation.objects.create(
        user=user, device=device, present_until=timezone.now() + timedelta(hours=1)
    )
    session = client.session
    session[SESSION_KEY] = str(activation.pk)
    session.save()
    return activation


def owner_link(owner: Subscriber) -> str:
    """The path of the answer link in the last email to `owner`."""
    message = OutboxMessage.objects.filter(to_email=owner.email).latest("id")
    match = LINK.search(message.body_text)
    assert match is not None, message.body_text
    return match.group(1)


@pytest.fixture
def requester(db: None) -> Client:
    return Client()


def test_asking_emails_the_owner_in_their_language_with_a_link(bob: Subscriber, requester: Client):
    device = bob.devices[0]
    wizard_holding(requester, device)
    response = requester.post(ASK, {"notify_email": "carol@example.com"})
    assert response.status_code == 302
    assert response["Location"] == "/activate/"

    message = OutboxMessage.objects.get(to_email=bob.email)
    assert message.language == "fr"  # Bob's language, not the asker's
    assert device.serial in message.body_text
    assert "(310) 555-0100" in message.body_text
    expires = (timezone.now() + timedelta(days=7)).astimezone(timezone.get_default_timezone())
    months_fr = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août"]
    months_fr += ["septembre", "octobre", "novembre", "décembre"]
    assert months_fr[expires.month - 1] in message.body_text  # the date, written in French
    assert owner_link(bob) in message.body_html
    # The asker's email is never shown to the owner.
    assert "carol@example.com" not in message.body_text + message.body_html

    transfer = TransferRequest.objects.get()
    assert (transfer.owner_id, transfer.status, transfer.notify_email) == (
        bob.user.pk,
        TransferStatus.PENDING,
        "carol@example.com",
    )
    # Only the token's hash is kept.
    token = LINK.search(message.body_text).group(2)  # type: ignore[union-attr]
    assert token not in transfer.token_hash
    assert len(token) >= 40
    event = AuditEvent.objects.get(action=AuditAction.TRANSFER_REQUESTED)
    assert (event.user_id, event.data) == (bob.user.pk, {"serial": device.serial})


def test_the_wizard_says_it_waits_for_the_owner(alice: Subscriber, requester: Client):
    wizard_holding(requester, alice.devices[0])
    before = requester.get("/activate/").content.decode()
    assert "Ask the current owner to release it" in before
    requester.post(ASK, {"notify_email": ""}, follow=True)
    page = requester.get("/activate/").content.decode()
    today = date_format(timezone.localdate(), "DATE_FORMAT")  # "Nov. 29, 2026"
    assert f"Waiting for the owner's answer (asked on {today})" in html.unescape(page)
    assert "Ask the current owner to release it" not in page


def test_the_asker_never_sees_the_link(alice: Subscriber, requester: Client):
    wizard_holding(requester, alice.devices[0])
    pages = requester.post(ASK, {"notify_email": "carol@example.com"}, follow=True)
    token_path = owner_link(alice)
    assert token_path not in pages.content.decode()
    assert token_path.split("/")[-2] not in requester.get("/activate/").content.decode()


def test_asking_twice_sends_one_email(alice: Subscriber, requester: Client):
    wizard_holding(requester, alice.devices[0])
    requester.post(ASK, {})
    requester.post(ASK, {})
    assert OutboxMessage.objects.filter(to_email=alice.email).count() == 1
    assert TransferRequest.objects.count() == 1


def test_a_bad_email_is_explained_and_kept(alice: Subscriber, requester: Client):
    wizard_holding(requester, alice.devices[0])
    response = requester.post(ASK, {"notify_email": "carol@"})
    page = response.content.decode()
    assert "Enter an email such as name@example.com, or leave the field empty." in page
    assert 'value="carol@"' in page
    assert not TransferRequest.objects.exists()


def test_without_the_device_present_nothing_is_asked(alice: Subscriber, requester: Client):
    activation = wizard_holding(requester, alice.devices[0])
    Activation.objects.filter(pk=activation.pk).update(
        present_until=timezone.now() - timedelta(minutes=1)
    )
    requester.post(ASK, {})
    assert not TransferRequest.objects.exists()
    assert not OutboxMessage.objects.filter(to_email=alice.email).exists()


def test_nothing_to_ask_for_a_device_without_owner(db: None):
    device = Device.objects.create(serial="PLFREE0001", model_id=_model_id())
    activation = Activation.objects.create(
        device=device, present_until=timezone.now() + timedelta(hours=1)
    )
    with pytest.raises(TransferRefused) as refused:
        transfer_request_create(activation=activation)
    assert refused.value.reason == "not_owned_elsewhere"


def _model_id() -> int:
    from plugline.devices.services import device_model_default

    return device_model_default().pk


def test_an_owner_cannot_be_flooded_with_requests(alice: Subscriber):
    for n in range(6):
        client = Client(REMOTE_ADDR=f"10.0.0.{n}")
        wizard_holding(client, alice.devices[0])
        response = client.post(ASK, {})
    assert response.status_code == 429
    assert OutboxMessage.objects.filter(to_email=alice.email).count() == 5


def test_opening_the_link_changes_nothing(bob: Subscriber, requester: Client, client: Client):
    device = bob.devices[0]
    wizard_holding(requester, device)
    requester.post(ASK, {})
    link = owner_link(bob)
    for _ in range(3):  # an email scanner, a preview, the owner
        page = client.get(link)
        assert page.status_code == 200
    text = page.content.decode()
    assert device.serial in text and "(310) 555-0100" in text
    assert 'name="answer" value="approve"' in text and 'name="answer" value="decline"' in text
    assert Device.objects.get(pk=device.pk).owner_id == bob.user.pk
    assert TransferRequest.objects.get().status == TransferStatus.PENDING


def test_approving_moves_the_device_out_of_the_owners_reach(
    bob: Subscriber, requester: Client, client: Client
):
    device = bob.devices[0]
    PhoneNumber.objects.create(
        e164="+13105550100", country="US", area_code="310", city="Los Angeles", status="assigned"
    )
    Device.objects.filter(pk=device.pk).update(
        nickname="Salon", e911_street_address="1 Main St", e911_city="Los Angeles"
    )
    activation = wizard_holding(requester, device)
    requester.post(ASK, {"notify_email": "carol@example.com"})

    page = client.post(owner_link(bob), {"answer": "approve"})
    assert page.status_code == 200
    moved = Device.objects.get(pk=device.pk)
    assert (moved.owner_id, moved.status, moved.phone_number, moved.nickname) == (
        None,
        DeviceStatus.RELEASED,
        None,
        "",
    )
    assert set(moved.e911_address.values()) == {""}
    assert PhoneNumber.objects.get(e164="+13105550100").status == NumberStatus.QUARANTINED
    assert TransferRequest.objects.get().status == TransferStatus.APPROVED
    event = AuditEvent.objects.get(action=AuditAction.TRANSFER_APPROVED)
    assert (event.user_id, event.data) == (bob.user.pk, {"serial": device.serial})
    assert AuditEvent.objects.filter(action=AuditAction.DEVICE_RELEASED, user=bob.user).exists()

    # The old owner no longer sees it.
    owner = Client()
    owner.force_login(bob.user)
    assert device.serial not in owner.get("/").content.decode()
    assert owner.get(f"/devices/{device.serial}/").status_code == 404
    # The wizard that asked can go on, and the asker is told.
    activation.refresh_from_db()
    assert activation_device_is_free(activation)
    assert activation_step_done(activation, "detect")
    told = OutboxMessage.objects.get(to_email="carol@example.com")
    assert device.serial in told.body_text
    assert "http://127.0.0.1:8000/activate/" in told.body_text


def test_declining_keeps_the_device_and_tells_the_asker(
    alice: Subscriber, requester: Client, client: Client
):
    device = alice.devices[0]
    activation = wizard_holding(requester, device)
    requester.post(ASK, {"notify_email": "carol@example.com"})

    page = client.post(owner_link(alice), {"answer": "decline"})
    assert "Your device stays with you" in page.content.decode()
    assert Device.objects.get(pk=device.pk).owner_id == alice.user.pk
    assert TransferRequest.objects.get().status == TransferStatus.DECLINED
    assert AuditEvent.objects.filter(action=AuditAction.TRANSFER_DECLINED, user=alice.user).exists()
    told = OutboxMessage.objects.get(to_email="carol@example.com")
    assert "declined" in told.body_text
    assert not activation_step_done(activation, "detect")
    # The wizard can ask again.
    assert "Ask the current owner to release it" in requester.get("/activate/").content.decode()


def test_a_link_works_once(alice: Subscriber, requester: Client, client: Client):
    wizard_holding(requester, alice.devices[0])
    requester.post(ASK, {})
    link = owner_link(alice)
    client.post(link, {"answer": "decline"})

    again = client.post(link, {"answer": "approve"})
    assert "This request has been answered already" in again.content.decode()
    assert Device.objects.get(pk=alice.devices[0].pk).owner_id == alice.user.pk
    assert "This link no longer works" in client.get(link).content.decode()


def test_a_link_expires_after_seven_days(alice: Subscriber, requester: Client, client: Client):
    activation = wizard_holding(requester, alice.devices[0])
    requester.post(ASK, {})
    link = owner_link(alice)
    with time_machine.travel(timezone.now() + timedelta(days=6, hours=23)):
        assert "Release my device" in client.get(link).content.decode()
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        page = client.post(link, {"answer": "approve"})
        assert "The request has expired" in page.content.decode()
        assert "Release my device" not in page.content.decode()
        assert Device.objects.get(pk=alice.devices[0].pk).owner_id == alice.user.pk
        # The wizard no longer waits: once the device is shown again, it may ask again.
        activation.present_until = timezone.now() + timedelta(hours=1)
        activation.save(update_fields=["present_until"])
        assert "Ask the current owner to release it" in requester.get("/activate/").content.decode()


def test_an_approval_after_the_device_changed_hands_is_refused(
    alice: Subscriber, requester: Client, client: Client
):
    device = alice.devices[0]
    wizard_holding(requester, device)
    requester.post(ASK, {})
    link = owner_link(alice)
    dave = make_subscriber("dave@example.com", numbers=())
    Device.objects.filter(pk=device.pk).update(owner=dave.user)

    page = client.post(link, {"answer": "approve"})
    assert "no longer on the account that was asked" in page.content.decode()
    assert Device.objects.get(pk=device.pk).owner_id == dave.user.pk
    assert TransferRequest.objects.get().status == TransferStatus.PENDING
    assert not AuditEvent.objects.filter(action=AuditAction.TRANSFER_APPROVED).exists()


def test_an_unknown_link_is_not_found(alice: Subscriber, client: Client):
    response = client.post("/devices/transfer/not-a-real-token/", {"answer": "approve"})
    assert "We do not know this link." in response.content.decode()
    assert Device.objects.get(pk=alice.devices[0].pk).owner_id == alice.user.pk


def test_knowing_the_serial_and_label_code_is_not_enough(alice: Subscriber, requester: Client):
    device = alice.devices[0]
    Device.objects.filter(pk=device.pk).update(
        label_code_hash=label_code_hash(serial=device.serial, code="ABCD2345")
    )
    # The label form proves the device is "present"...
    page = requester.post(
        "/activate/", {"serial": device.serial, "label_code": "ABCD2345"}, follow=True
    ).content.decode()
    assert "This device is on someone" in page
    activation = Activation.objects.get()
    assert not activation_step_done(activation, "detect")
    # ... but the later steps send the wizard back to step 1, and asking moves nothing.
    assert requester.get("/activate/purchase/")["Location"] == "/activate/"
    requester.post(ASK, {})
    assert Device.objects.get(pk=device.pk).owner_id == alice.user.pk
    assert Device.objects.get(pk=device.pk).status == DeviceStatus.ACTIVE


def test_releasing_from_the_device_page_lets_the_waiting_wizard_go_on(
    alice: Subscriber, requester: Client, client: Client
):
    device = alice.devices[0]
    activation = wizard_holding(requester, device)
    requester.post(ASK, {"notify_email": "carol@example.com"})
    link = owner_link(alice)

    client.force_login(alice.user)
    client.post(
        f"/devices/{device.serial}/release/", {"number": "keep", "password": alice.password}
    )
    assert TransferRequest.objects.get().status == TransferStatus.CANCELLED
    activation.refresh_from_db()
    assert activation_step_done(activation, "detect")
    assert OutboxMessage.objects.filter(to_email="carol@example.com").exists()
    # The emailed link has nothing left to do.
    late = Client().post(link, {"answer": "approve"})
    assert "This link no longer works" in late.content.decode()


def test_the_links_token_stays_out_of_the_logs(
    alice: Subscriber, requester: Client, client: Client, caplog: pytest.LogCaptureFixture
):
    caplog.set_level("DEBUG")
    wizard_holding(requester, alice.devices[0])
    requester.post(ASK, {})
    link = owner_link(alice)
    token = link.split("/")[-2]
    client.get(link)
    client.post(link, {"answer": "decline"})
    client.post(link, {"answer": "approve"})  # refused: answered already
    assert token not in caplog.text
