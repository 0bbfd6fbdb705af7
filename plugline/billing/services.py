"""Writes of the billing app: subscriptions and their periods, cards on file.

A subscription is extended only here, one SubscriptionPeriod at a time, under
a lock on the subscription's row. A paid period belongs to exactly one
payment item (a one-to-one in the database), so applying the same payment
again returns the period already made and extends nothing. Money itself
moves in billing.payments.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from plugline.billing.gateways import gateway_get
from plugline.billing.models import (
    CustomerAccount,
    PaymentItem,
    PaymentMethod,
    PaymentStatus,
    PeriodSource,
    Plan,
    Subscription,
    SubscriptionPeriod,
)
from plugline.billing.periods import period_end, renewal_start
from plugline.core.account_pages import account_pages_changed
from plugline.core.bulk import rows_update
from plugline.core.models import AuditAction
from plugline.core.services import AuditRecord, audit_record, audit_records
from plugline.devices.models import Device

logger = logging.getLogger(__name__)


# Subscriptions and periods


@transaction.atomic
def subscription_for_device(*, device: Device) -> Subscription:
    """The device's subscription, made (with no service yet) if it has none."""
    subscription, _ = Subscription.objects.get_or_create(device=device)
    return subscription


def _extend(
    *,
    subscription: Subscription,
    months: int,
    source: PeriodSource,
    plan: Plan | None,
    payment_item: PaymentItem | None = None,
    actor: AbstractBaseUser | None = None,
    request: HttpRequest | None = None,
) -> SubscriptionPeriod:
    """Add one period to a subscription whose row the caller has locked."""
    starts_at = renewal_start(
        subscription.ends_at, timezone.now(), grace_days=settings.BILLING_GRACE_DAYS
    )
    period = SubscriptionPeriod.objects.create(
        subscription=subscription,
        plan=plan,
        starts_at=starts_at,
        ends_at=period_end(starts_at, months),
        source=source,
        payment_item=payment_item,
    )
    subscription.ends_at = period.ends_at
    update_fields = ["ends_at", "updated_at"]
    if plan is not None and source == PeriodSource.PAYMENT:
        subscription.plan = plan
        update_fields.append("plan")
    subscription.save(update_fields=update_fields)
    device = subscription.device
    audit_record(
        action=AuditAction.SUBSCRIPTION_EXTENDED,
        request=request,
        user=device.owner,
        actor=actor,
        data={
            "serial": device.serial,
            "months": months,
            "source": str(source),
            "plan": plan.code if plan is not None else "",
            "payment": str(payment_item.payment_id) if payment_item is not None else "",
            "ends_at": period.ends_at.isoformat(),
        },
    )
    return period


@transaction.atomic
def subscription_apply_payment_item(*, item: PaymentItem) -> SubscriptionPeriod:
    """Extend the item's subscription by its plan's months, once per item.

    The payment must have succeeded. A second call (a retried request, a
    webhook, another worker) waits for the first one's lock, then finds its
    period and returns it without extending again.
    """
    subscription = (
        Subscription.objects.select_for_update(of=("self",))
        .select_related("device__owner")
        .get(pk=item.subscription_id)
    )
    existing = SubscriptionPeriod.objects.filter(payment_item=item).first()
    if existing is not None:
        return existing
    status = item.payment.status
    if status != PaymentStatus.SUCCEEDED:
        raise ValueError(f"payment {item.payment_id} has not succeeded ({status})")
    plan = Plan.objects.get(pk=item.plan_id)
    return _extend(
        subscription=subscription,
        months=plan.months,
        source=PeriodSource.PAYMENT,
        plan=plan,
        payment_item=item,
    )


