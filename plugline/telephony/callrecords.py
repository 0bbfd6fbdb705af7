"""Call history: Kamailio's accounting rows imported once into CallRecord, and read per device.

Kamailio's acc module writes a row to kamailio_acc for the final answer to
each call's INVITE and for each BYE (deploy/kamailio/kamailio.cfg,
route[ACC_CALL]). Every minute `call_records_import` claims the rows no
other import holds (SELECT ... FOR UPDATE SKIP LOCKED), turns each call's
final answer into one CallRecord (unique on Kamailio's call id, each
inserted in a savepoint, a call recorded already left alone), ends answered
calls with their BYE, and deletes the rows it used. Two imports running at once never record a call
twice: each row is claimed by one of them, and the call id is unique anyway.

A call the callee blocks is refused by Kamailio's route[BLOCKED_CALLERS] with
a stateless 603, which the acc module does not account: Kamailio inserts it
into sip_blocked_call instead (one row per Call-ID), and the same import claims
those rows the same way and records each as one call with the outcome
"blocked", before the accounting rows, so that a call both tables name is
recorded once, as blocked, with the caller's number hidden when it hid it.

A call Kamailio diverted (the callee's forwarding, or voicemail: route[FORWARD],
route[VOICEMAIL]) is still one record, of the call to the callee: "forwarded"
with the number it went to (whatever that leg's answer, kept as its SIP answer), or
"voicemail" when the voicemail server took it (a voicemail server that did not
leaves the outcome the callee's device gave). The callee's history shows it so;
the caller only sees whether the call was answered.

What the other apps do with the calls that ended (the rating of international calls,
plugline.minutes.rating) runs in the same job, after the import and in its transaction,
with the ids of the records this run ended: they register it with
`call_records_imported_register` (telephony sits below them). Each call ends in one run
only, and if what runs after fails, the import is rolled back with it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.paginator import Page, Paginator
from django.db import IntegrityError, transaction
from django.db.models import Q

from plugline.core.phones import format_phone_number, normalize_phone_number
from plugline.telephony.blocking import BlockedEntry, blocked_entries_match
from plugline.telephony.models import (
    BlockedCall,
    BlockedCallReason,
    CallOutcome,
    CallRecord,
    KamailioAcc,
    SipAccount,
)

IMPORT_JOB_NAME = "telephony.call_records_import"
IMPORT_JOB_EVERY = timedelta(minutes=1)
# Rows claimed by one import run; the next run takes the rest.
IMPORT_BATCH = 1000
# A BYE whose call was never recorded (its INVITE row lost) is dropped after this.
ORPHAN_BYE_AFTER = timedelta(days=1)
HISTORY_PAGE_SIZE = 20

_BUSY = {"486", "600"}
_NO_ANSWER = {"408", "480", "487"}
# Kamailio declines a caller the callee blocked with 603.
_BLOCKED = {"603"}

# What runs after each import (in its transaction): the apps above telephony register it.
_after_import: dict[str, Callable[[list[int]], object]] = {}


def call_records_imported_register(name: str, func: Callable[[list[int]], object]) -> None:
    """Run `func(ended)` after every call record import, in the import's transaction, with the
    ids of the call records the import ended (once per name: registering it again replaces
    it)."""
    _after_import[name] = func


def call_outcome(sip_code: str) -> str:
    """The outcome of a call from the SIP code of its final answer."""
    if sip_code.startswith("2"):
        return CallOutcome.ANSWERED
    if sip_code in _BUSY:
        return CallOutcome.BUSY
    if sip_code in _NO_ANSWER:
        return CallOutcome.NO_ANSWER
    if sip_code in _BLOCKED:
        return CallOutcome.BLOCKED
    return CallOutcome.FAILED


_VOICEMAIL = "voicemail"


def diverted_call_outcome(*, sip_code: str, diverted_to: str) -> tuple[str, str]:
    """The outcome of a call Kamailio may have diverted, and the number it was forwarded to
    ('' unless forwarded), from its final answer and acc's diverted_to."""
    diverted_to = diverted_to.strip()
    if diverted_to == _VOICEMAIL:
        if sip_code.startswith("2"):
            return CallOutcome.VOICEMAIL, ""
        return call_outcome(sip_code), ""
    if diverted_to:
        return CallOutcome.FORWARDED, _number(diverted_to)[:64]
    return call_outcome(sip_code), ""


