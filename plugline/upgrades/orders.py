"""Ordering a new device at an offer's price, paying once, and staff advancing the order.

1. `upgrade_order_pay` writes, in one transaction, the upgrade's Payment (the key
   of the rendered form) and its UpgradeOrder (one order per payment; one order
   waiting for its payment per device and owner, both unique in the database),
   commits, then charges through the payment core (billing.payments). A second
   submit of the same form (double click, retry after a timeout) finds the same
   payment; another form for the same device is refused while one is pending.
2. The payment's success is recorded under the payment's row lock, and
   `upgrade_order_apply` marks the order paid, once, and emails the customer (the
   receipt goes as for any payment, its line from `upgrade_order_invoice_lines`).
   A decline marks the order declined: nothing was charged.
3. Staff ship it (tracking number and the serial of the device sent: the device is
   sold online to the customer's email, so that the activation wizard lets them
   register it), mark it delivered, or cancel it with a refund. Each step is a
   conditional update of the order's status (two clicks advance it once; the
   cancellation refunds once) and is emailed to the customer. A payment refunded in full
   from billing's refund page cancels its order too (`upgrade_order_refunded`). A device
   sent on a cancelled order and never activated goes back in stock.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from plugline.billing.models import Payment, PaymentKind, PaymentMethod, PaymentStatus, Refund
from plugline.billing.payments import (
    ChargeAnswer,
    PaymentRefused,
    payment_charge,
    payment_fee_get_or_create,
    payment_refund,
    payment_settle,
)
from plugline.billing.receipts import InvoiceLine
from plugline.core.addresses import ADDRESS_FIELDS, address_normalize
from plugline.core.models import AuditAction
from plugline.core.money import money_format
from plugline.core.services import audit_record
from plugline.devices.models import Device, DeviceStatus
from plugline.devices.services import device_sell_online
from plugline.notifications.services import email_send
from plugline.upgrades.models import UpgradeOrder, UpgradeOrderStatus
from plugline.upgrades.selectors import upgrade_offer_for_device, upgrade_order_pending

logger = logging.getLogger(__name__)

# Orders still open for a device: one at a time per device and owner.
OPEN_STATUSES = (
    UpgradeOrderStatus.PENDING,
    UpgradeOrderStatus.PAID,
    UpgradeOrderStatus.SHIPPED,
    UpgradeOrderStatus.DELIVERED,
)
TRACKING_NUMBER_MAX_LENGTH = 60


class UpgradeRefused(PaymentRefused):
    """An upgrade that cannot be ordered (or advanced) now; `reason` says why.

    Reasons, beyond PaymentRefused's: "not_allowed" (not the user's active device, or
    the offer does not apply to it), "pending" (another order waits for its payment),
    "ordered" (an upgrade of the device is on its way already), "price_changed"
    (the price is not the one the page showed); for staff, "not_paid", "not_shipped",
    "not_cancellable", "serial_unknown" (no device of the model ordered in stock with that
    serial).
    """


# Paying ------------------------------------------------------------------------------


def upgrade_order_pay(
    *,
    user: AbstractBaseUser,
    device: Device,
    offer_id: int,
    address: Mapping[str, object],
    payment_method: PaymentMethod,
    idempotency_key: str,
    price_shown: int,
) -> ChargeAnswer:
    """Pay for the offer's device for `device`, once, shipped to `address`.

    The same key finds the same payment (a double submit charges once). Not to be
    called inside a transaction: the payment is committed before the gateway is
    asked. Raises UpgradeRefused (see its reasons), PaymentRefused ("no_card") or
    ValidationError (the address, by field).
    """
    payment = Payment.objects.filter(user_id=user.pk, idempotency_key=idempotency_key).first()
    if payment is None:
        payment = _upgrade_order_claim(
            user=user,
            device=device,
            offer_id=offer_id,
            address=address_normalize(address, required=True),
            payment_method=payment_method,
            idempotency_key=idempotency_key,
            price_shown=price_shown,
        )
    elif payment.kind != PaymentKind.DEVICE_UPGRADE:
        raise PaymentRefused("no_items")
    return payment_charge(payment=payment)


@transaction.atomic
def _upgrade_order_claim(
    *,
    user: AbstractBaseUser,
    device: Device,
    offer_id: int,
    address: dict[str, str],
    payment_method: PaymentMethod,
    idempotency_key: str,
    price_shown: int,
) -> Payment:
    """Write the payment and its order under the device's row lock, in one transaction.

    Two submits at once wait for each other on the lock: the second finds the first's
    order (its own payment if it is the same form, else "pending"). The unique
    constraints back this up.
    """
    device = Device.objects.select_for_update().get(pk=device.pk)
    if device.owner_id != user.pk or device.status != DeviceStatus.ACTIVE:
        raise UpgradeRefused("not_allowed")
    pending = upgrade_order_pending(device=device)
    if pending is not None:
        if pending.payment.idempotency_key == idempotency_key:
            return pending.payment
        raise UpgradeRefused("pending")
    if UpgradeOrder.objects.filter(
        device_id=device.pk,
        owner_id=user.pk,
        status__in=[*OPEN_STATUSES, UpgradeOrderStatus.CANCELLING],
    ).exists():
        raise UpgradeRefused("ordered")
    offer = upgrade_offer_for_device(user=user, device=device, offer_id=offer_id)
    if offer is None:
        raise UpgradeRefused("not_allowed")
    if price_shown != offer.price:
        raise UpgradeRefused("price_changed")
    payment, created = payment_fee_get_or_create(
        user=user,
        kind=PaymentKind.DEVICE_UPGRADE,
        amount=offer.price,
        payment_method=payment_method,
        idempotency_key=idempotency_key,
    )
    if not created:
        # This form's payment, written by a request that raced this one.
        return payment
    try:
        with transaction.atomic():
            UpgradeOrder.objects.create(
                payment=payment,
                device=device,
                owner_id=user.pk,
                offer=offer,
                model=offer.model,
                price=offer.price,
                currency=payment.currency,
                **{f"ship_{field}": address[field] for field in ADDRESS_FIELDS},
            )
    except IntegrityError as taken:
        # Another order for the device was written meanwhile: raising rolls the payment back.
        raise UpgradeRefused("pending") from taken
    return payment


def upgrade_order_settle(*, order: UpgradeOrder) -> ChargeAnswer:
    """Back from the bank's page, or "Check again": ask the gateway and record the outcome."""
    return payment_settle(payment=order.payment)


