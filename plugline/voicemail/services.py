"""Writes of voicemail: a message left (and emailed), heard, deleted; a device's greeting and
email switch; the messages' end (retention, the device leaving its account).

Files go through Django's default storage. A file is deleted once the transaction that
deleted its row has committed, so that a rolled-back deletion never loses the audio.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from plugline.accounts.models import User
from plugline.core.account_pages import account_pages_changed
from plugline.core.phones import format_phone_number
from plugline.core.time_zones import time_zone_get
from plugline.devices.models import Device
from plugline.notifications.services import Attachment, email_send
from plugline.telephony.callrecords import sip_user_number
from plugline.voicemail.audio import Pcm, greeting_prepare, wav_bytes
from plugline.voicemail.models import Mailbox, VoicemailMessage
from plugline.voicemail.selectors import mailbox_line_for_number

logger = logging.getLogger(__name__)

RETENTION_JOB_NAME = "voicemail.retention_purge"
RETENTION_JOB_EVERY = timedelta(hours=1)
# Messages deleted per transaction by the retention job.
PURGE_BATCH = 500
# A caller's SIP user that is a number (as sip_user_number gives it); anything else
# ("anonymous", "Restricted") is a caller who hid their number.
_CALLER_NUMBER = re.compile(r"\+?[0-9]+")


def _caller_number(caller: str) -> str:
    """The caller's number from its SIP user; "" for a caller who hid it."""
    number = sip_user_number(caller) if caller else ""
    return number if _CALLER_NUMBER.fullmatch(number) else ""


def _files_delete_on_commit(names: list[str]) -> None:
    def delete() -> None:
        for name in names:
            try:
                default_storage.delete(name)
            except OSError:
                logger.exception("voicemail file %s could not be deleted", name)

    if names:
        transaction.on_commit(delete)


def _pages_changed(device_ids: list[int]) -> None:
    # "My account" counts each device's new messages (plugline.core.account_pages).
    account_pages_changed(
        user_ids=Device.objects.filter(pk__in=device_ids).values_list("owner_id", flat=True)
    )


@transaction.atomic
def voicemail_message_store(
    *, number: str, caller: str, received_at: datetime, audio: Pcm
) -> VoicemailMessage | None:
    """Keep a message left for the line `number` (the SIP user, digits) by `caller` (the SIP
    user of the caller: "" or a name such as "anonymous" when it hid its number, kept as a
    hidden number); None when no line is open on that number now (the message is dropped).
    Emails it, audio attached, when its owner chose so."""
    line = mailbox_line_for_number(number)
    if line is None:
        logger.info("voicemail for %s dropped: no live line has that number", number)
        return None
    caller_number = _caller_number(caller)
    content = wav_bytes(audio)
    message = VoicemailMessage(
        device_id=line.device_id,
        caller=caller_number,
        received_at=received_at,
        duration_seconds=max(1, round(audio.seconds)),
    )
    message.audio.save(
        f"{received_at:%Y%m%d-%H%M%S}-{number}.wav", ContentFile(content), save=False
    )
    message.save()
    account_pages_changed(user_ids=[line.owner_id])
    if Mailbox.objects.filter(device_id=line.device_id, email_new_messages=True).exists():
        _message_email(message=message, owner_id=line.owner_id, content=content)
    return message


def _message_email(*, message: VoicemailMessage, owner_id: int, content: bytes) -> None:
    owner = User.objects.get(pk=owner_id)
    if not owner.email:
        return
    device = message.device
    language = owner.language or settings.LANGUAGE_CODE
    received_at = timezone.localtime(message.received_at, time_zone_get(owner.time_zone))
    email_send(
        template="voicemail/email/new_message",
        to=owner.email,
        context={
            "name": owner.get_short_name(),
            "caller": format_phone_number(message.caller) if message.caller else "",
            "device": device.nickname or device.phone_number_display or device.serial,
            "received_at": received_at,
            "duration": message.duration_seconds,
            "device_url": settings.SITE_URL
            + reverse("portal:device", args=[device.serial])
            + "#voicemail",
        },
        language=language,
        user=owner,
        attachments=[
            Attachment(
                filename=f"voicemail-{received_at:%Y-%m-%d-%H%M}.wav",
                content_type="audio/wav",
                content=content,
            )
        ],
    )


