"""What the sandbox PSP does: every write, keyword-only, in a transaction.

Charges and refunds are unique per idempotency key (a database constraint):
the first request with a key decides, every later one (even one racing it)
gets the same record back. Events for webhooks are written in the same
transaction and posted after the commit.
"""

from __future__ import annotations

import json
import logging
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from plugline.sandbox_gateway.cards import Behaviour, behaviour_of, brand_of, fingerprint_of
from plugline.sandbox_gateway.models import (
    ChargeStatus,
    SandboxCard,
    SandboxCardSession,
    SandboxCharge,
    SandboxConfig,
    SandboxCustomer,
    SandboxEvent,
    SandboxRefund,
    SessionStatus,
)
from plugline.sandbox_gateway.signing import SIGNATURE_HEADER, signature_header

logger = logging.getLogger(__name__)

CARD_SESSION_MINUTES = 60
# Refused cards (invalid, declined) before a card session is closed: against card testing.
CARD_SESSION_MAX_REFUSALS = 10
WEBHOOK_MAX_ATTEMPTS = 6
WEBHOOK_PATH = "/billing/webhooks/sandbox/"


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


# Configuration.


def config_get() -> SandboxConfig:
    config, _ = SandboxConfig.objects.get_or_create(pk=1)
    return config


@transaction.atomic
def config_set(
    *,
    latency_ms: int | None = None,
    timeout_rate: float | None = None,
    failure_rate: float | None = None,
    webhook_url: str | None = None,
    webhooks_enabled: bool | None = None,
) -> SandboxConfig:
    """Changes what is given, keeps the rest."""
    config, _ = SandboxConfig.objects.select_for_update().get_or_create(pk=1)
    for rate in (timeout_rate, failure_rate):
        if rate is not None and not 0 <= rate <= 1:
            raise ValueError("a rate is a share between 0 and 1")
    if latency_ms is not None:
        config.latency_ms = latency_ms
    if timeout_rate is not None:
        config.timeout_rate = timeout_rate
    if failure_rate is not None:
        config.failure_rate = failure_rate
    if webhook_url is not None:
        config.webhook_url = webhook_url
    if webhooks_enabled is not None:
        config.webhooks_enabled = webhooks_enabled
    config.save()
    return config


# Customers and cards.


@transaction.atomic
def customer_create(*, email: str, idempotency_key: str) -> SandboxCustomer:
    customer, _ = SandboxCustomer.objects.get_or_create(
        idempotency_key=idempotency_key, defaults={"id": new_id("cus"), "email": email}
    )
    return customer


@transaction.atomic
def card_session_start(*, customer_id: str, return_url: str, verify: bool) -> SandboxCardSession:
    if not return_url.startswith(("http://", "https://", "/")):
        raise ValueError("return_url must be an absolute URL or a path")
    customer = SandboxCustomer.objects.get(id=customer_id)
    return SandboxCardSession.objects.create(
        id=f"cs_{secrets.token_urlsafe(24)}",
        customer=customer,
        return_url=return_url,
        verify=verify,
        expires_at=timezone.now() + timedelta(minutes=CARD_SESSION_MINUTES),
    )


def card_session_get_open(*, session_id: str) -> SandboxCardSession | None:
    """The session the hosted page may still take a card for."""
    return SandboxCardSession.objects.filter(
        id=session_id, status=SessionStatus.OPEN, expires_at__gt=timezone.now()
    ).first()


def card_session_get(*, session_id: str) -> SandboxCardSession | None:
    return SandboxCardSession.objects.filter(id=session_id).first()


@transaction.atomic
def card_session_refusal(*, session_id: str) -> SandboxCardSession:
    """Counts a refused card; the session closes after CARD_SESSION_MAX_REFUSALS."""
    SandboxCardSession.objects.filter(id=session_id).update(refusals=F("refusals") + 1)
    SandboxCardSession.objects.filter(
        id=session_id, status=SessionStatus.OPEN, refusals__gte=CARD_SESSION_MAX_REFUSALS
    ).update(status=SessionStatus.FAILED)
    return SandboxCardSession.objects.get(id=session_id)


