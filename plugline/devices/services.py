"""Writes of the devices app."""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from plugline.core.addresses import ADDRESS_FIELDS, address_normalize
from plugline.core.models import AuditAction
from plugline.core.phones import normalize_phone_number
from plugline.core.services import audit_record
from plugline.devices.models import (
    Device,
    DeviceModel,
    DeviceStatus,
    TransferRequest,
    TransferStatus,
    WebOrder,
)
from plugline.notifications.services import email_send
from plugline.telephony.lines import sip_account_registrations_end
from plugline.telephony.services import (
    call_preferences_move,
    number_assign,
    number_mark_assigned,
    number_quarantine,
    sip_account_provision,
    sip_line_end_for_new_owner,
)
from plugline.voicemail.services import voicemail_device_move, voicemail_device_wipe

DEFAULT_MODEL_CODE = "plugline-usb"
NICKNAME_MAX_LENGTH = Device._meta.get_field("nickname").max_length or 60


def device_model_default() -> DeviceModel:
    """The standard USB device, made on first use (demo data, tests, old rows)."""
    model, _ = DeviceModel.objects.get_or_create(
        code=DEFAULT_MODEL_CODE,
        defaults={"name": "Plugline USB", "picture": "devices/plugline-usb.svg"},
    )
    return model


@transaction.atomic
def device_assign(
    *, serial: str, owner: AbstractBaseUser, phone_number: str, nickname: str = ""
) -> Device:
    """Put a device with its service number on an account (idempotent for the same owner).

    For demo data and tests: customers get their devices through activation.
    """
    e164 = normalize_phone_number(phone_number)
    if e164 is None:
        raise ValidationError(f"{phone_number!r} is not a valid phone number")
    device, _ = Device.objects.select_for_update().get_or_create(
        serial=serial, defaults={"model": device_model_default()}
    )
    if device.owner_id not in (None, owner.pk):
        raise ValidationError(f"device {serial} belongs to another account")
    device.owner_id = owner.pk
    device.status = DeviceStatus.ACTIVE
    device.phone_number = e164
    device.nickname = nickname
    device.full_clean()
    device.save()
    sip_account_provision(
        device_id=device.pk, serial=device.serial, phone_number=device.phone_number
    )
    return device


@transaction.atomic
def device_release_all(*, owner: AbstractBaseUser) -> int:
    """Take every device off a closing account; the number of devices released.

    Each device is released as its owner would release it (see
    device_release), its number quarantined.
    """
    devices = list(Device.objects.select_for_update().filter(owner_id=owner.pk))
    for device in devices:
        device_release(device=device, keep_number=False)
    return len(devices)


@transaction.atomic
def device_release(
    *, device: Device, keep_number: bool, request: HttpRequest | None = None
) -> None:
    """The device leaves its account: ready for a new owner, with nothing of the old one's.

    Its E911 address, nickname and voicemail (messages, greeting, their files) are wiped;
    its number is quarantined, or stays with the device for its next owner
    when the owner chooses so. Requests to release it that were still
    waiting are settled: the people who asked can go on with their
    activation (and are told so, if they left an email).
    """
    owner = device.owner
    number = device.phone_number
    # The line ends with the release: new SIP credentials, registrations ended.
    sip_line_end_for_new_owner(device_id=device.pk, request=request)
    voicemail_device_wipe(device_id=device.pk)
    if number:
        if keep_number:
            number_mark_assigned(e164=number)
        else:
            device.phone_number = None
            number_quarantine(e164=number)
    device.owner = None
    device.status = DeviceStatus.RELEASED
    device.nickname = ""
    # A suspension was about its owner's use of the line; the next owner starts afresh.
    device.suspended_at = None
    device.suspension_reason = ""
    for field in ADDRESS_FIELDS:
        setattr(device, f"e911_{field}", "")
    device.save()
    if owner is not None:
        audit_record(
            action=AuditAction.DEVICE_RELEASED,
            request=request,
            user=owner,
            data={"serial": device.serial, "number_kept": keep_number},
        )
    transfer_requests_settle(device=device, status=TransferStatus.CANCELLED)


@transaction.atomic
def device_number_change(
    *, device_id: int, owner_id: int | None, old_number: str, new_number: str, holder: str
) -> bool:
    """Move the line of an active device of `owner_id`'s from `old_number` to `new_number`
    (held for `holder`) at once; False, changing nothing, if the device is no longer theirs,
    no longer has `old_number`, or the hold on `new_number` was lost.

    The new number is the device's and its SIP account's (same password, new
    user and hashes), so the view sip_subscriber lists the new number and no
    longer the old one as soon as this commits; the old number's live
    registrations and calls are ended then, and the old number rests in
    quarantine.
    """
    device = Device.objects.select_for_update().filter(pk=device_id).first()
    if (
        device is None
        or device.status != DeviceStatus.ACTIVE
        or device.owner_id is None
        or device.owner_id != owner_id
        or device.phone_number != old_number
        or new_number == old_number
    ):
        return False
    if not number_assign(e164=new_number, holder=holder):
        return False
    # The account's address (old number) is read now, the registrations ended on commit.
    sip_account_registrations_end(device_id=device.pk)
    device.phone_number = new_number
    device.full_clean()
    device.save(update_fields=["phone_number"])
    sip_account_provision(device_id=device.pk, serial=device.serial, phone_number=new_number)
    number_quarantine(e164=old_number)
    return True


