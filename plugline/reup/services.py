"""Writes of Re-Up cards on the staff and retailer side: batches, the printer file, the till.

- `batch_create` makes a batch's cards, printed, each with a serial (not secret)
  and no PIN yet.
- `batch_export` makes the PINs, once per batch: the batch is claimed by a
  conditional UPDATE (`exported_at IS NULL`), so two downloads at the same
  time cannot both get PINs; only the keyed hashes are stored, and the PINs
  go to the caller, who writes the printer file and forgets them.
- `card_activate` and `card_void` are what the till asks through the POS API,
  for its own chain's cards only; both idempotent, both conditional updates.
- Retailer API keys: "plr_<prefix>_<secret>", shown once, stored as the
  secret's SHA-256 (the secret is 256 random bits: nothing to brute-force).

Nothing here logs or stores a PIN or a key's secret in clear.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import IO

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from plugline.billing.models import Plan
from plugline.core.models import AuditAction
from plugline.core.services import audit_record
from plugline.reup import pins
from plugline.reup.models import (
    RetailerApiKey,
    ReupBatch,
    ReupBatchKind,
    ReupCard,
    ReupCardStatus,
)
from plugline.stores.models import RetailChain

BATCH_MAX_CARDS = 100_000
SERIAL_PREFIX = "RU"
KEY_PREFIX = "plr"
# last_used_at is written at most this often per key, not on every request.
KEY_LAST_USED_EVERY = timedelta(minutes=5)
_CHUNK = 2000


class ReupError(Exception):
    """A refusal with a message for the person (or the till) who asked."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BatchAlreadyExported(ReupError):
    pass


class CardNotFound(ReupError):
    pass


class CardConflict(ReupError):
    pass


# -- serials -------------------------------------------------------------------------------


