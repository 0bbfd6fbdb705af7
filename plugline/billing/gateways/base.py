"""The payment gateway interface, shaped like Stripe's PaymentIntents.

Plugline never sees a card number: the customer types it on the gateway's
hosted card page, which sends the browser back with a token
(`card_session_start` / `card_session_result`). Plugline keeps the token,
the brand, the last four digits and the expiry.

Every charge carries an idempotency key that Plugline stored before the
call: the gateway charges at most once per key, however often it is asked,
and `charge_lookup` tells what became of a key whose answer was lost
(outcome UNKNOWN) so that it can be settled later.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlencode


class GatewayError(Exception):
    """The gateway could not be reached or answered nonsense: the outcome is unknown."""


class Outcome(enum.StrEnum):
    SUCCEEDED = "succeeded"
    REQUIRES_ACTION = "requires_action"
    DECLINED = "declined"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Card:
    token: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    fingerprint: str


@dataclass(frozen=True)
class ChargeResult:
    outcome: Outcome
    charge_id: str = ""
    # "card_declined", "insufficient_funds", "expired_card", ...; hard declines
    # are not retried.
    decline_code: str = ""
    hard_decline: bool = False
    # For REQUIRES_ACTION: where to send the cardholder (see action_url_returning).
    action_url: str = ""


def action_url_returning(action_url: str, return_url: str) -> str:
    """The gateway's page to approve a charge, told to send the cardholder to `return_url`."""
    separator = "&" if "?" in action_url else "?"
    return f"{action_url}{separator}{urlencode({'return_url': return_url})}"


@dataclass(frozen=True)
class ChargeRequest:
    """One charge of `Gateway.charges`: what `Gateway.charge` takes."""

    customer_id: str
    token: str
    amount: int
    currency: str
    idempotency_key: str
    description: str


@dataclass(frozen=True)
class RefundResult:
    refund_id: str
    succeeded: bool


@dataclass(frozen=True)
class WebhookEventData:
    event_id: str
    type: str
    data: dict[str, object]


class Gateway(Protocol):
    name: str

    def customer_create(self, *, email: str, idempotency_key: str) -> str:
        """A customer id at the gateway."""
        ...

    def card_session_start(self, *, customer_id: str, return_url: str, verify: bool) -> str:
        """The URL of the hosted card page; it returns to `return_url` with `?session=`."""
        ...

    def card_session_result(self, *, session_id: str, customer_id: str) -> Card | None:
        """The card saved in that session (None: it failed, or is another customer's)."""
        ...

    def card_remove(self, *, customer_id: str, token: str) -> None: ...

    def charge(
        self,
        *,
        customer_id: str,
        token: str,
        amount: int,
        currency: str,
        idempotency_key: str,
        description: str,
    ) -> ChargeResult:
        """Charge once per idempotency key; raises GatewayError when the answer is lost."""
        ...

    def charges(self, requests: Sequence[ChargeRequest]) -> list[ChargeResult | GatewayError]:
        """Several charges sent at once (a real gateway: concurrent requests), each charged
        once per its key; the answers in the same order, a GatewayError where one was lost."""
        ...

    def charge_lookup(self, *, idempotency_key: str) -> ChargeResult | None:
        """What became of a charge with this key (None: it never reached the gateway)."""
        ...

    def refund(
        self, *, charge_id: str, amount: int, idempotency_key: str, reason: str
    ) -> RefundResult: ...

    def webhook_verify(
        self, *, payload: bytes, signature_header: str, tolerance_seconds: int = 300
    ) -> WebhookEventData:
        """The event if the signature is good and recent; raises ValueError otherwise."""
        ...
