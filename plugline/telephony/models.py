"""Phone numbers: the operator's inventory of numbers, by area code and city.

A number is available, reserved (held for a few minutes by a customer
choosing it in the activation wizard), assigned (a device's service number,
see devices.Device.phone_number) or quarantined (left by a subscriber, resting
before it can be given to someone else). Every change of status goes through
plugline.telephony.services, with a conditional update, so that two
customers never get the same number.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _


class NumberStatus(models.TextChoices):
    AVAILABLE = "available", _("available")
    RESERVED = "reserved", _("reserved")
    ASSIGNED = "assigned", _("assigned")
    QUARANTINED = "quarantined", _("quarantined")


class PhoneNumber(models.Model):
    e164 = models.CharField(_("number"), max_length=16, unique=True)
    country = models.CharField(_("country"), max_length=2)
    # The North American area code (NPA), or the first digits elsewhere.
    area_code = models.CharField(_("area code"), max_length=6, db_index=True)
    city = models.CharField(_("city"), max_length=80)
    region = models.CharField(_("state or province"), max_length=40, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=NumberStatus.choices, default=NumberStatus.AVAILABLE
    )
    # Who holds a reservation (an opaque string such as "activation:<uuid>")
    # and until when; a lapsed reservation counts as available.
    reserved_for = models.CharField(max_length=64, blank=True, verbose_name=_("reserved for"))
    reserved_until = models.DateTimeField(null=True, blank=True, verbose_name=_("reserved until"))
    # A quarantined number becomes available again after this time.
    quarantined_until = models.DateTimeField(
        null=True, blank=True, verbose_name=_("quarantined until")
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("phone number")
        verbose_name_plural = _("phone numbers")
        ordering = ["e164"]
        indexes = [
            models.Index(fields=["status", "area_code"], name="number_status_area"),
            models.Index(fields=["status", "city"], name="number_status_city"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(e164__startswith="+"), name="phone_number_e164"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="reserved")
                | (models.Q(reserved_until__isnull=False) & ~models.Q(reserved_for="")),
                name="phone_number_reservation_has_holder",
            ),
        ]

    def __str__(self) -> str:
        return self.e164


class SipAccount(models.Model):
    """A device's SIP credentials, as Kamailio reads them (through the view sip_subscriber).

    Only the digest hashes are kept (see plugline.telephony.sip); the
    password is derived again when the device asks for it. Whether the
    account may register right now is not stored: the view decides it from
    the device and its subscription at every REGISTER.
    """

    # No import of devices (it sits above telephony): the link is by name.
    device = models.OneToOneField(
        "devices.Device",
        on_delete=models.CASCADE,
        related_name="sip_account",
        verbose_name=_("device"),
    )
    username = models.CharField(_("SIP user"), max_length=64)
    domain = models.CharField(_("SIP domain"), max_length=64)
    ha1 = models.CharField(_("digest hash (HA1)"), max_length=32)
    ha1b = models.CharField(_("digest hash with domain (HA1B)"), max_length=32)
    # Bumped by every rotation; the password is derived from it.
    generation = models.PositiveIntegerField(_("generation"), default=1)
    # Whether the view listed the account when the line check last ran
    # (plugline.telephony.lines): a line that closed since then has its
    # registrations ended once.
    line_open = models.BooleanField(_("line open at the last check"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("SIP account")
        verbose_name_plural = _("SIP accounts")
        ordering = ["username"]
        constraints = [
            models.UniqueConstraint(fields=["username", "domain"], name="sip_account_user_domain"),
        ]

    def __str__(self) -> str:
        return f"{self.username}@{self.domain}"


class AccTextField(models.CharField):
    """A text column Kamailio's acc module may leave empty: PostgreSQL's driver writes ''
    and SQLite's (`make sip`) NULL, so the column takes NULL, and Plugline reads it as ''."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default", "")
        kwargs["null"] = True
        super().__init__(*args, **kwargs)

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str:
        return "" if value is None else value


