"""Rating: each international call, once imported and ended, charged to its caller's ledger once.

`calls_rate` runs in the call record import's job, after the import and in its
transaction (registered in plugline.minutes.apps through
plugline.telephony.callrecords.call_records_imported_register). An
international call is an answered call made by a Plugline device to a number
outside Plugline that is not free (not +1: plugline.rates.lookup). It is
rated at the rate its number had when the call started (longest prefix; a
batch's rates read in one query, plugline.rates.lookup.rates_for_numbers) and
costs `call_cost` of its seconds; the charge is a ledger entry of the caller's
account, unique per call in the database (MinutesEntry.call_record), inserted
with ON CONFLICT DO NOTHING: two runs at once charge a call once. The runs
claim the calls they rate with SELECT ... FOR UPDATE SKIP LOCKED, so they do
not rate the same calls twice either.

A call that cannot be charged (no rate for its number at its start, or a device
without an account) is never charged silently: it becomes an UnratedCall for
staff (unique per call too) and a warning in the log.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import QuerySet

from plugline.core.account_pages import account_pages_changed
from plugline.minutes.models import (
    MinutesEntry,
    MinutesEntryKind,
    UnratedCall,
    UnratedCallReason,
)
from plugline.rates.lookup import call_cost, rates_for_numbers
from plugline.telephony.models import CallOutcome, CallRecord

logger = logging.getLogger(__name__)

RATING_BATCH = 1000
# A number outside the United States and Canada, as the import writes it (E.164 with '+').
INTERNATIONAL_NUMBER = r"^\+[02-9][0-9]+$"


def calls_to_rate() -> QuerySet[CallRecord]:
    """The international calls ended and neither charged nor set aside yet, oldest first."""
    return CallRecord.objects.filter(
        outcome=CallOutcome.ANSWERED,
        ended_at__isnull=False,
        caller_device__isnull=False,
        callee_device__isnull=True,
        callee__regex=INTERNATIONAL_NUMBER,
        minutes_entry__isnull=True,
        minutes_unrated__isnull=True,
    ).order_by("pk")


@transaction.atomic
def calls_rate(*, batch: int = RATING_BATCH) -> int:
    """Charge the international calls no other run holds; how many were charged."""
    calls = list(
        calls_to_rate()
        .select_related("caller_device")
        .select_for_update(skip_locked=True, of=("self",))[:batch]
    )
    charges: list[MinutesEntry] = []
    unrated: list[UnratedCall] = []
    # The rates of the whole batch in one query (each the one valid at its call's start).
    rates = rates_for_numbers([(call.callee, call.started_at) for call in calls])
    for call, rate in zip(calls, rates, strict=True):
        assert call.caller_device is not None
        user_id = call.caller_device.owner_id
        if rate is None or user_id is None:
            reason = UnratedCallReason.NO_RATE if rate is None else UnratedCallReason.NO_ACCOUNT
            logger.warning(
                "international call %s to %s not charged: %s", call.pk, call.callee, reason
            )
            unrated.append(UnratedCall(call_record=call, reason=reason))
            continue
        charges.append(
            MinutesEntry(
                user_id=user_id,
                kind=MinutesEntryKind.CALL_CHARGE,
                amount=-call_cost(rate, call.duration_seconds),
                currency=rate.currency,
                call_record=call,
            )
        )
    # A call charged (or set aside) by another run meanwhile is left as it is.
    MinutesEntry.objects.bulk_create(charges, ignore_conflicts=True)
    UnratedCall.objects.bulk_create(unrated, ignore_conflicts=True)
    # "My account" shows the balance and the last calls charged.
    account_pages_changed(user_ids=[charge.user_id for charge in charges])
    return len(charges)