@transaction.atomic
def subscriptions_apply_payment_items(
    *, items: list[PaymentItem], pages_also_changed: Iterable[int | None] = ()
) -> list[SubscriptionPeriod]:
    """`subscription_apply_payment_item` for many items at once, in a few statements.

    Every item's payment must have succeeded (the caller holds its row). The
    subscriptions are locked in one statement (in the order of their keys, as
    every other locker of several subscriptions does); an item that already
    has its period keeps it and extends nothing. The items' `plan` and
    `subscription.device` are used as loaded. `pages_also_changed`: accounts
    whose pages the caller changes too in this transaction (their invoices),
    ended with those whose services are extended, in one change.
    """
    if not items:
        account_pages_changed(user_ids=pages_also_changed)
        return []
    for item in items:
        status = item.payment.status
        if status != PaymentStatus.SUCCEEDED:
            raise ValueError(f"payment {item.payment_id} has not succeeded ({status})")
    subscriptions = {
        subscription.pk: subscription
        for subscription in Subscription.objects.select_for_update(of=("self",))
        .select_related("device__owner")
        .filter(pk__in={item.subscription_id for item in items})
        .order_by("pk")
    }
    existing = {
        period.payment_item_id: period
        for period in SubscriptionPeriod.objects.filter(payment_item__in=items)
    }
    now = timezone.now()
    periods: list[SubscriptionPeriod] = []
    changed: dict[int, Subscription] = {}
    for item in sorted(items, key=lambda item: item.pk):
        if item.pk in existing:
            continue
        subscription = subscriptions[item.subscription_id]
        starts_at = renewal_start(subscription.ends_at, now, grace_days=settings.BILLING_GRACE_DAYS)
        period = SubscriptionPeriod(
            subscription=subscription,
            plan=item.plan,
            starts_at=starts_at,
            ends_at=period_end(starts_at, item.plan.months),
            source=PeriodSource.PAYMENT,
            payment_item=item,
        )
        periods.append(period)
        subscription.ends_at = period.ends_at
        subscription.plan = item.plan
        changed[subscription.pk] = subscription
    SubscriptionPeriod.objects.bulk_create(periods)
    for subscription in changed.values():
        subscription.updated_at = now
    rows_update(list(changed.values()), ["ends_at", "plan", "updated_at"])
    # A bulk write sends no post_save: the accounts' pages show the new end dates.
    account_pages_changed(
        user_ids=[subscription.device.owner_id for subscription in changed.values()]
        + list(pages_also_changed)
    )
    audit_records(
        [
            AuditRecord(
                action=AuditAction.SUBSCRIPTION_EXTENDED,
                user=period.subscription.device.owner,
                data={
                    "serial": period.subscription.device.serial,
                    "months": period.plan.months if period.plan is not None else 0,
                    "source": str(PeriodSource.PAYMENT),
                    "plan": period.plan.code if period.plan is not None else "",
                    "payment": str(period.payment_item.payment_id)
                    if period.payment_item is not None
                    else "",
                    "ends_at": period.ends_at.isoformat(),
                },
            )
            for period in periods
        ]
    )
    made = {period.payment_item_id: period for period in periods}
    return [existing.get(item.pk) or made[item.pk] for item in items]


@transaction.atomic
def subscription_add_period(
    *,
    subscription: Subscription,
    months: int,
    source: PeriodSource,
    plan: Plan | None = None,
    actor: AbstractBaseUser | None = None,
    request: HttpRequest | None = None,
) -> SubscriptionPeriod:
    """A period that no payment pays for: included with the device, or added by staff."""
    if source == PeriodSource.PAYMENT:
        raise ValueError("paid periods come from subscription_apply_payment_item")
    subscription = (
        Subscription.objects.select_for_update(of=("self",))
        .select_related("device__owner")
        .get(pk=subscription.pk)
    )
    return _extend(
        subscription=subscription,
        months=months,
        source=source,
        plan=plan,
        actor=actor,
        request=request,
    )


GOODWILL_DAYS_MAX = 90


