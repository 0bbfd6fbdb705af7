"""The free trial: its sign-up in the activation wizard, its start, cancelling it, converting it.

"Start Trial" on the sign-in page opens the activation wizard as a trial
(devices' Activation.trial). Its step 2 is the sign-up instead of where the
device was bought: the paid plan the trial becomes (one with AutoRenew
allowed and a price) and a card typed on the gateway's page in a verifying
session (tokenised and checked, not charged). The answers wait in the
wizard (Activation.trial_signup) until the emailed code completes it; then
`trial_start`, inside that same transaction, puts the card on the new
account, gives the device's subscription its trial (until now +
TRIAL_DAYS) and records the plan. One trial per device and per card: both
checked when the card comes back and at the start, and held by unique
constraints on completed trial wizards.

At the trial's end the job `billing.trial_conversions` charges the card once
through billing.payments (idempotency key "trial-<subscription id>",
unique), unless the customer cancelled: a success extends the service from
the trial's end and emails the receipt; a decline lets the service end with
the trial (with the usual grace days) and emails a link to renew.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.dispatch import receiver
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from plugline.billing.gateways import gateway_get
from plugline.billing.models import (
    CustomerAccount,
    Payment,
    PaymentKind,
    PaymentMethod,
    PaymentStatus,
    PeriodSource,
    Plan,
    Subscription,
    SubscriptionPeriod,
)
from plugline.billing.payments import (
    PaymentRefused,
    payment_charge,
    payment_create,
    plan_price,
)
from plugline.billing.services import subscription_for_device
from plugline.core.models import AuditAction
from plugline.core.money import money_format
from plugline.core.services import audit_record
from plugline.devices.models import Activation, ActivationStatus, Device
from plugline.devices.signals import ActivationRefused, activation_completing
from plugline.notifications.services import email_send

logger = logging.getLogger(__name__)

CONVERSIONS_JOB_NAME = "billing.trial_conversions"
CONVERSIONS_JOB_EVERY = timedelta(minutes=5)


def conversion_key(subscription: Subscription) -> str:
    """The idempotency key of a trial's one conversion payment (unique in Payment)."""
    return f"trial-{subscription.pk}"


# The sign-up


def trial_plans() -> list[tuple[Plan, int]]:
    """The plans a trial may become, with their price in the billing currency."""
    plans = Plan.objects.filter(active=True, autorenew_allowed=True).order_by("months", "code")
    priced = []
    for plan in plans:
        amount = plan_price(plan=plan)
        if amount is not None:
            priced.append((plan, amount))
    return priced


def trial_plan_for(activation: Activation) -> Plan | None:
    code = activation.trial_signup.get("plan") or ""
    return next((plan for plan, _amount in trial_plans() if plan.code == code), None)


def device_had_trial(device: Device) -> bool:
    """Whether the device ever had a free trial (whoever had it)."""
    return (
        Subscription.objects.filter(device=device, trial_ends_at__isnull=False).exists()
        or Activation.objects.filter(
            device=device, trial=True, status=ActivationStatus.COMPLETED
        ).exists()
    )


def card_had_trial(fingerprint: str) -> bool:
    return Activation.objects.filter(
        trial=True, status=ActivationStatus.COMPLETED, trial_card_fingerprint=fingerprint
    ).exists()


@transaction.atomic
def activation_trial_begin(*, activation: Activation) -> None:
    """This wizard is a free trial's: its step 2 becomes the sign-up."""
    if not activation.trial:
        activation.trial = True
        activation.save(update_fields=["trial", "updated_at"])


@transaction.atomic
def activation_trial_end(*, activation: Activation) -> None:
    """This wizard activates without a trial after all: its sign-up answers go."""
    activation.trial = False
    activation.trial_signup = {}
    activation.trial_card_fingerprint = ""
    activation.save(update_fields=["trial", "trial_signup", "trial_card_fingerprint", "updated_at"])


@transaction.atomic
def trial_plan_set(*, activation: Activation, plan: Plan) -> None:
    activation.trial_signup = {**activation.trial_signup, "plan": plan.code}
    activation.save(update_fields=["trial_signup", "updated_at"])