@transaction.atomic
def device_sell_online(*, serial: str, order_number: str, email: str) -> Device | None:
    """A device from stock goes to a buyer by post (e.g. a device upgrade): it is sold
    online on a web order with the buyer's email, so that the activation wizard registers
    it only with that email. None if there is no such device in stock (or on this order)."""
    device = Device.objects.select_for_update().filter(serial=serial).first()
    if device is None or device.owner_id is not None:
        return None
    order, _created = WebOrder.objects.get_or_create(
        number=order_number, defaults={"email": email, "ordered_at": timezone.now()}
    )
    if device.status == DeviceStatus.SOLD_ONLINE and device.web_order_id == order.pk:
        return device
    if device.status != DeviceStatus.IN_STOCK:
        return None
    device.web_order = order
    device.status = DeviceStatus.SOLD_ONLINE
    device.save(update_fields=["web_order", "status"])
    return device


@transaction.atomic
def device_line_take_over(*, old_device_id: int, new_device_id: int, owner_id: int) -> bool:
    """The owner's new device takes the line of their old one (a device upgrade), and the
    old device is retired; False, changing nothing, unless both are the owner's and active.

    The new device gets the old one's number (its SIP account's user follows; the number
    it was given at activation goes back to the inventory), E911 address, nickname,
    voicemail, blocked callers and call settings. The old device ends as a released one
    does: new SIP credentials (the old password stops working) and its registrations
    ended on commit, its calls out of the history, nothing of its owner's left; then
    it is retired, on no account. Call it with the caller's claim on the upgrade held:
    the caller makes it happen once.
    """
    devices = {
        device.pk: device
        for device in Device.objects.select_for_update()
        .filter(pk__in=[old_device_id, new_device_id])
        .order_by("pk")
    }
    old, new = devices.get(old_device_id), devices.get(new_device_id)
    if (
        old is None
        or new is None
        or old.pk == new.pk
        or any(
            device.owner_id != owner_id or device.status != DeviceStatus.ACTIVE
            for device in (old, new)
        )
    ):
        return False
    number, given = old.phone_number, new.phone_number
    voicemail_device_move(from_device_id=old.pk, to_device_id=new.pk)
    call_preferences_move(from_device_id=old.pk, to_device_id=new.pk)
    # The old line ends: new credentials, registrations ended on commit, history unlinked.
    sip_line_end_for_new_owner(device_id=old.pk)
    sip_account_registrations_end(device_id=new.pk)
    old.phone_number = None
    old.owner = None
    old.status = DeviceStatus.RETIRED
    new.nickname, old.nickname = old.nickname, ""
    for field in ADDRESS_FIELDS:
        setattr(new, f"e911_{field}", getattr(old, f"e911_{field}"))
        setattr(old, f"e911_{field}", "")
    old.suspended_at = None
    old.suspension_reason = ""
    old.save()
    sip_account_provision(device_id=old.pk, serial=old.serial, phone_number=None)
    new.phone_number = number
    new.full_clean()
    new.save()
    sip_account_provision(device_id=new.pk, serial=new.serial, phone_number=number)
    if given and given != number:
        # Given by the wizard a moment ago and never used: free again at once.
        number_quarantine(e164=given, days=0)
    if number:
        number_mark_assigned(e164=number)
    transfer_requests_settle(device=old, status=TransferStatus.CANCELLED)
    return True


SUSPENSION_REASON_MAX_LENGTH = Device._meta.get_field("suspension_reason").max_length or 200


def _suspension_reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError(
            {
                "reason": ValidationError(
                    _("Give the reason (it goes in the audit log)."),
                    "required",
                )
            }
        )
    if len(reason) > SUSPENSION_REASON_MAX_LENGTH:
        raise ValidationError(
            {
                "reason": ValidationError(
                    _("Keep the reason to %(limit)s characters or fewer."),
                    code="max_length",
                    params={"limit": SUSPENSION_REASON_MAX_LENGTH},
                )
            }
        )
    return reason