class CardDeclined(Exception):
    """The zero-amount verification of a card was declined."""

    def __init__(self, decline_code: str) -> None:
        super().__init__(decline_code)
        self.decline_code = decline_code


@dataclass(frozen=True)
class Expiry:
    month: int
    year: int  # four digits

    def passed(self, now: datetime) -> bool:
        return (self.year, self.month) < (now.year, now.month)


@sensitive_variables("number", "cvc")
def card_session_complete(*, session_id: str, number: str, expiry: Expiry, cvc: str) -> SandboxCard:
    """Saves the card typed on the hosted page for the session's customer.

    `number` is the card's digits; only its brand, last four digits, expiry,
    behaviour and fingerprint are kept, `cvc` is only checked for its form.
    A verifying session declines a card that any charge would decline
    outright (CardDeclined, counted as a refusal by the caller).
    (A transaction block, not the decorator: the decorator's frame would
    show the number in an error report.)
    """
    with transaction.atomic():
        return _card_save(session_id=session_id, number=number, expiry=expiry, cvc=cvc)


@sensitive_variables("number", "cvc")
def _card_save(*, session_id: str, number: str, expiry: Expiry, cvc: str) -> SandboxCard:
    session = (
        SandboxCardSession.objects.select_for_update()
        .filter(id=session_id, status=SessionStatus.OPEN, expires_at__gt=timezone.now())
        .first()
    )
    if session is None:
        raise ValueError("the card session is over")
    if not (number.isdigit() and cvc.isdigit()):
        raise ValueError("digits only")
    behaviour = behaviour_of(number)
    if session.verify and behaviour in (Behaviour.DECLINE, Behaviour.EXPIRED):
        raise CardDeclined("card_declined" if behaviour == Behaviour.DECLINE else "expired_card")
    card = SandboxCard.objects.create(
        token=new_id("card"),
        customer_id=session.customer_id,
        brand=brand_of(number),
        last4=number[-4:],
        exp_month=expiry.month,
        exp_year=expiry.year,
        fingerprint=fingerprint_of(number),
        behaviour=behaviour,
    )
    session.status = SessionStatus.SUCCEEDED
    session.card = card
    session.save(update_fields=["status", "card"])
    return card


def card_session_result(*, session_id: str, customer_id: str) -> SandboxCard | None:
    session = (
        SandboxCardSession.objects.select_related("card")
        .filter(id=session_id, customer_id=customer_id, status=SessionStatus.SUCCEEDED)
        .first()
    )
    return session.card if session is not None else None


@transaction.atomic
def card_remove(*, customer_id: str, token: str) -> None:
    SandboxCard.objects.filter(
        customer_id=customer_id, token=token, removed_at__isnull=True
    ).update(removed_at=timezone.now())


# Charges.


def _charge_decision(*, card: SandboxCard | None, now: datetime) -> tuple[ChargeStatus, str, bool]:
    """(status, decline code, hard decline) for a charge on `card`."""
    if card is None:
        return ChargeStatus.DECLINED, "card_not_found", True
    if card.behaviour == Behaviour.EXPIRED or Expiry(card.exp_month, card.exp_year).passed(now):
        return ChargeStatus.DECLINED, "expired_card", True
    if card.behaviour in (Behaviour.DECLINE, Behaviour.DECLINE_ON_CHARGE):
        return ChargeStatus.DECLINED, "card_declined", True
    if card.behaviour == Behaviour.INSUFFICIENT_FUNDS:
        return ChargeStatus.DECLINED, "insufficient_funds", False
    if card.behaviour == Behaviour.AUTHENTICATE:
        return ChargeStatus.REQUIRES_ACTION, "", False
    return ChargeStatus.SUCCEEDED, "", False


