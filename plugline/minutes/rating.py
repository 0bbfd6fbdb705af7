"""Rating: each international call, once ended, charged to its caller's ledger once.

`calls_rate` runs in the call record import's job, after the import and in its
transaction, on the calls that import ended (registered in plugline.minutes.apps
through plugline.telephony.callrecords.call_records_imported_register): each
call ends in one import, and a rating that fails rolls its import back, so
every call ended is rated, by a run that reads only the calls it ended however
long the history. An international call is an answered call made by a Plugline
device to a number outside Plugline that is not free (not +1:
plugline.rates.lookup). It is rated at the rate its number had when the call
started (longest prefix; a batch's rates read in one query,
plugline.rates.lookup.rates_for_numbers) and costs `call_cost` of its seconds;
the charge is a ledger entry of the caller's account, unique per call in the
database (MinutesEntry.call_record), inserted with ON CONFLICT DO NOTHING, and
the runs claim the calls they rate with SELECT ... FOR UPDATE SKIP LOCKED and
leave those another run charged meanwhile: two runs on the same calls at once
charge each call once.

`calls_rate_backlog` (`manage.py rate_calls`) rates every ended international
call not rated yet, walking the call records by id: the calls that ended before
rating was deployed.

A call that cannot be charged (no rate for its number at its start, or a device
without an account) is never charged silently: it becomes an UnratedCall for
staff (unique per call too) and a warning in the log.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import transaction
from django.db.models import Max, Min, QuerySet

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


def calls_rate(call_ids: Sequence[int], *, batch: int = RATING_BATCH) -> int:
    """Charge those of these calls that are international, ended and not rated yet (and that
    no other run holds); how many were charged."""
    ids = list(call_ids)
    return sum(
        _calls_rate(calls_to_rate().filter(pk__in=ids[start : start + batch]))
        for start in range(0, len(ids), batch)
    )


def calls_rate_backlog(*, batch: int = RATING_BATCH) -> int:
    """Charge every ended international call not rated yet, a window of ids at a time;
    how many were charged."""
    span = CallRecord.objects.aggregate(low=Min("pk"), high=Max("pk"))
    if span["low"] is None:
        return 0
    charged = 0
    for low in range(span["low"], span["high"] + 1, batch):
        charged += _calls_rate(calls_to_rate().filter(pk__gte=low, pk__lt=low + batch))
    return charged


@transaction.atomic
def _calls_rate(candidates: QuerySet[CallRecord]) -> int:
    calls = list(
        candidates.select_related("caller_device").select_for_update(skip_locked=True, of=("self",))
    )
    # Locked now, but read from a snapshot taken before: a run that committed in between
    # may have rated some of them (a new statement sees its rows).
    done = set(
        MinutesEntry.objects.filter(call_record__in=calls).values_list("call_record_id", flat=True)
    ) | set(
        UnratedCall.objects.filter(call_record__in=calls).values_list("call_record_id", flat=True)
    )
    calls = [call for call in calls if call.pk not in done]
    if not calls:
        return 0
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