def _moment(seconds: str) -> datetime | None:
    """Unix seconds as acc wrote them (text; '' when unknown)."""
    return datetime.fromtimestamp(int(seconds), tz=UTC) if seconds.strip().isdigit() else None


# Read as Kamailio reads a caller's number (route[BLOCKED_CALLERS]).
_SEPARATORS = re.compile(r"[-.() ]")
_NANP_TEN_DIGITS = re.compile(r"[2-9][0-9]{9}")
_DIGITS = re.compile(r"\+?[0-9]+")


def _number(sip_user: str) -> str:
    """A SIP user as a phone number: E.164 digits get their '+' back, ten digits of the North
    American plan (a carrier's caller) their 1 too; 911 and names stay as they are."""
    user = sip_user.strip()
    digits = _SEPARATORS.sub("", user).removeprefix("+")
    if not digits.isdigit():
        return user
    if _NANP_TEN_DIGITS.fullmatch(digits):
        digits = "1" + digits
    return f"+{digits}" if len(digits) > 6 else user


# For the other apps that read a SIP user as a caller's number (voicemail).
sip_user_number = _number


def _records_save(records: list[CallRecord]) -> int:
    """Insert the records of calls not recorded yet; how many were inserted."""
    recorded = 0
    for record in records:
        # A call recorded already (its call id is unique) is left as it is; each
        # insert waits for one of another import still in flight, then fails here.
        try:
            with transaction.atomic():
                record.save(force_insert=True)
        except IntegrityError:
            continue
        recorded += 1
    return recorded


def _devices_of(users: set[str]) -> dict[str, int]:
    """The devices whose SIP users these are."""
    return dict(SipAccount.objects.filter(username__in=users).values_list("username", "device_id"))


def _blocked_calls_import(*, batch: int) -> int:
    """Record the blocked calls no other import holds, and delete their rows."""
    rows = list(BlockedCall.objects.select_for_update(skip_locked=True).order_by("pk")[:batch])
    if not rows:
        return 0
    devices = _devices_of({user for row in rows for user in (row.caller, row.callee) if user})
    records = []
    for row in rows:
        # A caller refused for hiding its number keeps it hidden, even when it sent one.
        hidden = row.reason == BlockedCallReason.ANONYMOUS
        records.append(
            CallRecord(
                call_id=row.call_id,
                caller="" if hidden else _number(row.caller)[:64],
                callee=_number(row.callee),
                caller_device_id=devices.get(row.caller),
                callee_device_id=devices.get(row.callee),
                started_at=row.created_at,
                ended_at=row.created_at,
                outcome=CallOutcome.BLOCKED,
                sip_code="603",
            )
        )
    recorded = _records_save(records)
    BlockedCall.objects.filter(pk__in=[row.pk for row in rows]).delete()
    return recorded


@transaction.atomic
def call_records_import(*, batch: int = IMPORT_BATCH) -> int:
    """Import the blocked calls and accounting rows no other import holds, then run what the
    other apps registered (the rating); how many calls were recorded."""
    ended: list[int] = []
    recorded = _call_records_import(batch=batch, ended=ended)
    for func in _after_import.values():
        func(ended)
    return recorded