def _luhn_digit(digits: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def serial_new() -> str:
    """ "RU" + 9 random digits + a check digit (catches most typing mistakes at the till)."""
    body = f"{secrets.randbelow(10**9):09d}"
    return f"{SERIAL_PREFIX}{body}{_luhn_digit(body)}"


def serial_normalize(raw: str) -> str:
    return "".join(ch for ch in raw.upper() if ch.isalnum())[:20]


def _taken(field: str, values: list[str]) -> set[str]:
    taken: set[str] = set()
    for i in range(0, len(values), _CHUNK):
        chunk = values[i : i + _CHUNK]
        taken.update(
            ReupCard.objects.filter(**{f"{field}__in": chunk}).values_list(field, flat=True)
        )
    return taken


def _serials_new(count: int) -> list[str]:
    serials: set[str] = set()
    while len(serials) < count:
        fresh = {serial_new() for _ in range(count - len(serials))}
        serials |= fresh - _taken("serial", sorted(fresh))
    return sorted(serials)


# -- batches -------------------------------------------------------------------------------


def batch_create(
    *,
    chain: RetailChain,
    plan: Plan | None = None,
    minutes_amount: int | None = None,
    count: int,
    note: str = "",
    actor: AbstractBaseUser | None = None,
    request: HttpRequest | None = None,
) -> ReupBatch:
    """A batch of `count` printed cards (serials only: the PINs come with the printer file).

    The cards give either a plan's period (`plan`) or international minutes
    (`minutes_amount`, in minor units of the billing currency), never both.
    """
    if count <= 0 or count > BATCH_MAX_CARDS:
        raise ReupError(
            _("The number of cards must be between 1 and %(max)s.") % {"max": BATCH_MAX_CARDS}
        )
    if (plan is None) == (minutes_amount is None):
        raise ReupError(_("Choose what the cards give: a plan, or an amount of minutes."))
    if minutes_amount is not None and minutes_amount <= 0:
        raise ReupError(_("The amount of minutes must be more than zero."))
    for _attempt in range(5):
        try:
            with transaction.atomic():
                batch = ReupBatch.objects.create(
                    chain=chain,
                    kind=ReupBatchKind.SERVICE if plan is not None else ReupBatchKind.MINUTES,
                    plan=plan,
                    minutes_amount=minutes_amount,
                    minutes_currency=settings.BILLING_CURRENCY if minutes_amount else "",
                    count=count,
                    note=note,
                    created_by_id=actor.pk if actor is not None else None,
                )
                ReupCard.objects.bulk_create(
                    [ReupCard(batch=batch, serial=serial) for serial in _serials_new(count)],
                    batch_size=_CHUNK,
                )
                audit_record(
                    action=AuditAction.REUP_BATCH_CREATED,
                    actor=actor,
                    request=request,
                    data={
                        "batch": batch.pk,
                        "chain": chain.code,
                        "plan": batch.gives_code,
                        "count": count,
                    },
                )
                return batch
        except IntegrityError:
            # Another batch took one of the serials between the check and the insert.
            continue
    raise ReupError(_("The cards could not be made. Try again."))


@dataclass(frozen=True)
class PrinterFile:
    batch: ReupBatch
    rows: list[tuple[str, str]]  # (serial, PIN)

    def filename(self) -> str:
        return f"reup-batch-{self.batch.pk}-{self.batch.chain.code}-{self.batch.gives_code}.csv"

    def write_csv(self, out: IO[str]) -> None:
        writer = csv.writer(out)
        writer.writerows(self.csv_rows())

    def csv_rows(self) -> Iterable[list[str]]:
        yield ["serial", "pin", "plan", "chain"]
        plan, chain = self.batch.gives_code, self.batch.chain.code
        for serial, pin in self.rows:
            yield [serial, pin, plan, chain]


def batch_export(
    *,
    batch: ReupBatch,
    actor: AbstractBaseUser | None = None,
    request: HttpRequest | None = None,
) -> PrinterFile:
    """The batch's PINs, made now and never again: claimed once, only their hashes kept.

    Raises BatchAlreadyExported for every call after the first, including one
    that ran at the same time (the claim is a conditional UPDATE, in the same
    transaction as the hashes: if writing them fails, nothing was claimed).
    """
    for _attempt in range(5):
        try:
            with transaction.atomic():
                now = timezone.now()
                claimed = ReupBatch.objects.filter(pk=batch.pk, exported_at__isnull=True).update(
                    exported_at=now, exported_by_id=actor.pk if actor is not None else None
                )
                if not claimed:
                    raise BatchAlreadyExported(
                        _(
                            "The printer file of this batch was already downloaded; its PINs "
                            "cannot be shown again. Void the batch and create a new one."
                        )
                    )
                cards = list(
                    ReupCard.objects.filter(
                        batch=batch, status=ReupCardStatus.PRINTED, pin_hash__isnull=True
                    ).only("pk", "serial")
                )
                rows = _pins_assign(cards)
                audit_record(
                    action=AuditAction.REUP_BATCH_EXPORTED,
                    actor=actor,
                    request=request,
                    data={"batch": batch.pk, "chain": batch.chain.code, "cards": len(rows)},
                )
        except IntegrityError:
            # A PIN's hash was taken by another batch's export at this very moment.
            continue
        batch.refresh_from_db()
        return PrinterFile(batch=batch, rows=rows)
    raise ReupError(_("The printer file could not be made. Try again."))


def _pins_assign(cards: list[ReupCard]) -> list[tuple[str, str]]:
    by_hash: dict[str, tuple[ReupCard, str]] = {}
    pending = cards
    while pending:
        fresh: dict[str, tuple[ReupCard, str]] = {}
        for card in pending:
            pin = pins.pin_generate()
            fresh[pins.pin_hash(pin)] = (card, pin)
        taken = _taken("pin_hash", list(fresh)) | (fresh.keys() & by_hash.keys())
        assigned = {card.pk for h, (card, _pin) in fresh.items() if h not in taken}
        by_hash.update((h, v) for h, v in fresh.items() if h not in taken)
        pending = [card for card in pending if card.pk not in assigned]
    # One statement executed for many rows (bulk_update's CASE per row is slow at 10,000).
    table = connection.ops.quote_name(ReupCard._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET pin_hash = %s WHERE id = %s",  # noqa: S608 - names only
            [(pin_hash, card.pk) for pin_hash, (card, _pin) in by_hash.items()],
        )
    return sorted((card.serial, pin) for card, pin in by_hash.values())


def batch_void(
    *,
    batch: ReupBatch,
    actor: AbstractBaseUser | None = None,
    request: HttpRequest | None = None,
) -> int:
    """Void the batch's unsold (printed) cards; the number voided."""
    with transaction.atomic():
        voided = ReupCard.objects.filter(batch=batch, status=ReupCardStatus.PRINTED).update(
            status=ReupCardStatus.VOIDED, voided_at=timezone.now()
        )
        if voided:
            audit_record(
                action=AuditAction.REUP_CARD_VOIDED,
                actor=actor,
                request=request,
                data={"batch": batch.pk, "chain": batch.chain.code, "cards": voided},
            )
    return voided


def card_void_by_staff(
    *, card: ReupCard, actor: AbstractBaseUser | None, request: HttpRequest | None = None
) -> bool:
    """Void a printed or sold card from the admin; False if it was redeemed or already void."""
    with transaction.atomic():
        voided = ReupCard.objects.filter(
            pk=card.pk, status__in=[ReupCardStatus.PRINTED, ReupCardStatus.ACTIVATED]
        ).update(status=ReupCardStatus.VOIDED, voided_at=timezone.now())
        if voided:
            audit_record(
                action=AuditAction.REUP_CARD_VOIDED,
                actor=actor,
                request=request,
                data={"serial": card.serial, "chain": card.batch.chain.code},
            )
    return bool(voided)


# -- the till ------------------------------------------------------------------------------


def _card_for_key(key: RetailerApiKey, serial: str) -> ReupCard:
    card = (
        ReupCard.objects.select_related("batch__plan", "batch__chain")
        .filter(serial=serial_normalize(serial), batch__chain_id=key.chain_id)
        .first()
    )
    if card is None:
        # Another chain's card answers exactly as a serial that does not exist.
        raise CardNotFound(_("No card with this serial."))
    return card


def _till_audit(
    action: AuditAction, card: ReupCard, key: RetailerApiKey, request: HttpRequest | None
) -> None:
    audit_record(
        action=action,
        request=request,
        data={"serial": card.serial, "chain": card.batch.chain.code, "key": key.prefix},
    )


def card_activate(
    *, key: RetailerApiKey, serial: str, request: HttpRequest | None = None
) -> ReupCard:
    """Sell a card: printed -> activated. Activating it again answers the same.

    A card already redeemed was sold, so a till retrying its activation (its
    first answer lost) is told it succeeded, with the card's status.
    """
    card = _card_for_key(key, serial)
    with transaction.atomic():
        activated = ReupCard.objects.filter(
            pk=card.pk, status=ReupCardStatus.PRINTED, pin_hash__isnull=False
        ).update(status=ReupCardStatus.ACTIVATED, activated_at=timezone.now(), activated_by=key)
        card.refresh_from_db()
        if activated:
            _till_audit(AuditAction.REUP_CARD_ACTIVATED, card, key, request)
            return card
    if card.status in (ReupCardStatus.ACTIVATED, ReupCardStatus.REDEEMED):
        return card
    if card.status == ReupCardStatus.PRINTED:
        raise CardConflict(
            _("This card has no PIN yet: its batch's printer file was never made. Do not sell it.")
        )
    raise CardConflict(_("This card was voided and cannot be sold."))


def card_void(*, key: RetailerApiKey, serial: str, request: HttpRequest | None = None) -> ReupCard:
    """Void a card returned at the till (printed or sold). Voiding it again answers the same."""
    card = _card_for_key(key, serial)
    with transaction.atomic():
        voided = ReupCard.objects.filter(
            pk=card.pk, status__in=[ReupCardStatus.PRINTED, ReupCardStatus.ACTIVATED]
        ).update(status=ReupCardStatus.VOIDED, voided_at=timezone.now())
        card.refresh_from_db()
        if voided:
            _till_audit(AuditAction.REUP_CARD_VOIDED, card, key, request)
            return card
    if card.status == ReupCardStatus.VOIDED:
        return card
    raise CardConflict(_("This card was already redeemed and cannot be voided."))


def card_for_till(*, key: RetailerApiKey, serial: str) -> ReupCard:
    return _card_for_key(key, serial)


# -- retailer API keys ---------------------------------------------------------------------


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_key_create(
    *,
    chain: RetailChain,
    name: str,
    actor: AbstractBaseUser | None = None,
    request: HttpRequest | None = None,
) -> tuple[RetailerApiKey, str]:
    """A new key for `chain`: (its row, the key in clear: shown once, never stored)."""
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        key = RetailerApiKey.objects.create(
            chain=chain,
            name=name,
            prefix=secrets.token_hex(6),
            secret_hash=_secret_hash(secret),
            created_by_id=actor.pk if actor is not None else None,
        )
        audit_record(
            action=AuditAction.RETAILER_KEY_CREATED,
            actor=actor,
            request=request,
            data={"chain": chain.code, "key": key.prefix, "name": name},
        )
    return key, f"{KEY_PREFIX}_{key.prefix}_{secret}"


def api_key_revoke(
    *,
    key: RetailerApiKey,
    actor: AbstractBaseUser | None = None,
    request: HttpRequest | None = None,
) -> bool:
    """Revoke the key at once; False if it already was."""
    with transaction.atomic():
        revoked = RetailerApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if revoked:
            audit_record(
                action=AuditAction.RETAILER_KEY_REVOKED,
                actor=actor,
                request=request,
                data={"chain": key.chain.code, "key": key.prefix, "name": key.name},
            )
    key.refresh_from_db()
    return bool(revoked)


def api_key_authenticate(raw: str) -> RetailerApiKey | None:
    """The key `raw` is, if it is one and not revoked."""
    parts = raw.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    key = RetailerApiKey.objects.select_related("chain").filter(prefix=parts[1]).first()
    if key is None or key.revoked_at is not None:
        return None
    if not hmac.compare_digest(key.secret_hash, _secret_hash(parts[2])):
        return None
    now = timezone.now()
    if key.last_used_at is None or key.last_used_at < now - KEY_LAST_USED_EVERY:
        RetailerApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key
