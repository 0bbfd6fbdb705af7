"""Reads of voicemail: a line's mailbox for the voicemail server, a device's messages for
its owner."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Count
from django.db.models.expressions import RawSQL
from django.http import Http404

from plugline.telephony.models import SipAccount
from plugline.voicemail.audio import default_greeting
from plugline.voicemail.models import Mailbox, VoicemailMessage


def _open_lines() -> RawSQL:
    # The rule of the view sip_subscriber, for reading every line at once
    # (plugline.telephony.sipview): a device on an account, not suspended, in service.
    return RawSQL("SELECT id FROM sip_line_open", ())


def mailbox_numbers_live() -> set[str]:
    """The SIP users (the numbers, digits only) of every line that is open now."""
    return set(SipAccount.objects.filter(pk__in=_open_lines()).values_list("username", flat=True))


@dataclass(frozen=True)
class MailboxLine:
    """The device behind a mailbox number, with what the voicemail server needs of it."""

    device_id: int
    owner_id: int
    language: str
    greeting: bytes


def mailbox_line_for_number(number: str) -> MailboxLine | None:
    """The device whose live line is `number` (digits, the SIP user): None if no line is open
    on that number now (unknown number, device released, suspended, out of service)."""
    account = (
        SipAccount.objects.filter(username=number, pk__in=_open_lines())
        .select_related("device__owner")
        .first()
    )
    owner = account.device.owner if account is not None else None
    if account is None or owner is None:
        return None
    device = account.device
    language = getattr(owner, "language", "") or "en"
    mailbox = Mailbox.objects.filter(device_id=device.pk).first()
    if mailbox is not None and mailbox.greeting:
        with mailbox.greeting.open("rb") as file:
            greeting = file.read()
    else:
        greeting = default_greeting(language)
    return MailboxLine(device_id=device.pk, owner_id=owner.pk, language=language, greeting=greeting)


@dataclass(frozen=True)
class DeviceVoicemail:
    """A device's voicemail as its page shows it."""

    messages: list[VoicemailMessage]
    own_greeting: bool
    email_new_messages: bool

    @property
    def new_count(self) -> int:
        return sum(1 for message in self.messages if not message.heard)


def device_voicemail(*, device_id: int) -> DeviceVoicemail:
    """The device's messages, newest first, and its mailbox settings (two queries). The
    caller has already checked that the device is the asker's."""
    mailbox = Mailbox.objects.filter(device_id=device_id).first()
    return DeviceVoicemail(
        messages=list(VoicemailMessage.objects.filter(device_id=device_id)),
        own_greeting=bool(mailbox and mailbox.greeting),
        email_new_messages=bool(mailbox and mailbox.email_new_messages),
    )


def voicemail_new_counts(*, device_ids: list[int]) -> dict[int, int]:
    """New (not heard) messages per device, for these devices (one query): for "My account".
    The caller has already checked that the devices are the asker's."""
    rows = (
        VoicemailMessage.objects.filter(device_id__in=device_ids, heard=False)
        .values("device_id")
        .annotate(count=Count("pk"))
        .values_list("device_id", "count")
    )
    return {device_id: 0 for device_id in device_ids} | dict(rows)


def voicemail_message_for_owner(*, device_id: int, message_id: int) -> VoicemailMessage:
    """The device's message; Http404 for a message of any other device. The caller has
    already checked that the device is the asker's."""
    message = VoicemailMessage.objects.filter(pk=message_id, device_id=device_id).first()
    if message is None:
        raise Http404("No such message on this device")
    return message


def voicemail_export(user: AbstractBaseUser) -> list[dict[str, Any]]:
    """The "voicemail" section of the account's data export: its devices' messages (without
    the audio, which the device's page downloads)."""
    messages = (
        VoicemailMessage.objects.filter(device__owner_id=user.pk)
        .select_related("device")
        .order_by("-received_at", "-pk")
    )
    return [
        {
            "device": message.device.serial,
            "caller": message.caller,
            "received_at": message.received_at,
            "duration_seconds": message.duration_seconds,
            "heard": message.heard,
        }
        for message in messages
    ]
