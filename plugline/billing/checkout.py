"""Renewing online: the cart, paying for it, and the one-time link to renew without signing in.

The cart holds one plan per device. Paying writes one Payment for the whole
cart with the key that the checkout page was rendered with (see
billing.payments): a double click or a retried request finds the same
payment and never charges twice.

"Renew without signing in": a link emailed to the account's preferred email
(a random token; only its SHA-256 is kept, in the cache, for an hour; it
works once). Opening it lets that browser use checkout for that account
only (a flag in the session), without signing it in to the portal.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from plugline.accounts.models import User
from plugline.billing.checkout_selectors import cart_lines
from plugline.billing.models import (
    CartItem,
    Payment,
    PaymentKind,
    PaymentMethod,
    PaymentStatus,
    Plan,
    PlanPrice,
)
from plugline.billing.payments import (
    ChargeAnswer,
    PaymentRefused,
    payment_charge,
    payment_create,
    payment_settle,
)
from plugline.billing.services import subscription_for_device
from plugline.devices.models import Device
from plugline.notifications.services import email_send

RENEW_LINK_LIFETIME = timedelta(hours=1)
_LINK_CACHE_PREFIX = "billing:renew-link:"
SESSION_CHECKOUT_FOR = "billing_checkout_for"


@transaction.atomic
def cart_add(*, user: AbstractBaseUser, device: Device, plan: Plan) -> CartItem:
    """Put a plan for a device in the cart, replacing the plan chosen before for it."""
    if device.owner_id != user.pk:
        raise PaymentRefused("no_items")
    if not (
        plan.active
        and PlanPrice.objects.filter(plan=plan, currency=settings.BILLING_CURRENCY).exists()
    ):
        raise PaymentRefused("no_price")
    subscription = subscription_for_device(device=device)
    item, _created = CartItem.objects.update_or_create(
        user_id=user.pk, subscription=subscription, defaults={"plan": plan}
    )
    return item


def cart_remove(*, user: AbstractBaseUser, item_id: int) -> bool:
    deleted, _ = CartItem.objects.filter(user_id=user.pk, pk=item_id).delete()
    return bool(deleted)


def _cart_clear_paid(payment: Payment) -> None:
    """Take what a payment paid for out of its account's cart."""
    CartItem.objects.filter(
        user=payment.user,
        subscription__in=payment.items.values("subscription"),
    ).delete()


def checkout_payment_exists(*, user: AbstractBaseUser, idempotency_key: str) -> bool:
    """Whether this intent to pay (a rendered Pay form) has made its payment already."""
    return Payment.objects.filter(user_id=user.pk, idempotency_key=idempotency_key).exists()


def checkout_pay(
    *, user: AbstractBaseUser, payment_method: PaymentMethod, idempotency_key: str
) -> ChargeAnswer:
    """Pay for the cart once per key: the same key finds the same payment, whatever its state.

    Raises PaymentRefused("no_items") for an empty cart (and no payment with
    this key), "no_price" or "no_card".
    """
    existing = Payment.objects.filter(user_id=user.pk, idempotency_key=idempotency_key).first()
    if existing is None:
        lines = cart_lines(user=user)
        if not lines:
            raise PaymentRefused("no_items")
        if any(line.amount is None for line in lines):
            raise PaymentRefused("no_price")
        existing = payment_create(
            user=user,
            kind=PaymentKind.CHECKOUT,
            items=[(line.item.subscription, line.plan) for line in lines],
            payment_method=payment_method,
            idempotency_key=idempotency_key,
        )
    answer = payment_charge(payment=existing)
    if answer.payment.status == PaymentStatus.SUCCEEDED:
        _cart_clear_paid(answer.payment)
    return answer


def checkout_settle(*, payment: Payment) -> ChargeAnswer:
    """Back from the gateway (after authenticating a charge): settle the payment."""
    answer = payment_settle(payment=payment)
    if answer.payment.status == PaymentStatus.SUCCEEDED:
        _cart_clear_paid(answer.payment)
    return answer


# Renew without signing in ------------------------------------------------------


def _link_key(token: str) -> str:
    return _LINK_CACHE_PREFIX + hashlib.sha256(token.encode()).hexdigest()


def renew_link_send(*, user: User, request: HttpRequest | None = None) -> None:
    """Email the account's preferred email a one-time link to checkout, valid one hour."""
    token = secrets.token_urlsafe(32)
    # The expiry is checked against the clock when the link is used; the
    # cache's own timeout (a little longer) only clears the entry away.
    expires_at = timezone.now() + RENEW_LINK_LIFETIME
    cache.set(
        _link_key(token),
        (user.pk, expires_at.timestamp()),
        timeout=int(RENEW_LINK_LIFETIME.total_seconds()) + 60,
    )
    url = settings.SITE_URL + reverse("checkout:renew_link_open", kwargs={"token": token})
    email_send(
        template="billing/email/renew_link",
        to=user.email,
        context={"name": user.get_short_name(), "url": url, "minutes": 60},
        language=user.language or settings.LANGUAGE_CODE,
        user=user,
    )


def renew_link_use(*, token: str) -> User | None:
    """The account a link was sent for, the first time it is used within the hour; else None."""
    if not token or len(token) > 100:
        return None
    key = _link_key(token)
    entry = cache.get(key)
    if not isinstance(entry, tuple | list) or len(entry) != 2:
        return None
    user_id, expires_at = entry
    if timezone.now().timestamp() >= expires_at:
        cache.delete(key)
        return None
    # Whoever deletes the entry used the link; a second opening finds nothing.
    if not cache.delete(key):
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()


def checkout_grant(*, request: HttpRequest, user: User) -> None:
    """Let this browser's session use checkout for `user`, for an hour, nothing else."""
    until = timezone.now() + RENEW_LINK_LIFETIME
    request.session[SESSION_CHECKOUT_FOR] = {"user": user.pk, "until": until.isoformat()}


def checkout_user_from_session(request: HttpRequest) -> User | None:
    grant = request.session.get(SESSION_CHECKOUT_FOR)
    if not isinstance(grant, dict):
        return None
    try:
        until = datetime.fromisoformat(str(grant.get("until")))
    except ValueError:
        return None
    if until <= timezone.now():
        request.session.pop(SESSION_CHECKOUT_FOR, None)
        return None
    user_id = grant.get("user")
    if not isinstance(user_id, int):
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()
