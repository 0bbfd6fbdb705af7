"""Used devices: whoever holds a device that is on someone else's account asks its owner to let go.

Holding the device is not enough, and neither is knowing its serial or label
code: the device moves only when its owner releases it from their device
page or approves the request from the email we send them. The request is
made from an activation wizard whose device is present (signed challenge,
or serial and label code). The owner's email links to
/devices/transfer/<token>/: the token comes from `secrets`, only its SHA-256
is stored, and it works for TRANSFER_REQUEST_DAYS. Opening the link only
shows the request (email scanners follow links); a POST answers it.

An approval releases the device the way its owner would, giving up the
number (see devices.services.device_release): the old owner loses all
access, its E911 address is wiped, and the wizard that asked can go on
(its device now has no owner).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation

from plugline.accounts.models import User
from plugline.core.models import AuditAction
from plugline.core.services import audit_record
from plugline.core.time_zones import time_zone_get
from plugline.devices.keys import token_hash
from plugline.devices.models import Activation, Device, TransferRequest, TransferStatus
from plugline.devices.services import device_release, transfer_requester_notify
from plugline.devices.wizard.state import activation_device_is_present
from plugline.notifications.services import email_send


class TransferRefused(Exception):
    """A request or an answer that cannot go ahead; `reason` says why.

    Reasons: "not_present" (the wizard's device is not proven here),
    "not_owned_elsewhere" (nobody else owns it: nothing to ask), "unknown"
    (no request for this link), "expired", "answered" (approved, declined or
    cancelled already), "owner_changed" (the device is no longer the
    account's that was asked).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def transfer_request_state(transfer: TransferRequest | None) -> str:
    """What became of a request, as its link's page tells it.

    "pending" while the owner can answer, else a TransferRefused reason.
    """
    if transfer is None:
        return "unknown"
    if transfer.status != TransferStatus.PENDING:
        return "answered"
    if transfer.expires_at <= timezone.now():
        return "expired"
    if transfer.device.owner_id != transfer.owner_id:
        return "owner_changed"
    return "pending"


@transaction.atomic
def transfer_request_create(
    *, activation: Activation, notify_email: str = "", request: HttpRequest | None = None
) -> tuple[TransferRequest, bool]:
    """Ask the owner of the wizard's device to release it; the request, and whether it is new.

    One waiting request per wizard and device: asking again while one waits
    sends nothing more. The owner is emailed at their preferred email, in
    their language; the person asking is told of the answer at
    `notify_email`, if given, in the language they use now.
    """
    if activation.device_id is None or not activation_device_is_present(activation):
        raise TransferRefused("not_present")
    # The device's row is the lock that orders requests, answers and releases.
    device = Device.objects.select_for_update().get(pk=activation.device_id)
    if device.owner_id is None or device.owner_id == activation.user_id:
        raise TransferRefused("not_owned_elsewhere")
    now = timezone.now()
    TransferRequest.objects.filter(
        device=device, status=TransferStatus.PENDING, expires_at__lte=now
    ).update(status=TransferStatus.EXPIRED)
    waiting = TransferRequest.objects.filter(
        device=device, activation=activation, status=TransferStatus.PENDING
    ).first()
    if waiting is not None:
        return waiting, False
    token = secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            transfer = TransferRequest.objects.create(
                device=device,
                owner_id=device.owner_id,
                activation=activation,
                token_hash=token_hash(token),
                expires_at=now + timedelta(days=settings.TRANSFER_REQUEST_DAYS),
                notify_email=notify_email.strip(),
                notify_language=translation.get_language() or settings.LANGUAGE_CODE,
            )
    except IntegrityError:
        # The same wizard asked twice at once; the other request won.
        return TransferRequest.objects.get(
            device=device, activation=activation, status=TransferStatus.PENDING
        ), False
    owner = User.objects.get(pk=device.owner_id)
    audit_record(
        action=AuditAction.TRANSFER_REQUESTED,
        request=request,
        user=owner,
        data={"serial": device.serial},
    )
    _owner_email(transfer=transfer, device=device, owner=owner, token=token)
    return transfer, True


def _owner_email(*, transfer: TransferRequest, device: Device, owner: User, token: str) -> None:
    answer_path = reverse("devices:transfer_answer", kwargs={"token": token})
    # Dates in the email are in the owner's own time zone.
    with timezone.override(time_zone_get(owner.time_zone)):
        email_send(
            template="devices/email/transfer_request",
            to=owner.email,
            context={
                "name": owner.get_short_name(),
                "serial": device.serial,
                "number": device.phone_number_display,
                "nickname": device.nickname,
                "answer_url": settings.SITE_URL.rstrip("/") + answer_path,
                "expires_at": transfer.expires_at,
            },
            language=owner.language,
            user=owner,
        )


def _claim(*, token: str, status: TransferStatus) -> TransferRequest:
    """Take a waiting request for this answer, or TransferRefused; only one answer counts."""
    transfer = (
        TransferRequest.objects.select_related("device")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if transfer is None:
        raise TransferRefused("unknown")
    device = Device.objects.select_for_update().get(pk=transfer.device_id)
    transfer.device = device
    state = transfer_request_state(transfer)
    if state != "pending":
        raise TransferRefused(state)
    now = timezone.now()
    claimed = TransferRequest.objects.filter(
        pk=transfer.pk, status=TransferStatus.PENDING, expires_at__gt=now
    ).update(status=status, decided_at=now)
    if not claimed:
        raise TransferRefused("answered")
    transfer.status = status
    transfer.decided_at = now
    return transfer


@transaction.atomic
def transfer_approve(*, token: str, request: HttpRequest | None = None) -> TransferRequest:
    """The owner lets the device go: it leaves their account, number given up, E911 wiped.

    Only while the request waits, has not expired and the device is still
    theirs. Other waiting requests for the device are cancelled (the device
    is free for whoever has it); the person who asked is told, if they left
    an email.
    """
    transfer = _claim(token=token, status=TransferStatus.APPROVED)
    device = transfer.device
    owner = device.owner
    audit_record(
        action=AuditAction.TRANSFER_APPROVED,
        request=request,
        user=owner,
        data={"serial": device.serial},
    )
    device_release(device=device, keep_number=False, request=request)
    transfer_requester_notify(transfer=transfer, released=True)
    return transfer


@transaction.atomic
def transfer_decline(*, token: str, request: HttpRequest | None = None) -> TransferRequest:
    """The owner keeps the device; the person who asked is told, if they left an email."""
    transfer = _claim(token=token, status=TransferStatus.DECLINED)
    audit_record(
        action=AuditAction.TRANSFER_DECLINED,
        request=request,
        user=transfer.device.owner,
        data={"serial": transfer.device.serial},
    )
    transfer_requester_notify(transfer=transfer, released=False)
    return transfer