@transaction.atomic
def voicemail_message_mark_heard(*, message: VoicemailMessage) -> None:
    if not message.heard:
        VoicemailMessage.objects.filter(pk=message.pk).update(heard=True)
        message.heard = True
        _pages_changed([message.device_id])


@transaction.atomic
def voicemail_message_delete(*, message: VoicemailMessage) -> None:
    name = message.audio.name
    VoicemailMessage.objects.filter(pk=message.pk).delete()
    _files_delete_on_commit([name])
    _pages_changed([message.device_id])


def _mailbox(device_id: int) -> Mailbox:
    mailbox, _created = Mailbox.objects.select_for_update().get_or_create(device_id=device_id)
    return mailbox


@transaction.atomic
def mailbox_greeting_save(*, device_id: int, data: bytes) -> None:
    """The device's own greeting from an uploaded WAV (raises audio.AudioError if unusable)."""
    prepared = greeting_prepare(data)
    mailbox = _mailbox(device_id)
    old = mailbox.greeting.name if mailbox.greeting else ""
    mailbox.greeting.save(f"device-{device_id}.wav", ContentFile(prepared), save=False)
    mailbox.save()
    _files_delete_on_commit([old] if old else [])


@transaction.atomic
def mailbox_greeting_reset(*, device_id: int) -> bool:
    """Back to the default greeting; False if the device had no greeting of its own."""
    mailbox = Mailbox.objects.select_for_update().filter(device_id=device_id).first()
    if mailbox is None or not mailbox.greeting:
        return False
    name = mailbox.greeting.name
    mailbox.greeting = ""
    mailbox.save()
    _files_delete_on_commit([name])
    return True


@transaction.atomic
def mailbox_email_set(*, device_id: int, on: bool) -> bool:
    """Turn the "email me new messages" switch on or off; False if nothing changed."""
    mailbox = _mailbox(device_id)
    if mailbox.email_new_messages == on:
        return False
    mailbox.email_new_messages = on
    mailbox.save()
    return True


@transaction.atomic
def voicemail_device_wipe(*, device_id: int) -> int:
    """Everything of the device's voicemail goes, files too (the device leaves its account:
    release, transfer, closure); how many messages."""
    messages = VoicemailMessage.objects.filter(device_id=device_id)
    names = list(messages.values_list("audio", flat=True))
    count = len(names)
    messages.delete()
    _pages_changed([device_id])
    mailbox = Mailbox.objects.filter(device_id=device_id).first()
    if mailbox is not None:
        if mailbox.greeting:
            names.append(mailbox.greeting.name)
        mailbox.delete()
    _files_delete_on_commit(names)
    return count


def voicemail_retention_purge(*, now: datetime | None = None) -> int:
    """Delete the messages older than VOICEMAIL_RETENTION_DAYS, with their files; how many."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.VOICEMAIL_RETENTION_DAYS)
    purged = 0
    while True:
        with transaction.atomic():
            old = list(
                VoicemailMessage.objects.select_for_update(skip_locked=True)
                .filter(received_at__lt=cutoff)
                .values_list("pk", "audio", "device_id")[:PURGE_BATCH]
            )
            if not old:
                return purged
            VoicemailMessage.objects.filter(pk__in=[pk for pk, _name, _device in old]).delete()
            _files_delete_on_commit([name for _pk, name, _device in old])
            _pages_changed(sorted({device for _pk, _name, device in old}))
        purged += len(old)


@transaction.atomic
def voicemail_device_move(*, from_device_id: int, to_device_id: int) -> int:
    """A new device takes over an old one's line (an upgrade): the old device's messages and
    mailbox (greeting, email switch) become the new device's; how many messages moved.

    The new device's own (if it had any: it was just activated) are wiped first.
    """
    voicemail_device_wipe(device_id=to_device_id)
    moved = VoicemailMessage.objects.filter(device_id=from_device_id).update(device_id=to_device_id)
    Mailbox.objects.filter(device_id=from_device_id).update(device_id=to_device_id)
    _pages_changed([from_device_id, to_device_id])
    return moved