def _call_records_import(*, batch: int, ended: list[int]) -> int:
    """The import; `ended` gets the ids of the call records it ended."""
    blocked = _blocked_calls_import(batch=batch)
    rows = list(KamailioAcc.objects.select_for_update(skip_locked=True).order_by("pk")[:batch])
    if not rows:
        return blocked
    # A call's final answer: the answered one if any, else the last one.
    finals: dict[str, KamailioAcc] = {}
    for row in rows:
        if row.method != "INVITE" or not row.callid:
            continue
        kept = finals.get(row.callid)
        if kept is None or not kept.sip_code.startswith("2"):
            finals[row.callid] = row
    devices = _devices_of(
        {user for row in finals.values() for user in (row.caller, row.callee) if user}
    )
    records = []
    for callid, row in finals.items():
        answered = row.sip_code.startswith("2")
        event = _moment(row.event_ts) or _moment(row.invite_ts)
        started = _moment(row.invite_ts) or event
        if started is None:
            continue
        outcome, forwarded_to = diverted_call_outcome(
            sip_code=row.sip_code, diverted_to=row.diverted_to
        )
        records.append(
            CallRecord(
                call_id=callid,
                caller=_number(row.caller),
                callee=_number(row.callee),
                caller_device_id=devices.get(row.caller),
                callee_device_id=devices.get(row.callee),
                started_at=started,
                answered_at=event if answered else None,
                ended_at=None if answered else event,
                outcome=outcome,
                sip_code=row.sip_code[:3],
                forwarded_to=forwarded_to,
            )
        )
    recorded = _records_save(records)
    used = [row.pk for row in rows if row.method != "BYE"]
    used += _calls_end(
        [row for row in rows if row.method == "BYE"],
        oldest=datetime.now(tz=UTC) - ORPHAN_BYE_AFTER,
        ended_ids=ended,
    )
    KamailioAcc.objects.filter(pk__in=used).delete()
    return blocked + recorded


def _calls_end(byes: list[KamailioAcc], *, oldest: datetime, ended_ids: list[int]) -> list[int]:
    """End the answered calls these BYEs hung up (their ids into `ended_ids`); the BYE rows used
    (or too old to wait)."""
    calls = {
        record.call_id: record
        for record in CallRecord.objects.select_for_update().filter(
            call_id__in={bye.callid for bye in byes}
        )
    }
    used = []
    for bye in byes:
        record = calls.get(bye.callid)
        ended = _moment(bye.event_ts)
        if record is None:
            # Its INVITE row is held by another import: the next run ends it.
            if ended is None or ended < oldest:
                used.append(bye.pk)
            continue
        used.append(bye.pk)
        if record.ended_at is None and ended is not None:
            record.ended_at = ended
            answered = record.answered_at or record.started_at
            record.duration_seconds = max(0, int((ended - answered).total_seconds()))
            record.save(update_fields=["ended_at", "duration_seconds"])
            ended_ids.append(record.pk)
    return used


@dataclass(frozen=True)
class DeviceCall:
    """A call as one device's history shows it."""

    record: CallRecord
    outgoing: bool
    # An incoming call whose caller the device blocks now (its number, or a prefix of it).
    caller_blocked: bool = False

    @property
    def other_party(self) -> str:
        return self.record.callee if self.outgoing else self.record.caller

    @property
    def other_party_is_number(self) -> bool:
        """False for a caller who hid its number (anonymous, withheld)."""
        return _DIGITS.fullmatch(self.other_party) is not None

    @property
    def other_party_display(self) -> str:
        return format_phone_number(self.other_party)

    @property
    def answered(self) -> bool:
        return self.outcome == CallOutcome.ANSWERED

    @property
    def missed(self) -> bool:
        """An incoming call the device did not answer (voicemail took it, or nobody)."""
        return not self.outgoing and self.record.outcome in (
            CallOutcome.NO_ANSWER,
            CallOutcome.BUSY,
            CallOutcome.VOICEMAIL,
        )

    @property
    def forwarded_to_display(self) -> str:
        """Where the device forwarded this incoming call ('' if it did not): the callee's
        own choice, never shown to the caller."""
        if self.outgoing or self.record.outcome != CallOutcome.FORWARDED:
            return ""
        return format_phone_number(self.record.forwarded_to)

    @property
    def blocked(self) -> bool:
        """An incoming call refused because the device blocks its caller."""
        return not self.outgoing and self.record.outcome == CallOutcome.BLOCKED

    @property
    def outcome(self) -> str:
        """The outcome this device may see: whoever placed a call its callee blocked is not
        told so (Kamailio answered 603 Decline), for them the call failed; nor where the callee
        diverted it (forwarding, voicemail): for them it was answered or not."""
        if self.outgoing and self.record.outcome == CallOutcome.BLOCKED:
            return CallOutcome.FAILED
        if self.outgoing and self.record.outcome in (CallOutcome.FORWARDED, CallOutcome.VOICEMAIL):
            return call_outcome(self.record.sip_code)
        return self.record.outcome

    @property
    def outcome_display(self) -> str:
        return str(CallOutcome(self.outcome).label)

    @property
    def can_block(self) -> bool:
        """ "Block this number" applies: an incoming call from a number not blocked yet."""
        return not self.outgoing and _is_e164(self.other_party) and not self.caller_blocked