class KamailioAcc(models.Model):
    """A row Kamailio's acc module writes (deploy/kamailio/kamailio.cfg, route[ACC_CALL]).

    The final answer to a call's INVITE (answered or not) and each BYE, as
    Kamailio saw them; the role kamailio may only INSERT here. Plugline reads
    and deletes the rows as it imports them into CallRecord
    (plugline.telephony.callrecords). The first eight columns are those the
    acc module always writes; the last four are its db_extra.
    """

    method = models.CharField(max_length=16, default="")
    from_tag = models.CharField(max_length=128, default="")
    # A reply Kamailio sends without relaying the call (a 480 to a line with no device
    # registered, an international call refused) has no To tag.
    to_tag = AccTextField(max_length=128)
    callid = models.CharField(max_length=255, default="", db_index=True)
    sip_code = models.CharField(max_length=3, default="")
    sip_reason = models.CharField(max_length=128, default="")
    time = models.DateTimeField(null=True)
    # acc writes an unset value as '' (NULL on SQLite): every extra column is text.
    caller = AccTextField(max_length=64)
    callee = AccTextField(max_length=64)
    # Unix seconds: when the INVITE arrived, and when the answer or BYE was sent.
    invite_ts = AccTextField(max_length=20)
    event_ts = AccTextField(max_length=20)
    # Where Kamailio diverted the call, if it did: the SIP user (E.164 digits) it was
    # forwarded to, or "voicemail"; and why (always, busy, noanswer, unavailable, dnd).
    # A database default too: a Kamailio still on a configuration without these extras
    # (during an upgrade) keeps writing its rows.
    diverted_to = AccTextField(max_length=64, db_default="")
    divert_reason = AccTextField(max_length=16, db_default="")

    class Meta:
        db_table = "kamailio_acc"
        verbose_name = _("Kamailio accounting row")
        verbose_name_plural = _("Kamailio accounting rows")

    def __str__(self) -> str:
        return f"{self.method} {self.callid} {self.sip_code}"


class CallOutcome(models.TextChoices):
    ANSWERED = "answered", _("answered")
    BUSY = "busy", _("busy")
    NO_ANSWER = "no_answer", _("no answer")
    FAILED = "failed", _("failed")
    BLOCKED = "blocked", _("blocked")
    FORWARDED = "forwarded", _("forwarded")
    VOICEMAIL = "voicemail", _("to voicemail")