# The payment core's handlers (billing.fees) ------------------------------------------


def upgrade_order_apply(*, payment: Payment) -> UpgradeOrder | None:
    """The upgrade is paid: the order is paid, once; the customer is told what comes next.

    Runs under the payment's row lock, inside the transaction that records the success.
    """
    order = (
        UpgradeOrder.objects.select_for_update(of=("self",))
        .select_related("device", "model")
        .filter(payment_id=payment.pk)
        .first()
    )
    if order is None or order.status != UpgradeOrderStatus.PENDING:
        return order
    order.status = UpgradeOrderStatus.PAID
    order.paid_at = timezone.now()
    order.save(update_fields=["status", "paid_at"])
    _order_email(order, "upgrade_paid")
    return order


def upgrade_order_applied_serials(payment: Payment) -> list[str]:
    """The fee's `applied` handler: apply; the serial of the device upgraded."""
    order = upgrade_order_apply(payment=payment)
    return [order.device.serial] if order is not None else []


def upgrade_order_declined(*, payment: Payment) -> None:
    """The payment was declined: the order is too (nothing was charged); the subscriber
    can order again. Runs under the payment's row lock."""
    UpgradeOrder.objects.filter(payment_id=payment.pk, status=UpgradeOrderStatus.PENDING).update(
        status=UpgradeOrderStatus.DECLINED
    )


def upgrade_order_refunded(payment: Payment, refund: Refund) -> None:
    """The fee's `refunded` handler: a payment refunded in full from billing's refund page
    cancels its order (paid, shipped or delivered, not taken over), once, and tells the
    customer, as "Cancel and refund" does; a partial refund (a goodwill gesture) leaves the
    order as it is. The order's own cancellation claims it first ("being cancelled"), so
    this changes nothing then. Runs under the payment's row lock, in the transaction that
    records the refund."""
    if payment.status != PaymentStatus.REFUNDED:
        return
    order = UpgradeOrder.objects.filter(payment_id=payment.pk, taken_over_at__isnull=True).first()
    if order is None or not _advance(
        order,
        from_statuses=(
            UpgradeOrderStatus.PAID,
            UpgradeOrderStatus.SHIPPED,
            UpgradeOrderStatus.DELIVERED,
        ),
        to=UpgradeOrderStatus.CANCELLED,
        cancelled_at=timezone.now(),
    ):
        return
    order = UpgradeOrder.objects.select_related("owner", "device", "model").get(pk=order.pk)
    _device_sent_back_in_stock(order)
    _staff_audit(order, refund.staff, status=order.status, refunded=refund.amount)
    _order_email(order, "upgrade_cancelled")