class IdempotencyKeyReused(ValueError):
    """The key was used before for another charge (other amount, card or customer)."""


@transaction.atomic
def charge_create(
    *,
    customer_id: str,
    token: str,
    amount: int,
    currency: str,
    idempotency_key: str,
    description: str,
) -> SandboxCharge:
    """The charge for this key: made now, or the one made before with the same key."""
    if amount <= 0 or len(currency) != 3:
        raise ValueError("a charge needs a positive amount and a currency")
    existing = SandboxCharge.objects.filter(idempotency_key=idempotency_key).first()
    if existing is None:
        customer = SandboxCustomer.objects.get(id=customer_id)
        card = SandboxCard.objects.filter(
            customer=customer, token=token, removed_at__isnull=True
        ).first()
        status, decline_code, hard = _charge_decision(card=card, now=timezone.now())
        try:
            with transaction.atomic():
                charge = SandboxCharge.objects.create(
                    id=new_id("ch"),
                    idempotency_key=idempotency_key,
                    customer=customer,
                    card=card,
                    amount=amount,
                    currency=currency.upper(),
                    description=description[:200],
                    status=status,
                    decline_code=decline_code,
                    hard_decline=hard,
                )
                # Its event in the same transaction (one commit per charge).
                if status != ChargeStatus.REQUIRES_ACTION:
                    _charge_event(charge)
        except IntegrityError:
            # Another request with this key got there first: its charge is the answer.
            existing = SandboxCharge.objects.get(idempotency_key=idempotency_key)
        else:
            return charge
    if (existing.customer_id, existing.amount, existing.currency) != (
        customer_id,
        amount,
        currency.upper(),
    ) or (existing.card_id is not None and existing.card_id != token):
        raise IdempotencyKeyReused(idempotency_key)
    return existing


@dataclass(frozen=True)
class ChargeAsked:
    """One charge of `charges_create`: what `charge_create` takes."""

    customer_id: str
    token: str
    amount: int
    currency: str
    idempotency_key: str
    description: str


def charges_create(asked: list[ChargeAsked]) -> list[SandboxCharge | IdempotencyKeyReused]:
    """`charge_create` for several charges sent at once, in the same order: each key
    charged once (a key seen before gets its charge back, or IdempotencyKeyReused in
    its place), the new charges and their events written together in one transaction."""
    for one in asked:
        if one.amount <= 0 or len(one.currency) != 3:
            raise ValueError("a charge needs a positive amount and a currency")
    try:
        with transaction.atomic():
            return _charges_write(asked)
    except IntegrityError:
        # A key charged by another request meanwhile: each on its own (the first one decides).
        answers: list[SandboxCharge | IdempotencyKeyReused] = []
        for one in asked:
            try:
                answers.append(
                    charge_create(
                        customer_id=one.customer_id,
                        token=one.token,
                        amount=one.amount,
                        currency=one.currency,
                        idempotency_key=one.idempotency_key,
                        description=one.description,
                    )
                )
            except IdempotencyKeyReused as reused:
                answers.append(reused)
        return answers


