"""Re-Up data for tests: chains, batches, cards with a known PIN, retailer keys.

A card with a PIN is made as the printer file makes it: a PIN from the
cryptographic generator, only its keyed hash stored. The PIN is handed back
to the test, as the printed card hands it to a customer.
"""

from __future__ import annotations

import itertools

from django.utils import timezone

from plugline.billing.models import PeriodSource, Plan, Subscription, SubscriptionPeriod
from plugline.billing.periods import add_months
from plugline.billing.tests.factories import make_plan
from plugline.reup import pins
from plugline.reup.models import ReupBatch, ReupBatchKind, ReupCard, ReupCardStatus
from plugline.stores.models import RetailChain

_serials = itertools.count(1)


def _next_serial() -> str:
    # "RT" keeps test cards apart from the "RU" serials batch_create gives.
    while True:
        serial = f"RT{next(_serials):010d}"
        if not ReupCard.objects.filter(serial=serial).exists():
            return serial


def make_chain(code: str = "corner-shop", *, name: str | None = None) -> RetailChain:
    chain, _ = RetailChain.objects.get_or_create(
        code=code, defaults={"name": name or code.replace("-", " ").title()}
    )
    return chain


def make_batch(
    *,
    chain: RetailChain | None = None,
    plan: Plan | None = None,
    count: int = 3,
    note: str = "",
) -> ReupBatch:
    """A batch of `count` printed cards (no PINs yet: its printer file not downloaded)."""
    from plugline.reup.services import batch_create

    return batch_create(
        chain=chain or make_chain(), plan=plan or make_plan(), count=count, note=note
    )


def make_card_with_pin(
    *,
    plan: Plan | None = None,
    chain: RetailChain | None = None,
    status: ReupCardStatus = ReupCardStatus.ACTIVATED,
    pin: str | None = None,
) -> tuple[ReupCard, str]:
    """One card in `status` whose PIN is known: (card, the PIN's 16 digits)."""
    now = timezone.now()
    batch = ReupBatch.objects.create(
        chain=chain or make_chain(),
        plan=plan or make_plan(),
        count=1,
        exported_at=now,
    )
    pin = pin or pins.pin_generate()
    card = ReupCard.objects.create(
        batch=batch,
        serial=_next_serial(),
        pin_hash=pins.pin_hash(pin),
        status=status,
        activated_at=now if status in (ReupCardStatus.ACTIVATED, ReupCardStatus.REDEEMED) else None,
        voided_at=now if status == ReupCardStatus.VOIDED else None,
    )
    return card, pin


def make_activated_card(
    *, plan: Plan | None = None, chain: RetailChain | None = None
) -> tuple[ReupCard, str]:
    """A sold card, ready to redeem: (card, PIN)."""
    return make_card_with_pin(plan=plan, chain=chain, status=ReupCardStatus.ACTIVATED)


def make_printed_card(
    *, plan: Plan | None = None, chain: RetailChain | None = None
) -> tuple[ReupCard, str]:
    """A card still on the shelf (never activated), with its PIN: (card, PIN)."""
    return make_card_with_pin(plan=plan, chain=chain, status=ReupCardStatus.PRINTED)


def make_redeemed_card(
    *, subscription: Subscription, plan: Plan | None = None, chain: RetailChain | None = None
) -> tuple[ReupCard, str]:
    """A card already used on `subscription`, its period recorded: (card, PIN)."""
    card, pin = make_card_with_pin(plan=plan, chain=chain, status=ReupCardStatus.ACTIVATED)
    plan = card.batch.plan
    assert plan is not None
    starts_at = subscription.ends_at or timezone.now()
    period = SubscriptionPeriod.objects.create(
        subscription=subscription,
        plan=plan,
        starts_at=starts_at,
        ends_at=add_months(starts_at, plan.months),
        source=PeriodSource.REUP,
    )
    ReupCard.objects.filter(pk=card.pk).update(
        status=ReupCardStatus.REDEEMED, redeemed_at=timezone.now(), period=period
    )
    card.refresh_from_db()
    return card, pin


def make_activated_minutes_card(
    *, amount: int = 1000, chain: RetailChain | None = None
) -> tuple[ReupCard, str]:
    """A sold card of international minutes (`amount` in minor units of USD): (card, PIN)."""
    now = timezone.now()
    batch = ReupBatch.objects.create(
        chain=chain or make_chain(),
        kind=ReupBatchKind.MINUTES,
        minutes_amount=amount,
        minutes_currency="USD",
        count=1,
        exported_at=now,
    )
    pin = pins.pin_generate()
    card = ReupCard.objects.create(
        batch=batch,
        serial=_next_serial(),
        pin_hash=pins.pin_hash(pin),
        status=ReupCardStatus.ACTIVATED,
        activated_at=now,
    )
    return card, pin
