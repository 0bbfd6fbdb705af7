"""Voicemail end to end through the repository's Kamailio: a caller's phone (baresip sending a
tone) calls a subscriber through Kamailio, which relays the call it cannot complete to the real
voicemail server (VOICEMAIL_ADDR, free ports); the message appears on the device's page within
seconds and plays there, is emailed with its audio when the owner asked, and goes with its file
when the device is released. PostgreSQL only (Kamailio reads the test database).

Alice (+1 212 555 0147) calls Bob (+1 212 555 0148).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from conftest import make_subscriber
from plugline.devices.services import device_release
from plugline.notifications.models import OutboxMessage
from plugline.telephony.forwarding import call_settings_choice
from plugline.telephony.roles import sip_database_role_grant
from plugline.telephony.services import call_settings_save
from plugline.telephony.tests.calls import Phone, SippServer, baresip_phone, sipp_server, wait_for
from plugline.telephony.tests.kamailio import (
    DOMAIN,
    ROLE,
    RunningKamailio,
    free_port,
    needs_postgres,
    role_dsn,
    role_password,
    running_kamailio,
    sipp_register,
)
from plugline.telephony.tests.sip_factory import Line, fetch_sip_settings, make_line
from plugline.voicemail.models import VoicemailMessage
from plugline.voicemail.server import VoicemailServer
from plugline.voicemail.services import mailbox_email_set, mailbox_greeting_save
from plugline.voicemail.tests.phone import (
    dial,
    tone_wav,
    voicemail_server,
    wait_for_mailbox,
    wav_level,
)

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]

BOB = "12125550148"
# The voicemail server hangs up this long after the tone: each call's message is about as long.
MAX_SECONDS = 4
# Bob's own greeting (a 1 s tone) and the tone after it, then the message, then the server's
# hang-up: the message must be on Bob's page within seconds of that.
CALL_SECONDS = 1 + 1 + MAX_SECONDS
WITHIN = 8.0


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SIP_DOMAIN = DOMAIN
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def server(transactional_db: None, media: Path) -> Iterator[VoicemailServer]:
    with voicemail_server(max_seconds=MAX_SECONDS) as running:
        yield running


@pytest.fixture
def kamailio(transactional_db: None, server: VoicemailServer) -> Iterator[RunningKamailio]:
    sip_database_role_grant(connection, role=ROLE, password=role_password())
    with running_kamailio(
        db_url=role_dsn(), domain=DOMAIN, voicemail_addr=server.sip_listen
    ) as running:
        yield running


def _line(email: str, serial: str, number: str) -> Line:
    return make_line(make_subscriber(email, numbers=()).user, serial=serial, number=number)


@pytest.fixture
def bob(media: Path, server: VoicemailServer) -> Line:
    line = _line("bob@example.com", "PLS10000002", "+" + BOB)
    # A short greeting of his own: quicker calls.
    mailbox_greeting_save(device_id=line.boxed.device.pk, data=tone_wav(1.0, frequency=600))
    wait_for_mailbox(server, BOB)
    return line


@contextmanager
def alices_phone(kamailio: RunningKamailio, media: Path) -> Iterator[Phone]:
    """Alice's line and her phone (baresip sending a 440 Hz tone), registered through Kamailio."""
    line = _line("alice@example.com", "PLS10000001", "+12125550147")
    sip = fetch_sip_settings(Client(), line.boxed).json()
    with baresip_phone(
        username=sip["username"],
        domain=sip["domain"],
        password=sip["password"],
        proxy=kamailio.address,
        answer=False,
    ) as phone:
        wait_for(phone.registered, what="Alice's phone registered", details=phone.output)
        yield phone


@contextmanager
def bobs_phone_ringing(kamailio: RunningKamailio, bob: Line) -> Iterator[SippServer]:
    """Bob's device registered (digest) and ringing at every call, never answering."""
    sip = fetch_sip_settings(Client(), bob.boxed).json()
    port = free_port()
    outcome = sipp_register(
        kamailio,
        username=sip["username"],
        domain=sip["domain"],
        password=sip["password"],
        final=200,
        port=port,
    )
    assert outcome.as_expected, outcome.output + kamailio.log()
    try:
        with sipp_server(port=port, ring_only=True) as device:
            yield device
    finally:
        kamailio.rpc("ul.rm", "location", f"{sip['username']}@{DOMAIN}")


def bob_rings_for(bob: Line, seconds: int) -> None:
    device = bob.boxed.device
    assert device.owner is not None
    choice = call_settings_choice(
        own_number="+" + BOB,
        ring_seconds=seconds,
        do_not_disturb=False,
        forward_always=False,
        forward_busy=False,
        forward_no_answer=False,
        forward_unreachable=False,
        forward_to="",
    )
    assert call_settings_save(device_id=device.pk, owner=device.owner, choice=choice)


def alice_calls_bob(phone: Phone) -> float:
    phone.dial(f"sip:2125550148@{DOMAIN}")
    return time.monotonic()


