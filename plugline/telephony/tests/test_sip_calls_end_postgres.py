"""A call in progress ends with its line: staff suspend a device in the middle of a call
through the repository's Kamailio, and Kamailio hangs the call up on both sides (its dialog
module, through JSON-RPC) within a second."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from plugline.accounts.models import User
from plugline.devices.services import device_suspend
from plugline.telephony.callrecords import call_records_import
from plugline.telephony.lines import kamailio_rpc
from plugline.telephony.models import CallOutcome, CallRecord
from plugline.telephony.tests.calls import SippServer, sipp_call, wait_for
from plugline.telephony.tests.kamailio import (
    RunningKamailio,
    needs_postgres,
)
from plugline.telephony.tests.sip_factory import Line
from plugline.telephony.tests.test_call_history_postgres import (  # noqa: F401 (fixtures)
    alice,
    alice_line,
    bob,
    bob_answering,
    bob_line,
)

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]

WITHIN = 1.0
# Kamailio (route[DIALOG_END]) when the call was over before its second BYE was sent.
LATE_BYE = "ended before its BYE to the other side was sent"


def dialogs() -> list[dict[str, Any]]:
    return kamailio_rpc("dlg.list") or []


@pytest.mark.parametrize("whose", ["caller", "callee"])
def test_staff_suspending_a_line_cuts_its_call_in_progress_within_a_second(
    settings,
    kamailio: RunningKamailio,
    alice: dict[str, str],  # noqa: F811
    alice_line: Line,  # noqa: F811
    bob_line: Line,  # noqa: F811
    bob_answering: SippServer,  # noqa: F811
    whose: str,
):
    settings.KAMAILIO_RPC_URL = kamailio.rpc_url
    staff = User.objects.create_user("staff@example.com", "x", is_staff=True)
    with ThreadPoolExecutor(max_workers=1) as pool:
        placed = pool.submit(
            sipp_call,
            kamailio,
            username=alice["username"],
            domain=alice["domain"],
            password=alice["password"],
            dialled="2125550148",
            final=200,
            held=True,
        )
        wait_for(
            lambda: any(dialog.get("state") == 4 for dialog in dialogs()) or placed.done(),
            what="the call answered",
        )
        assert not placed.done(), placed.result().output + kamailio.log()
        # Established on the callee's side too: its ACK relayed (Kamailio's dialog is
        # confirmed as the ACK passes; its BYE could otherwise reach the callee first).
        wait_for(
            lambda: "ACK sip:" in bob_answering.messages(),
            what="the ACK at the callee",
            details=lambda: bob_answering.messages() + kamailio.log(),
        )

        line = alice_line if whose == "caller" else bob_line
        started = time.monotonic()
        device_suspend(device=line.boxed.device, reason="Fraud report 4413", actor=staff)
        # The ended line's phone is hung up first, within a second.
        if whose == "caller":
            outcome = placed.result(timeout=30)
            assert outcome.as_expected, outcome.output + kamailio.log()
        else:
            wait_for(
                lambda: "BYE sip:" in bob_answering.messages(),
                what="the BYE to the callee",
                details=lambda: bob_answering.messages() + kamailio.log(),
            )
        took = time.monotonic() - started
        assert took <= WITHIN, (took, kamailio.log())

        # Then the other phone. Kamailio's dialog is over once the first BYE is answered:
        # a second BYE not yet sent by then never is (route[DIALOG_END] logs it).
        if whose == "caller":
            wait_for(
                lambda: "BYE sip:" in bob_answering.messages() or LATE_BYE in kamailio.log(),
                what="the BYE to the callee",
                details=lambda: bob_answering.messages() + kamailio.log(),
            )
        else:
            # The caller's sipp ends when it has answered its BYE; without one it would wait
            # out its own 30 s, so the late case is seen in Kamailio's log instead.
            wait_for(
                lambda: placed.done() or LATE_BYE in kamailio.log(),
                what="the BYE to the caller",
                details=kamailio.log,
            )
            if LATE_BYE not in kamailio.log():
                outcome = placed.result()
                assert outcome.as_expected, outcome.output + kamailio.log()
    wait_for(lambda: dialogs() == [], what="the call gone from Kamailio's dialogs")
    # The call's record has its end.
    assert call_records_import() == 1
    record = CallRecord.objects.get()
    assert record.outcome == CallOutcome.ANSWERED
    assert record.ended_at is not None
