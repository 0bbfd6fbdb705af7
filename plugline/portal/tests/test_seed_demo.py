"""`manage.py seed_demo`: the demo accounts and an inventory to try activation with."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from conftest import Subscriber, make_subscriber
from plugline.accounts.models import User
from plugline.accounts.services import account_close
from plugline.accounts.tests.email_steps import (
    NEW_EMAIL,
    act_on,
    add_email,
    confirm,
    page_messages,
    sign_in,
    signed_in_browser,
)
from plugline.core.phones import normalize_phone_number
from plugline.devices import keys
from plugline.devices.models import Device, DeviceStatus, WebOrder
from plugline.devices.services import device_assign, device_release, device_rename
from plugline.portal.management.commands.seed_demo import DEMO_EMAIL, DEMO_PASSWORD
from plugline.reports.demo import HISTORY_CARD_PREFIX
from plugline.telephony.models import NumberStatus, PhoneNumber
from plugline.telephony.selectors import numbers_free
from plugline.upgrades.selectors import upgrade_offers_for_device

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


def test_it_says_how_to_start_the_demo_devices_for_a_portal_on_another_port(settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    assert "--portal" not in seed()
    settings.SITE_URL = "http://127.0.0.1:8080"

    printed = seed()

    assert (
        "The portal is at http://127.0.0.1:8080: add --portal http://127.0.0.1:8080 to the "
        "command (or start it with the same PORT as the portal)." in printed
    )


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


# Running it again after trying the demo: back to the state the README describes.


def demo_browser() -> Client:
    """The demo subscriber signed in on the Emails page, as someone trying the demo would be."""
    demo = User.objects.get(original_email=DEMO_EMAIL)
    return signed_in_browser(Subscriber(user=demo, password=DEMO_PASSWORD, devices=[]))


def demo_state() -> dict[str, object]:
    """What the README promises about the demo, read from the database."""
    demo = User.objects.get(original_email=DEMO_EMAIL)
    return {
        "demo": (demo.email, demo.first_name, demo.is_active, demo.check_password(DEMO_PASSWORD)),
        "demo emails": list(
            EmailAddress.objects.filter(user=demo).values_list("email", "verified", "primary")
        ),
        "demo devices": list(
            Device.objects.filter(owner=demo)
            .values_list("serial", "phone_number", "nickname", "status")
            .order_by("serial")
        ),
        "boxed": list(
            Device.objects.filter(serial__startswith="PL2")
            .values_list("serial", "status", "owner", "phone_number")
            .order_by("serial")
        ),
        "users named demo or staff": User.objects.filter(
            original_email__in=[DEMO_EMAIL, "staff@example.com"]
        ).count(),
        "numbers taken": set(
            PhoneNumber.objects.filter(status=NumberStatus.ASSIGNED).values_list("e164", flat=True)
        ),
    }


def test_it_keeps_the_demo_subscribers_original_email_on_the_emails_page():
    seed()
    client = demo_browser()
    add_email(client, NEW_EMAIL)
    confirm(client, NEW_EMAIL)
    act_on(client, "primary", NEW_EMAIL)

    response = act_on(client, "remove", DEMO_EMAIL, follow=True)

    assert page_messages(response)[0].startswith(f"{DEMO_EMAIL} cannot be removed")
    assert EmailAddress.objects.filter(email=DEMO_EMAIL).exists()
    assert User.objects.get(email="staff@example.com").original_email == "staff@example.com"


def test_it_puts_the_demo_back_after_the_preferred_email_changed_and_says_so():
    seed()
    before = demo_state()
    client = demo_browser()
    add_email(client, NEW_EMAIL)
    confirm(client, NEW_EMAIL)
    act_on(client, "primary", NEW_EMAIL)
    assert User.objects.get(original_email=DEMO_EMAIL).email == NEW_EMAIL

    printed = seed()

    assert demo_state() == before
    assert "reset: demo subscriber's preferred email back to demo@example.com" in printed
    assert f"reset: removed email {NEW_EMAIL} (demo subscriber's demo emails)" in printed
    assert sign_in(Client(), DEMO_EMAIL, DEMO_PASSWORD).status_code == 302
    assert sign_in(Client(), "(212) 555-0147", DEMO_PASSWORD).status_code == 302


def test_it_puts_the_demo_back_after_devices_moved_cards_were_used_and_the_account_closed():
    from plugline.reup.models import ReupCard, ReupCardStatus
    from plugline.reup.redemption import card_redeem

    first = seed()
    before = demo_state()
    pins = re.findall(r"RU\d+: PIN ([\d ]+) \(", first)
    demo = User.objects.get(original_email=DEMO_EMAIL)
    kitchen, cottage = Device.objects.filter(owner=demo).order_by("serial")
    assert card_redeem(user=demo, pin_raw=pins[0], device=kitchen).failure is None
    # One device given to someone else, the other renamed; a boxed one activated.
    someone = make_subscriber("someone@example.com", numbers=("+13125550199",)).user
    device_release(device=cottage, keep_number=True)
    device_assign(serial=cottage.serial, owner=someone, phone_number="+14165550148")
    device_rename(device=kitchen, nickname="Hall")
    device_assign(serial="PL2000000001", owner=someone, phone_number="+12125550100")
    account_close(user=demo)

    printed = seed()

    assert demo_state() == before
    for line in [
        "reset: demo subscriber demo@example.com made again (the account was closed)",
        "reset: device PL1000000147 back on the demo subscriber's account",
        "reset: device PL1000000148 taken back from someone@example.com's account",
        "reset: device PL2000000001 taken off someone@example.com's account, boxed again",
    ]:
        assert line in printed
    # The used card's PIN redeems again, once, on a new card.
    demo = User.objects.get(original_email=DEMO_EMAIL)
    device = Device.objects.filter(owner=demo).order_by("serial")[0]
    assert card_redeem(user=demo, pin_raw=pins[0], device=device).failure is None
    # (The reports' demo history has redeemed cards of its own.)
    redeemed = ReupCard.objects.filter(status=ReupCardStatus.REDEEMED)
    assert redeemed.exclude(serial__startswith=HISTORY_CARD_PREFIX).count() == 2
    [used] = ReupCard.objects.filter(status=ReupCardStatus.REDEEMED, pin_hash__isnull=False)
    resets = [line for line in seed().splitlines() if line.startswith("reset: ")]
    assert resets == [
        f"reset: demo Re-Up cards replaced by new ones with the same PINs ({used.serial} redeemed)"
    ]


def test_it_says_what_it_put_back_when_devices_moved_between_two_runs():
    seed()
    demo = User.objects.get(original_email=DEMO_EMAIL)
    kitchen, cottage = Device.objects.filter(owner=demo).order_by("serial")
    someone = make_subscriber("someone@example.com", numbers=()).user
    device_release(device=cottage, keep_number=True)
    device_assign(serial=cottage.serial, owner=someone, phone_number="+14165550148")
    device_rename(device=kitchen, nickname="Hall")
    demo.set_password("my own password")
    demo.save()

    printed = seed()

    assert printed.splitlines()[:3] == [
        "reset: demo subscriber's password back to plugline-demo",
        "reset: device PL1000000147's name back to Kitchen",
        "reset: device PL1000000148 taken back from someone@example.com's account",
    ]
    assert set(Device.objects.filter(owner=demo).values_list("serial", flat=True)) == {
        "PL1000000147",
        "PL1000000148",
    }


def test_it_offers_each_demo_device_an_upgrade_and_says_so(client: Client):
    out = seed()
    seed()  # again: still one offer

    assert "Demo upgrade offer:" in out
    demo = User.objects.get(email=DEMO_EMAIL)
    devices = list(Device.objects.filter(owner=demo).order_by("serial"))
    offers = [upgrade_offers_for_device(user=demo, device=device) for device in devices]
    assert [[offer.model.name for offer in found] for found in offers] == [
        ["Plugline USB 2"],
        ["Plugline USB 2"],
    ]
    client.force_login(demo)
    assert "Upgrade my device" in client.get(f"/devices/{devices[0].serial}/").content.decode()
    # Shown before a card is on file: what the customer would buy, and to add a card.
    offer_page = client.get(f"/devices/{devices[0].serial}/upgrade/").content.decode()
    assert "Plugline USB 2" in offer_page and "$29.99" in offer_page
    assert "Add a card" in offer_page


def test_the_demo_staff_sign_in_with_the_printed_two_factor_secrets():
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from plugline.accounts.tests.test_two_factor import totp_code
    from plugline.portal.management.commands.seed_demo import (
        AGENT_TOTP_SECRET,
        STAFF_TOTP_SECRET,
    )

    out = seed()
    assert f"staff@example.com: secret {STAFF_TOTP_SECRET}" in out
    assert f"agent@example.com: secret {AGENT_TOTP_SECRET}" in out
    agent = User.objects.get(email="agent@example.com")
    assert agent.is_staff and not agent.is_superuser
    assert [group.name for group in agent.groups.all()] == ["Support agent"]
    assert agent.has_perm("backoffice.suspend_device")
    assert not agent.has_perm("backoffice.refund_payment")
    for email, secret in [
        ("staff@example.com", STAFF_TOTP_SECRET),
        ("agent@example.com", AGENT_TOTP_SECRET),
    ]:
        client = Client()
        client.post("/accounts/login/", {"login": email, "password": DEMO_PASSWORD})
        response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
        assert response.status_code == 302, email
        assert client.get("/staff/").status_code == 200, email

    # Another secret set meanwhile is put back; run again, nothing else changes.
    Authenticator.objects.filter(user=agent).delete()
    TOTP.activate(agent, generate_totp_secret())
    assert "reset: demo support agent's two-factor sign-in back to the demo secret" in seed()
    assert "reset:" not in seed()
