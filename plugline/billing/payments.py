"""The one place money moves: charging a card for renewals, settling lost answers, refunds.

Checkout, AutoRenew, the end of a free trial and a change of number all pay
the same way:

1. `payment_create` writes the Payment (status pending, its idempotency key,
   the amount from the plans' prices, the card's brand and last four) and its
   items, and COMMITS, before anything is sent to the gateway. A second
   request with the same key finds the same payment (the key is unique).
2. `payment_charge` asks the gateway to charge with that key; the gateway
   charges at most once per key, however often it is asked.
3. The answer is recorded under a lock on the payment's row: a success gets
   the next invoice number and each item is applied to its subscription
   (one period per item, unique in the database; a change of number moves
   the line, billing.number_changes), a decline changes nothing.
   A checkout payment's cart lines (claimed when it was written, see
   billing.checkout) are deleted with a success and released with a decline,
   in the same transaction; an unknown outcome keeps them claimed.
   An answer that never came (GatewayError) leaves the payment UNKNOWN.
4. `payment_settle` asks the gateway what became of the key and records the
   real outcome: for unknown or forgotten payments (a worker killed between
   the gateway's answer and the commit), from the periodic job
   `billing.settle_unknown_payments`, from webhooks, and when the customer
   comes back from authenticating a charge. Recording twice applies once.

Callers must not be inside a transaction when they create or charge: the
payment has to be committed before the gateway hears of it.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Q, Sum
from django.utils import timezone

from plugline.billing.fees import fee_kind
from plugline.billing.gateways import gateway_get
from plugline.billing.gateways.base import ChargeRequest, ChargeResult, GatewayError, Outcome
from plugline.billing.models import (
    CartItem,
    CustomerAccount,
    Payment,
    PaymentItem,
    PaymentKind,
    PaymentMethod,
    PaymentStatus,
    Plan,
    PlanPrice,
    Refund,
    Subscription,
    SubscriptionPeriod,
)
from plugline.core.bulk import rows_update
from plugline.core.models import AuditAction
from plugline.core.services import AuditRecord, audit_record, audit_records

logger = logging.getLogger(__name__)

# Payments that still wait for the gateway's final word.
OPEN_STATUSES = (PaymentStatus.PENDING, PaymentStatus.UNKNOWN, PaymentStatus.REQUIRES_ACTION)
# A pending payment younger than this may still be waiting for its answer:
# the settling job leaves it to the request that is charging it.
SETTLE_AFTER = timedelta(minutes=2)
# A cardholder who has not authenticated a charge within this time has given up.
REQUIRES_ACTION_ABANDONED_AFTER = timedelta(days=1)
# Set in tests only: the process kills itself right after the gateway
# answered a charge, before recording it (a worker killed mid-payment).
KILL_AFTER_CHARGE_ENV = "PLUGLINE_TEST_KILL_AFTER_CHARGE"
# Refund statuses.
REFUND_PENDING, REFUND_SUCCEEDED, REFUND_FAILED, REFUND_UNKNOWN = (
    "pending",
    "succeeded",
    "failed",
    "unknown",
)


class PaymentRefused(Exception):
    """A payment or refund that cannot be made; `reason` says why.

    Reasons: "no_items", "no_price" (a plan without a price in the billing
    currency), "no_card", "not_refundable", "too_much", "gateway".
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ChargeAnswer:
    """A payment after the gateway was asked; `action_url` when the cardholder must act."""

    payment: Payment
    action_url: str = ""


def idempotency_key_new(prefix: str = "pay") -> str:
    """A fresh random key for one intent to pay (a rendered "Pay" form, a renewal claim)."""
    return f"{prefix}_{secrets.token_urlsafe(24)}"


def plan_prices(*, plan_ids: set[int], currency: str | None = None) -> dict[int, int | None]:
    """`plan_price` of several plans in one read: plan id -> price (None: no price)."""
    currency = currency or settings.BILLING_CURRENCY
    prices: dict[int, int | None] = dict.fromkeys(plan_ids)
    for plan_id, amount in PlanPrice.objects.filter(
        plan_id__in=plan_ids, currency=currency
    ).values_list("plan_id", "amount"):
        prices[plan_id] = amount
    return prices


