"""Messages end: after VOICEMAIL_RETENTION_DAYS, and at once when the device leaves its
account (release, transfer, account closure), files and all; the greeting too. And what the
voicemail server reads of a line: its greeting (the standard one in the owner's language, or
their own), and the new-message counts for My account."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone

from conftest import make_subscriber
from plugline.accounts.data_export import data_export_build
from plugline.accounts.models import User
from plugline.accounts.services import account_close
from plugline.core.scheduling import periodic_jobs
from plugline.devices.models import Activation
from plugline.devices.services import device_release
from plugline.devices.tests.test_transfer import LINK
from plugline.devices.transfer import transfer_request_create
from plugline.notifications.models import OutboxMessage
from plugline.telephony.tests.sip_factory import make_line
from plugline.voicemail.audio import GREETINGS, wav_read
from plugline.voicemail.models import Mailbox, VoicemailMessage
from plugline.voicemail.selectors import mailbox_line_for_number, voicemail_new_counts
from plugline.voicemail.services import (
    RETENTION_JOB_NAME,
    mailbox_greeting_save,
    voicemail_retention_purge,
)
from plugline.voicemail.tests.factory import leave_message
from plugline.voicemail.tests.phone import tone_wav

pytestmark = pytest.mark.django_db(transaction=True)

NUMBER = "12125550147"


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def line():
    return make_line(make_subscriber(numbers=()).user, number=f"+{NUMBER}")


def stored_files(media: Path) -> list[Path]:
    return sorted(path for path in media.rglob("*") if path.is_file())


def test_it_deletes_messages_older_than_the_retention_days_with_their_files(
    settings, line, media: Path
) -> None:
    settings.VOICEMAIL_RETENTION_DAYS = 30
    now = timezone.now()
    old = leave_message(NUMBER, at=now - timedelta(days=31))
    recent = leave_message(NUMBER, at=now - timedelta(days=29))

    assert voicemail_retention_purge() == 1

    assert list(VoicemailMessage.objects.all()) == [recent]
    assert not default_storage.exists(old.audio.name)
    assert stored_files(media) == [media / recent.audio.name]


def test_the_scheduler_runs_the_retention_job() -> None:
    jobs = {job.name: job for job in periodic_jobs()}

    assert jobs[RETENTION_JOB_NAME].func is voicemail_retention_purge


def test_it_wipes_the_voicemail_of_a_released_device(line, media: Path) -> None:
    device = line.boxed.device
    leave_message(NUMBER)
    leave_message(NUMBER, caller="12125550100")
    mailbox_greeting_save(device_id=device.pk, data=tone_wav(2))
    assert len(stored_files(media)) == 3

    device_release(device=device, keep_number=True)

    assert not VoicemailMessage.objects.exists()
    assert not Mailbox.objects.exists()
    assert stored_files(media) == []


def test_it_wipes_the_voicemail_of_a_transferred_device(line, media: Path) -> None:
    device = line.boxed.device
    leave_message(NUMBER)
    Activation.objects.create(device=device, present_until=timezone.now() + timedelta(hours=1))
    transfer_request_create(activation=Activation.objects.get(device=device))
    email = OutboxMessage.objects.filter(to_email="alice@example.com").latest("id")
    link = LINK.search(email.body_text)
    assert link is not None, email.body_text

    answered = Client().post(link.group(1), {"answer": "approve"})

    assert answered.status_code == 200
    assert not VoicemailMessage.objects.exists()
    assert stored_files(media) == []


def test_it_wipes_the_voicemail_when_the_account_closes(line, media: Path) -> None:
    leave_message(NUMBER)
    owner = User.objects.get(email="alice@example.com")

    account_close(user=owner)

    assert not VoicemailMessage.objects.exists()
    assert stored_files(media) == []


def test_it_keeps_the_messages_of_other_devices(line, media: Path) -> None:
    bob = make_subscriber("bob@example.com", numbers=()).user
    make_line(bob, serial="PLS10000002", number="+12125550148")
    kept = leave_message("12125550148")
    leave_message(NUMBER)

    device_release(device=line.boxed.device, keep_number=False)

    assert list(VoicemailMessage.objects.all()) == [kept]
    assert stored_files(media) == [media / kept.audio.name]


def test_it_lists_the_messages_in_the_accounts_data_export(line) -> None:
    leave_message(NUMBER, seconds=3)
    owner = User.objects.get(email="alice@example.com")

    export = data_export_build(user=owner)

    [entry] = export["voicemail"]
    assert entry["device"] == line.serial
    assert entry["caller"] == "+12125550199"
    assert entry["duration_seconds"] == 3
    assert entry["heard"] is False


def test_it_drops_a_message_for_a_number_with_no_open_line(line, media: Path) -> None:
    from plugline.voicemail.audio import wav_read
    from plugline.voicemail.services import voicemail_message_store

    dropped = voicemail_message_store(
        number="12125550100",
        caller="12125550199",
        received_at=timezone.now(),
        audio=wav_read(tone_wav(2)),
    )

    assert dropped is None
    assert not VoicemailMessage.objects.exists()
    assert stored_files(media) == []


def test_it_counts_each_devices_new_messages_for_my_account(line) -> None:
    bob = make_subscriber("bob@example.com", numbers=()).user
    other = make_line(bob, serial="PLS10000002", number="+12125550148")
    leave_message(NUMBER)
    heard = leave_message(NUMBER)
    VoicemailMessage.objects.filter(pk=heard.pk).update(heard=True)
    leave_message(NUMBER)

    counts = voicemail_new_counts(device_ids=[line.boxed.device.pk, other.boxed.device.pk])

    assert counts == {line.boxed.device.pk: 2, other.boxed.device.pk: 0}


@pytest.mark.parametrize("language", ["en", "fr", "da"])
def test_callers_hear_the_standard_greeting_in_the_owners_language(language: str) -> None:
    owner = make_subscriber(numbers=(), language=language).user
    made = make_line(owner, number=f"+{NUMBER}")

    line_of = mailbox_line_for_number(NUMBER)

    assert line_of is not None
    assert line_of.device_id == made.boxed.device.pk
    assert line_of.greeting == (GREETINGS / f"{language}.wav").read_bytes()


def test_callers_hear_the_owners_own_greeting_once_uploaded(line) -> None:
    mailbox_greeting_save(device_id=line.boxed.device.pk, data=tone_wav(2, frequency=300))

    line_of = mailbox_line_for_number(NUMBER)

    assert line_of is not None
    assert line_of.greeting not in {path.read_bytes() for path in GREETINGS.glob("*.wav")}
    assert wav_read(line_of.greeting).seconds == pytest.approx(2)


def test_my_account_counts_a_new_message_at_once_and_forgets_it_once_heard_or_deleted(
    line, client: Client
) -> None:
    from plugline.voicemail.services import voicemail_message_delete, voicemail_message_mark_heard

    client.force_login(line.boxed.device.owner)

    def my_account() -> str:
        response = client.get("/")
        assert response.status_code == 200
        return response.content.decode()

    assert "new voicemail message" not in my_account()  # now kept rendered
    first = leave_message(NUMBER)
    assert "1 new voicemail message" in my_account()
    voicemail_message_mark_heard(message=first)
    assert "new voicemail message" not in my_account()
    second = leave_message(NUMBER)
    assert "1 new voicemail message" in my_account()
    voicemail_message_delete(message=second)
    assert "new voicemail message" not in my_account()