@transaction.atomic
def subscription_add_goodwill_days(
    *,
    device: Device,
    days: int,
    reason: str,
    actor: AbstractBaseUser,
    request: HttpRequest | None = None,
) -> SubscriptionPeriod:
    """Staff give a device `days` of service for free (a gesture of goodwill); audited.

    The days follow the current end date (or start now, if the service ended
    more than the grace days ago), like any other period, as one period added
    by staff.
    """
    if not 1 <= days <= GOODWILL_DAYS_MAX:
        raise ValueError(f"goodwill days must be 1 to {GOODWILL_DAYS_MAX}")
    subscription = subscription_for_device(device=device)
    subscription = (
        Subscription.objects.select_for_update(of=("self",))
        .select_related("device__owner")
        .get(pk=subscription.pk)
    )
    starts_at = renewal_start(
        subscription.ends_at, timezone.now(), grace_days=settings.BILLING_GRACE_DAYS
    )
    period = SubscriptionPeriod.objects.create(
        subscription=subscription,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(days=days),
        source=PeriodSource.STAFF,
    )
    subscription.ends_at = period.ends_at
    subscription.save(update_fields=["ends_at", "updated_at"])
    audit_record(
        action=AuditAction.SUBSCRIPTION_EXTENDED,
        request=request,
        user=subscription.device.owner,
        actor=actor,
        data={
            "serial": subscription.device.serial,
            "days": days,
            "source": str(PeriodSource.STAFF),
            "reason": reason,
            "ends_at": period.ends_at.isoformat(),
        },
    )
    return period


@transaction.atomic
def subscription_add_included_period(*, device: Device) -> SubscriptionPeriod | None:
    """The first period a store-bought device comes with (its model's included months).

    Once per device, whoever activates it later (a used device brings none).
    """
    months = device.model.included_months
    if months < 1:
        return None
    subscription = subscription_for_device(device=device)
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if subscription.periods.filter(source=PeriodSource.INCLUDED).exists():
        return None
    return subscription_add_period(
        subscription=subscription, months=months, source=PeriodSource.INCLUDED
    )


@transaction.atomic
def subscription_take_over(*, from_device: Device, to_device: Device) -> Subscription:
    """A new device takes over an old one's line (a device upgrade): the old device's
    service end date, plan and AutoRenew (on, with its plan) become the new device's; the
    old device's service ends now and its AutoRenew is off, so it is never charged again.

    Whatever service the new device had is kept if it ends later. Audited once.
    """
    subscription_for_device(device=to_device)
    subscriptions = {
        subscription.device_id: subscription
        for subscription in Subscription.objects.select_for_update()
        .filter(device_id__in=[from_device.pk, to_device.pk])
        .order_by("pk")
    }
    new = subscriptions[to_device.pk]
    old = subscriptions.get(from_device.pk)
    if old is None:
        return new
    now = timezone.now()
    if old.ends_at is not None and (new.ends_at is None or old.ends_at > new.ends_at):
        new.ends_at = old.ends_at
    for field in ("plan", "trial_ends_at", "trial_cancelled_at", "autorenew", "autorenew_plan"):
        setattr(new, field, getattr(old, field))
    new.save()
    old.autorenew = False
    old.autorenew_plan = None
    if old.ends_at is not None and old.ends_at > now:
        old.ends_at = now
    if old.trial_ends_at is not None and old.trial_ends_at > now:
        old.trial_ends_at = now
    old.save()
    audit_record(
        action=AuditAction.SUBSCRIPTION_EXTENDED,
        user=to_device.owner,
        data={
            "serial": to_device.serial,
            "source": "upgrade",
            "from_serial": from_device.serial,
            "ends_at": new.ends_at.isoformat() if new.ends_at else "",
            "autorenew": new.autorenew,
        },
    )
    return new


# Cards on file


def _customer_idempotency_key(user: AbstractBaseUser) -> str:
    # The same account always asks for the same customer, however often it asks.
    return f"plugline-customer-{user.pk}"


def customer_for_user(*, user: AbstractBaseUser) -> CustomerAccount:
    """The account's customer at the gateway, made there on first use.

    Not in a transaction: the gateway is called outside any lock, and its
    idempotency key makes a second, racing call get the same customer.
    """
    gateway = gateway_get()
    customer = CustomerAccount.objects.filter(user_id=user.pk, gateway=gateway.name).first()
    if customer is not None:
        return customer
    email = getattr(user, "email", "")
    customer_id = gateway.customer_create(
        email=email, idempotency_key=_customer_idempotency_key(user)
    )
    # One customer per account: after a change of gateway, the new gateway's.
    customer, _ = CustomerAccount.objects.update_or_create(
        user_id=user.pk, defaults={"gateway": gateway.name, "gateway_customer_id": customer_id}
    )
    return customer