def message_for(
    line: Line,
    *,
    within: float,
    kamailio: RunningKamailio,
    server: VoicemailServer,
    phone: Phone | None = None,
) -> VoicemailMessage:
    wait_for(
        lambda: VoicemailMessage.objects.filter(device_id=line.boxed.device.pk).exists(),
        what="the voicemail message on Bob's device",
        timeout=within,
        details=lambda: (
            kamailio.log()[-4000:]
            + server.output()[-4000:]
            + (phone.output()[-3000:] if phone else "")
        ),
    )
    return VoicemailMessage.objects.get(device_id=line.boxed.device.pk)


def bobs_page(bob: Line) -> Client:
    client = Client()
    owner = bob.boxed.device.owner
    assert owner is not None
    client.force_login(owner)
    return client


def assert_plays_on_the_device_page(bob: Line, message: VoicemailMessage) -> bytes:
    client = bobs_page(bob)
    page = client.get(reverse("portal:device", args=[bob.serial]))
    audio_url = reverse("portal:device_voicemail_audio", args=[bob.serial, message.pk])
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="voicemail"' in html
    assert "(212) 555-0147" in html
    assert audio_url in html
    answer = client.get(audio_url)
    assert answer.status_code == 200
    assert answer["Content-Type"] == "audio/wav"
    audio = answer.getvalue()
    assert wav_level(audio) > 1000, "the message is silent"
    return audio


def test_it_keeps_a_message_for_an_unregistered_line_and_shows_plays_and_emails_it(
    kamailio: RunningKamailio, server: VoicemailServer, bob: Line, media: Path
) -> None:
    mailbox_email_set(device_id=bob.boxed.device.pk, on=True)
    with alices_phone(kamailio, media) as phone:
        called = alice_calls_bob(phone)

        message = message_for(
            bob, within=CALL_SECONDS + WITHIN, kamailio=kamailio, server=server, phone=phone
        )
        elapsed = time.monotonic() - called

    assert elapsed < CALL_SECONDS + WITHIN
    assert message.caller == "+12125550147"
    assert not message.heard
    assert 2 <= message.duration_seconds <= MAX_SECONDS + 1
    audio = assert_plays_on_the_device_page(bob, message)
    email = OutboxMessage.objects.get()
    assert email.to_email == "bob@example.com"
    assert "(212) 555-0147" in email.subject
    attachment = email.attachments.get()
    assert attachment.content_type == "audio/wav"
    assert bytes(attachment.content) == audio


def test_it_keeps_a_message_for_a_call_nobody_answers_within_the_ring_time(
    kamailio: RunningKamailio, server: VoicemailServer, bob: Line, media: Path
) -> None:
    bob_rings_for(bob, 15)
    with bobs_phone_ringing(kamailio, bob) as bobs_device, alices_phone(kamailio, media) as phone:
        called = alice_calls_bob(phone)

        message = message_for(
            bob, within=15 + CALL_SECONDS + WITHIN, kamailio=kamailio, server=server, phone=phone
        )
        elapsed = time.monotonic() - called
        assert len(bobs_device.invites()) == 1

    # Bob's phone rang for his ring time before the call went to voicemail.
    assert 15 + CALL_SECONDS <= elapsed < 15 + CALL_SECONDS + WITHIN
    assert message.caller == "+12125550147"
    assert 2 <= message.duration_seconds <= MAX_SECONDS + 1
    assert_plays_on_the_device_page(bob, message)
    assert not OutboxMessage.objects.exists()


def test_a_released_devices_messages_left_through_kamailio_are_gone_with_their_files(
    kamailio: RunningKamailio, server: VoicemailServer, bob: Line, media: Path
) -> None:
    with alices_phone(kamailio, media) as phone:
        alice_calls_bob(phone)
        message = message_for(
            bob, within=CALL_SECONDS + WITHIN, kamailio=kamailio, server=server, phone=phone
        )
    assert (media / message.audio.name).is_file()
    device = bob.boxed.device
    client = bobs_page(bob)

    device_release(device=device, keep_number=True)

    assert not VoicemailMessage.objects.filter(device_id=device.pk).exists()
    assert [path for path in media.rglob("*") if path.is_file()] == []
    # Its former owner can no longer play it.
    answer = client.get(reverse("portal:device_voicemail_audio", args=[bob.serial, message.pk]))
    assert answer.status_code == 404


def test_a_caller_from_outside_plugline_who_hid_their_number_leaves_a_message_from_a_hidden_number(
    kamailio: RunningKamailio, server: VoicemailServer, bob: Line, media: Path
) -> None:
    mailbox_email_set(device_id=bob.boxed.device.pk, on=True)

    # As through the carrier's trunk: another domain, not challenged; the From hides the number.
    output = dial(
        f"sip:2125550148@{DOMAIN}",
        caller="anonymous",
        caller_domain="anonymous.invalid",
        outbound=kamailio.address,
        seconds=CALL_SECONDS + 2,
    )

    message = message_for(bob, within=WITHIN, kamailio=kamailio, server=server)
    assert message.caller == "", output
    page = bobs_page(bob).get(reverse("portal:device", args=[bob.serial])).content.decode()
    assert '<span class="number">from a hidden number</span>' in page
    assert OutboxMessage.objects.get().subject == "New voicemail from a hidden number"