def _trial_customer(activation: Activation) -> str:
    """The gateway's customer for this sign-up (the account does not exist yet).

    Its idempotency key is the wizard's, so asking again gets the same one.
    """
    customer_id = str(activation.trial_signup.get("customer") or "")
    if customer_id:
        return customer_id
    customer_id = gateway_get().customer_create(
        email=activation.email, idempotency_key=f"plugline-trial-{activation.pk}"
    )
    activation.trial_signup = {**activation.trial_signup, "customer": customer_id}
    activation.save(update_fields=["trial_signup", "updated_at"])
    return customer_id


def trial_card_session_start(*, activation: Activation, return_url: str) -> str:
    """The gateway's card page for this sign-up, in a session that checks the card.

    Not in a transaction: the gateway is called (it may raise GatewayError).
    """
    return gateway_get().card_session_start(
        customer_id=_trial_customer(activation), return_url=return_url, verify=True
    )


class CardOutcome(enum.Enum):
    SAVED = "saved"
    FAILED = "failed"  # refused or cancelled on the gateway's page
    HAD_TRIAL = "had_trial"  # this card already had a free trial


def trial_card_from_session(*, activation: Activation, session_id: str) -> CardOutcome:
    """The card checked on the gateway's page, kept for the sign-up (its token, not its number)."""
    customer_id = str(activation.trial_signup.get("customer") or "")
    if not customer_id:
        return CardOutcome.FAILED
    gateway = gateway_get()
    card = gateway.card_session_result(session_id=session_id, customer_id=customer_id)
    if card is None:
        return CardOutcome.FAILED
    if card_had_trial(card.fingerprint):
        gateway.card_remove(customer_id=customer_id, token=card.token)
        return CardOutcome.HAD_TRIAL
    with transaction.atomic():
        activation = Activation.objects.select_for_update().get(pk=activation.pk)
        activation.trial_signup = {
            **activation.trial_signup,
            "gateway": gateway.name,
            "token": card.token,
            "brand": card.brand,
            "last4": card.last4,
            "exp_month": card.exp_month,
            "exp_year": card.exp_year,
        }
        activation.trial_card_fingerprint = card.fingerprint
        activation.save(update_fields=["trial_signup", "trial_card_fingerprint", "updated_at"])
    return CardOutcome.SAVED


# The start, when "Activate my device" completes the wizard


def trial_start(
    *,
    activation: Activation,
    device: Device,
    user: AbstractBaseUser,
    request: HttpRequest | None = None,
) -> Subscription:
    """Start the free trial of a wizard being completed (in its transaction).

    Raises ActivationRefused, which undoes the activation, when the trial
    cannot be: an existing account, a device or card that had a trial, a
    plan no longer offered.
    """
    if activation.user_id is not None:
        raise ActivationRefused(
            gettext(
                "The free trial is for new accounts. To add this device to your account, "
                "use Activate instead."
            )
        )
    if device_had_trial(device):
        raise ActivationRefused(gettext("This device has already had a free trial."))
    fingerprint = activation.trial_card_fingerprint
    if not fingerprint or card_had_trial(fingerprint):
        raise ActivationRefused(
            gettext("This card has already had a free trial. Go back and use another card.")
        )
    plan = trial_plan_for(activation)
    if plan is None:
        raise ActivationRefused(
            gettext("The plan you chose is no longer offered. Go back and choose another.")
        )
    signup: dict[str, Any] = activation.trial_signup
    gateway = str(signup["gateway"])
    CustomerAccount.objects.get_or_create(
        user_id=user.pk,
        defaults={"gateway": gateway, "gateway_customer_id": str(signup["customer"])},
    )
    card = PaymentMethod.objects.create(
        user_id=user.pk,
        gateway=gateway,
        token=str(signup["token"]),
        brand=str(signup["brand"]),
        last4=str(signup["last4"]),
        exp_month=int(signup["exp_month"]),
        exp_year=int(signup["exp_year"]),
        fingerprint=fingerprint,
        is_default=True,
    )
    audit_record(
        action=AuditAction.CARD_ADDED,
        request=request,
        user=user,
        data={"brand": card.brand, "last4": card.last4},
    )
    # The card is the account's now: the wizard keeps only the plan (it is
    # saved with the rest of the completed wizard).
    activation.trial_signup = {"plan": plan.code}
    subscription = subscription_for_device(device=device)
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    now = timezone.now()
    trial_ends_at = now + timedelta(days=settings.TRIAL_DAYS)
    SubscriptionPeriod.objects.create(
        subscription=subscription,
        plan=plan,
        starts_at=now,
        ends_at=trial_ends_at,
        source=PeriodSource.TRIAL,
    )
    subscription.trial_ends_at = trial_ends_at
    subscription.ends_at = max(subscription.ends_at or trial_ends_at, trial_ends_at)
    # The plan the trial becomes; AutoRenew stays off (the conversion is
    # this module's, so the renewal run never charges a trial).
    subscription.plan = plan
    subscription.trial_cancelled_at = None
    subscription.save()
    audit_record(
        action=AuditAction.TRIAL_STARTED,
        request=request,
        user=user,
        data={
            "serial": device.serial,
            "plan": plan.code,
            "ends_at": trial_ends_at.isoformat(),
            "card": f"{card.brand} {card.last4}",
        },
    )
    _email(
        "billing/email/trial_started",
        user=user,
        subscription=subscription,
        extra={"card": f"{card.brand} •••• {card.last4}"},
    )
    return subscription


