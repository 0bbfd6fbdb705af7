"""Buying international minutes by card: choose an amount, pay once, the balance is credited once.

1. `minutes_top_up_pay` writes, in one transaction under the account's row
   lock, the top-up's Payment (the key of the rendered form, billing.fees) and
   its MinutesTopUp (one row per payment; one top-up waiting for its payment
   per account, unique in the database), commits, then charges through the
   payment core (billing.payments). A second submit of the same form (a double
   click, a retry after a timeout) finds the same payment. The intent is the
   page, though, not only the form: a page rendered before another top-up was
   made (a second tab) is refused while that one waits for its payment, and
   once it is settled is shown again with the new balance, never charged
   blindly a second time.
2. The payment's success is recorded under the payment's row lock, and
   `minutes_top_up_apply` writes the credit, exactly once (unique per
   payment in the ledger). The receipt and the invoice carry a line
   "International minutes" (`minutes_top_up_invoice_lines`). A decline
   credits nothing; 3-D Secure and lost answers are settled as for any
   payment (`minutes_top_up_settle`).
3. A refund by staff (billing's refund page) takes the minutes refunded back
   from the balance, once per refund (`minutes_top_up_refunded`); the balance
   falling so is not a crossing that charges the low-balance top-up again.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from plugline.accounts.models import User
from plugline.billing.models import Payment, PaymentKind, PaymentMethod, Refund
from plugline.billing.payments import (
    ChargeAnswer,
    PaymentRefused,
    payment_charge,
    payment_fee_get_or_create,
    payment_settle,
)
from plugline.billing.receipts import InvoiceLine
from plugline.core.account_pages import account_pages_changed
from plugline.core.money import money_format
from plugline.minutes.models import (
    LowBalanceSetting,
    MinutesEntry,
    MinutesEntryKind,
    MinutesTopUp,
    TopUpStatus,
)
from plugline.minutes.selectors import minutes_top_up_amounts
from plugline.minutes.services import minutes_low_balance_rearm


class TopUpRefused(PaymentRefused):
    """A top-up that cannot be made now; `reason` says why.

    Reasons, beyond PaymentRefused's: "pending" (another top-up waits for its
    payment), "changed" (another top-up was made since the page was shown),
    "amount" (not one of the amounts on sale).
    """


# Reads ---------------------------------------------------------------------------


def minutes_top_up_pending(*, user: AbstractBaseUser) -> MinutesTopUp | None:
    """The account's top-up that waits for its payment's outcome."""
    return (
        MinutesTopUp.objects.select_related("payment")
        .filter(user_id=user.pk, status=TopUpStatus.PENDING)
        .first()
    )


def minutes_top_up_last_id(*, user: AbstractBaseUser) -> int:
    """The id of the account's latest top-up (0: none): what a rendered page has seen."""
    last = (
        MinutesTopUp.objects.filter(user_id=user.pk)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    return int(last or 0)


def minutes_top_up_for_payment(*, user: AbstractBaseUser, payment_id: str) -> MinutesTopUp | None:
    """The user's own top-up paid (or being paid) by this payment."""
    return (
        MinutesTopUp.objects.select_related("payment")
        .filter(payment_id=payment_id, user_id=user.pk)
        .first()
    )


# Writes --------------------------------------------------------------------------


def minutes_top_up_pay(
    *,
    user: AbstractBaseUser,
    amount: int,
    payment_method: PaymentMethod,
    idempotency_key: str,
    last_seen: int,
) -> ChargeAnswer:
    """Pay for `amount` of minutes once and credit the balance on success.

    `last_seen`: the latest top-up the page knew of (`minutes_top_up_last_id`
    when it was rendered). The same key finds the same payment. Not to be
    called inside a transaction: the payment is committed before the gateway
    is asked. Raises TopUpRefused (see its reasons) or PaymentRefused ("no_card").
    """
    payment = Payment.objects.filter(user_id=user.pk, idempotency_key=idempotency_key).first()
    if payment is None:
        payment = _top_up_claim(
            user=user,
            amount=amount,
            payment_method=payment_method,
            idempotency_key=idempotency_key,
            last_seen=last_seen,
        )
    elif payment.kind != PaymentKind.MINUTES_TOP_UP:
        raise PaymentRefused("no_items")
    return payment_charge(payment=payment)


@transaction.atomic
def _top_up_claim(
    *,
    user: AbstractBaseUser,
    amount: int,
    payment_method: PaymentMethod,
    idempotency_key: str,
    last_seen: int,
) -> Payment:
    """Write the top-up's payment and its row, under the account's row lock, in one transaction.

    Two submits at once wait for each other on the lock: the second finds the
    first's top-up (its own payment if it is the same form, else refused). The
    unique constraints back this up.
    """
    User.objects.select_for_update().filter(pk=user.pk).first()
    last = MinutesTopUp.objects.select_related("payment").filter(user_id=user.pk).order_by("-pk")
    latest = last.first()
    if latest is not None and latest.payment.idempotency_key == idempotency_key:
        # This form's own top-up, written by a request that raced this one.
        return latest.payment
    pending = minutes_top_up_pending(user=user)
    if pending is not None:
        raise TopUpRefused("pending")
    if (latest.pk if latest is not None else 0) != last_seen:
        raise TopUpRefused("changed")
    if amount not in minutes_top_up_amounts():
        raise TopUpRefused("amount")
    return minutes_top_up_write(
        user=user, amount=amount, payment_method=payment_method, idempotency_key=idempotency_key
    )


@transaction.atomic
def minutes_top_up_write(
    *,
    user: AbstractBaseUser,
    amount: int,
    payment_method: PaymentMethod,
    idempotency_key: str,
) -> Payment:
    """Write a top-up's payment and its row (the key's own payment if written before).

    Raises TopUpRefused("pending") while another top-up of the account waits for its
    payment (the unique constraint), PaymentRefused("no_card") for a card not the account's.
    The caller commits before charging.
    """
    payment, created = payment_fee_get_or_create(
        user=user,
        kind=PaymentKind.MINUTES_TOP_UP,
        amount=amount,
        payment_method=payment_method,
        idempotency_key=idempotency_key,
    )
    if not created:
        return payment
    try:
        with transaction.atomic():
            MinutesTopUp.objects.create(
                payment=payment, user_id=user.pk, amount=amount, currency=payment.currency
            )
    except IntegrityError as taken:
        # Another top-up was written meanwhile: raising rolls the payment back.
        raise TopUpRefused("pending") from taken
    return payment


def minutes_top_up_settle(*, top_up: MinutesTopUp) -> ChargeAnswer:
    """Back from the bank's page, or "Check again": ask the gateway and record the outcome."""
    return payment_settle(payment=top_up.payment)


def minutes_top_up_apply(*, payment: Payment) -> MinutesTopUp | None:
    """The payment succeeded: credit the balance, once. Runs under the payment's row lock,
    inside the transaction that records the success (billing.payments)."""
    top_up = MinutesTopUp.objects.select_for_update().filter(payment_id=payment.pk).first()
    if top_up is None or top_up.status != TopUpStatus.PENDING:
        return top_up
    MinutesEntry.objects.create(
        user_id=top_up.user_id,
        kind=MinutesEntryKind.TOP_UP,
        amount=top_up.amount,
        currency=top_up.currency,
        payment=payment,
    )
    top_up.status = TopUpStatus.APPLIED
    top_up.applied_at = timezone.now()
    top_up.save(update_fields=["status", "applied_at"])
    account_pages_changed(user_ids=[top_up.user_id])
    if payment.user is not None:
        minutes_low_balance_rearm(user=payment.user)
    return top_up


def minutes_top_up_applied(payment: Payment) -> Sequence[str]:
    """The fee's `applied` handler (billing.fees): credit; no device is touched."""
    minutes_top_up_apply(payment=payment)
    return []


def minutes_top_up_declined(payment: Payment) -> None:
    """The fee's `declined` handler: nothing is credited; another top-up can be made."""
    MinutesTopUp.objects.filter(payment_id=payment.pk, status=TopUpStatus.PENDING).update(
        status=TopUpStatus.DECLINED
    )


def minutes_top_up_invoice_lines(payment: Payment, language: str | None) -> list[InvoiceLine]:
    """The receipt's and the invoice's line: "International minutes" and the amount."""
    with translation.override(language or translation.get_language()):
        what = gettext("International minutes")
    return [
        InvoiceLine(
            device="",
            serial="",
            plan=what,
            amount=money_format(payment.amount, payment.currency, language),
            ends_at=None,
        )
    ]


def minutes_top_up_refunded(payment: Payment, refund: Refund) -> None:
    """The fee's `refunded` handler: staff refunded part or all of a top-up, so the minutes
    it paid for leave the balance (a "refund" entry, one per refund: unique in the ledger).
    Runs under the payment's row lock, in the transaction that records the refund."""
    top_up = MinutesTopUp.objects.filter(payment_id=payment.pk).first()
    if top_up is None or top_up.status != TopUpStatus.APPLIED:
        # Never credited: nothing to take back.
        return
    MinutesEntry.objects.create(
        user_id=top_up.user_id,
        kind=MinutesEntryKind.REFUND,
        amount=-min(refund.amount, top_up.amount),
        currency=top_up.currency,
        payment=payment,
        refund=refund,
        reason=refund.reason,
    )
    if top_up.user_id is not None:
        # A refund is not a crossing: the low-balance top-up does not charge the card again
        # for it; the next credit that brings the balance back to its threshold arms it.
        LowBalanceSetting.objects.filter(user_id=top_up.user_id, armed=True).update(armed=False)
        account_pages_changed(user_ids=[top_up.user_id])
