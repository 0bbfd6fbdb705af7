"""The device inventory in the operator's admin."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from conftest import Subscriber
from plugline.devices import keys
from plugline.devices.models import (
    Activation,
    Device,
    DeviceStatus,
    TransferRequest,
    WebOrder,
)
from plugline.devices.services import device_model_default


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def shipped(db: None) -> Device:
    """A device in stock, key and label code on file, shipped in web order W-1001."""
    order = WebOrder.objects.create(number="W-1001", email="buyer@example.com")
    return Device.objects.create(
        serial="PL5000000001",
        model=device_model_default(),
        status=DeviceStatus.SOLD_ONLINE,
        public_key=keys.public_key_from_device_key(keys.device_key_generate()),
        label_code_hash=keys.label_code_hash(serial="PL5000000001", code="ABCD2345"),
        web_order=order,
    )


def test_staff_see_the_devices_with_their_owner_number_and_order(
    alice: Subscriber, shipped: Device, staff_client: Client
):
    page = staff_client.get("/admin/devices/device/").content.decode()

    assert alice.devices[0].serial in page
    assert "alice@example.com" in page
    assert "+12125550147" in page
    assert "PL5000000001" in page
    assert "W-1001" in page
    assert "sold online" in page


@pytest.mark.parametrize(
    ("search", "found"),
    [
        ("(212) 555-0147", "PLTEST5550147"),
        ("212.555.0147", "PLTEST5550147"),
        ("alice@example.com", "PLTEST5550147"),
        ("W-1001", "PL5000000001"),
        ("PL5000000001", "PL5000000001"),
    ],
)
def test_staff_find_a_device_by_serial_number_owner_or_order(
    alice: Subscriber, shipped: Device, staff_client: Client, search: str, found: str
):
    page = staff_client.get("/admin/devices/device/", {"q": search}).content.decode()

    assert found in page
    other = {"PLTEST5550147", "PL5000000001"} - {found}
    assert other.pop() not in page


def test_a_devices_key_and_label_code_cannot_be_edited(shipped: Device, staff_client: Client):
    page = staff_client.get(f"/admin/devices/device/{shipped.pk}/change/").content.decode()

    assert shipped.public_key in page  # shown, to compare with the factory's records
    assert 'name="public_key"' not in page
    assert 'name="label_code_hash"' not in page
    assert 'name="serial"' not in page
    assert 'name="status"' in page
    response = staff_client.post(
        f"/admin/devices/device/{shipped.pk}/change/",
        {
            "model": shipped.model_id,
            "status": DeviceStatus.SOLD_ONLINE,
            "web_order": shipped.web_order_id,
            "public_key": "forged",
            "label_code_hash": "forged",
            "serial": "PL9999999999",
            "nickname": "Returned",
        },
    )
    assert response.status_code == 302
    shipped.refresh_from_db()
    assert shipped.nickname == "Returned"
    assert shipped.serial == "PL5000000001"
    assert shipped.public_key != "forged"
    assert shipped.label_code_hash != "forged"


def test_devices_come_from_the_import_not_the_admin(staff_client: Client):
    assert staff_client.get("/admin/devices/device/add/").status_code == 403


def test_a_device_on_an_account_cannot_be_deleted(alice: Subscriber, staff_client: Client):
    device = alice.devices[0]

    response = staff_client.post(f"/admin/devices/device/{device.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert Device.objects.filter(pk=device.pk).exists()


def test_a_web_order_shows_the_devices_it_shipped(shipped: Device, staff_client: Client):
    order = shipped.web_order
    assert order is not None

    listing = staff_client.get("/admin/devices/weborder/", {"q": "PL5000000001"}).content.decode()
    page = staff_client.get(f"/admin/devices/weborder/{order.pk}/change/").content.decode()

    assert "buyer@example.com" in listing
    assert "PL5000000001" in page
    assert 'name="devices-0-serial"' not in page  # shown, not editable


def test_activations_and_transfers_are_shown_without_their_secret_hashes(
    alice: Subscriber, shipped: Device, staff_client: Client
):
    activation = Activation.objects.create(
        device=shipped,
        email="newcomer@example.com",
        password_hash="argon2$argon2id$v=19$m=102400,t=2,p=8$c2VjcmV0c2FsdA$aGFzaGVkcGFzc3dvcmQ",
        code_hash="pbkdf2_sha256$1000000$salt$Y29kZWhhc2g=",
    )
    transfer = TransferRequest.objects.create(
        device=alice.devices[0],
        owner=alice.user,
        activation=activation,
        token_hash=keys.token_hash("the-owners-link-token"),
        expires_at=timezone.now() + timedelta(days=7),
    )

    pages = "".join(
        staff_client.get(url).content.decode()
        for url in [
            "/admin/devices/activation/",
            f"/admin/devices/activation/{activation.pk}/change/",
            "/admin/devices/transferrequest/",
            f"/admin/devices/transferrequest/{transfer.pk}/change/",
        ]
    )

    assert "newcomer@example.com" in pages
    assert "PL5000000001" in pages
    assert "waiting for the owner" in pages
    for secret in ["aGFzaGVkcGFzc3dvcmQ", "Y29kZWhhc2g", transfer.token_hash]:
        assert secret not in pages
    assert staff_client.get("/admin/devices/activation/add/").status_code == 403


def test_subscribers_cannot_open_the_inventory(alice: Subscriber, client: Client):
    client.force_login(alice.user)

    response = client.get("/admin/devices/device/")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
