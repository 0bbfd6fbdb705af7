"""Ending a line at once: its live registrations removed from Kamailio within a second.

The view sip_subscriber already refuses the next REGISTER of a line that
ended (service over, device suspended, released or transferred, credentials
rotated). A device registered before that would stay reachable until its
registration expires, so the services that end a line also ask Kamailio to
forget its registrations (`ul.rm location <aor>`), through Kamailio's
JSON-RPC over HTTP (modules xhttp and jsonrpcs, settings.KAMAILIO_RPC_URL on
loopback). The request leaves once the service's transaction has committed;
if Kamailio cannot be reached it is logged and a background task tries again
(the user's action never waits for Kamailio or fails because of it). With
KAMAILIO_RPC_URL empty nothing is sent.

The clock ends lines too, with no action to hook: every minute
`sip_lines_check` compares the view with what it saw last time
(SipAccount.line_open) and ends the registrations of each line that closed
since. Running it twice does nothing more.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from datetime import timedelta
from functools import partial
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import transaction
from django.db.models.expressions import RawSQL

from plugline.telephony.models import KamailioAcc, SipAccount

logger = logging.getLogger(__name__)

CHECK_JOB_NAME = "telephony.sip_lines_check"
CHECK_JOB_EVERY = timedelta(minutes=1)
# Loopback: an answer takes milliseconds; a Kamailio that is down must not
# hold the user's request for long.
RPC_TIMEOUT_SECONDS = 2.0
# Kamailio's RPC fault for `ul.rm` of an address with no registration.
_AOR_NOT_FOUND = 404


class KamailioRpcError(Exception):
    """Kamailio answered the RPC with a fault (code and message)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code} {message}")
        self.code = code


def kamailio_rpc(method: str, *params: str | int) -> Any:
    """Call one of Kamailio's RPC commands through JSON-RPC 2.0 over HTTP; its result.

    Raises KamailioRpcError for a fault, OSError when Kamailio cannot be reached.
    """
    url = settings.KAMAILIO_RPC_URL
    if urlsplit(url).scheme not in ("http", "https"):
        raise ValueError(f"KAMAILIO_RPC_URL must be an http(s) URL, not {url!r}")
    body = json.dumps({"jsonrpc": "2.0", "method": method, "params": list(params), "id": 1})
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
        url, data=body.encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=RPC_TIMEOUT_SECONDS) as response:  # noqa: S310
            answer = json.load(response)
    except urllib.error.HTTPError as error:
        # jsonrpcs may send a fault with an HTTP error status; the body says which.
        try:
            answer = json.load(error)
        except ValueError:
            raise OSError(f"Kamailio's RPC answered HTTP {error.code}") from error
    if answer.get("error"):
        fault = answer["error"]
        raise KamailioRpcError(int(fault.get("code", 500)), str(fault.get("message", "")))
    return answer.get("result")


def sip_aor(account: SipAccount) -> str:
    """The address of record Kamailio files the account's registrations under (user@domain)."""
    return f"{account.username}@{account.domain}"


def sip_registrations_remove(*, aor: str) -> None:
    """Make Kamailio forget every registration of `aor` now (none is fine), and end its
    calls in progress (see sip_calls_end)."""
    try:
        kamailio_rpc("ul.rm", "location", aor)
    except KamailioRpcError as fault:
        if fault.code != _AOR_NOT_FOUND:
            raise
    sip_calls_end(aor=aor)


def _dialog_users(dialog: dict[str, Any]) -> set[str]:
    """The SIP users of a dialog's two ends, as route[ACC_CALL] saved them in its variables."""
    variables = dialog.get("variables") or []
    if isinstance(variables, dict):
        variables = [variables]
    return {
        str(value)
        for entry in variables
        if isinstance(entry, dict)
        for name, value in entry.items()
        if name in ("caller", "callee")
    }


def _dialog_variable(dialog: dict[str, Any], name: str) -> str | None:
    """One of the variables route[ACC_CALL] saved in a dialog."""
    variables = dialog.get("variables") or []
    if isinstance(variables, dict):
        variables = [variables]
    for entry in variables:
        if isinstance(entry, dict) and name in entry:
            return str(entry[name])
    return None


def _dialog_end(dialog: dict[str, Any], *, first: str) -> bool:
    """Have Kamailio hang up `dialog` on both sides, `first` ("caller" or "callee") first
    (kamailio.cfg's route[DIALOG_END], on the RPC port); False when it had ended meanwhile."""
    parts = [
        str(dialog.get("call-id", "")),
        str((dialog.get("caller") or {}).get("tag", "")),
        str((dialog.get("callee") or {}).get("tag", "")),
    ]
    path = "/dialog/end/" + first + "".join("/" + part.encode().hex() for part in parts)
    url = urlunsplit(urlsplit(settings.KAMAILIO_RPC_URL)._replace(path=path, query=""))
    request = urllib.request.Request(url, data=b"", method="POST")  # noqa: S310 (checked)
    try:
        with urllib.request.urlopen(request, timeout=RPC_TIMEOUT_SECONDS):  # noqa: S310
            return True
    except urllib.error.HTTPError as error:
        if error.code == _AOR_NOT_FOUND:
            return False
        raise OSError(f"Kamailio answered HTTP {error.code} to ending a call") from error