def plan_price(*, plan: Plan, currency: str | None = None) -> int | None:
    """The plan's price in minor units in `currency` (the billing currency), or None."""
    currency = currency or settings.BILLING_CURRENCY
    return (
        PlanPrice.objects.filter(plan=plan, currency=currency)
        .values_list("amount", flat=True)
        .first()
    )


def payment_create(
    *,
    user: AbstractBaseUser,
    kind: PaymentKind | str,
    items: Sequence[tuple[Subscription, Plan]],
    payment_method: PaymentMethod,
    idempotency_key: str,
    prices: Mapping[int, int | None] | None = None,
) -> Payment:
    """Write a pending payment and its items, committed; the existing one for a key seen before.

    `prices`: the plans' prices in the billing currency by plan id, when the
    caller has read them already (a batch of renewals); read otherwise.
    Raises PaymentRefused for an empty list, a plan without a price in the
    billing currency, or a card that is not the account's.
    """
    payment, _created = payment_get_or_create(
        user=user,
        kind=kind,
        items=items,
        payment_method=payment_method,
        idempotency_key=idempotency_key,
        prices=prices,
    )
    return payment


def payment_get_or_create(
    *,
    user: AbstractBaseUser,
    kind: PaymentKind | str,
    items: Sequence[tuple[Subscription, Plan]],
    payment_method: PaymentMethod,
    idempotency_key: str,
    prices: Mapping[int, int | None] | None = None,
) -> tuple[Payment, bool]:
    """`payment_create`, also saying whether this call wrote the payment (False: the key's own)."""
    existing = Payment.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return _payment_for_key(existing, user), False
    if not items:
        raise PaymentRefused("no_items")
    if payment_method.user_id != user.pk or payment_method.removed_at is not None:
        raise PaymentRefused("no_card")
    currency = settings.BILLING_CURRENCY
    priced: list[tuple[Subscription, Plan, int]] = []
    for subscription, plan in items:
        amount = (
            prices.get(plan.pk)
            if prices is not None and plan.pk in prices
            else plan_price(plan=plan, currency=currency)
        )
        if amount is None:
            raise PaymentRefused("no_price")
        priced.append((subscription, plan, amount))
    return _payment_write(
        user=user,
        kind=kind,
        amount=sum(amount for _s, _p, amount in priced),
        priced=priced,
        payment_method=payment_method,
        idempotency_key=idempotency_key,
    )


@dataclass(frozen=True)
class PaymentOrder:
    """One payment of items for `payments_write`: what `payment_create` takes."""

    user: AbstractBaseUser
    kind: PaymentKind | str
    items: Sequence[tuple[Subscription, Plan]]
    payment_method: PaymentMethod
    idempotency_key: str


