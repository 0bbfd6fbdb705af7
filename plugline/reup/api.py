"""The point-of-sale API: a retailer's till activates a Re-Up card when it is sold and voids
it when it is returned.

The till sends its chain's key as a bearer token ("Authorization: Bearer plr_…").
Keys are made in the admin or with `manage.py create_retailer_key`, stored as
a hash, and revocable. There is no session cookie, so there is no CSRF to
guard (django-ninja leaves bearer-authenticated views exempt).

A chain sees only its own cards: another chain's serial answers 404, as one
that does not exist. Both actions are idempotent: activating an activated
card (or voiding a voided one) answers the same as the first time, so a till
may repeat a request it never got an answer to.

Wrong keys are rate limited, and a right key never is: the secret is 256
random bits, so the limits keep scanners and misconfigured tills quiet
rather than stand between a guesser and a key, and nobody can lock a chain's
tills out by sending wrong keys (from the store's own address, say, shared
by every till of a shopping centre). A wrong secret for an existing key's
prefix counts for that prefix, from whatever address, and for the client
address; anything else (an unknown prefix, not a key at all) counts for the
client address.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from allauth.core.internal.ratelimit import consume
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Path, Router, Schema, Status
from ninja.errors import HttpError
from ninja.security import HttpBearer

from plugline.reup.models import RetailerApiKey, ReupCard
from plugline.reup.services import (
    KEY_PREFIX,
    CardConflict,
    CardNotFound,
    api_key_authenticate,
    card_activate,
    card_for_till,
    card_void,
)

# "amount/period/per", as in plugline.devices.ratelimits: wrong keys per client
# address, and wrong secrets per existing key's prefix.
RETAIL_RATE_LIMITS = {
    "retail_bad_key": "10/m/ip,100/h/ip",
    "retail_bad_key_prefix": "10/m/key,100/h/key",
}


def _existing_prefix(token: str) -> str | None:
    """The prefix of `token` ("plr_<prefix>_<secret>") if a key has it, revoked or not."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1]:
        return None
    if not RetailerApiKey.objects.filter(prefix=parts[1]).exists():
        return None
    return parts[1]


def _bad_key_counted(request: HttpRequest, token: str) -> bool:
    """Count a wrong key; False once a limit it counts against is reached."""
    allowed = True
    prefix = _existing_prefix(token)
    if prefix is not None:
        allowed = _consumed(request, action="retail_bad_key_prefix", key=prefix)
    return _consumed(request, action="retail_bad_key", key=None) and allowed


def _consumed(request: HttpRequest, *, action: str, key: str | None) -> bool:
    usage = consume(
        request,
        app="plugline.reup",
        action=action,
        config=RETAIL_RATE_LIMITS,
        key=key,
        limit_get=True,
    )
    return usage is not None


class RetailerKeyAuth(HttpBearer):
    """The chain's API key, as "Authorization: Bearer plr_<prefix>_<secret>"."""

    def __call__(self, request: HttpRequest) -> RetailerApiKey | None:
        # Unlike HttpBearer's, never logs the header it was given (it may hold a key).
        scheme, _sep, token = request.headers.get(self.header, "").partition(" ")
        if scheme.lower() != self.openapi_scheme:
            token = ""
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> RetailerApiKey | None:
        key = api_key_authenticate(token) if token else None
        if key is None and not _bad_key_counted(request, token):
            raise HttpError(429, _("Too many requests with a wrong key. Wait, then try again."))
        return key


router = Router(tags=["retail"], auth=RetailerKeyAuth())


class CardResponse(Schema):
    serial: str = Field(description="The serial printed on the card.")
    status: str = Field(
        description="printed (not sold), activated (sold), redeemed (used) or voided."
    )
    plan: str = Field(
        description="The code of the plan the card gives; for a card of international minutes, "
        '"minutes-" and its amount in minor units (e.g. minutes-1000).'
    )
    months: int = Field(
        description="How many months of service the card gives (0: international minutes)."
    )
    minutes_amount: int | None = Field(
        None,
        description="A card of international minutes: the amount it adds to the balance, in "
        "minor units of `minutes_currency`; absent for a card of service.",
    )
    minutes_currency: str | None = Field(
        None, description="The ISO 4217 currency of `minutes_amount`; absent for a card of service."
    )


class ErrorResponse(Schema):
    detail: str = Field(description="Why, in the language of the request's Accept-Language.")


SerialPath = Path(
    ...,
    min_length=1,
    max_length=40,
    description="The serial printed on the card (spaces and dashes ignored).",
    examples=["RU1234567897"],
)


def _answer(card: ReupCard) -> dict[str, Any]:
    return {
        "serial": card.serial,
        "status": card.status,
        "plan": card.batch.gives_code,
        "months": card.batch.plan.months if card.batch.plan is not None else 0,
        "minutes_amount": card.batch.minutes_amount,
        "minutes_currency": card.batch.minutes_currency or None,
    }


def _key(request: HttpRequest) -> RetailerApiKey:
    key = request.auth  # type: ignore[attr-defined]
    assert isinstance(key, RetailerApiKey)
    return key


def _till_change(change: Callable[..., ReupCard], request: HttpRequest, serial: str) -> Any:
    """The card after `change` (card_activate or card_void), or why it could not change."""
    try:
        card = change(key=_key(request), serial=serial, request=request)
    except CardNotFound as error:
        return Status(404, ErrorResponse(detail=error.message))
    except CardConflict as error:
        return Status(409, ErrorResponse(detail=error.message))
    return _answer(card)


_RESPONSES: dict[int, Any] = {
    200: CardResponse,
    401: ErrorResponse,
    404: ErrorResponse,
    409: ErrorResponse,
    429: ErrorResponse,
}


@router.post(
    "/cards/{serial}/activate",
    response=_RESPONSES,
    exclude_none=True,
    summary="Activate a card when it is sold",
    description=(
        "The card becomes redeemable. Answers the card; activating a card that is already "
        "activated, or was since redeemed, answers the card with its status (safe to "
        "repeat). 404 if the serial is not one of your chain's cards; 409 if the card is "
        "voided or has no PIN yet."
    ),
)
def card_activate_view(request: HttpRequest, serial: str = SerialPath) -> Any:
    return _till_change(card_activate, request, serial)


@router.post(
    "/cards/{serial}/void",
    response=_RESPONSES,
    exclude_none=True,
    summary="Void a card when it is returned",
    description=(
        "The card can no longer be sold or redeemed. Works for a card printed or activated; "
        "voiding a voided card answers the same (safe to repeat). 404 if the serial is not "
        "one of your chain's cards; 409 if the card was already redeemed."
    ),
)
def card_void_view(request: HttpRequest, serial: str = SerialPath) -> Any:
    return _till_change(card_void, request, serial)


@router.get(
    "/cards/{serial}",
    response={200: CardResponse, 401: ErrorResponse, 404: ErrorResponse, 429: ErrorResponse},
    exclude_none=True,
    summary="A card's status",
    description="Whether the card is printed, activated, redeemed or voided. Changes nothing.",
)
def card_status_view(request: HttpRequest, serial: str = SerialPath) -> Any:
    try:
        card = card_for_till(key=_key(request), serial=serial)
    except CardNotFound as error:
        return Status(404, ErrorResponse(detail=error.message))
    return _answer(card)