def sip_calls_end(*, aor: str) -> int:
    """Hang up every call in progress of `aor`'s user, on both sides, this line's side
    first (Kamailio's dialog module: dlg.list, then dlg_bye for each of its dialogs), each
    call's end written where the call record import finds it; how many."""
    user, _, domain = aor.partition("@")
    ended = 0
    for dialog in kamailio_rpc("dlg.list") or []:
        if user not in _dialog_users(dialog) or domain not in str(dialog.get("from_uri", "")):
            continue
        first = "caller" if _dialog_variable(dialog, "caller") == user else "callee"
        if not _dialog_end(dialog, first=first):
            continue
        ended += 1
        # Kamailio does not account the BYEs it sends itself: the call's end, for
        # its call record (plugline.telephony.callrecords).
        KamailioAcc.objects.create(
            method="BYE",
            callid=str(dialog.get("call-id", "")),
            sip_code="200",
            sip_reason="Line ended",
            event_ts=str(int(time.time())),
        )
    return ended


def sip_registrations_end_on_commit(*, aors: Iterable[str]) -> None:
    """Once the current transaction commits, end the live registrations of `aors`.

    Nothing is sent without KAMAILIO_RPC_URL. A failure is logged and
    retried by a background task; it never reaches the caller.
    """
    if not settings.KAMAILIO_RPC_URL:
        return
    for aor in dict.fromkeys(aors):
        transaction.on_commit(partial(_registrations_end_or_retry, aor))


def sip_account_registrations_end(*, device_id: int) -> None:
    """End the live registrations of the device's SIP account (if any), on commit."""
    sip_registrations_end_on_commit(
        aors=[sip_aor(account) for account in SipAccount.objects.filter(device_id=device_id)]
    )


def _registrations_end_or_retry(aor: str) -> None:
    try:
        sip_registrations_remove(aor=aor)
    except (OSError, ValueError, KamailioRpcError) as problem:
        logger.warning("Kamailio did not end the registrations of %s (%s); retrying", aor, problem)
        sip_registrations_end_retry_later(aor=aor, attempt=1)


# Waits between attempts (in seconds); after the last one the operator
# reads the error in the log, and the registration expires on its own.
RETRY_DELAYS = (5, 30, 120, 600)


def sip_registrations_end_retry_later(*, aor: str, attempt: int) -> bool:
    """Enqueue attempt number `attempt` to end `aor`'s registrations; False if out of attempts."""
    from django.utils import timezone

    from plugline.telephony.tasks import end_sip_registrations

    if attempt > len(RETRY_DELAYS):
        logger.error("Kamailio never ended the registrations of %s; giving up", aor)
        return False
    try:
        end_sip_registrations.using(
            run_after=timezone.now() + timedelta(seconds=RETRY_DELAYS[attempt - 1])
        ).enqueue(aor=aor, attempt=attempt)
    except Exception:
        logger.exception("could not enqueue the retry to end the registrations of %s", aor)
        return False
    return True


def sip_registrations_end_attempt(*, aor: str, attempt: int) -> bool:
    """One retry (run by the background task): whether Kamailio ended them this time."""
    if not settings.KAMAILIO_RPC_URL:
        return False
    try:
        sip_registrations_remove(aor=aor)
    except (OSError, ValueError, KamailioRpcError) as problem:
        logger.warning(
            "attempt %d to end the registrations of %s failed (%s)", attempt, aor, problem
        )
        sip_registrations_end_retry_later(aor=aor, attempt=attempt + 1)
        return False
    return True


@transaction.atomic
def sip_lines_check() -> int:
    """End the registrations of every line that closed since the last check; how many.

    A line is open while the view sip_subscriber lists its account. An
    account the view dropped since the last check (its service ended by the
    clock, most often) is marked closed and its registrations are ended on
    commit; an account listed again is marked open. Idempotent.
    """
    # The view of the same rule for reading every line at once (sipview.py).
    listed = RawSQL("SELECT id FROM sip_line_open", ())
    closed = list(
        SipAccount.objects.select_for_update(skip_locked=True)
        .filter(line_open=True)
        .exclude(pk__in=listed)
        .order_by("pk")
    )
    SipAccount.objects.filter(pk__in=[account.pk for account in closed]).update(line_open=False)
    SipAccount.objects.filter(line_open=False, pk__in=listed).update(line_open=True)
    sip_registrations_end_on_commit(aors=[sip_aor(account) for account in closed])
    return len(closed)
