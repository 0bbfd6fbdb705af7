"""A device's mailbox (its greeting, the email switch) and the messages left in it.

The audio is a file in Django's default storage (local files under
MEDIA_ROOT unless STORAGES points elsewhere); the rows say whose it is.
Voicemail sits beside telephony, below devices: the device is named, not imported.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Mailbox(models.Model):
    """A device's voicemail settings; a device without one has the default greeting."""

    device = models.OneToOneField(
        "devices.Device",
        on_delete=models.CASCADE,
        related_name="voicemail_mailbox",
        verbose_name=_("device"),
    )
    # The owner's own greeting, 8 kHz mono 16-bit WAV; empty: the default greeting
    # in the owner's language.
    greeting = models.FileField(
        _("greeting"), upload_to="voicemail/greetings/", blank=True, max_length=255
    )
    email_new_messages = models.BooleanField(
        _("email me new messages with the audio"), default=False
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return f"mailbox of device {self.device_id}"


class VoicemailMessage(models.Model):
    """A message a caller left for a device."""

    device = models.ForeignKey(
        "devices.Device",
        on_delete=models.CASCADE,
        related_name="voicemail_messages",
        verbose_name=_("device"),
    )
    # The caller's number as the call gave it (E.164 digits), or "" when hidden.
    caller = models.CharField(_("caller"), max_length=64, blank=True)
    received_at = models.DateTimeField(_("received at"), db_index=True)
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"))
    heard = models.BooleanField(_("heard"), default=False)
    audio = models.FileField(_("audio"), upload_to="voicemail/messages/%Y/%m/", max_length=255)

    class Meta:
        verbose_name = _("voicemail message")
        verbose_name_plural = _("voicemail messages")
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["device", "-received_at"])]

    def __str__(self) -> str:
        return f"{self.caller or '?'} at {self.received_at:%Y-%m-%d %H:%M}"

    @property
    def caller_display(self) -> str:
        from plugline.core.phones import format_phone_number

        return format_phone_number(self.caller) if self.caller else ""