@transaction.atomic
def payments_write(
    orders: Sequence[PaymentOrder], *, prices: Mapping[int, int | None]
) -> list[Payment | PaymentRefused]:
    """`payment_create` for several payments (a batch of renewals), in the same order: the
    payments and their items written in two INSERTs; a key seen before gives its payment.

    `prices`: the plans' prices in the billing currency by plan id (a plan missing
    from it has none). In place of a payment that cannot be made, its PaymentRefused.
    The caller commits (the payments must be committed before they are charged).
    """
    seen = {
        payment.idempotency_key: payment
        for payment in Payment.objects.filter(
            idempotency_key__in=[order.idempotency_key for order in orders]
        )
    }
    currency = settings.BILLING_CURRENCY
    answers: list[Payment | PaymentRefused] = []
    payments: list[Payment] = []
    items: list[PaymentItem] = []
    for order in orders:
        existing = seen.get(order.idempotency_key)
        if existing is not None:
            answers.append(
                existing if existing.user_id == order.user.pk else PaymentRefused("no_items")
            )
            continue
        method = order.payment_method
        amounts = [prices.get(plan.pk) or 0 for _subscription, plan in order.items]
        if not order.items:
            answers.append(PaymentRefused("no_items"))
        elif method.user_id != order.user.pk or method.removed_at is not None:
            answers.append(PaymentRefused("no_card"))
        elif any(prices.get(plan.pk) is None for _subscription, plan in order.items):
            answers.append(PaymentRefused("no_price"))
        else:
            payment = Payment(
                user_id=order.user.pk,
                kind=order.kind,
                idempotency_key=order.idempotency_key,
                amount=sum(amounts),
                currency=currency,
                payment_method=method,
                card_brand=method.brand,
                card_last4=method.last4,
                gateway=method.gateway,
            )
            payment.user = order.user  # type: ignore[assignment]
            seen[order.idempotency_key] = payment
            payments.append(payment)
            items += (
                PaymentItem(payment=payment, subscription=subscription, plan=plan, amount=amount)
                for (subscription, plan), amount in zip(order.items, amounts, strict=True)
            )
            answers.append(payment)
    Payment.objects.bulk_create(payments)
    PaymentItem.objects.bulk_create(items)
    return answers


def payment_fee_get_or_create(
    *,
    user: AbstractBaseUser,
    kind: PaymentKind | str,
    amount: int,
    payment_method: PaymentMethod,
    idempotency_key: str,
) -> tuple[Payment, bool]:
    """A payment of a fee (`amount` in minor units of the billing currency), not of plans:
    what it pays for is recorded by the caller against the payment (e.g. a NumberChange).

    The same key finds the same payment, as with `payment_get_or_create`.
    """
    existing = Payment.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return _payment_for_key(existing, user), False
    if amount <= 0:
        raise PaymentRefused("no_price")
    if payment_method.user_id != user.pk or payment_method.removed_at is not None:
        raise PaymentRefused("no_card")
    return _payment_write(
        user=user,
        kind=kind,
        amount=amount,
        priced=[],
        payment_method=payment_method,
        idempotency_key=idempotency_key,
    )


def _payment_write(
    *,
    user: AbstractBaseUser,
    kind: PaymentKind | str,
    amount: int,
    priced: Sequence[tuple[Subscription, Plan, int]],
    payment_method: PaymentMethod,
    idempotency_key: str,
) -> tuple[Payment, bool]:
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                user_id=user.pk,
                kind=kind,
                idempotency_key=idempotency_key,
                amount=amount,
                currency=settings.BILLING_CURRENCY,
                payment_method=payment_method,
                card_brand=payment_method.brand,
                card_last4=payment_method.last4,
                gateway=payment_method.gateway,
            )
            PaymentItem.objects.bulk_create(
                PaymentItem(payment=payment, subscription=subscription, plan=plan, amount=amount)
                for subscription, plan, amount in priced
            )
    except IntegrityError:
        # The same intent, submitted twice at once: the other request wrote it.
        return _payment_for_key(Payment.objects.get(idempotency_key=idempotency_key), user), False
    return payment, True


def _payment_for_key(payment: Payment, user: AbstractBaseUser) -> Payment:
    if payment.user_id != user.pk:
        # Keys are random per form; someone else's key is not a way in.
        raise PaymentRefused("no_items")
    return payment


def _customer_id(payment: Payment) -> str:
    return (
        CustomerAccount.objects.filter(user=payment.user, gateway=payment.gateway)
        .values_list("gateway_customer_id", flat=True)
        .get()
    )


def payment_charge(*, payment: Payment) -> ChargeAnswer:
    """Ask the gateway to charge a payment once, and record its answer.

    A payment already settled is returned as it is; one whose answer was
    lost is charged again with the same key (the gateway does not charge
    twice) and so settled.
    """
    payment.refresh_from_db()
    if payment.status not in (PaymentStatus.PENDING, PaymentStatus.UNKNOWN):
        return ChargeAnswer(payment)
    method = payment.payment_method
    if method is None:
        raise PaymentRefused("no_card")
    result = _gateway_charge(payment, method=method, customer_id=_customer_id(payment))
    return payment_record(payment=payment, result=result)


