"""Ending a line: staff suspension, release and transfer, rotation, the minute job; what the
view lists for Kamailio, what is sent to Kamailio's RPC (a recording stand-in here; the real
Kamailio in test_sip_line_end_postgres), and what happens when Kamailio does not answer."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from conftest import make_subscriber
from plugline.accounts.models import User
from plugline.core.models import AuditAction, AuditEvent
from plugline.core.scheduling import periodic_jobs
from plugline.devices.models import Device
from plugline.devices.services import device_release, device_resume, device_suspend
from plugline.telephony.lines import sip_lines_check
from plugline.telephony.models import SipAccount
from plugline.telephony.services import sip_credentials_rotate
from plugline.telephony.sip import sip_password
from plugline.telephony.tests.kamailio import free_port
from plugline.telephony.tests.sip_factory import (
    Line,
    fetch_sip_settings,
    make_line,
    usernames_in_view,
)

pytestmark = pytest.mark.django_db

ALICE = "12125550147"
ALICE_AOR = f"{ALICE}@sip.plugline.test"


class RecordingRpc(BaseHTTPRequestHandler):
    """Answers JSON-RPC like Kamailio's jsonrpcs and keeps what it was asked."""

    calls: list[dict[str, Any]]

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.calls.append(body)
        answer = json.dumps({"jsonrpc": "2.0", "result": None, "id": body["id"]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def kamailio_rpc(settings) -> Iterator[list[dict[str, Any]]]:
    """KAMAILIO_RPC_URL pointing at a recording stand-in; the calls it receives."""
    calls: list[dict[str, Any]] = []
    handler = type("Handler", (RecordingRpc,), {"calls": calls})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.KAMAILIO_RPC_URL = f"http://127.0.0.1:{server.server_address[1]}/RPC"
    try:
        yield calls
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def line(settings) -> Line:
    settings.SIP_DOMAIN = "sip.plugline.test"
    return make_line(make_subscriber(numbers=()).user)


def ul_rm(aor: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "method": "ul.rm", "params": ["location", aor], "id": 1}


def line_end(aor: str) -> list[dict[str, Any]]:
    """What ending a line asks Kamailio: forget its registrations, then list the calls in
    progress (to end its own; this fake Kamailio has none)."""
    return [ul_rm(aor), {"jsonrpc": "2.0", "method": "dlg.list", "params": [], "id": 1}]


def test_it_leaves_a_suspended_device_out_of_the_view_until_it_is_resumed(line: Line, staff: User):
    assert usernames_in_view() == [ALICE]

    device_suspend(device=line.boxed.device, reason="Fraud report 4411", actor=staff)
    assert usernames_in_view() == []

    device_resume(device=line.boxed.device, reason="Cleared", actor=staff)
    assert usernames_in_view() == [ALICE]


def test_it_audits_a_suspension_and_a_resumption_with_the_reason_and_staff_member(
    line: Line, staff: User
):
    device = line.boxed.device

    assert device_suspend(device=device, reason="  Fraud   report 4411 ", actor=staff)
    assert not device_suspend(device=device, reason="Again", actor=staff)
    assert device_resume(device=device, reason="Cleared by billing", actor=staff)

    events = AuditEvent.objects.filter(
        action__in=[AuditAction.DEVICE_SUSPENDED, AuditAction.DEVICE_RESUMED]
    ).order_by("pk")
    assert [(e.action, e.user_id, e.actor_id, e.data) for e in events] == [
        (
            AuditAction.DEVICE_SUSPENDED,
            device.owner_id,
            staff.pk,
            {"serial": device.serial, "reason": "Fraud report 4411"},
        ),
        (
            AuditAction.DEVICE_RESUMED,
            device.owner_id,
            staff.pk,
            {"serial": device.serial, "reason": "Cleared by billing"},
        ),
    ]


def test_it_refuses_a_suspension_without_a_reason_and_changes_nothing(line: Line, staff: User):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        device_suspend(device=line.boxed.device, reason="   ", actor=staff)

    assert refused.value.message_dict == {"reason": ["Give the reason (it goes in the audit log)."]}
    assert Device.objects.get(pk=line.boxed.device.pk).suspended_at is None
    assert usernames_in_view() == [ALICE]


def test_staff_suspend_a_line_from_the_admin_after_giving_a_reason(
    line: Line, staff_client: Client
):
    device = line.boxed.device
    changelist = "/admin/devices/device/"
    chosen = {"action": "suspend_line", "_selected_action": [device.pk]}

    asked = staff_client.post(changelist, chosen)
    assert asked.status_code == 200
    assert "Reason (kept in the audit log)" in asked.content.decode()
    assert Device.objects.get(pk=device.pk).suspended_at is None

    refused = staff_client.post(changelist, {**chosen, "apply": "1", "reason": ""})
    assert "This field is required." in refused.content.decode()
    assert Device.objects.get(pk=device.pk).suspended_at is None

    done = staff_client.post(
        changelist, {**chosen, "apply": "1", "reason": "Chargeback"}, follow=True
    )
    assert "Line suspended for 1 device." in done.content.decode()
    suspended = Device.objects.get(pk=device.pk)
    assert (suspended.suspended_at is not None, suspended.suspension_reason) == (True, "Chargeback")

    staff_client.post(
        changelist,
        {"action": "resume_line", "_selected_action": [device.pk], "apply": "1", "reason": "Paid"},
    )
    assert Device.objects.get(pk=device.pk).suspended_at is None


def test_it_gives_a_released_device_new_sip_credentials(line: Line, client: Client):
    before = fetch_sip_settings(client, line.boxed).json()["password"]

    device_release(device=Device.objects.get(pk=line.boxed.device.pk), keep_number=True)

    account = SipAccount.objects.get(device=line.boxed.device)
    assert account.generation == 2
    assert sip_password(serial=line.serial, generation=account.generation) != before
    assert AuditEvent.objects.filter(
        action=AuditAction.SIP_CREDENTIALS_ROTATED, user=line.boxed.device.owner
    ).exists()


def test_it_asks_kamailio_to_end_the_registrations_only_once_the_suspension_commits(
    line: Line, staff: User, kamailio_rpc: list[dict[str, Any]], django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        device_suspend(device=line.boxed.device, reason="Fraud", actor=staff)
        assert kamailio_rpc == []

    assert callbacks
    # Once: each RPC of ending the line, not twice.
    assert kamailio_rpc == line_end(ALICE_AOR)


@pytest.mark.parametrize(
    "end_line",
    [
        lambda line, staff: device_release(device=line.boxed.device, keep_number=False),
        lambda line, staff: device_release(device=line.boxed.device, keep_number=True),
        lambda line, staff: sip_credentials_rotate(account=SipAccount.objects.get(), actor=staff),
    ],
    ids=["release", "release-keeping-the-number", "rotation"],
)
def test_it_asks_kamailio_to_end_the_registrations_when_the_line_ends(
    end_line, line: Line, staff: User, kamailio_rpc, django_capture_on_commit_callbacks
):
    line.boxed.device.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        end_line(line, staff)

    assert kamailio_rpc == line_end(ALICE_AOR)


def test_it_sends_nothing_without_a_kamailio_rpc_url(
    line: Line, staff: User, settings, django_capture_on_commit_callbacks
):
    settings.KAMAILIO_RPC_URL = ""

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        device_suspend(device=line.boxed.device, reason="Fraud", actor=staff)

    # Nothing for Kamailio (the account's pages are still rendered again).
    assert not [
        callback
        for callback in callbacks
        if getattr(callback, "func", None) is not None
        and callback.func.__module__ == "plugline.telephony.lines"
    ]
    assert DBTaskResult.objects.count() == 0


def test_a_kamailio_that_does_not_answer_does_not_stop_the_suspension_and_is_retried(
    line: Line, staff: User, settings, caplog, django_capture_on_commit_callbacks
):
    settings.KAMAILIO_RPC_URL = f"http://127.0.0.1:{free_port()}/RPC"  # nobody listens

    with (
        caplog.at_level(logging.WARNING, logger="plugline.telephony.lines"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert device_suspend(device=line.boxed.device, reason="Fraud", actor=staff)

    assert Device.objects.get(pk=line.boxed.device.pk).suspended_at is not None
    assert f"Kamailio did not end the registrations of {ALICE_AOR}" in caplog.text
    retry = DBTaskResult.objects.get()
    assert retry.task_path == "plugline.telephony.tasks.end_sip_registrations"
    assert retry.args_kwargs["kwargs"] == {"aor": ALICE_AOR, "attempt": 1}
    assert retry.run_after > timezone.now()


def test_the_retry_task_ends_the_registrations_once_kamailio_answers(
    line: Line, kamailio_rpc: list[dict[str, Any]]
):
    from plugline.telephony.tasks import end_sip_registrations

    assert end_sip_registrations.call(aor=ALICE_AOR, attempt=1) is True
    assert kamailio_rpc == line_end(ALICE_AOR)


def test_the_line_check_runs_every_minute_in_the_scheduler():
    jobs = {job.name: job for job in periodic_jobs()}

    assert jobs["telephony.sip_lines_check"].every == timedelta(minutes=1)
    assert jobs["telephony.sip_lines_check"].func is sip_lines_check


def test_the_minute_job_ends_the_registrations_of_a_line_whose_service_ended_once(
    line: Line, kamailio_rpc: list[dict[str, Any]], django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert sip_lines_check() == 0
    assert kamailio_rpc == []

    line.subscription.ends_at = timezone.now() - timedelta(
        days=settings.BILLING_GRACE_DAYS, minutes=1
    )
    line.subscription.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert sip_lines_check() == 1
        assert sip_lines_check() == 0
    assert kamailio_rpc == line_end(ALICE_AOR)

    # Renewed: the line opens again, and ends again when the service next ends.
    line.subscription.ends_at = timezone.now() + timedelta(days=30)
    line.subscription.save()
    assert sip_lines_check() == 0
    assert SipAccount.objects.get().line_open is True
