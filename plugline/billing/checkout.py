"""Renewing online: the cart, paying for it, and the one-time link to renew without signing in.

The cart holds one plan per device. Paying writes one Payment for the whole
cart with the key that the checkout page was rendered with (see
billing.payments): a double click or a retried request finds the same
payment and never charges twice. The intent, though, is the cart, not the
page: writing the payment claims the cart's lines for it in the same
transaction (`CartItem.payment`, a conditional update), so a second tab, or
a Pay after a lost answer, finds the cart held and is refused until the
payment's outcome is settled (success deletes the lines, a decline releases
them).

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
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from plugline.accounts.models import User
from plugline.billing.checkout_selectors import cart_lines, cart_payment_open
from plugline.billing.models import (
    CartItem,
    Payment,
    PaymentKind,
    PaymentMethod,
    Plan,
    PlanPrice,
)
from plugline.billing.payments import (
    ChargeAnswer,
    PaymentRefused,
    payment_charge,
    payment_get_or_create,
    payment_settle,
)
from plugline.billing.services import subscription_for_device
from plugline.devices.models import Device
from plugline.notifications.services import email_send

RENEW_LINK_LIFETIME = timedelta(hours=1)
_LINK_CACHE_PREFIX = "billing:renew-link:"
SESSION_CHECKOUT_FOR = "billing_checkout_for"


class CartBeingPaid(PaymentRefused):
    """The cart is held by a payment whose outcome is not settled: it cannot change or be paid."""

    def __init__(self, payment: Payment) -> None:
        super().__init__("being_paid")
        self.payment = payment


@transaction.atomic
def cart_add(*, user: AbstractBaseUser, device: Device, plan: Plan) -> CartItem:
    """Put a plan for a device in the cart, replacing the plan chosen before for it.

    Raises CartBeingPaid while the device's line is being paid.
    """
    if device.owner_id != user.pk:
        raise PaymentRefused("no_items")
    if not (
        plan.active
        and PlanPrice.objects.filter(plan=plan, currency=settings.BILLING_CURRENCY).exists()
    ):
        raise PaymentRefused("no_price")
    subscription = subscription_for_device(device=device)
    lines = CartItem.objects.select_for_update().filter(user_id=user.pk, subscription=subscription)
    item = lines.first()
    if item is None:
        try:
            with transaction.atomic():
                return CartItem.objects.create(
                    user_id=user.pk, subscription=subscription, plan=plan
                )
        except IntegrityError:
            # Added in another tab at the same moment: that line it is.
            item = lines.get()
    if item.payment is not None:
        raise CartBeingPaid(item.payment)
    item.plan = plan
    item.save(update_fields=["plan"])
    return item


@transaction.atomic
def cart_remove(*, user: AbstractBaseUser, item_id: int) -> bool:
    """Take a line out of the cart; raises CartBeingPaid while it is being paid."""
    deleted, _ = CartItem.objects.filter(user_id=user.pk, pk=item_id, payment__isnull=True).delete()
    if deleted:
        return True
    held = CartItem.objects.filter(user_id=user.pk, pk=item_id).select_related("payment").first()
    if held is not None and held.payment is not None:
        raise CartBeingPaid(held.payment)
    return False


def checkout_payment_exists(*, user: AbstractBaseUser, idempotency_key: str) -> bool:
    """Whether this intent to pay (a rendered Pay form) has made its payment already."""
    return Payment.objects.filter(user_id=user.pk, idempotency_key=idempotency_key).exists()


def checkout_pay(
    *, user: AbstractBaseUser, payment_method: PaymentMethod, idempotency_key: str
) -> ChargeAnswer:
    """Pay for the cart once: one payment per cart at a time, whichever page or tab sends it.

    The same key finds the same payment, whatever its state. A new key
    writes a payment and claims the cart's lines for it (see
    `_checkout_payment_claim`), committed before the gateway is asked.

    Raises CartBeingPaid (the cart is held by a payment whose outcome is not
    settled), PaymentRefused("no_items") for an empty cart, "cart_changed"
    (a line changed or went while paying), "no_price" or "no_card".
    """
    payment = Payment.objects.filter(user_id=user.pk, idempotency_key=idempotency_key).first()
    if payment is None:
        payment = _checkout_payment_claim(
            user=user, payment_method=payment_method, idempotency_key=idempotency_key
        )
    return payment_charge(payment=payment)


@transaction.atomic
def _checkout_payment_claim(
    *, user: AbstractBaseUser, payment_method: PaymentMethod, idempotency_key: str
) -> Payment:
    """Write the cart's payment and claim its lines with a conditional update, in one transaction.

    Only lines that no payment holds, with the plan that was priced, are
    claimed; if another request claimed (or changed) any of them first, the
    count falls short and nothing is written.
    """
    lines = cart_lines(user=user)
    if not lines:
        # Emptied meanwhile: by this same form's payment (a double click that raced), or not.
        own = Payment.objects.filter(user_id=user.pk, idempotency_key=idempotency_key).first()
        if own is None:
            raise PaymentRefused("no_items")
        return own
    holder = cart_payment_open(user=user)
    if holder is not None:
        return _same_intent_or_refuse(holder, idempotency_key)
    if any(line.amount is None for line in lines):
        raise PaymentRefused("no_price")
    payment, created = payment_get_or_create(
        user=user,
        kind=PaymentKind.CHECKOUT,
        items=[(line.item.subscription, line.plan) for line in lines],
        payment_method=payment_method,
        idempotency_key=idempotency_key,
    )
    if not created:
        # The same form, posted twice at once: the other request wrote (and claimed) it.
        return payment
    claim = Q(pk__in=[])
    for line in lines:
        claim |= Q(pk=line.item.pk, plan_id=line.plan.pk)
    claimed = CartItem.objects.filter(claim, user_id=user.pk, payment__isnull=True).update(
        payment=payment
    )
    if claimed != len(lines):
        # Raising rolls the payment back: it never existed.
        holder = cart_payment_open(user=user)
        if holder is None:
            raise PaymentRefused("cart_changed")
        raise CartBeingPaid(holder)
    return payment


def _same_intent_or_refuse(holder: Payment, idempotency_key: str) -> Payment:
    """The payment holding the cart is this form's own (a double click that raced): use it."""
    if holder.idempotency_key == idempotency_key:
        return holder
    raise CartBeingPaid(holder)


def checkout_settle(*, payment: Payment) -> ChargeAnswer:
    """Back from the gateway (after authenticating a charge), or "Check again": settle it.

    Recording the outcome takes the paid lines out of the cart, or releases
    them after a decline (see billing.payments).
    """
    return payment_settle(payment=payment)


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