@transaction.atomic
def device_suspend(
    *,
    device: Device,
    reason: str,
    actor: AbstractBaseUser,
    request: HttpRequest | None = None,
) -> bool:
    """Staff stop the device's line whatever its service; whether it was not suspended yet.

    The next REGISTER and call are refused (the view sip_subscriber leaves
    suspended devices out) and its live registrations are ended once this
    commits. Audited with the reason.
    """
    reason = _suspension_reason(reason)
    device = (
        Device.objects.select_for_update(of=("self",)).select_related("owner").get(pk=device.pk)
    )
    if device.suspended_at is not None:
        return False
    device.suspended_at = timezone.now()
    device.suspension_reason = reason
    device.save(update_fields=["suspended_at", "suspension_reason"])
    audit_record(
        action=AuditAction.DEVICE_SUSPENDED,
        request=request,
        user=device.owner,
        actor=actor,
        data={"serial": device.serial, "reason": reason},
    )
    sip_account_registrations_end(device_id=device.pk)
    return True


@transaction.atomic
def device_resume(
    *,
    device: Device,
    reason: str,
    actor: AbstractBaseUser,
    request: HttpRequest | None = None,
) -> bool:
    """Staff lift the device's suspension; whether it was suspended.

    The device registers again at its next REGISTER, if its service allows.
    Audited with the reason.
    """
    reason = _suspension_reason(reason)
    device = (
        Device.objects.select_for_update(of=("self",)).select_related("owner").get(pk=device.pk)
    )
    if device.suspended_at is None:
        return False
    device.suspended_at = None
    device.suspension_reason = ""
    device.save(update_fields=["suspended_at", "suspension_reason"])
    audit_record(
        action=AuditAction.DEVICE_RESUMED,
        request=request,
        user=device.owner,
        actor=actor,
        data={"serial": device.serial, "reason": reason},
    )
    return True


def transfer_requests_settle(*, device: Device, status: TransferStatus) -> int:
    """Close the device's waiting transfer requests with `status`; how many were closed.

    Called once the device has left its owner's account (released, or given
    by approving one request): everyone who asked may now go on, and those
    who left an email are told. Expired requests are left alone.
    """
    now = timezone.now()
    waiting = list(
        TransferRequest.objects.select_for_update().filter(
            device=device, status=TransferStatus.PENDING, expires_at__gt=now
        )
    )
    TransferRequest.objects.filter(pk__in=[item.pk for item in waiting]).update(
        status=status, decided_at=now
    )
    for item in waiting:
        item.device = device
        transfer_requester_notify(transfer=item, released=True)
    return len(waiting)


def transfer_requester_notify(*, transfer: TransferRequest, released: bool) -> None:
    """Tell the person who asked for the device (if they left an email) of the outcome."""
    if not transfer.notify_email:
        return
    email_send(
        template="devices/email/transfer_released"
        if released
        else "devices/email/transfer_declined",
        to=transfer.notify_email,
        context={
            "serial": transfer.device.serial,
            "activate_url": _absolute(reverse("devices:activate_detect")),
        },
        language=transfer.notify_language or "en",
    )


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


@transaction.atomic
def device_rename(*, device: Device, nickname: str, request: HttpRequest | None = None) -> bool:
    """Give the device a name its owner recognises ("Kitchen"); whether it changed."""
    nickname = " ".join(nickname.split())
    if len(nickname) > NICKNAME_MAX_LENGTH:
        raise ValidationError(
            {
                "nickname": ValidationError(
                    _("Keep the nickname to %(limit)s characters or fewer."),
                    code="max_length",
                    params={"limit": NICKNAME_MAX_LENGTH},
                )
            }
        )
    if nickname == device.nickname:
        return False
    device.nickname = nickname
    device.save(update_fields=["nickname"])
    if device.owner is not None:
        audit_record(
            action=AuditAction.DEVICE_RENAMED,
            request=request,
            user=device.owner,
            data={"serial": device.serial},
        )
    return True


@transaction.atomic
def device_e911_update(
    *, device: Device, address: Mapping[str, object], request: HttpRequest | None = None
) -> bool:
    """Save the device's E911 address, checked for its country; whether it changed.

    The address is required (the line cannot be used without one) and is
    checked and normalised here, so every way in stores the same form of it
    (ValidationError, by field, otherwise). The audit event names the
    device, never the address.
    """
    normal = address_normalize(address, required=True)
    if normal == device.e911_address:
        return False
    for field, value in normal.items():
        setattr(device, f"e911_{field}", value)
    device.save(update_fields=[f"e911_{field}" for field in ADDRESS_FIELDS])
    if device.owner is not None:
        audit_record(
            action=AuditAction.E911_ADDRESS_CHANGED,
            request=request,
            user=device.owner,
            data={"serial": device.serial},
        )
    return True


def release_devices_of_closing_account(user: AbstractBaseUser) -> None:
    """The devices app's account-closing hook (registered in DevicesConfig.ready)."""
    device_release_all(owner=user)
