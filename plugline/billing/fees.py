"""Payments of a fee: what a payment pays for when it is not a plan's period.

A change of number, international minutes and a device upgrade are each paid with
`payments.payment_fee_get_or_create` (a kind of their own, the amount they price); what the
payment is for is recorded by the caller against the payment (a row of its own app that
points at it). The payment core then calls the kind's handlers, registered here by the app
that owns the kind (in its AppConfig.ready):

- `applied(payment)`: the payment just succeeded. Runs once, under the payment's row lock, in
  the transaction that records the success; returns the serials of the devices it touched
  (for the audit log). Whatever it writes is unique per payment in the database.
- `declined(payment)`: the payment was declined (same lock and transaction); nothing was
  charged.
- `invoice_lines(payment, language)`: the lines of its receipt and invoice.
- `refunded(payment, refund)` (optional): staff refunded `refund.amount` of the payment
  (payments.payment_refund); runs once per refund, under the payment's row lock, in the
  transaction that records the refund's success. What it writes is unique per refund in the
  database (e.g. the minutes bought are taken back from the balance).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from plugline.billing.models import Payment, Refund
    from plugline.billing.receipts import InvoiceLine


@dataclass(frozen=True)
class FeeKind:
    applied: Callable[[Payment], Sequence[str]]
    declined: Callable[[Payment], None]
    invoice_lines: Callable[[Payment, str | None], list[InvoiceLine]]
    refunded: Callable[[Payment, Refund], None] | None = None


_KINDS: dict[str, FeeKind] = {}


def fee_kind_register(
    kind: str,
    *,
    applied: Callable[[Payment], Sequence[str]],
    declined: Callable[[Payment], None],
    invoice_lines: Callable[[Payment, str | None], list[InvoiceLine]],
    refunded: Callable[[Payment, Refund], None] | None = None,
) -> None:
    """Register the handlers of a payment kind that pays a fee (one registration a kind)."""
    if kind in _KINDS:
        raise ValueError(f"payment kind {kind!r} already has its handlers")
    _KINDS[str(kind)] = FeeKind(
        applied=applied, declined=declined, invoice_lines=invoice_lines, refunded=refunded
    )


def fee_kind(kind: str) -> FeeKind | None:
    """The handlers of a fee's payment kind; None for a payment of plans."""
    return _KINDS.get(str(kind))