def _email(
    template: str,
    *,
    user: Any,
    subscription: Subscription,
    extra: dict[str, Any] | None = None,
) -> None:
    plan = subscription.plan
    language = getattr(user, "language", "") or settings.LANGUAGE_CODE
    with translation.override(language):
        price = (
            money_format(plan_price(plan=plan) or 0, settings.BILLING_CURRENCY, language)
            if plan is not None
            else ""
        )
    email_send(
        template=template,
        to=user.email,
        context={
            "name": user.get_short_name(),
            "serial": subscription.device.serial,
            "plan": plan.display_name(language) if plan is not None else "",
            "price": price,
            "trial_ends_at": subscription.trial_ends_at,
            "renew_url": f"{settings.SITE_URL}{reverse('checkout:renew')}",
            "account_url": f"{settings.SITE_URL}/",
            **(extra or {}),
        },
        language=language,
        user=user,
    )


# Cancelling


@transaction.atomic
def trial_cancel(
    *, user: AbstractBaseUser, device: Device, request: HttpRequest | None = None
) -> bool:
    """The trial of the account's device will not convert; False if there is none to cancel."""
    subscription = (
        Subscription.objects.select_for_update()
        .filter(device=device, device__owner_id=user.pk)
        .first()
    )
    if subscription is None or not trial_cancellable(subscription):
        return False
    subscription.trial_cancelled_at = timezone.now()
    subscription.save(update_fields=["trial_cancelled_at", "updated_at"])
    audit_record(
        action=AuditAction.TRIAL_CANCELLED,
        request=request,
        user=user,
        data={"serial": device.serial},
    )
    return True


def trial_cancellable(subscription: Subscription | None) -> bool:
    """A trial still running, not cancelled, not converted."""
    if subscription is None or subscription.trial_ends_at is None:
        return False
    return (
        subscription.trial_cancelled_at is None
        and subscription.trial_ends_at > timezone.now()
        and not subscription.autorenew
        and (subscription.ends_at is None or subscription.ends_at <= subscription.trial_ends_at)
        and not Payment.objects.filter(idempotency_key=conversion_key(subscription)).exists()
    )


@dataclass(frozen=True)
class TrialSummary:
    """What a device's page says of its free trial."""

    ends_at: datetime
    plan: str
    price: str
    cancellable: bool
    cancelled: bool


def trial_summary(*, device: Device) -> TrialSummary | None:
    """The device's free trial while it runs (None otherwise); the caller scoped `device`."""
    subscription = Subscription.objects.select_related("plan").filter(device=device).first()
    if subscription is None or subscription.trial_ends_at is None:
        return None
    if subscription.trial_ends_at <= timezone.now():
        return None
    plan = subscription.plan
    amount = plan_price(plan=plan) if plan is not None else None
    return TrialSummary(
        ends_at=subscription.trial_ends_at,
        plan=plan.display_name() if plan is not None else "",
        price=money_format(amount, settings.BILLING_CURRENCY) if amount else "",
        cancellable=trial_cancellable(subscription),
        cancelled=subscription.trial_cancelled_at is not None,
    )