def upgrade_order_invoice_lines(payment: Payment, language: str | None) -> list[InvoiceLine]:
    """The receipt's and invoice's line: the new device, for which device."""
    order = (
        UpgradeOrder.objects.select_related("device", "model").filter(payment_id=payment.pk).first()
    )
    if order is None:
        return []
    device = order.device
    with translation.override(language or translation.get_language()):
        what = gettext("New device: %(model)s (upgrade)") % {"model": order.model.name}
    return [
        InvoiceLine(
            device=device.nickname or device.phone_number_display or device.serial,
            serial=device.serial,
            plan=what,
            amount=money_format(order.price, order.currency, language),
            ends_at=None,
        )
    ]


# Staff advance the order ------------------------------------------------------------


def _advance(
    order: UpgradeOrder, *, from_statuses: tuple[str, ...], to: str, **fields: Any
) -> bool:
    """Move the order from one of `from_statuses` to `to`, once (a conditional update)."""
    return bool(
        UpgradeOrder.objects.filter(pk=order.pk, status__in=from_statuses).update(
            status=to, **fields
        )
    )


def _device_sent_back_in_stock(order: UpgradeOrder) -> None:
    """A cancelled order's device, if one was sent and never activated, is stock again: no
    longer sold to the customer's email (the web order of its shipping), so that it can be
    sent on another order or sold."""
    if order.new_serial:
        Device.objects.filter(
            serial=order.new_serial,
            owner__isnull=True,
            status=DeviceStatus.SOLD_ONLINE,
            web_order__number=_web_order_number(order),
        ).update(status=DeviceStatus.IN_STOCK, web_order=None)


def _web_order_number(order: UpgradeOrder) -> str:
    return f"UPGRADE-{order.pk}"


def _staff_audit(order: UpgradeOrder, staff: AbstractBaseUser | None, **data: Any) -> None:
    audit_record(
        action=AuditAction.BILLING_CHANGED_BY_STAFF,
        user=order.owner,
        actor=staff,
        identifier=order.device.serial,
        data={"upgrade_order": order.pk, "serial": order.device.serial, **data},
    )


@transaction.atomic
def upgrade_order_ship(
    *, order: UpgradeOrder, tracking_number: str, new_serial: str, staff: AbstractBaseUser
) -> UpgradeOrder:
    """A paid order goes out: its tracking number and the serial of the device sent.

    The device sent is sold online to the customer's email (the activation wizard then
    lets them register it); its activation takes the old device's line over. Raises
    UpgradeRefused: "not_paid" (not paid, or shipped already), "serial_unknown";
    ValidationError for an empty tracking number.
    """
    tracking_number = " ".join(tracking_number.split())
    new_serial = new_serial.strip().upper()
    if not tracking_number or len(tracking_number) > TRACKING_NUMBER_MAX_LENGTH:
        raise ValidationError(
            {"tracking_number": _("Type the tracking number (60 characters at most).")}
        )
    order = (
        UpgradeOrder.objects.select_for_update(of=("self",))
        .select_related("owner", "device")
        .get(pk=order.pk)
    )
    if order.status != UpgradeOrderStatus.PAID or order.owner is None:
        raise UpgradeRefused("not_paid")
    if (
        UpgradeOrder.objects.filter(new_serial=new_serial)
        .exclude(pk=order.pk)
        .exclude(status=UpgradeOrderStatus.CANCELLED)
        .exists()
        or not Device.objects.filter(serial=new_serial, model_id=order.model_id).exists()
    ):
        raise UpgradeRefused("serial_unknown")
    shipped = device_sell_online(
        serial=new_serial, order_number=_web_order_number(order), email=order.owner.email
    )
    if shipped is None:
        raise UpgradeRefused("serial_unknown")
    _advance(
        order,
        from_statuses=(UpgradeOrderStatus.PAID,),
        to=UpgradeOrderStatus.SHIPPED,
        tracking_number=tracking_number,
        new_serial=new_serial,
        shipped_at=timezone.now(),
    )
    order.refresh_from_db()
    _staff_audit(order, staff, status=order.status, new_serial=new_serial)
    _order_email(order, "upgrade_shipped")
    return order