class CallRecord(models.Model):
    """One call, imported once from Kamailio's accounting (unique call id).

    Linked to the calling and the called device by number at the time of
    the call (either may be outside Plugline: the carrier, 911). For a
    device, a call is outgoing when it is the caller, incoming when it is
    the callee.
    """

    call_id = models.CharField(_("call id"), max_length=255, unique=True)
    caller = models.CharField(_("caller"), max_length=64)
    callee = models.CharField(_("callee"), max_length=64)
    # No import of devices (it sits above telephony): the link is by name.
    caller_device = models.ForeignKey(
        "devices.Device",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="calls_made",
        verbose_name=_("calling device"),
    )
    callee_device = models.ForeignKey(
        "devices.Device",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="calls_received",
        verbose_name=_("called device"),
    )
    started_at = models.DateTimeField(_("started at"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), default=0)
    outcome = models.CharField(_("outcome"), max_length=12, choices=CallOutcome.choices)
    sip_code = models.CharField(_("SIP answer"), max_length=3)
    # A forwarded call: the number it went to (E.164); the SIP answer is that leg's.
    forwarded_to = models.CharField(_("forwarded to"), max_length=64, blank=True, default="")
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)

    class Meta:
        verbose_name = _("call record")
        verbose_name_plural = _("call records")
        ordering = ["-started_at", "-pk"]
        indexes = [
            models.Index(
                fields=["caller_device", "-started_at"], name="call_caller_device_started"
            ),
            models.Index(
                fields=["callee_device", "-started_at"], name="call_callee_device_started"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.caller} → {self.callee} ({self.started_at:%Y-%m-%d %H:%M})"


class BlockedCaller(models.Model):
    """A number, or the start of numbers, whose calls a device refuses (Kamailio reads them
    through the view sip_blocked_caller at every incoming call)."""

    device = models.ForeignKey(
        "devices.Device",
        on_delete=models.CASCADE,
        related_name="blocked_callers",
        verbose_name=_("device"),
    )
    # E.164 with its '+': the whole number, or its first digits when is_prefix.
    e164 = models.CharField(_("number or prefix"), max_length=16)
    is_prefix = models.BooleanField(_("every number starting with it"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("blocked caller")
        verbose_name_plural = _("blocked callers")
        ordering = ["e164"]
        constraints = [
            models.UniqueConstraint(
                fields=["device", "e164", "is_prefix"], name="blocked_caller_once"
            ),
            models.CheckConstraint(
                condition=models.Q(e164__regex=r"^\+[1-9][0-9]{2,14}$"),
                name="blocked_caller_e164",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.e164}…" if self.is_prefix else self.e164


class CallScreening(models.Model):
    """A device's choices about who may call it, beyond its list of blocked callers."""

    device = models.OneToOneField(
        "devices.Device",
        on_delete=models.CASCADE,
        related_name="call_screening",
        verbose_name=_("device"),
    )
    # Callers who hide their number: "anonymous", withheld (Privacy: id), or no number.
    refuse_anonymous = models.BooleanField(_("refuse anonymous callers"), default=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("call screening")
        verbose_name_plural = _("call screenings")

    def __str__(self) -> str:
        return str(self.device_id)


class BlockedCallReason(models.TextChoices):
    BLOCKED_NUMBER = "blocked", _("blocked number")
    ANONYMOUS = "anonymous", _("anonymous caller")


class BlockedCall(models.Model):
    """A call Kamailio refused because its callee blocks the caller (Kamailio inserts it).

    Kept apart until the call history imports it: one row per Call-ID.
    """

    call_id = models.CharField(_("Call-ID"), max_length=255, unique=True)
    # The callee's SIP user (E.164 digits without '+') and the caller as Kamailio saw it.
    callee = models.CharField(_("callee"), max_length=64, db_index=True)
    caller = models.CharField(_("caller"), max_length=128, blank=True)
    reason = models.CharField(_("reason"), max_length=16, choices=BlockedCallReason.choices)
    created_at = models.DateTimeField(_("created at"), db_default=Now())

    class Meta:
        db_table = "sip_blocked_call"
        verbose_name = _("blocked call")
        verbose_name_plural = _("blocked calls")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.caller} → {self.callee}"


RING_SECONDS_MIN = 15
RING_SECONDS_MAX = 40
RING_SECONDS_DEFAULT = 25


class CallSettings(models.Model):
    """A device's choices about the calls it receives: how long it rings, do not disturb, and
    forwarding (Kamailio reads them through the view sip_call_settings at every incoming call;
    a device without a row has the defaults: 25 s, no forwarding, calls ring)."""

    device = models.OneToOneField(
        "devices.Device",
        on_delete=models.CASCADE,
        related_name="call_settings",
        verbose_name=_("device"),
    )
    ring_seconds = models.PositiveSmallIntegerField(
        _("ring time (seconds)"), default=RING_SECONDS_DEFAULT
    )
    do_not_disturb = models.BooleanField(_("do not disturb"), default=False)
    forward_always = models.BooleanField(_("forward every call"), default=False)
    forward_busy = models.BooleanField(_("forward when busy"), default=False)
    forward_no_answer = models.BooleanField(_("forward when unanswered"), default=False)
    forward_unreachable = models.BooleanField(_("forward when unreachable"), default=False)
    # E.164 with its '+' (United States or Canada); empty when no forwarding is on.
    forward_to = models.CharField(_("forwarding number"), max_length=16, blank=True, default="")
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("call settings")
        verbose_name_plural = _("call settings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    ring_seconds__gte=RING_SECONDS_MIN, ring_seconds__lte=RING_SECONDS_MAX
                ),
                name="call_settings_ring_seconds",
            ),
            models.CheckConstraint(
                condition=models.Q(forward_to="") | models.Q(forward_to__regex=r"^\+1[0-9]{10}$"),
                name="call_settings_forward_to_nanp",
            ),
            models.CheckConstraint(
                condition=~models.Q(forward_to="")
                | models.Q(
                    forward_always=False,
                    forward_busy=False,
                    forward_no_answer=False,
                    forward_unreachable=False,
                ),
                name="call_settings_forward_has_number",
            ),
        ]

    def __str__(self) -> str:
        return str(self.device_id)
