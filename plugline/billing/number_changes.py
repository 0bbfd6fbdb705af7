"""Changing a device's number from its page: choose a number, pay the fee once, the line moves.

1. `number_change_choose` holds the chosen number for the device (a
   reservation like the activation wizard's, holder "numchange:<device>").
2. `number_change_pay` writes, in one transaction, the fee's Payment (the
   key of the rendered confirmation form) and its NumberChange (one row per
   payment; one change waiting for its payment per device and owner, both unique in
   the database), commits, then charges through the payment core
   (billing.payments). A second submit of the same form finds the same
   payment; another form for the same device is refused while a change is
   pending.
3. The payment's success is recorded under the payment's row lock, and
   `number_change_apply` moves the line there, exactly once: the device and
   its SIP account take the new number, the old number is quarantined and its
   registrations ended on commit, the change is audited and confirmed by email
   (the receipt goes as for any payment). A decline changes nothing and holds
   the chosen number again for a while, so the subscriber can retry.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from plugline.billing.models import (
    NumberChange,
    NumberChangeStatus,
    Payment,
    PaymentKind,
    PaymentMethod,
)
from plugline.billing.payments import (
    REQUIRES_ACTION_ABANDONED_AFTER,
    ChargeAnswer,
    PaymentRefused,
    payment_charge,
    payment_fee_get_or_create,
    payment_settle,
)
from plugline.core.models import AuditAction
from plugline.core.phones import format_phone_number
from plugline.core.services import audit_record
from plugline.devices.models import Device, DeviceStatus
from plugline.devices.services import device_number_change
from plugline.notifications.services import email_send
from plugline.telephony.selectors import number_held
from plugline.telephony.services import number_reserve

logger = logging.getLogger(__name__)

# While its payment is open, the chosen number stays held at least as long as
# a payment may wait for the cardholder's bank (then it is settled as declined).
HOLD_WHILE_PAYING = REQUIRES_ACTION_ABANDONED_AFTER + timedelta(hours=1)


class NumberChangeRefused(PaymentRefused):
    """A change of number that cannot be made now; `reason` says why.

    Reasons, beyond PaymentRefused's: "not_allowed" (the device is not
    active with a number), "pending" (another change waits for its payment),
    "same_number", "not_held" (the chosen number's hold was lost),
    "fee_changed" (the fee is not the one the page showed).
    """


def number_change_fee() -> int:
    """The fee, in minor units of settings.BILLING_CURRENCY."""
    return int(settings.NUMBER_CHANGE_FEE)


def number_change_holder(device: Device, owner_id: int | None = None) -> str:
    """Who holds the number chosen for the device's change (PhoneNumber.reserved_for): the
    device's owner (or `owner_id`) for that device, so that nothing an earlier owner chose
    is ever the next one's."""
    return f"numchange:{device.pk}:{device.owner_id if owner_id is None else owner_id}"


# Reads ---------------------------------------------------------------------------


def number_change_allowed(device: Device) -> bool:
    """Whether the device's number can be changed: active on its account, with a number."""
    return (
        device.status == DeviceStatus.ACTIVE
        and device.owner_id is not None
        and bool(device.phone_number)
    )


def number_change_pending(*, device: Device) -> NumberChange | None:
    """The device's change that its owner asked for and that waits for its payment's outcome."""
    return (
        NumberChange.objects.select_related("payment")
        .filter(
            device_id=device.pk,
            requested_by_id=device.owner_id,
            status=NumberChangeStatus.PENDING,
        )
        .first()
    )


@dataclass(frozen=True)
class HeldNumber:
    e164: str
    display: str
    city: str
    region: str
    held_until: datetime | None  # None once the hold lapsed (still ours until someone takes it)


def number_change_held(*, device: Device) -> HeldNumber | None:
    """The number held for the device's change, if nobody took it since."""
    number = number_held(holder=number_change_holder(device))
    if number is None:
        return None
    until = number.reserved_until
    return HeldNumber(
        e164=number.e164,
        display=format_phone_number(number.e164),
        city=number.city,
        region=number.region,
        held_until=until if until is not None and until > timezone.now() else None,
    )


def number_change_for_payment(*, user: AbstractBaseUser, payment_id: str) -> NumberChange | None:
    """The user's own change paid (or being paid) by this payment."""
    return (
        NumberChange.objects.select_related("payment", "device")
        .filter(payment_id=payment_id, payment__user_id=user.pk)
        .first()
    )


# Writes --------------------------------------------------------------------------


def _allowed_or_refuse(device: Device, user: AbstractBaseUser) -> None:
    if device.owner_id != user.pk or not number_change_allowed(device):
        raise NumberChangeRefused("not_allowed")


@transaction.atomic
def number_change_choose(*, user: AbstractBaseUser, device: Device, e164: str) -> bool:
    """Hold `e164` for the device's change (the hold before replaces any); False if taken.

    Raises NumberChangeRefused: "not_allowed", "pending", "same_number".
    """
    device = Device.objects.select_for_update().get(pk=device.pk)
    _allowed_or_refuse(device, user)
    if number_change_pending(device=device) is not None:
        raise NumberChangeRefused("pending")
    if e164 == device.phone_number:
        raise NumberChangeRefused("same_number")
    return number_reserve(e164=e164, holder=number_change_holder(device))


def number_change_pay(
    *,
    user: AbstractBaseUser,
    device: Device,
    payment_method: PaymentMethod,
    idempotency_key: str,
    fee_shown: int,
) -> ChargeAnswer:
    """Pay the fee for the number held for the device, once, and move the line on success.

    The same key finds the same payment (a double submit charges once). Not
    to be called inside a transaction: the payment is committed before the
    gateway is asked. Raises NumberChangeRefused (see its reasons) or
    PaymentRefused ("no_card").
    """
    payment = Payment.objects.filter(user_id=user.pk, idempotency_key=idempotency_key).first()
    if payment is None:
        payment = _number_change_claim(
            user=user,
            device=device,
            payment_method=payment_method,
            idempotency_key=idempotency_key,
            fee_shown=fee_shown,
        )
    elif payment.kind != PaymentKind.NUMBER_CHANGE:
        raise PaymentRefused("no_items")
    return payment_charge(payment=payment)


@transaction.atomic
def _number_change_claim(
    *,
    user: AbstractBaseUser,
    device: Device,
    payment_method: PaymentMethod,
    idempotency_key: str,
    fee_shown: int,
) -> Payment:
    """Write the fee's payment and its change, under the device's row lock, in one transaction.

    Two submits at once wait for each other on the lock: the second finds
    the first's change (its own payment if it is the same form, else
    "pending"). The unique constraints back this up.
    """
    device = Device.objects.select_for_update().get(pk=device.pk)
    _allowed_or_refuse(device, user)
    pending = number_change_pending(device=device)
    if pending is not None:
        if pending.payment.idempotency_key == idempotency_key:
            return pending.payment
        raise NumberChangeRefused("pending")
    held = number_change_held(device=device)
    if held is None:
        raise NumberChangeRefused("not_held")
    if held.e164 == device.phone_number:
        raise NumberChangeRefused("same_number")
    fee = number_change_fee()
    if fee_shown != fee:
        raise NumberChangeRefused("fee_changed")
    holder = number_change_holder(device)
    # Held for as long as the payment may stay open.
    if not number_reserve(
        e164=held.e164, holder=holder, minutes=int(HOLD_WHILE_PAYING.total_seconds() // 60)
    ):
        raise NumberChangeRefused("not_held")
    payment, created = payment_fee_get_or_create(
        user=user,
        kind=PaymentKind.NUMBER_CHANGE,
        amount=fee,
        payment_method=payment_method,
        idempotency_key=idempotency_key,
    )
    if not created:
        # This form's payment, written by a request that raced this one.
        return payment
    try:
        with transaction.atomic():
            NumberChange.objects.create(
                payment=payment,
                device=device,
                requested_by_id=user.pk,
                old_number=device.phone_number or "",
                new_number=held.e164,
            )
    except IntegrityError as taken:
        # Another change for the device was written meanwhile: raising rolls the payment back.
        raise NumberChangeRefused("pending") from taken
    return payment


def number_change_settle(*, change: NumberChange) -> ChargeAnswer:
    """Back from the bank's page, or "Check again": ask the gateway and record the outcome."""
    return payment_settle(payment=change.payment)


def number_change_apply(*, payment: Payment) -> NumberChange | None:
    """The fee is paid: move the line, once. Runs under the payment's row lock, inside the
    transaction that records the success (billing.payments)."""
    change = (
        NumberChange.objects.select_for_update()
        .select_related("device")
        .filter(payment_id=payment.pk)
        .first()
    )
    if change is None or change.status != NumberChangeStatus.PENDING:
        return change
    moved = device_number_change(
        device_id=change.device_id,
        # Only for whoever asked and paid: never the line of the device's next owner.
        owner_id=change.requested_by_id,
        old_number=change.old_number,
        new_number=change.new_number,
        holder=number_change_holder(change.device, change.requested_by_id),
    )
    if not moved:
        # Paid, yet the device left its number or its owner meanwhile: staff refund it.
        logger.error(
            "number change %s: paid by payment %s but the line could not move; refund it",
            change.pk,
            payment.pk,
        )
        change.status = NumberChangeStatus.FAILED
        change.save(update_fields=["status"])
        return change
    change.status = NumberChangeStatus.APPLIED
    change.applied_at = timezone.now()
    change.save(update_fields=["status", "applied_at"])
    change.device.refresh_from_db()
    audit_record(
        action=AuditAction.NUMBER_CHANGED,
        user=payment.user,
        identifier=change.device.serial,
        data={
            "serial": change.device.serial,
            "old_number": change.old_number,
            "new_number": change.new_number,
            "payment": str(payment.pk),
        },
    )
    _number_changed_email(change=change, payment=payment)
    return change


def _number_changed_email(*, change: NumberChange, payment: Payment) -> None:
    user = payment.user
    if user is None:
        return
    device = change.device
    email_send(
        template="billing/email/number_changed",
        to=user.email,
        context={
            "name": user.get_short_name() if hasattr(user, "get_short_name") else "",
            "serial": device.serial,
            "device": device.nickname or device.serial,
            "old_number": format_phone_number(change.old_number),
            "new_number": format_phone_number(change.new_number),
            "quarantine_days": settings.NUMBER_QUARANTINE_DAYS,
            "device_url": settings.SITE_URL
            + reverse("portal:device", kwargs={"serial": device.serial}),
        },
        language=getattr(user, "language", "") or settings.LANGUAGE_CODE,
        user=user,
    )


def number_change_applied_serials(payment: Payment) -> list[str]:
    """The fee's handler for the payment core (billing.fees): apply; the serial it moved."""
    change = number_change_apply(payment=payment)
    return [change.device.serial] if change is not None else []


def number_change_declined(*, payment: Payment) -> None:
    """The fee was declined: nothing changes; the number stays held a while for a retry.

    Runs under the payment's row lock (billing.payments).
    """
    change = (
        NumberChange.objects.select_for_update()
        .select_related("device")
        .filter(payment_id=payment.pk, status=NumberChangeStatus.PENDING)
        .first()
    )
    if change is None:
        return
    change.status = NumberChangeStatus.DECLINED
    change.save(update_fields=["status"])
    # Back to the usual hold, counted from now (lost only if someone else took it).
    number_reserve(
        e164=change.new_number,
        holder=number_change_holder(change.device, change.requested_by_id),
    )