@transaction.atomic
def upgrade_order_deliver(*, order: UpgradeOrder, staff: AbstractBaseUser) -> bool:
    """A shipped order arrived; whether this call marked it (False: it was already)."""
    if not _advance(
        order,
        from_statuses=(UpgradeOrderStatus.SHIPPED,),
        to=UpgradeOrderStatus.DELIVERED,
        delivered_at=timezone.now(),
    ):
        return False
    order = UpgradeOrder.objects.select_related("owner", "device", "model").get(pk=order.pk)
    _staff_audit(order, staff, status=order.status)
    _order_email(order, "upgrade_delivered")
    return True


def upgrade_order_cancel(*, order: UpgradeOrder, reason: str, staff: AbstractBaseUser) -> bool:
    """Cancel a paid order that was not taken over, and refund its payment in full, once;
    whether this call cancelled it (False: another call did, or is doing it).

    The order is claimed first (a conditional update to "being cancelled", committed),
    so that two staff clicking at once refund once; then the payment core refunds
    (billing.payments.payment_refund). If the gateway refuses or does not answer, the
    order goes back to what it was and PaymentRefused ("gateway") is raised.
    Raises UpgradeRefused("not_cancellable") for an order that cannot be cancelled.
    """
    with transaction.atomic():
        order = UpgradeOrder.objects.select_for_update(of=("self",)).get(pk=order.pk)
        if order.taken_over_at is not None or order.status not in (
            UpgradeOrderStatus.PAID,
            UpgradeOrderStatus.SHIPPED,
            UpgradeOrderStatus.DELIVERED,
        ):
            if order.status in (UpgradeOrderStatus.CANCELLING, UpgradeOrderStatus.CANCELLED):
                return False
            raise UpgradeRefused("not_cancellable")
        was = order.status
        if not _advance(order, from_statuses=(was,), to=UpgradeOrderStatus.CANCELLING):
            return False
    payment = Payment.objects.get(pk=order.payment_id)
    try:
        payment_refund(
            payment=payment,
            amount=order.price,
            reason=reason or f"upgrade order {order.pk} cancelled",
            staff=staff,
        )
    except PaymentRefused:
        # Nothing refunded: the order is as it was, for staff to try again.
        _advance(order, from_statuses=(UpgradeOrderStatus.CANCELLING,), to=was)
        raise
    with transaction.atomic():
        _advance(
            order,
            from_statuses=(UpgradeOrderStatus.CANCELLING,),
            to=UpgradeOrderStatus.CANCELLED,
            cancelled_at=timezone.now(),
        )
        order = UpgradeOrder.objects.select_related("owner", "device", "model").get(pk=order.pk)
        _device_sent_back_in_stock(order)
        _staff_audit(order, staff, status=order.status, refunded=order.price)
        _order_email(order, "upgrade_cancelled")
    return True


# Emails ------------------------------------------------------------------------------


def _order_email(order: UpgradeOrder, template: str) -> None:
    """Tell the customer where their order stands (queued in this transaction)."""
    user = order.owner
    if user is None:
        return
    language = getattr(user, "language", "") or settings.LANGUAGE_CODE
    device = order.device
    email_send(
        template=f"upgrades/email/{template}",
        to=user.email,
        context={
            "name": user.get_short_name() if hasattr(user, "get_short_name") else "",
            "device": device.nickname or device.phone_number_display or device.serial,
            "model": order.model.name,
            "amount": money_format(order.price, order.currency, language),
            "tracking_number": order.tracking_number,
            "address": ", ".join(value for value in order.shipping_address.values() if value),
            "device_url": settings.SITE_URL
            + reverse("portal:device", kwargs={"serial": device.serial}),
            "activate_url": settings.SITE_URL + reverse("devices:activate_detect"),
        },
        language=language,
        user=user,
    )