def _charges_write(asked: list[ChargeAsked]) -> list[SandboxCharge | IdempotencyKeyReused]:
    keys = {one.idempotency_key for one in asked}
    charges = {
        charge.idempotency_key: charge
        for charge in SandboxCharge.objects.filter(idempotency_key__in=keys)
    }
    cards = {
        (card.customer_id, card.token): card
        for card in SandboxCard.objects.filter(
            customer_id__in={one.customer_id for one in asked},
            token__in={one.token for one in asked},
            removed_at__isnull=True,
        )
    }
    missing = {one.customer_id for one in asked} - {customer for customer, _token in cards}
    if missing:
        known = set(SandboxCustomer.objects.filter(id__in=missing).values_list("id", flat=True))
        if missing - known:
            raise SandboxCustomer.DoesNotExist(f"no customer {sorted(missing - known)[0]}")
    now = timezone.now()
    made: list[SandboxCharge] = []
    mine: set[str] = set()
    for one in asked:
        if one.idempotency_key in charges:
            continue
        card = cards.get((one.customer_id, one.token))
        status, decline_code, hard = _charge_decision(card=card, now=now)
        charge = SandboxCharge(
            id=new_id("ch"),
            idempotency_key=one.idempotency_key,
            customer_id=one.customer_id,
            card=card,
            amount=one.amount,
            currency=one.currency.upper(),
            description=one.description[:200],
            status=status,
            decline_code=decline_code,
            hard_decline=hard,
        )
        charges[one.idempotency_key] = charge
        mine.add(one.idempotency_key)
        made.append(charge)
    SandboxCharge.objects.bulk_create(made)
    # Their events in the same transaction (one commit for all).
    events_record(
        [
            (_CHARGE_EVENTS[ChargeStatus(charge.status)], charge_data(charge))
            for charge in made
            if charge.status != ChargeStatus.REQUIRES_ACTION
        ]
    )
    answers: list[SandboxCharge | IdempotencyKeyReused] = []
    for one in asked:
        charge = charges[one.idempotency_key]
        if one.idempotency_key not in mine and (
            (charge.customer_id, charge.amount, charge.currency)
            != (one.customer_id, one.amount, one.currency.upper())
            or (charge.card_id is not None and charge.card_id != one.token)
        ):
            answers.append(IdempotencyKeyReused(one.idempotency_key))
        else:
            answers.append(charge)
    return answers


def charge_get_by_key(*, idempotency_key: str) -> SandboxCharge | None:
    return SandboxCharge.objects.filter(idempotency_key=idempotency_key).first()


def charge_get_awaiting_action(*, charge_id: str) -> SandboxCharge | None:
    return (
        SandboxCharge.objects.select_related("card")
        .filter(id=charge_id, status=ChargeStatus.REQUIRES_ACTION)
        .first()
    )


@transaction.atomic
def charge_authenticate(*, charge_id: str, approve: bool) -> SandboxCharge | None:
    """The cardholder's answer on the authentication page; None if nothing awaits it."""
    charge = (
        SandboxCharge.objects.select_for_update()
        .filter(id=charge_id, status=ChargeStatus.REQUIRES_ACTION)
        .first()
    )
    if charge is None:
        return None
    if approve:
        charge.status = ChargeStatus.SUCCEEDED
    else:
        charge.status = ChargeStatus.DECLINED
        charge.decline_code = "authentication_failed"
        charge.hard_decline = False
    charge.save(update_fields=["status", "decline_code", "hard_decline", "updated_at"])
    _charge_event(charge)
    return charge


_CHARGE_EVENTS = {
    ChargeStatus.SUCCEEDED: "charge.succeeded",
    ChargeStatus.DECLINED: "charge.failed",
}


def _charge_event(charge: SandboxCharge) -> None:
    event_record(type=_CHARGE_EVENTS[ChargeStatus(charge.status)], data=charge_data(charge))


def charge_data(charge: SandboxCharge) -> dict[str, object]:
    return {
        "charge_id": charge.id,
        "idempotency_key": charge.idempotency_key,
        "customer_id": charge.customer_id,
        "amount": charge.amount,
        "currency": charge.currency,
        "status": charge.status,
        "decline_code": charge.decline_code,
        "hard_decline": charge.hard_decline,
        "amount_refunded": charge.refunded_amount,
    }


# Refunds.