def _gateway_charge(payment: Payment, *, method: PaymentMethod, customer_id: str) -> ChargeResult:
    try:
        result = gateway_get().charge(
            customer_id=customer_id,
            token=method.token,
            amount=payment.amount,
            currency=payment.currency,
            idempotency_key=payment.idempotency_key,
            description=_description(payment),
        )
    except GatewayError as error:
        logger.warning("payment %s: the gateway's answer was lost (%s)", payment.pk, error)
        result = ChargeResult(outcome=Outcome.UNKNOWN)
    _kill_self_if_asked()
    return result


def payments_charge(
    *, payments: Iterable[Payment], users: Collection[Any] = (), at_once: int = 1
) -> list[Payment]:
    """`payment_charge` for several payments of items (a batch of renewals): each is charged
    once by its key, `at_once` of them sent to the gateway together (see Gateway.charges),
    then every answer is recorded in one transaction.

    `payments` may be a generator writing each payment just before it is
    charged. They are as this worker just wrote or read them (their
    `payment_method` loaded); those no longer pending or unknown are left as
    they are. `users`: the accounts they are of, when known, so that their
    customers at the gateway are read at once. Until the answers are
    recorded, a payment the gateway charged stays pending: a worker killed
    meanwhile leaves it to `payments_settle_unknown`, as with one payment.
    """
    customers = _customer_ids(users)
    answered: list[Payment] = []
    answers: list[tuple[Payment, ChargeResult]] = []
    group: list[tuple[Payment, PaymentMethod, str]] = []

    def send() -> None:
        if len(group) == 1:
            [(payment, method, customer_id)] = group
            answers.append(
                (payment, _gateway_charge(payment, method=method, customer_id=customer_id))
            )
        elif group:
            answers.extend(_gateway_charges(group))
        group.clear()

    for payment in payments:
        answered.append(payment)
        if payment.status not in (PaymentStatus.PENDING, PaymentStatus.UNKNOWN):
            continue
        method = payment.payment_method
        if method is None:
            raise PaymentRefused("no_card")
        key = (payment.user_id, payment.gateway)
        if key not in customers:
            customers.update(_customer_ids([payment.user_id]))
        group.append((payment, method, customers[key]))
        if len(group) >= at_once:
            send()
    send()
    recorded = payments_record(answers=answers)
    return [recorded.get(payment.pk, payment) for payment in answered]


def _gateway_charges(
    group: Sequence[tuple[Payment, PaymentMethod, str]],
) -> list[tuple[Payment, ChargeResult]]:
    """Several charges sent to the gateway at once, each with its own key."""
    try:
        results = gateway_get().charges(
            [
                ChargeRequest(
                    customer_id=customer_id,
                    token=method.token,
                    amount=payment.amount,
                    currency=payment.currency,
                    idempotency_key=payment.idempotency_key,
                    description=_description(payment),
                )
                for payment, method, customer_id in group
            ]
        )
    except GatewayError as error:
        logger.warning("%s payments: the gateway's answers were lost (%s)", len(group), error)
        results = [error] * len(group)
    answers = []
    for (payment, _method, _customer_id), result in zip(group, results, strict=True):
        if isinstance(result, GatewayError):
            logger.warning("payment %s: the gateway's answer was lost (%s)", payment.pk, result)
            result = ChargeResult(outcome=Outcome.UNKNOWN)
        answers.append((payment, result))
    _kill_self_if_asked()
    return answers


def _customer_ids(users: Collection[Any]) -> dict[tuple[Any, str], str]:
    if not users:
        return {}
    return {
        (user_id, gateway): customer_id
        for user_id, gateway, customer_id in CustomerAccount.objects.filter(
            user_id__in=users
        ).values_list("user_id", "gateway", "gateway_customer_id")
    }