# Converting


def _trial_card(subscription: Subscription) -> PaymentMethod | None:
    """The card the trial converts with: the account's default (the trial's, unless changed)."""
    owner_id = subscription.device.owner_id
    if owner_id is None:
        return None
    return (
        PaymentMethod.objects.filter(user_id=owner_id, removed_at__isnull=True)
        .order_by("-is_default", "-created_at", "-pk")
        .first()
    )


def _due(now: datetime) -> Any:
    converted = Payment.objects.filter(kind=PaymentKind.TRIAL_CONVERSION).values(
        "items__subscription_id"
    )
    return (
        Subscription.objects.filter(
            trial_ends_at__isnull=False,
            trial_ends_at__lte=now,
            trial_cancelled_at__isnull=True,
            plan__isnull=False,
            device__owner__isnull=False,
            # Renewed meanwhile (online, or by AutoRenew, which then has
            # it): nothing to convert.
            ends_at__lte=F("trial_ends_at"),
            autorenew=False,
        )
        .exclude(pk__in=converted)
        .order_by("trial_ends_at")
    )


def _claim(subscription_id: int, now: datetime) -> Payment | None:
    """Write this trial's conversion payment, committed; None if another run has it or not due.

    The subscription's row is locked (others skip it) while the payment with
    its unique key is written, so one trial gets one payment, however many
    runs.
    """
    with transaction.atomic():
        subscription = (
            _due(now)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("device__owner", "plan")
            .filter(pk=subscription_id)
            .first()
        )
        if subscription is None:
            return None
        owner = subscription.device.owner
        card = _trial_card(subscription)
        assert owner is not None and subscription.plan is not None  # _due
        if card is None:
            # No card left to charge (all removed): the trial ends; marked
            # as cancelled so that it is not tried again.
            _declined(subscription)
            subscription.trial_cancelled_at = now
            subscription.save(update_fields=["trial_cancelled_at", "updated_at"])
            return None
        try:
            return payment_create(
                user=owner,
                kind=PaymentKind.TRIAL_CONVERSION,
                items=[(subscription, subscription.plan)],
                payment_method=card,
                idempotency_key=conversion_key(subscription),
            )
        except PaymentRefused as refused:
            logger.error("trial of subscription %s not converted: %s", subscription.pk, refused)
            return None


def _declined(subscription: Subscription) -> None:
    """The trial did not convert: the service ends with it; the customer is told how to renew."""
    owner = subscription.device.owner
    if owner is not None:
        _email("billing/email/trial_conversion_failed", user=owner, subscription=subscription)


def trial_conversions_run(*, limit: int = 100) -> int:
    """Convert the trials that have ended (not cancelled, not converted); how many were tried.

    Each is charged once: its payment's key is unique and written (committed)
    before the gateway hears of it, under a lock other runs skip.
    """
    now = timezone.now()
    tried = 0
    for subscription_id in list(_due(now).values_list("pk", flat=True)[:limit]):
        payment = _claim(subscription_id, now)
        if payment is None:
            continue
        answer = payment_charge(payment=payment)
        tried += 1
        if answer.payment.status == PaymentStatus.DECLINED:
            subscription = Subscription.objects.select_related("device__owner", "plan").get(
                pk=subscription_id
            )
            with transaction.atomic():
                _declined(subscription)
    return tried


def trial_conversions() -> int:
    """The periodic job `billing.trial_conversions`."""
    return trial_conversions_run(limit=100)


@receiver(activation_completing, dispatch_uid="billing_trial_start")
def trial_start_on_activation(
    sender: Any,
    *,
    activation: Activation,
    device: Device,
    user: AbstractBaseUser,
    request: HttpRequest | None = None,
    **kwargs: Any,
) -> None:
    """ "Activate my device" at the end of a free trial's wizard starts the trial."""
    if activation.trial:
        trial_start(activation=activation, device=device, user=user, request=request)