@transaction.atomic
def refund_create(
    *, charge_id: str, amount: int, idempotency_key: str, reason: str
) -> SandboxRefund:
    """Refunds part or all of a succeeded charge, never more than is left of it.

    A refund that would go beyond is recorded as not succeeded (and changes
    nothing); the same key always gives the same answer.
    """
    existing = SandboxRefund.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    charge = SandboxCharge.objects.select_for_update().get(id=charge_id)
    # Read again under the lock: a refund racing this one may have just committed.
    existing = SandboxRefund.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    succeeded = (
        charge.status == ChargeStatus.SUCCEEDED
        and 0 < amount <= charge.amount - charge.refunded_amount
    )
    refund = SandboxRefund.objects.create(
        id=new_id("re"),
        idempotency_key=idempotency_key,
        charge=charge,
        amount=amount,
        reason=reason[:200],
        succeeded=succeeded,
    )
    if succeeded:
        SandboxCharge.objects.filter(pk=charge.pk).update(
            refunded_amount=F("refunded_amount") + amount, updated_at=timezone.now()
        )
        charge.refresh_from_db()
        event_record(
            type="charge.refunded",
            data={**charge_data(charge), "refund_id": refund.id, "refund_amount": amount},
        )
    return refund


# Webhook events.


def event_record(*, type: str, data: dict[str, object]) -> SandboxEvent:
    event = SandboxEvent.objects.create(id=new_id("evt"), type=type, data=data)
    if config_get().webhooks_enabled:
        transaction.on_commit(lambda: _enqueue_delivery(event.id))
    return event


def events_record(events: list[tuple[str, dict[str, object]]]) -> list[SandboxEvent]:
    """`event_record` for several events (type, data): one INSERT."""
    if not events:
        return []
    made = SandboxEvent.objects.bulk_create(
        SandboxEvent(id=new_id("evt"), type=type, data=data) for type, data in events
    )
    if config_get().webhooks_enabled:
        ids = [event.id for event in made]

        def enqueue() -> None:
            for event_id in ids:
                _enqueue_delivery(event_id)

        transaction.on_commit(enqueue)
    return made


def _enqueue_delivery(event_id: str, run_after: datetime | None = None) -> None:
    from plugline.sandbox_gateway.tasks import webhook_event_deliver

    task = webhook_event_deliver
    if run_after is not None:
        task = task.using(run_after=run_after)
    task.enqueue(event_id=event_id)


def event_body(event: SandboxEvent) -> bytes:
    return json.dumps(
        {
            "id": event.id,
            "type": event.type,
            "created": int(event.created_at.timestamp()),
            "data": event.data,
        },
        sort_keys=True,
    ).encode()


def webhook_url() -> str:
    url = config_get().webhook_url or settings.SITE_URL + WEBHOOK_PATH
    if not url.startswith(("http://", "https://")):
        raise ValueError("the webhook URL must be http or https")
    return url


def event_deliver(*, event_id: str) -> bool:
    """Posts the event, signed, to Plugline's receiver; retried with backoff on failure.

    True when the receiver took it (2xx). A 4xx answer (a refused signature,
    an event already received) is final; other failures are tried again.
    """
    event = SandboxEvent.objects.filter(id=event_id, delivered_at__isnull=True).first()
    if event is None:
        return True
    body = event_body(event)
    request = urllib.request.Request(  # noqa: S310 (http or https: webhook_url checks)
        webhook_url(),
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature_header(payload=body),
        },
    )
    final = False
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (our URL)
            status = response.status
        answer = str(status)
    except urllib.error.HTTPError as error:
        status = error.code
        answer = str(status)
        final = 400 <= status < 500
    except OSError as error:
        status = 0
        answer = type(error).__name__
    delivered = 200 <= status < 300
    SandboxEvent.objects.filter(pk=event.pk).update(
        attempts=F("attempts") + 1,
        last_response=answer[:200],
        delivered_at=timezone.now() if delivered else None,
    )
    if not delivered:
        logger.warning("Sandbox webhook %s %s: %s", event.id, event.type, answer)
        if not final and event.attempts + 1 < WEBHOOK_MAX_ATTEMPTS:
            _enqueue_delivery(
                event.id, run_after=timezone.now() + timedelta(minutes=2**event.attempts)
            )
    return delivered