def _kill_self_if_asked() -> None:
    import os

    if os.environ.get(KILL_AFTER_CHARGE_ENV) == "1":  # tests only
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


def _description(payment: Payment) -> str:
    return f"{settings.BRAND_NAME} {payment.get_kind_display()}"


def payment_settle(*, payment: Payment) -> ChargeAnswer:
    """Ask the gateway what became of an open payment's key, and record it (idempotent)."""
    payment.refresh_from_db()
    if payment.status not in OPEN_STATUSES:
        return ChargeAnswer(payment)
    try:
        result = gateway_get().charge_lookup(idempotency_key=payment.idempotency_key)
    except GatewayError as error:
        logger.warning("payment %s: could not ask the gateway (%s)", payment.pk, error)
        return ChargeAnswer(payment)
    if result is None:
        # The charge never reached the gateway: nothing was charged. A
        # payment that young may still be on its way; leave it.
        if timezone.now() - payment.created_at < SETTLE_AFTER:
            return ChargeAnswer(payment)
        result = ChargeResult(outcome=Outcome.DECLINED, decline_code="not_sent")
    elif (
        result.outcome == Outcome.REQUIRES_ACTION
        and timezone.now() - payment.created_at > REQUIRES_ACTION_ABANDONED_AFTER
    ):
        result = ChargeResult(outcome=Outcome.DECLINED, decline_code="authentication_abandoned")
    return payment_record(payment=payment, result=result)


def payment_settle_from_webhook(event: Any) -> Payment | None:
    """A gateway event about a charge: settle its payment by asking the gateway.

    The event only says which payment to look at (its idempotency key, or
    the charge id); the outcome recorded is the gateway's own answer.
    """
    data: dict[str, Any] = getattr(event, "data", None) or {}
    nested: dict[str, Any] = data["object"] if isinstance(data.get("object"), dict) else {}
    key = data.get("idempotency_key") or nested.get("idempotency_key")
    charge_id = data.get("charge_id") or nested.get("id") or data.get("id")
    query = Q(pk__in=[])
    if key:
        query |= Q(idempotency_key=str(key))
    if charge_id:
        query |= Q(gateway_charge_id=str(charge_id))
    payment = Payment.objects.filter(query).first()
    if payment is None:
        return None
    return payment_settle(payment=payment).payment


def payments_settle_unknown(*, limit: int = 200) -> int:
    """The periodic job: settle payments whose answer was lost or never recorded; how many."""
    now = timezone.now()
    open_payments = Payment.objects.filter(
        status__in=OPEN_STATUSES, created_at__lt=now - SETTLE_AFTER
    ).order_by("created_at")
    settled = 0
    for payment in open_payments[:limit]:
        try:
            answer = payment_settle(payment=payment)
        except Exception:
            logger.exception("payment %s: settling failed", payment.pk)
            continue
        if answer.payment.status not in OPEN_STATUSES:
            settled += 1
    return settled


def payment_record(*, payment: Payment, result: ChargeResult) -> ChargeAnswer:
    """Record the gateway's answer for a payment, once, under a lock on its row."""
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return _payment_record_locked(payment_id=payment.pk, result=result)
        except _InvoiceNumberTaken:
            continue
    raise RuntimeError("no free invoice number after five tries")


def payments_record(*, answers: Sequence[tuple[Payment, ChargeResult]]) -> dict[Any, Payment]:
    """`payment_record` for several answers in one transaction: the payments by id.

    The successes of payments for items (not a change of number) are applied
    together: one lock on the subscriptions, the periods in one statement,
    the audit and the receipts in one each. Their invoice numbers are given
    last, all at once, so that the numbering's lock is held only for the
    receipts and the commit. Any other answer is recorded as `payment_record`
    does. A payment another request, worker or webhook recorded first is
    returned as that one recorded it.
    """
    if not answers:
        return {}
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return _payments_record_locked(answers)
        except _InvoiceNumberTaken:
            continue
    raise RuntimeError("no free invoice numbers after five tries")


