"""The end of the activation wizard: the right code makes the device active on the account."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.test import Client

from conftest import Subscriber, make_subscriber
from plugline.accounts.models import User
from plugline.core.models import AuditAction, AuditEvent
from plugline.devices.models import Activation, Device, DeviceStatus, TermsAcceptance
from plugline.devices.tests.test_activate_code import at_code_step
from plugline.devices.tests.wizard_factory import (
    NEW_PASSWORD,
    NEW_YORK,
    TORONTO,
    make_device,
    make_numbers,
)
from plugline.devices.wizard.services import Outcome, activation_complete
from plugline.notifications.models import OutboxMessage
from plugline.telephony.models import NumberStatus, PhoneNumber

CODE = "/activate/code/"
DONE = "/activate/done/"
NUMBER = "/activate/number/"
NINA = "nina@example.com"

pytestmark = pytest.mark.django_db


def activate(client: Client, **kwargs) -> Device:
    """Every step, then the right code: the device as it is then."""
    numbers = make_numbers("212", count=2)
    code = at_code_step(client, number=numbers[0], **kwargs)
    response = client.post(CODE, {"code": code})
    assert response["Location"] == DONE
    return Device.objects.get(activations__status="completed")


def test_it_creates_the_account_with_the_email_given_for_good(client: Client):
    client.cookies["plugline_language"] = "da"
    activate(client)
    user = User.objects.get(email=NINA)
    assert user.original_email == NINA
    assert (user.first_name, user.last_name) == ("Nina", "New")
    assert user.check_password(NEW_PASSWORD)
    assert user.language == "da"
    assert (user.street_address, user.city, user.country_area, user.postal_code, user.country) == (
        "350 Fifth Avenue",
        "New York",
        "NY",
        "10118",
        "US",
    )
    address = EmailAddress.objects.get(user=user)
    assert (address.email, address.verified, address.primary) == (NINA, True, True)


def test_it_makes_the_device_active_with_its_number_and_e911_address(client: Client):
    device = activate(client)
    user = User.objects.get(email=NINA)
    assert device.owner == user
    assert device.status == DeviceStatus.ACTIVE
    assert device.phone_number == "+12125550110"
    assert device.e911_address == NEW_YORK
    assert device.activated_at is not None
    number = PhoneNumber.objects.get(e164="+12125550110")
    assert (number.status, number.reserved_for) == (NumberStatus.ASSIGNED, "")


def test_it_records_the_terms_accepted_and_audits_the_activation(client: Client, settings):
    activate(client)
    user = User.objects.get(email=NINA)
    acceptance = TermsAcceptance.objects.get(user=user)
    assert acceptance.version == "2026-11"
    assert acceptance.device is not None and acceptance.device.serial == "PLW20000001"
    event = AuditEvent.objects.get(action=AuditAction.DEVICE_ACTIVATED)
    assert event.user == user
    assert event.data == {"serial": "PLW20000001", "new_account": True}


def test_it_emails_that_the_device_is_active_with_its_number(client: Client):
    activate(client)
    message = OutboxMessage.objects.filter(to_email=NINA).latest("id")
    assert message.subject == "Your device is active: (212) 555-0110"
    assert "(212) 555-0110" in message.body_text
    assert "(212) 555-0110" in message.body_html


def test_it_signs_the_new_account_in_and_shows_the_number(client: Client):
    activate(client)
    page = client.get(DONE).content.decode()
    assert "Your device is active" in page
    assert "(212) 555-0110" in page
    assert 'href="/"' in page and "Go to My account" in page
    home = client.get("/").content.decode()
    assert "(212) 555-0110" in home


def test_it_closes_the_wizard_and_wipes_what_only_it_needed(client: Client):
    activate(client)
    activation = Activation.objects.get()
    assert activation.status == "completed"
    assert activation.password_hash == activation.code_hash == ""
    assert activation.user == User.objects.get(email=NINA)
    # Its pages start a new wizard now.
    assert client.get(CODE)["Location"] == "/activate/"


@pytest.mark.parametrize(
    "number", ["(212) 555-0110", "212-555-0110", "2125550110", "+1 212 555 0110", "+12125550110"]
)
def test_the_new_account_signs_in_with_its_number_in_any_format(client: Client, number: str):
    activate(client)
    client.logout()
    response = client.post("/accounts/login/", {"login": number, "password": NEW_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    # One device on My account, linked by its number.
    assert client.get("/").content.decode().count('class="number"') == 1
    assert client.get("/").content.decode().count(">(212) 555-0110</a>") == 1


def test_it_adds_the_device_to_an_existing_account(client: Client, alice: Subscriber):
    client.force_login(alice.user)
    User.objects.filter(pk=alice.user.pk).update(**TORONTO)
    device = activate(client, user=alice.user)
    assert device.owner_id == alice.user.pk
    assert User.objects.count() == 1
    # The contact address given in the wizard (New York) is now the profile's.
    alice.user.refresh_from_db()
    assert alice.user.city == "New York"
    assert AuditEvent.objects.filter(action=AuditAction.PROFILE_CHANGED, user=alice.user).exists()
    home = client.get("/").content.decode()
    assert "(212) 555-0110" in home and "(212) 555-0147" in home


def test_it_sends_back_to_choose_a_number_taken_meanwhile_and_creates_nothing(client: Client):
    numbers = make_numbers("212", count=2)
    code = at_code_step(client, number=numbers[0])
    activation = Activation.objects.get()
    # The hold was lost: someone else has the number now.
    PhoneNumber.objects.filter(e164=numbers[0]).update(reserved_for="activation:other")
    response = client.post(CODE, {"code": code})
    assert response["Location"] == NUMBER
    assert not User.objects.filter(email=NINA).exists()
    assert Device.objects.get().owner is None
    page = client.get(NUMBER).content.decode()
    assert "The number you chose, (212) 555-0110, was taken by someone else meanwhile." in page
    # Another number, and the same code finishes the job.
    client.post(NUMBER, {"number": numbers[1]})
    assert client.post("/activate/terms/", {"accept": "on"})["Location"] == CODE
    assert client.post(CODE, {"code": code})["Location"] == DONE
    assert Device.objects.get().phone_number == numbers[1]
    assert Activation.objects.get(pk=activation.pk).status == "completed"


def test_completing_gives_up_before_any_change_when_the_hold_was_lost(client: Client):
    # The race the pages cannot see: the number goes between the page's check and the
    # completion's own.
    numbers = make_numbers("212", count=2)
    code = at_code_step(client, number=numbers[0])
    activation = Activation.objects.get()
    PhoneNumber.objects.filter(e164=numbers[0]).update(reserved_for="activation:other")
    completion = activation_complete(activation=activation, code=code, language="en")
    assert completion.outcome is Outcome.NUMBER_LOST
    assert Activation.objects.get().phone_number == ""
    assert not User.objects.filter(email=NINA).exists()
    assert not TermsAcceptance.objects.exists()
    assert Device.objects.get().owner is None


def test_it_refuses_an_email_that_got_an_account_meanwhile(client: Client):
    code = at_code_step(client)
    # Someone else registered this email (a race: when the code was sent, it was free).
    nina = make_subscriber(NINA, numbers=("+13105550199",))
    response = client.post(CODE, {"code": code})
    assert "There is now an account with this email." in response.content.decode()
    assert Device.objects.get(serial="PLW20000001").owner is None
    assert nina.user.devices.count() == 1


def test_it_does_not_activate_a_device_that_went_to_someone_else_meanwhile(
    client: Client, alice: Subscriber
):
    code = at_code_step(client)
    Device.objects.filter(serial="PLW20000001").update(owner=alice.user, status=DeviceStatus.ACTIVE)
    response = client.post(CODE, {"code": code})
    assert response["Location"] == "/activate/"
    assert not User.objects.filter(email=NINA).exists()


def test_it_activates_a_device_sold_online_registered_with_the_orders_email(client: Client):
    device = make_device(
        "PLW20000009", status=DeviceStatus.SOLD_ONLINE, order_email="buyer@example.com"
    )
    activate(client, device=device)
    owner = Device.objects.get(serial="PLW20000009").owner
    assert owner is not None and owner.email == NINA


def test_a_double_click_activates_once(client: Client):
    numbers = make_numbers("212", count=2)
    code = at_code_step(client, number=numbers[0])
    assert client.post(CODE, {"code": code})["Location"] == DONE
    assert client.post(CODE, {"code": code})["Location"] == "/activate/"
    assert TermsAcceptance.objects.count() == 1
    assert AuditEvent.objects.filter(action=AuditAction.DEVICE_ACTIVATED).count() == 1


def test_it_shows_the_active_page_only_to_the_account_that_activated(
    client: Client, bob: Subscriber
):
    activate(client)
    other = Client()
    other.force_login(bob.user)
    assert other.get(DONE)["Location"] == "/"
