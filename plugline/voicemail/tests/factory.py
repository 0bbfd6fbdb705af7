"""A line with voicemail messages, for the voicemail tests."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from plugline.voicemail.audio import wav_read
from plugline.voicemail.models import VoicemailMessage
from plugline.voicemail.services import voicemail_message_store
from plugline.voicemail.tests.phone import tone_wav


def leave_message(
    number: str,
    *,
    caller: str = "12125550199",
    seconds: float = 3.0,
    at: datetime | None = None,
) -> VoicemailMessage:
    """A message as the voicemail server keeps it (`number`: the line's, digits only)."""
    message = voicemail_message_store(
        number=number,
        caller=caller,
        received_at=at or timezone.now(),
        audio=wav_read(tone_wav(seconds)),
    )
    assert message is not None, f"no open line on {number}"
    return message