def _payments_record_locked(answers: Sequence[tuple[Payment, ChargeResult]]) -> dict[Any, Payment]:
    locked = {
        payment.pk: payment
        for payment in Payment.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(pk__in=[payment.pk for payment, _result in answers])
        .order_by("pk")
    }
    recorded: dict[Any, Payment] = {}
    succeeded: list[Payment] = []
    now = timezone.now()
    for answered, result in answers:
        payment = locked[answered.pk]
        if payment.status not in OPEN_STATUSES:
            recorded[payment.pk] = payment
        elif result.outcome == Outcome.SUCCEEDED and fee_kind(payment.kind) is None:
            payment.status = PaymentStatus.SUCCEEDED
            payment.gateway_charge_id = result.charge_id[:64]
            payment.decline_code = ""
            payment.settled_at = now
            succeeded.append(payment)
            recorded[payment.pk] = payment
        else:
            recorded[payment.pk] = _payment_record_locked(
                payment_id=payment.pk, result=result
            ).payment
    if succeeded:
        _payments_succeeded(succeeded)
    return recorded


def _payments_succeeded(payments: list[Payment]) -> None:
    """Apply, number, audit and receipt payments of items that just succeeded (rows held)."""
    from plugline.billing.receipts import invoice_line, receipt_email
    from plugline.billing.services import subscriptions_apply_payment_items
    from plugline.notifications.services import emails_render, outbox_queue

    by_id = {payment.pk: payment for payment in payments}
    items = list(
        PaymentItem.objects.filter(payment__in=payments)
        .select_related("plan", "subscription__device")
        .order_by("pk")
    )
    for item in items:
        item.payment = by_id[item.payment_id]
    # The accounts' pages show their latest invoice too: ended with their services' (a bulk
    # write sends no post_save), once for the batch.
    periods = subscriptions_apply_payment_items(
        items=items, pages_also_changed=[payment.user_id for payment in payments]
    )
    CartItem.objects.filter(
        payment__in=[payment for payment in payments if payment.kind == PaymentKind.CHECKOUT]
    ).delete()
    paid_for: dict[Any, list[tuple[PaymentItem, SubscriptionPeriod]]] = {
        payment.pk: [] for payment in payments
    }
    serials: dict[Any, list[str]] = {payment.pk: [] for payment in payments}
    for item, period in zip(items, periods, strict=True):
        serials[item.payment_id].append(item.subscription.device.serial)
        paid_for[item.payment_id].append((item, period))
    # The receipts are rendered before the numbers are given, each with a stand-in number
    # that is replaced by its own once known: numbering is the last thing done, and from
    # there to the commit (other payments wait for their numbers) only a few statements.
    ordered = sorted(payments, key=lambda payment: payment.created_at)
    drafts: list[tuple[Payment, int, Any]] = []
    for index, payment in enumerate(ordered):
        stand_in = payment.invoice_number = _STAND_IN_NUMBER + index
        language = getattr(payment.user, "language", "") or settings.LANGUAGE_CODE
        email = receipt_email(
            payment=payment,
            lines=[
                invoice_line(item, period, payment=payment, language=language)
                for item, period in paid_for[payment.pk]
            ],
        )
        if email is not None:
            drafts.append((payment, stand_in, email))
    rendered = emails_render(email for _payment, _stand_in, email in drafts)
    first = _next_invoice_number()
    for offset, payment in enumerate(ordered):
        payment.invoice_number = first + offset
    try:
        rows_update(
            payments,
            ["status", "gateway_charge_id", "decline_code", "settled_at", "invoice_number"],
        )
    except IntegrityError as taken:
        # Numbers taken at once (SQLite has no advisory lock): all again, from the start.
        raise _InvoiceNumberTaken from taken
    audit_records(
        AuditRecord(
            action=AuditAction.PAYMENT_SUCCEEDED,
            user=payment.user,
            data=_audit_data(
                payment, invoice_number=payment.invoice_number, serials=serials[payment.pk]
            ),
        )
        for payment in payments
    )
    receipts = []
    for (payment, stand_in, email), message in zip(drafts, rendered, strict=True):
        number = str(payment.invoice_number)
        if str(stand_in) not in message.body_text:
            # The number was written some other way: rendered again, with the number.
            [message] = emails_render([receipt_email(payment=payment) or email])
        for field in ("subject", "body_text", "body_html"):
            setattr(message, field, getattr(message, field).replace(str(stand_in), number))
        receipts.append(message)
    outbox_queue(receipts)


