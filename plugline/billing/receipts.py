"""What the customer is told of a payment: the receipt email and the invoice's lines.

The receipt is queued in the outbox in the payment's own transaction (it is
delivered once that commits), in the account's language and time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from plugline.billing.fees import fee_kind
from plugline.billing.models import NumberChange, Payment, PaymentItem, SubscriptionPeriod
from plugline.core.money import money_format
from plugline.core.phones import format_phone_number
from plugline.notifications.services import EmailToSend, emails_send


@dataclass(frozen=True)
class InvoiceLine:
    device: str
    serial: str
    plan: str
    amount: str
    ends_at: datetime | None


def invoice_lines(payment: Payment, language: str | None = None) -> list[InvoiceLine]:
    """One line per device paid for, with the end date the payment gave it (when applied);
    a fee (billing.fees: a change of number, minutes, a new device) gives its own lines."""
    lines = []
    # The period of each item in the same query: an invoice for fifty devices is one read.
    items = payment.items.select_related("plan", "subscription__device", "period")
    for item in items.order_by("pk"):
        period = getattr(item, "period", None) if payment.status != "pending" else None
        lines.append(invoice_line(item, period, payment=payment, language=language))
    fee = fee_kind(payment.kind)
    if fee is not None:
        lines.extend(fee.invoice_lines(payment, language))
    return lines


def number_change_invoice_lines(payment: Payment, language: str | None) -> list[InvoiceLine]:
    """A change of number's fee: one line."""
    lines = []
    change = NumberChange.objects.select_related("device").filter(payment_id=payment.pk).first()
    if change is not None:
        device = change.device
        with translation.override(language or translation.get_language()):
            what = gettext("Change of number: %(old)s to %(new)s") % {
                "old": format_phone_number(change.old_number),
                "new": format_phone_number(change.new_number),
            }
        lines.append(
            InvoiceLine(
                device=device.nickname or device.serial,
                serial=device.serial,
                plan=what,
                amount=money_format(payment.amount, payment.currency, language),
                ends_at=None,
            )
        )
    return lines


def invoice_line(
    item: PaymentItem,
    period: SubscriptionPeriod | None,
    *,
    payment: Payment,
    language: str | None,
) -> InvoiceLine:
    """The line of one item (its plan and device loaded), with the end its period gave."""
    device = item.subscription.device
    return InvoiceLine(
        device=device.nickname or _number_display(device) or device.serial,
        serial=device.serial,
        plan=item.plan.display_name(language),
        amount=money_format(item.amount, payment.currency, language),
        ends_at=period.ends_at if period is not None else None,
    )


def _number_display(device: Any) -> str:
    display = getattr(device, "phone_number_display", "")
    return str(display or device.phone_number or "")


def receipt_send(*, payment: Payment) -> None:
    """Queue the receipt of a payment that just succeeded (inside its transaction)."""
    email = receipt_email(payment=payment)
    if email is not None:
        emails_send([email])


def receipt_email(
    *, payment: Payment, lines: list[InvoiceLine] | None = None
) -> EmailToSend | None:
    """The receipt of a payment that just succeeded, to queue (`lines`: its invoice's lines,
    when the caller has them at hand; read otherwise)."""
    user = payment.user
    if user is None:
        return None
    language = getattr(user, "language", "") or settings.LANGUAGE_CODE
    with translation.override(language), timezone.override(_time_zone(user)):
        context = {
            "name": user.get_short_name() if hasattr(user, "get_short_name") else "",
            "invoice_number": payment.invoice_number,
            "amount": money_format(payment.amount, payment.currency, language),
            "card_brand": payment.card_brand,
            "card_last4": payment.card_last4,
            "paid_at": payment.settled_at,
            "lines": lines if lines is not None else invoice_lines(payment, language),
            "invoice_url": settings.SITE_URL
            + reverse("checkout:invoice", kwargs={"number": payment.invoice_number}),
        }
    return EmailToSend(
        template="billing/email/receipt",
        to=user.email,
        context=context,
        language=language,
        user=user,
        time_zone=_time_zone(user),
    )


def _time_zone(user: Any) -> Any:
    import zoneinfo

    try:
        return zoneinfo.ZoneInfo(getattr(user, "time_zone", "") or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")