def _is_e164(number: str) -> bool:
    """A whole phone number: what "Block this number" blocks must never be read as a prefix
    (a short or malformed caller such as +12125550 would block every number after it)."""
    return number.startswith("+") and normalize_phone_number(number) == number


def device_calls(*, device_id: int) -> Q:
    return Q(caller_device_id=device_id) | Q(callee_device_id=device_id)


def device_call_history_page(
    *, device_id: int, page: str | int | None, blocked: Sequence[BlockedEntry] = ()
) -> tuple[Page, list[DeviceCall]]:
    """A page of the device's calls, newest first (two queries whatever the history's length).

    `blocked`: the device's blocked numbers and prefixes, already read, to mark the callers
    it blocks now."""
    records = CallRecord.objects.filter(device_calls(device_id=device_id)).order_by(
        "-started_at", "-pk"
    )
    shown = Paginator(records, HISTORY_PAGE_SIZE).get_page(page)
    calls = []
    for record in shown.object_list:
        outgoing = record.caller_device_id == device_id
        calls.append(
            DeviceCall(
                record=record,
                outgoing=outgoing,
                caller_blocked=not outgoing and blocked_entries_match(record.caller, blocked),
            )
        )
    return shown, calls


def device_incoming_caller(*, device_id: int, call_pk: int) -> str | None:
    """The number that called the device in this call of its history: None if the device
    received no such call, or its caller hid its number. The caller has already checked that
    the device is the asker's."""
    record = CallRecord.objects.filter(pk=call_pk, callee_device_id=device_id).first()
    if record is None or not _is_e164(record.caller):
        return None
    return record.caller


@transaction.atomic
def device_call_history_unlink(*, device_id: int) -> int:
    """The device's calls leave its history (release, account closure); how many."""
    made = CallRecord.objects.filter(caller_device_id=device_id).update(caller_device=None)
    received = CallRecord.objects.filter(callee_device_id=device_id).update(callee_device=None)
    return made + received


def call_history_export(user: AbstractBaseUser) -> list[dict[str, Any]]:
    """The "calls" section of the account's data export: every call of its devices."""
    records = (
        CallRecord.objects.filter(
            Q(caller_device__owner_id=user.pk) | Q(callee_device__owner_id=user.pk)
        )
        .select_related("caller_device", "callee_device")
        .order_by("-started_at", "-pk")
    )
    calls = []
    for record in records:
        outgoing = record.caller_device is not None and record.caller_device.owner_id == user.pk
        device = record.caller_device if outgoing else record.callee_device
        assert device is not None
        calls.append(
            {
                "device": device.serial,
                "direction": "outgoing" if outgoing else "incoming",
                "caller": record.caller,
                "callee": record.callee,
                "started_at": record.started_at,
                "answered_at": record.answered_at,
                "ended_at": record.ended_at,
                "duration_seconds": record.duration_seconds,
                "outcome": DeviceCall(record=record, outgoing=outgoing).outcome,
                # Where the account's device forwarded the call: never the caller's to know.
                "forwarded_to": "" if outgoing else record.forwarded_to,
            }
        )
    return calls