# Receipts are rendered with this number (and the next ones) standing in for theirs.
_STAND_IN_NUMBER = 9_876_543_210_000


class _InvoiceNumberTaken(Exception):
    pass


def _payment_record_locked(*, payment_id: Any, result: ChargeResult) -> ChargeAnswer:
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    if payment.status not in OPEN_STATUSES:
        # Another request, worker or webhook recorded it first.
        return ChargeAnswer(payment)
    now = timezone.now()
    if result.outcome == Outcome.SUCCEEDED:
        payment.status = PaymentStatus.SUCCEEDED
        payment.gateway_charge_id = result.charge_id[:64]
        payment.decline_code = ""
        payment.settled_at = now
        try:
            with transaction.atomic():
                payment.invoice_number = _next_invoice_number()
                payment.save()
        except IntegrityError as taken:
            # Two payments succeeded at once and took the same number.
            raise _InvoiceNumberTaken from taken
        _payment_apply(payment)
        if payment.kind == PaymentKind.CHECKOUT:
            # Paid: out of the cart in this same transaction, so that no tab
            # reads a cart that is paid already.
            CartItem.objects.filter(payment=payment).delete()
        return ChargeAnswer(payment)
    if result.outcome == Outcome.DECLINED:
        payment.status = PaymentStatus.DECLINED
        payment.decline_code = (result.decline_code or "card_declined")[:40]
        payment.gateway_charge_id = result.charge_id[:64]
        payment.settled_at = now
        payment.save()
        if payment.kind == PaymentKind.CHECKOUT:
            # Nothing was charged: the cart can be paid again, with another card.
            CartItem.objects.filter(payment=payment).update(payment=None)
        fee = fee_kind(payment.kind)
        if fee is not None:
            fee.declined(payment)
        _audit(
            payment,
            AuditAction.PAYMENT_FAILED,
            decline_code=payment.decline_code,
            hard_decline=result.hard_decline,
        )
        return ChargeAnswer(payment)
    if result.outcome == Outcome.REQUIRES_ACTION:
        payment.status = PaymentStatus.REQUIRES_ACTION
        payment.gateway_charge_id = result.charge_id[:64]
        payment.save()
        return ChargeAnswer(payment, action_url=result.action_url)
    payment.status = PaymentStatus.UNKNOWN
    payment.save()
    return ChargeAnswer(payment)


# PostgreSQL advisory lock taken while an invoice number is given (to commit).
INVOICE_NUMBER_LOCK = 5_000_001


def _next_invoice_number() -> int:
    if connection.vendor == "postgresql":
        # Payments succeeding at once (renewal workers) take numbers in turn
        # instead of colliding on the unique number and retrying.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [INVOICE_NUMBER_LOCK])
    last = Payment.objects.aggregate(last=Max("invoice_number"))["last"]
    return (last or 0) + 1


def _payment_apply(payment: Payment) -> None:
    """Apply each item of a payment that just succeeded; audit it; queue the receipt."""
    from plugline.billing.services import subscription_apply_payment_item

    items = list(payment.items.select_related("plan", "subscription__device").order_by("pk"))
    for item in items:
        subscription_apply_payment_item(item=item)
    serials = [item.subscription.device.serial for item in items]
    fee = fee_kind(payment.kind)
    if fee is not None:
        serials.extend(fee.applied(payment))
    _audit(
        payment,
        AuditAction.PAYMENT_SUCCEEDED,
        invoice_number=payment.invoice_number,
        serials=serials,
    )
    if payment.user is not None:
        from plugline.billing.receipts import receipt_send

        receipt_send(payment=payment)


