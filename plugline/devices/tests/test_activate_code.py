"""Steps 6 and 7 of the activation wizard: the terms, then the emailed activation code."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from conftest import Subscriber
from plugline.accounts.models import User
from plugline.core.models import AuditAction, AuditEvent
from plugline.devices.models import Device
from plugline.devices.tests.wizard_factory import described_by, fresh, last_code, wizard_at
from plugline.notifications.models import OutboxMessage

TERMS = "/activate/terms/"
CODE = "/activate/code/"
SEND = "/activate/code/send/"
DONE = "/activate/done/"
NINA = "nina@example.com"

pytestmark = pytest.mark.django_db


def wrong(code: str) -> str:
    """Another 8-digit code."""
    digits = code.replace(" ", "")
    return f"{(int(digits) + 1) % 10**8:08d}"


def at_code_step(client: Client, **kwargs) -> str:
    """Accept the terms (which emails the code); the code, as the email shows it."""
    wizard_at(client, "terms", **kwargs)
    assert client.post(TERMS, {"accept": "on"})["Location"] == CODE
    to = kwargs["user"].email if "user" in kwargs else NINA
    return last_code(to)


def test_it_shows_the_terms_and_their_version(client: Client, settings):
    settings.TERMS_OF_SERVICE_VERSION = "2027-01"
    wizard_at(client, "terms")
    page = client.get(TERMS).content.decode()
    assert "Step 6 of 7" in page
    assert "version 2027-01" in page
    assert "I accept the terms of service" in page


def test_it_needs_the_box_ticked(client: Client):
    activation = wizard_at(client, "terms")
    page = client.post(TERMS, {}).content.decode()
    assert "Tick the box to accept the terms of service" in page
    assert described_by(page, "id_accept") == {"id_accept_error"}
    assert fresh(activation).terms_accepted_at is None
    assert client.get(CODE)["Location"] == TERMS


def test_it_records_the_version_and_time_of_acceptance(client: Client, settings):
    settings.TERMS_OF_SERVICE_VERSION = "2027-01"
    activation = wizard_at(client, "terms")
    before = timezone.now()
    client.post(TERMS, {"accept": "on"})
    activation = fresh(activation)
    assert activation.terms_version == "2027-01"
    assert activation.terms_accepted_at is not None
    assert activation.terms_accepted_at >= before


def test_it_emails_an_8_digit_code_kept_only_as_a_hash(client: Client):
    code = at_code_step(client)
    activation = fresh(wizard_activation(client))
    digits = code.replace(" ", "")
    assert len(digits) == 8
    assert digits not in activation.code_hash
    page = client.get(CODE).content.decode()
    assert "Step 7 of 7" in page
    assert f"We emailed an 8-digit code to {NINA}." in page
    message = OutboxMessage.objects.get(to_email=NINA)
    assert message.subject == "Your Plugline activation code"
    assert code in message.body_html


def wizard_activation(client: Client):
    from plugline.devices.models import Activation

    return Activation.objects.get(pk=client.session["plugline_activation"])


def test_it_writes_the_code_email_in_the_language_of_the_page(client: Client):
    client.cookies["plugline_language"] = "fr"
    wizard_at(client, "terms")
    client.post(TERMS, {"accept": "on"})
    message = OutboxMessage.objects.get(to_email=NINA)
    assert message.language == "fr"


def test_it_sends_the_code_to_an_existing_accounts_preferred_email(client: Client, bob: Subscriber):
    client.force_login(bob.user)
    code = at_code_step(client, user=bob.user)
    message = OutboxMessage.objects.filter(to_email=bob.email).latest("id")
    assert message.language == "fr"  # bob's language
    assert message.user_id == bob.user.pk
    assert code.replace(" ", "")


def test_it_tells_the_owner_of_an_email_to_sign_in_instead_of_sending_a_code(
    client: Client, alice: Subscriber
):
    activation = wizard_at(client, "terms")
    activation.email = alice.email
    activation.save()
    client.post(TERMS, {"accept": "on"})
    page = client.get(CODE).content.decode()
    # The page reads as for anyone else.
    assert f"We emailed an 8-digit code to {alice.email}." in page
    message = OutboxMessage.objects.get(to_email=alice.email)
    assert message.subject == "You already have a Plugline account"
    assert "sign in" in message.body_text
    assert not any(
        ch.isdigit() for ch in message.body_text.split("http")[0].replace(alice.email, "")
    )


def test_it_refuses_a_wrong_code_saying_how_many_tries_are_left(client: Client):
    code = at_code_step(client)
    page = client.post(CODE, {"code": wrong(code)}).content.decode()
    assert "That code is not right." in page
    assert "tries left: 4" in page
    assert described_by(page, "id_code") == {"id_code_error", "id_code_helptext"}
    assert not User.objects.filter(email=NINA).exists()


def test_it_audits_each_wrong_try_without_the_code(client: Client):
    code = at_code_step(client)
    tried = wrong(code)
    client.post(CODE, {"code": tried})
    client.post(CODE, {"code": tried})
    events = AuditEvent.objects.filter(action=AuditAction.ACTIVATION_CODE_FAILED)
    assert events.count() == 2
    for event in events:
        assert tried not in str(event.data)
        assert code.replace(" ", "") not in str(event.data)
    assert sorted(event.data["failures"] for event in events) == [1, 2]


def test_it_refuses_the_6th_try_even_with_the_right_code(client: Client):
    code = at_code_step(client)
    for _ in range(5):
        client.post(CODE, {"code": wrong(code)})
    page = client.post(CODE, {"code": code}).content.decode()
    assert "That code has had too many wrong tries and no longer works." in page
    assert not User.objects.filter(email=NINA).exists()


def test_it_accepts_a_new_code_after_too_many_tries(client: Client):
    code = at_code_step(client)
    for _ in range(5):
        client.post(CODE, {"code": wrong(code)})
    cache.clear()  # a minute later, as far as the limit on sending is concerned
    response = client.post(SEND)
    assert response["Location"] == CODE
    new_code = last_code(NINA)
    assert "We sent a new code to nina@example.com." in client.get(CODE).content.decode()
    # The old code no longer works; the new one does.
    assert "That code is not right." in client.post(CODE, {"code": code}).content.decode()
    assert client.post(CODE, {"code": new_code})["Location"] == DONE


def test_it_refuses_an_expired_code(client: Client):
    code = at_code_step(client)
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        page = client.post(CODE, {"code": code}).content.decode()
    assert "That code has expired: a code works for 15 minutes." in page
    assert not User.objects.filter(email=NINA).exists()


def test_it_accepts_a_code_just_before_it_expires(client: Client):
    code = at_code_step(client)
    with time_machine.travel(timezone.now() + timedelta(minutes=14)):
        assert client.post(CODE, {"code": code})["Location"] == DONE


def test_it_limits_how_often_a_new_code_is_sent(client: Client):
    at_code_step(client)
    response = client.post(SEND)
    assert response.status_code == 429
    assert "Wait a few minutes, then ask again." in response.content.decode()
    assert OutboxMessage.objects.filter(to_email=NINA).count() == 1


def test_it_stops_sending_new_codes_after_5_in_an_hour(client: Client):
    at_code_step(client)
    start = timezone.now()
    sent = 1
    for minute in range(1, 10):
        with time_machine.travel(start + timedelta(minutes=2 * minute)):
            if client.post(SEND).status_code == 302:
                sent += 1
    assert sent == 5


def test_it_takes_the_code_with_spaces_or_dashes(client: Client):
    code = at_code_step(client)
    digits = code.replace(" ", "")
    assert client.post(CODE, {"code": f"{digits[:4]}-{digits[4:]}"})["Location"] == DONE


def test_it_asks_for_8_digits(client: Client):
    at_code_step(client)
    page = client.post(CODE, {"code": "1234"}).content.decode()
    assert "The code has 8 digits." in page
    assert AuditEvent.objects.filter(action=AuditAction.ACTIVATION_CODE_FAILED).count() == 0


def test_it_offers_to_send_the_code_when_none_was_sent(client: Client):
    activation = wizard_at(client, "code")
    page = client.get(CODE).content.decode()
    assert "Send the code" in page
    assert client.post(SEND)["Location"] == CODE
    assert fresh(activation).code_hash
    assert Device.objects.get().owner is None
