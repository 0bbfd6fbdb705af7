"""Calling from the browser: the short-lived SIP credentials the portal's softphone registers
and calls with (README "Calling from the browser").

The browser never gets the device's SIP password. For a device its user owns, while its line
is open (the view sip_line_open, the rule Kamailio's sip_subscriber applies), Plugline issues
credentials that Kamailio's auth_ephemeral checks with the secret both share
(SIP_EPHEMERAL_SECRET) and that stop working after SIP_EPHEMERAL_TTL seconds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models.expressions import RawSQL
from django.http import HttpRequest
from django.utils.translation import gettext

from plugline.core.models import AuditAction
from plugline.core.services import audit_record
from plugline.devices.models import Device
from plugline.telephony.models import SipAccount
from plugline.telephony.sip import sip_ephemeral_credentials


class SoftphoneUnavailable(Exception):
    """No credentials for this device now; the message says why, in the user's language."""


@dataclass(frozen=True)
class SoftphoneCredentials:
    """What SIP.js needs: where to connect, who it is, and until when (Unix seconds)."""

    ws_url: str
    aor: str
    username: str
    password: str
    expires_at: int


def softphone_enabled() -> bool:
    """Whether this deployment offers calling from the browser (SIP_WS_URL and the secret)."""
    return bool(settings.SIP_WS_URL and settings.SIP_EPHEMERAL_SECRET)


def softphone_line_open(*, device_id: int) -> SipAccount | None:
    """The device's SIP account while its line is open, else None."""
    # The view of the same rule Kamailio applies (sipview.py), as sip_lines_check reads it.
    open_ids = RawSQL("SELECT id FROM sip_line_open", ())
    return SipAccount.objects.filter(device_id=device_id, pk__in=open_ids).first()


@transaction.atomic
def softphone_credentials_issue(*, device: Device, request: HttpRequest) -> SoftphoneCredentials:
    """Credentials for `device` (one its user owns: the caller looked it up by owner) for
    SIP_EPHEMERAL_TTL seconds, recorded in the audit log without the password.
    SoftphoneUnavailable when the deployment has no softphone or the line is not open
    (suspended, service ended, no number)."""
    if not softphone_enabled():
        raise SoftphoneUnavailable(gettext("Calling from the browser is not available here."))
    account = softphone_line_open(device_id=device.pk)
    if account is None:
        raise SoftphoneUnavailable(
            gettext(
                "This line cannot make or receive calls now, so it cannot be used from "
                "this computer either."
            )
        )
    expires_at = int(time.time()) + settings.SIP_EPHEMERAL_TTL
    username, password = sip_ephemeral_credentials(
        username=account.username, expires_at=expires_at, secret=settings.SIP_EPHEMERAL_SECRET
    )
    audit_record(
        action=AuditAction.SOFTPHONE_CREDENTIALS_ISSUED,
        request=request,
        user=device.owner,
        identifier=device.serial,
        data={"serial": device.serial, "sip_user": account.username, "expires_at": expires_at},
    )
    return SoftphoneCredentials(
        ws_url=settings.SIP_WS_URL,
        aor=f"sip:{account.username}@{account.domain}",
        username=username,
        password=password,
        expires_at=expires_at,
    )