def _audit(payment: Payment, action: AuditAction, **data: Any) -> None:
    audit_record(action=action, user=payment.user, data=_audit_data(payment, **data))


def _audit_data(payment: Payment, **data: Any) -> dict[str, Any]:
    return {
        "payment": str(payment.pk),
        "kind": payment.kind,
        "amount": payment.amount,
        "currency": payment.currency,
        "card": f"{payment.card_brand} {payment.card_last4}".strip(),
        **data,
    }


# Refunds ---------------------------------------------------------------------


def payment_refundable(payment: Payment) -> int:
    """How much of a payment can still be refunded (refunds under way count as given)."""
    if payment.status not in (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED):
        return 0
    reserved = (
        Refund.objects.filter(payment=payment)
        .exclude(status=REFUND_FAILED)
        .aggregate(total=Sum("amount"))["total"]
        or 0
    )
    return max(payment.amount - reserved, 0)


def payment_refund(
    *, payment: Payment, amount: int, reason: str, staff: AbstractBaseUser
) -> Refund:
    """Refund all or part of a payment at the gateway, never more than is left; audited.

    The refund is written (with its own idempotency key) and committed
    before the gateway is asked. Raises PaymentRefused: "not_refundable",
    "too_much", or "gateway" (the gateway refused or did not answer; a
    refund whose answer was lost stays "unknown" and keeps its amount
    reserved until staff look at it).
    """
    reason = " ".join(reason.split())[:200]
    if amount <= 0:
        raise PaymentRefused("too_much")
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status not in (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED):
            raise PaymentRefused("not_refundable")
        if amount > payment_refundable(locked):
            raise PaymentRefused("too_much")
        refund = Refund.objects.create(
            payment=locked,
            amount=amount,
            reason=reason,
            idempotency_key=idempotency_key_new("refund"),
            staff_id=staff.pk,
            status=REFUND_PENDING,
        )
    try:
        result = gateway_get().refund(
            charge_id=locked.gateway_charge_id,
            amount=amount,
            idempotency_key=refund.idempotency_key,
            reason=reason,
        )
    except GatewayError as error:
        logger.warning("refund %s: the gateway's answer was lost (%s)", refund.pk, error)
        Refund.objects.filter(pk=refund.pk).update(status=REFUND_UNKNOWN)
        raise PaymentRefused("gateway") from error
    if not result.succeeded:
        Refund.objects.filter(pk=refund.pk).update(
            status=REFUND_FAILED, gateway_refund_id=result.refund_id[:64]
        )
        raise PaymentRefused("gateway")
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        refund.status = REFUND_SUCCEEDED
        refund.gateway_refund_id = result.refund_id[:64]
        refund.save(update_fields=["status", "gateway_refund_id"])
        locked.refunded_amount = (
            Refund.objects.filter(payment=locked, status=REFUND_SUCCEEDED).aggregate(
                total=Sum("amount")
            )["total"]
            or 0
        )
        locked.status = (
            PaymentStatus.REFUNDED
            if locked.refunded_amount >= locked.amount
            else PaymentStatus.PARTIALLY_REFUNDED
        )
        locked.save(update_fields=["refunded_amount", "status"])
        fee = fee_kind(locked.kind)
        if fee is not None and fee.refunded is not None:
            # What the payment bought is given back with the money (billing.fees), once.
            fee.refunded(locked, refund)
        audit_record(
            action=AuditAction.REFUND_ISSUED,
            user=locked.user,
            actor=staff,
            data={
                "payment": str(locked.pk),
                "invoice_number": locked.invoice_number,
                "amount": amount,
                "currency": locked.currency,
                "reason": reason,
            },
        )
    payment.refresh_from_db()
    return refund
