"""`manage.py seed_demo`: the demo accounts and an inventory to try activation with."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from plugline.accounts.models import User
from plugline.core.phones import normalize_phone_number
from plugline.devices import keys
from plugline.devices.models import Device, DeviceStatus, WebOrder
from plugline.telephony.models import NumberStatus, PhoneNumber
from plugline.telephony.selectors import numbers_free

pytestmark = pytest.mark.django_db

COMMAND = re.compile(
    r"(?P<serial>PL\d+) \((?P<sold>[^)]*)\), label code (?P<code>\w+):\n"
    r"    \.venv/bin/plugline-device --serial (?P=serial) --key (?P<key>[\w-]+)"
)


@pytest.fixture(autouse=True)
def _demo_mode(settings) -> None:
    settings.DEBUG = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def everything() -> dict[str, list]:
    return {
        "users": list(User.objects.values_list("email", flat=True).order_by("email")),
        "devices": list(
            Device.objects.values_list(
                "serial", "status", "public_key", "label_code_hash", "web_order__number", "owner"
            ).order_by("serial")
        ),
        "orders": list(WebOrder.objects.values_list("number", "email")),
        "numbers": list(PhoneNumber.objects.values_list("e164", "status", "city").order_by("e164")),
    }


def test_it_can_run_twice_and_changes_nothing_the_second_time():
    first = seed()
    before = everything()

    second = seed()

    assert everything() == before
    assert second == first


def test_it_prints_how_to_play_each_demo_device_with_keys_that_work():
    printed = seed()

    commands = {match["serial"]: match for match in COMMAND.finditer(printed)}
    assert set(commands) == {"PL2000000001", "PL2000000002", "PL2000000003", "PL2000000004"}
    for serial, command in commands.items():
        device = Device.objects.get(serial=serial)
        signature = keys.presence_sign(device_key=command["key"], challenge="demo-challenge")
        assert keys.presence_signature_is_valid(
            public_key=device.public_key, challenge="demo-challenge", signature=signature
        )
        assert keys.label_code_matches(
            serial=serial, code=command["code"], stored_hash=device.label_code_hash
        )
        assert device.owner is None
    assert Device.objects.get(serial="PL2000000001").status == DeviceStatus.SOLD_IN_STORE
    online = Device.objects.select_related("web_order").get(serial="PL2000000004")
    assert online.status == DeviceStatus.SOLD_ONLINE
    assert online.web_order is not None
    assert (online.web_order.number, online.web_order.email) == ("W-100001", "buyer@example.com")
    assert "sold online, order W-100001 for buyer@example.com" in commands["PL2000000004"]["sold"]


def test_the_readme_gives_the_same_demo_devices():
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")

    commands = list(COMMAND.finditer(seed()))

    assert len(commands) == 4
    for command in commands:
        assert (
            f"`{command['code']}` | `.venv/bin/plugline-device --serial {command['serial']} "
            f"--key {command['key']}`" in readme
        )


def test_it_fills_the_number_inventory_in_several_cities():
    seed()

    free = PhoneNumber.objects.filter(status=NumberStatus.AVAILABLE)
    assert free.count() >= 30
    area_codes = set(free.values_list("area_code", flat=True))
    assert area_codes == {"212", "646", "416", "514", "415", "312"}
    assert all(normalize_phone_number(e164) == e164 for e164 in free.values_list("e164", flat=True))
    assert [n.city for n in numbers_free(city="Montréal", limit=1)] == ["Montréal"]
    # The demo subscriber's numbers are taken.
    assert set(
        PhoneNumber.objects.filter(status=NumberStatus.ASSIGNED).values_list("e164", flat=True)
    ) == {"+12125550147", "+14165550148"}


def test_the_demo_accounts_still_sign_in():
    seed()

    demo = User.objects.get(email="demo@example.com")
    staff = User.objects.get(email="staff@example.com")
    assert demo.check_password("plugline-demo") and staff.check_password("plugline-demo")
    assert staff.is_staff and not demo.is_staff
    assert set(Device.objects.filter(owner=demo).values_list("phone_number", flat=True)) == {
        "+12125550147",
        "+14165550148",
    }


def test_it_refuses_to_run_without_debug(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG"):
        seed()
    assert not User.objects.exists()


def test_its_re_up_cards_redeem_as_printed_once_sold_and_the_till_key_works(client):
    from plugline.reup.models import ReupCard, ReupCardStatus
    from plugline.reup.redemption import card_redeem

    output = seed()
    cards = re.findall(r"(RU\d+): PIN ([\d ]+) \(([^)]*)", output)
    key = re.search(r"the till's API key: (plr_\S+)\)", output)
    assert len(cards) == 3 and key is not None
    demo = User.objects.get(email="demo@example.com")
    device = Device.objects.filter(owner=demo).order_by("serial")[0]

    sold = card_redeem(user=demo, pin_raw=cards[0][1], device=device)
    on_the_shelf = card_redeem(user=demo, pin_raw=cards[2][1], device=device)
    sale = client.post(
        f"/api/v1/retail/cards/{cards[2][0]}/activate",
        HTTP_AUTHORIZATION=f"Bearer {key.group(1)}",
    )

    assert sold.failure is None and on_the_shelf.failure == "refused"
    assert sale.status_code == 200
    assert ReupCard.objects.get(serial=cards[2][0]).status == ReupCardStatus.ACTIVATED
    digits = [pin.replace(" ", "") for _, pin, _ in cards]
    assert not ReupCard.objects.filter(pin_hash__in=digits).exists()