def _card_audit(action: AuditAction, card: PaymentMethod, request: HttpRequest | None) -> None:
    # Brand and last four only: nothing that could charge the card.
    audit_record(
        action=action,
        request=request,
        user=card.user,
        data={"brand": card.brand, "last4": card.last4},
    )


def _lock_account_cards(user: AbstractBaseUser) -> None:
    """Serialize changes to one account's cards (which one is the default)."""
    CustomerAccount.objects.select_for_update().filter(user_id=user.pk).first()


def card_add_from_session(
    *, user: AbstractBaseUser, session_id: str, request: HttpRequest | None = None
) -> PaymentMethod | None:
    """The card saved on the gateway's card page in that session, now on file.

    None if the session failed or is not this account's. The account's first
    card becomes its default. Coming back twice with the same session adds
    the card once.
    """
    customer = customer_for_user(user=user)
    gateway = gateway_get()
    card = gateway.card_session_result(
        session_id=session_id, customer_id=customer.gateway_customer_id
    )
    if card is None:
        return None
    with transaction.atomic():
        _lock_account_cards(user)
        existing = PaymentMethod.objects.filter(gateway=gateway.name, token=card.token).first()
        if existing is not None:
            return existing if existing.user_id == user.pk else None
        has_default = PaymentMethod.objects.filter(
            user_id=user.pk, is_default=True, removed_at__isnull=True
        ).exists()
        method = PaymentMethod.objects.create(
            user_id=user.pk,
            gateway=gateway.name,
            token=card.token,
            brand=card.brand,
            last4=card.last4,
            exp_month=card.exp_month,
            exp_year=card.exp_year,
            fingerprint=card.fingerprint,
            is_default=not has_default,
        )
        _card_audit(AuditAction.CARD_ADDED, method, request)
        return method


@transaction.atomic
def card_remove(
    *, user: AbstractBaseUser, payment_method: PaymentMethod, request: HttpRequest | None = None
) -> None:
    """Take a card off the account (and off the gateway); the newest other card becomes default.

    Payments made with it keep its brand and last four.
    """
    _lock_account_cards(user)
    method = PaymentMethod.objects.select_for_update().get(
        pk=payment_method.pk, user_id=user.pk, removed_at__isnull=True
    )
    customer = customer_for_user(user=user)
    gateway_get().card_remove(customer_id=customer.gateway_customer_id, token=method.token)
    was_default = method.is_default
    method.is_default = False
    method.removed_at = timezone.now()
    method.save(update_fields=["is_default", "removed_at"])
    _card_audit(AuditAction.CARD_REMOVED, method, request)
    if was_default:
        successor = (
            PaymentMethod.objects.filter(user_id=user.pk, removed_at__isnull=True)
            .order_by("-created_at", "-pk")
            .first()
        )
        if successor is not None:
            successor.is_default = True
            successor.save(update_fields=["is_default"])
            _card_audit(AuditAction.DEFAULT_CARD_CHANGED, successor, request)


@transaction.atomic
def card_make_default(
    *, user: AbstractBaseUser, payment_method: PaymentMethod, request: HttpRequest | None = None
) -> bool:
    """Make this card the one charged by default; False if it already was."""
    _lock_account_cards(user)
    method = PaymentMethod.objects.get(
        pk=payment_method.pk, user_id=user.pk, removed_at__isnull=True
    )
    if method.is_default:
        return False
    # The previous default first: the database allows one default per account.
    PaymentMethod.objects.filter(user_id=user.pk, is_default=True).update(is_default=False)
    account_pages_changed(user_ids=[user.pk])  # update() sends no post_save
    method.is_default = True
    method.save(update_fields=["is_default"])
    _card_audit(AuditAction.DEFAULT_CARD_CHANGED, method, request)
    return True
