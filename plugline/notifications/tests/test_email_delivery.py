"""An email is written with its cause and reaches the recipient once, through SMTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
import time_machine
from django.db import transaction
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from conftest import Subscriber
from plugline.core.ports import free_port
from plugline.notifications.models import OutboxMessage, OutboxStatus
from plugline.notifications.services import (
    SWEEP_GRACE,
    Attachment,
    EmailToSend,
    email_send,
    emails_send,
    outbox_claim,
    outbox_deliver,
    outbox_sweep,
)
from plugline.notifications.tests.smtp import (
    SMTPServer,
    running_smtp_server,
    use_smtp_server,
)
from plugline.notifications.tests.worker import queued_deliveries, run_worker

RESET_URL = "https://plugline.example/accounts/password/reset/key/7-abc123/"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def send_reset_email(subscriber: Subscriber, *, language: str = "en") -> OutboxMessage:
    return email_send(
        template="account/email/password_reset_key",
        to=subscriber.email,
        context={"user": subscriber.user, "password_reset_url": RESET_URL, "reset_link_hours": 1},
        language=language,
        user=subscriber.user,
    )


def body(message: EmailMessage, subtype: str) -> str:
    """The text/<subtype> part of a received email."""
    part = message.get_body((subtype,))
    assert part is not None, f"no text/{subtype} part"
    return part.get_content()


@pytest.fixture
def smtp_down(settings) -> int:
    """The SMTP backend points at a port where no server listens; returns the port."""
    port = free_port()
    use_smtp_server(settings, host="127.0.0.1", port=port)
    return port


@pytest.mark.django_db(transaction=True)
def test_it_delivers_a_committed_email_through_smtp(
    alice: Subscriber, bob: Subscriber, smtp_server: SMTPServer
):
    with transaction.atomic():
        to_alice = send_reset_email(alice, language="en")
        to_bob = send_reset_email(bob, language="fr")
    assert queued_deliveries() == [to_alice.pk, to_bob.pk]

    run_worker()

    received = {message["To"]: message for message in smtp_server.messages}
    assert sorted(received) == ["alice@example.com", "bob@example.com"]
    english, french = received["alice@example.com"], received["bob@example.com"]
    assert english["Subject"] == "Reset your Plugline password"
    assert french["Subject"] == "Réinitialisez votre mot de passe Plugline"
    assert english["X-Plugline-Message"] == str(to_alice.pk)
    english_text = body(english, "plain")
    english_html = body(english, "html")
    assert english_text.startswith("Hello Alice,")
    assert RESET_URL in english_text
    assert f'<a href="{RESET_URL}"' in english_html
    assert "Choose a new password</a>" in english_html
    french_html = body(french, "html")
    assert "Choisir un nouveau mot de passe</a>" in french_html
    for message in (to_alice, to_bob):
        message.refresh_from_db()
        assert message.status == OutboxStatus.SENT
        assert message.attempts == 1
        assert message.sent_at is not None
    assert queued_deliveries() == []


@pytest.mark.parametrize(
    ("language", "subject", "button"),
    [
        ("en", "Reset your Plugline password", "Choose a new password"),
        ("fr", "Réinitialisez votre mot de passe Plugline", "Choisir un nouveau mot de passe"),
        ("da", "Nulstil din Plugline-adgangskode", "Vælg en ny adgangskode"),
    ],
)
def test_it_writes_the_email_in_the_recipients_language(
    alice: Subscriber, language: str, subject: str, button: str
):
    message = send_reset_email(alice, language=language)
    assert message.language == language
    assert message.subject == subject
    assert button in message.body_html
    assert f'<html lang="{language}">' in message.body_html


def test_it_does_not_html_escape_the_subject_and_text(alice: Subscriber, settings):
    settings.BRAND_NAME = "Ben & Jerry's Phone"
    alice.user.first_name = "Zoë O'Brien"
    link = "https://plugline.example/activate/?device=PL1&code=7"
    message = email_send(
        template="account/email/password_reset_key",
        to=alice.email,
        context={"user": alice.user, "password_reset_url": link, "reset_link_hours": 1},
        language="en",
        user=alice.user,
    )
    assert message.subject == "Reset your Ben & Jerry's Phone password"
    assert message.body_text.startswith("Hello Zoë O'Brien,")
    assert f"\n{link}\n" in message.body_text
    # The HTML part escapes as HTML must.
    assert "Hello Zoë O&#x27;Brien," in message.body_html
    assert 'href="https://plugline.example/activate/?device=PL1&amp;code=7"' in message.body_html


def test_it_sets_a_text_only_email_in_the_standard_layout(alice: Subscriber, settings):
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [Path(__file__).resolve().parent / "templates"]}
    ]
    message = email_send(
        template="tests/voicemail",
        to=alice.email,
        context={
            "caller": "Ben & Jerry's",
            "number": "+12125550100",
            "url": "https://plugline.example/voicemail/3/?play=1&from=email",
        },
        language="fr",
        user=alice.user,
    )
    assert message.subject == "Voicemail from Ben & Jerry's"
    assert message.body_text.startswith("New voicemail from Ben & Jerry's <+12125550100>.")
    html = message.body_html
    assert '<html lang="fr">' in html
    assert "New voicemail from Ben &amp; Jerry&#x27;s &lt;+12125550100&gt;." in html
    assert 'href="https://plugline.example/voicemail/3/?play=1&amp;from=email"' in html
    assert "Vous recevez ce courriel en raison de votre compte Plugline." in html


@pytest.mark.django_db(transaction=True)
def test_it_queues_messages_written_together_as_one_task_and_delivers_each_once(
    alice: Subscriber, bob: Subscriber, smtp_server: SMTPServer
):
    emails = [
        EmailToSend(
            template="account/email/password_reset_key",
            to=subscriber.email,
            context={
                "user": subscriber.user,
                "password_reset_url": RESET_URL,
                "reset_link_hours": 1,
            },
            language=language,
            user=subscriber.user,
        )
        for subscriber, language in ((alice, "en"), (bob, "fr"), (alice, "da"))
    ]
    with transaction.atomic():
        written = emails_send(emails)
    # A batch of receipts costs the queue one row, not one per message.
    assert DBTaskResult.objects.count() == 1
    assert queued_deliveries() == sorted(message.pk for message in written)

    run_worker()

    assert sorted(message["To"] for message in smtp_server.messages) == [
        "alice@example.com",
        "alice@example.com",
        "bob@example.com",
    ]
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxStatus.SENT}
    run_worker()
    assert len(smtp_server.messages) == 3


@pytest.mark.django_db(transaction=True)
def test_it_writes_and_queues_nothing_when_the_cause_rolls_back(
    alice: Subscriber, smtp_server: SMTPServer
):
    class PaymentDeclined(Exception):
        pass

    with pytest.raises(PaymentDeclined), transaction.atomic():
        send_reset_email(alice)
        assert queued_deliveries() == []  # nothing is queued before the commit
        raise PaymentDeclined

    assert not OutboxMessage.objects.exists()
    assert not DBTaskResult.objects.exists()
    run_worker()
    assert smtp_server.messages == []


@pytest.mark.django_db(transaction=True)
def test_it_retries_after_a_delay_and_delivers_once_the_smtp_server_is_back(
    alice: Subscriber, smtp_down: int
):
    with time_machine.travel(T0, tick=False) as traveller:
        message = send_reset_email(alice)
        run_worker()

        message.refresh_from_db()
        assert message.status == OutboxStatus.PENDING
        assert message.attempts == 1
        assert message.next_attempt_at == T0 + timedelta(seconds=30)
        assert "ConnectionRefusedError" in message.last_error
        retry = DBTaskResult.objects.get(status=TaskResultStatus.READY)
        assert retry.run_after == T0 + timedelta(seconds=30)

        with running_smtp_server(port=smtp_down) as server:
            run_worker()  # the retry is not due yet
            assert server.messages == []

            traveller.shift(timedelta(seconds=30))
            run_worker()
            assert [received["To"] for received in server.messages] == ["alice@example.com"]

    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT
    assert message.attempts == 2
    assert message.last_error == ""


def test_it_backs_off_then_gives_up_after_the_last_attempt(
    alice: Subscriber, smtp_down: int, settings
):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    with time_machine.travel(T0, tick=False) as traveller:
        message = send_reset_email(alice)
        retries_at = []
        for _ in range(3):
            assert outbox_deliver(message_id=message.pk) is False
            message.refresh_from_db()
            if message.status == OutboxStatus.PENDING:
                retries_at.append(message.next_attempt_at)
                traveller.move_to(message.next_attempt_at)

    assert retries_at == [T0 + timedelta(seconds=30), T0 + timedelta(seconds=90)]
    assert message.status == OutboxStatus.FAILED
    assert message.attempts == 3
    assert "ConnectionRefusedError" in message.last_error
    assert message.claimed_until is None
    # One retry queued after each failure but the last; a failed message stays failed.
    assert queued_deliveries() == [message.pk, message.pk]
    assert outbox_deliver(message_id=message.pk) is False
    assert outbox_sweep(now=T0 + timedelta(days=1)) == 0
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.FAILED, 3)


def test_it_sends_a_message_once_however_often_delivery_runs(
    alice: Subscriber, smtp_server: SMTPServer
):
    message = send_reset_email(alice)
    assert outbox_deliver(message_id=message.pk) is True
    assert outbox_deliver(message_id=message.pk) is False
    assert len(smtp_server.messages) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.SENT, 1)


def test_it_leaves_a_message_to_the_worker_that_claimed_it(
    alice: Subscriber, smtp_server: SMTPServer
):
    message = send_reset_email(alice)
    assert outbox_claim(message_id=message.pk, now=message.next_attempt_at)  # another worker
    assert outbox_deliver(message_id=message.pk) is False
    assert smtp_server.messages == []
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.SENDING, 1)


@pytest.mark.django_db(transaction=True)
def test_it_sends_once_when_the_sweep_queued_a_second_delivery(
    alice: Subscriber, smtp_server: SMTPServer
):
    with time_machine.travel(T0, tick=False) as traveller:
        message = send_reset_email(alice)
        # No worker picked the task up in time: the sweep queues another one.
        traveller.shift(SWEEP_GRACE + timedelta(minutes=1))
        assert outbox_sweep() == 1
        assert queued_deliveries() == [message.pk, message.pk]

        run_worker()

    assert len(smtp_server.messages) == 1
    assert sorted(task.return_value for task in DBTaskResult.objects.all()) == [False, True]
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.SENT, 1)


@pytest.mark.django_db(transaction=True)
def test_it_delivers_an_attachment_with_its_email(alice: Subscriber, smtp_server: SMTPServer):
    audio = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(range(256))
    with transaction.atomic():
        email_send(
            template="account/email/password_reset_key",
            to=alice.email,
            context={"user": alice.user, "password_reset_url": RESET_URL, "reset_link_hours": 1},
            language="en",
            user=alice.user,
            attachments=[
                Attachment(filename="voicemail.wav", content_type="audio/wav", content=audio)
            ],
        )

    run_worker()

    [received] = smtp_server.messages
    [attachment] = list(received.iter_attachments())
    assert attachment.get_filename() == "voicemail.wav"
    assert attachment.get_content_type() == "audio/wav"
    assert attachment.get_content() == audio
    assert RESET_URL in body(received, "plain")
