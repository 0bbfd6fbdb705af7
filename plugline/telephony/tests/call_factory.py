"""Call records as the import leaves them, for the tests of the call history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from plugline.devices.models import Device
from plugline.telephony.models import CallOutcome, CallRecord

NOON = datetime(2026, 12, 4, 17, 0, tzinfo=UTC)


def call(
    number: int,
    *,
    caller_device: Device | None = None,
    callee_device: Device | None = None,
    caller: str = "+12125550147",
    callee: str = "+13125550199",
    outcome: str = CallOutcome.ANSWERED,
    duration: int = 65,
) -> CallRecord:
    started = NOON - timedelta(hours=number)
    answered = outcome == CallOutcome.ANSWERED
    return CallRecord.objects.create(
        call_id=f"call-{number}-{caller}-{callee}",
        caller=caller,
        callee=callee,
        caller_device=caller_device,
        callee_device=callee_device,
        started_at=started,
        answered_at=started + timedelta(seconds=4) if answered else None,
        ended_at=started + timedelta(seconds=4 + duration),
        duration_seconds=duration if answered else 0,
        outcome=outcome,
        sip_code="200" if answered else "480",
    )
