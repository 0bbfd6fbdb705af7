"""Demo history for the reports (seed_demo, DEBUG only): 40 customers over the last 26 weeks.

Their devices renew online, by AutoRenew (some declined, softly or for good)
and with Re-Up cards sold by two chains; some start free trials that convert
or do not; some services end and are not renewed; a few payments are partly
refunded; a few customers pay in Canadian dollars or Danish kroner. The
history is made from a fixed random seed, with dates counted from the
Monday of the current week, and written in bulk (a few statements per
table). Running it again in the same week changes nothing; in a later week
it is written again, so that the last weeks always have history.

It touches only its own rows: accounts `history-NN@example.com`, devices
`PLH...`, payments `demo-history-...` and a Re-Up batch per chain noted
`Demo history ...`; never the demo subscriber's devices or payments.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.db import transaction

from plugline.accounts.models import User
from plugline.billing.models import (
    Payment,
    PaymentItem,
    PaymentKind,
    PaymentStatus,
    PeriodSource,
    Plan,
    PlanPrice,
    Refund,
    RenewalAttempt,
    Subscription,
    SubscriptionPeriod,
)
from plugline.devices.models import Device, DeviceStatus
from plugline.devices.services import device_model_default
from plugline.reup.models import ReupBatch, ReupCard, ReupCardStatus
from plugline.stores.models import RetailChain

HISTORY_CUSTOMERS = 40
HISTORY_WEEKS = 26
HISTORY_EMAIL = "history-{:02d}@example.com"
HISTORY_SERIAL_PREFIX = "PLH"
HISTORY_SERIAL = HISTORY_SERIAL_PREFIX + "{:07d}"
HISTORY_CARD_PREFIX = "RHDEMO"
HISTORY_KEY = "demo-history-"
HISTORY_NOTE = "Demo history of the reports, from {:%Y-%m-%d}"
HISTORY_CHAINS = ("cornermart", "kiosk24")
HISTORY_PLANS = ("1-year", "5-years")
FIRST_NAMES = ["Ava", "Louis", "Freja", "Noah", "Chloé", "Magnus", "Mia", "Gabriel", "Ida", "Liam"]
LAST_NAMES = ["Martin", "Tremblay", "Nielsen", "Smith", "Gagnon", "Jensen", "Brown", "Roy"]
LANGUAGES = ["en", "fr", "da"]
DAY = dt.timedelta(days=1)
YEAR = dt.timedelta(days=365)


def history_anchor(now: dt.datetime) -> dt.datetime:
    """The Monday of `now`'s week at midnight UTC: the history's dates count from it."""
    day = now.astimezone(dt.UTC).date()
    return dt.datetime.combine(day - dt.timedelta(days=day.weekday()), dt.time(), tzinfo=dt.UTC)


@dataclass
class _Rows:
    users: list[User] = field(default_factory=list)
    devices: list[Device] = field(default_factory=list)
    subscriptions: list[Subscription] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    items: list[PaymentItem] = field(default_factory=list)
    periods: list[SubscriptionPeriod] = field(default_factory=list)
    attempts: list[RenewalAttempt] = field(default_factory=list)
    cards: list[ReupCard] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)


@transaction.atomic
def demo_history_seed(*, now: dt.datetime) -> bool:
    """Write the reports' demo history unless this week's is there; whether it wrote it."""
    anchor = history_anchor(now)
    note = HISTORY_NOTE.format(anchor)
    written = ReupBatch.objects.filter(note=note).count() == len(HISTORY_CHAINS)
    if written and User.objects.filter(original_email=HISTORY_EMAIL.format(0)).exists():
        return False
    demo_history_remove()
    _write(_history(anchor=anchor, now=now, note=note))
    return True


def demo_history_remove() -> None:
    """Every row of the demo history, whichever week it was written in."""
    batches = ReupBatch.objects.filter(note__startswith=HISTORY_NOTE.split("{")[0])
    subscriptions = Subscription.objects.filter(device__serial__startswith=HISTORY_SERIAL_PREFIX)
    payments = Payment.objects.filter(idempotency_key__startswith=HISTORY_KEY)
    ReupCard.objects.filter(batch__in=batches).delete()
    RenewalAttempt.objects.filter(subscription__in=subscriptions).delete()
    SubscriptionPeriod.objects.filter(subscription__in=subscriptions).delete()
    PaymentItem.objects.filter(subscription__in=subscriptions).delete()
    Refund.objects.filter(payment__in=payments).delete()
    payments.delete()
    subscriptions.delete()
    Device.objects.filter(serial__startswith=HISTORY_SERIAL_PREFIX).delete()
    batches.delete()
    User.objects.filter(original_email__regex=r"^history-[0-9]+@example\.com$").delete()


def _history(*, anchor: dt.datetime, now: dt.datetime, note: str) -> _Rows:
    rng = random.Random(20260101)  # noqa: S311 (demo data: the same history on every run)
    rows = _Rows()
    plans = {plan.code: plan for plan in Plan.objects.filter(code__in=HISTORY_PLANS)}
    prices = {
        (price.plan.code, price.currency): price.amount
        for price in PlanPrice.objects.filter(plan__code__in=HISTORY_PLANS).select_related("plan")
    }
    chains = [RetailChain.objects.get(code=code) for code in HISTORY_CHAINS]
    batches = {
        chain.pk: ReupBatch(chain=chain, plan=plans["1-year"], count=1, note=note)
        for chain in chains
    }
    model = device_model_default()
    password = make_password(None)
    start = anchor - dt.timedelta(weeks=HISTORY_WEEKS)
    latest = now - DAY
    serials = 0
    for index in range(HISTORY_CUSTOMERS):
        email = HISTORY_EMAIL.format(index)
        user = User(
            email=email,
            original_email=email,
            password=password,
            first_name=FIRST_NAMES[index % len(FIRST_NAMES)],
            last_name=LAST_NAMES[index % len(LAST_NAMES)],
            language=LANGUAGES[index % len(LANGUAGES)],
            date_joined=start - YEAR,
        )
        rows.users.append(user)
        currency = {3: "CAD", 4: "DKK"}.get(index % 5, "USD")
        for _device in range(1 + index % 3):
            serials += 1
            device = Device(
                serial=HISTORY_SERIAL.format(serials),
                model=model,
                status=DeviceStatus.ACTIVE,
                owner=user,
                activated_at=start - YEAR,
            )
            rows.devices.append(device)
            plan = plans["5-years" if serials % 9 == 0 else "1-year"]
            sub = Subscription(device=device, plan=plan)
            rows.subscriptions.append(sub)
            # The device's moment in the 26 weeks: its trial start or its service's end.
            when = start + (latest - start) * rng.random()
            amount = prices[(plan.code, currency)]
            story = _Story(rows, rng, user=user, sub=sub, plan=plan, currency=currency, now=now)
            kind = serials % 4
            if kind == 0:
                story.trial(when, amount)
            elif kind == 1:
                story.online(when, amount, refund=serials % 5 == 1)
            elif kind == 2:
                story.autorenew(when, amount)
            else:
                chain = chains[(serials // 4) % 2]
                story.reup(when, batches[chain.pk], number=serials)
    for batch in batches.values():
        batch.count = max(1, sum(1 for card in rows.cards if card.batch is batch))
    ReupBatch.objects.bulk_create(batches.values())
    return rows


@dataclass
class _Story:
    rows: _Rows
    rng: random.Random
    user: User
    sub: Subscription
    plan: Plan
    currency: str
    now: dt.datetime

    def _period(
        self,
        source: PeriodSource,
        starts: dt.datetime,
        ends: dt.datetime,
        *,
        created: dt.datetime,
        paid: PaymentItem | None = None,
    ) -> SubscriptionPeriod:
        period = SubscriptionPeriod(
            subscription=self.sub,
            plan=None if source == PeriodSource.INCLUDED else self.plan,
            starts_at=starts,
            ends_at=ends,
            source=source,
            payment_item=paid,
            created_at=created,
        )
        self.rows.periods.append(period)
        self.sub.ends_at = ends
        return period

    def _payment(
        self,
        kind: PaymentKind,
        amount: int,
        when: dt.datetime,
        *,
        status: PaymentStatus = PaymentStatus.SUCCEEDED,
        decline_code: str = "",
    ) -> Payment:
        payment = Payment(
            user=self.user,
            kind=kind,
            idempotency_key=f"{HISTORY_KEY}{self.sub.device.serial}-{len(self.rows.payments)}",
            amount=amount,
            currency=self.currency,
            status=status,
            gateway="sandbox",
            card_brand="Visa",
            card_last4="4242",
            decline_code=decline_code,
            created_at=when,
            settled_at=when,
        )
        self.rows.payments.append(payment)
        return payment

    def _paid_period(
        self, kind: PaymentKind, amount: int, paid_at: dt.datetime, starts: dt.datetime
    ) -> Payment:
        payment = self._payment(kind, amount, paid_at)
        item = PaymentItem(payment=payment, subscription=self.sub, plan=self.plan, amount=amount)
        self.rows.items.append(item)
        ends = starts + dt.timedelta(days=round(self.plan.months * 365 / 12))
        self._period(PeriodSource.PAYMENT, starts, ends, created=paid_at, paid=item)
        return payment

    def _included(self, ends: dt.datetime) -> None:
        self._period(PeriodSource.INCLUDED, ends - YEAR, ends, created=ends - YEAR)

    def trial(self, started: dt.datetime, amount: int) -> None:
        ends = started + dt.timedelta(days=30)
        self._period(PeriodSource.TRIAL, started, ends, created=started)
        self.sub.trial_ends_at = ends
        if ends < self.now and self.rng.random() < 0.6:
            self._paid_period(PaymentKind.TRIAL_CONVERSION, amount, ends, ends)

    def online(self, ends: dt.datetime, amount: int, *, refund: bool) -> None:
        self._included(ends)
        if self.rng.random() < 0.75:
            paid_at = min(ends - self.rng.randint(0, 20) * DAY, self.now - DAY)
            payment = self._paid_period(PaymentKind.CHECKOUT, amount, paid_at, ends)
            if refund:
                payment.refunded_amount = amount // 4
                payment.status = PaymentStatus.PARTIALLY_REFUNDED
                self.rows.refunds.append(
                    Refund(
                        payment=payment,
                        amount=amount // 4,
                        reason="Goodwill: a week without service",
                        idempotency_key=f"{payment.idempotency_key}-refund",
                        status="succeeded",
                    )
                )

    def autorenew(self, ends: dt.datetime, amount: int) -> None:
        self._included(ends)
        self.sub.autorenew = True
        self.sub.autorenew_plan = self.plan
        tried = ends - 3 * DAY
        outcome = self.rng.random()
        attempt = RenewalAttempt(
            subscription=self.sub, period_end=ends, attempts=1, status="succeeded"
        )
        if outcome < 0.25:  # declined for good: the service ends
            code = self.rng.choice(["card_declined", "expired_card"])
            self._payment(
                PaymentKind.AUTORENEW,
                amount,
                tried,
                status=PaymentStatus.DECLINED,
                decline_code=code,
            )
            attempt.status = "failed"
        else:
            if outcome < 0.45:  # a soft decline, then paid on the retry a day later
                self._payment(
                    PaymentKind.AUTORENEW,
                    amount,
                    tried,
                    status=PaymentStatus.DECLINED,
                    decline_code="insufficient_funds",
                )
                attempt.attempts = 2
                tried += DAY
            attempt.payment = self._paid_period(PaymentKind.AUTORENEW, amount, tried, ends)
        self.rows.attempts.append(attempt)

    def reup(self, ends: dt.datetime, batch: ReupBatch, *, number: int) -> None:
        self._included(ends)
        if self.rng.random() < 0.85:
            redeemed = min(ends - self.rng.randint(0, 10) * DAY, self.now - DAY)
            period = self._period(PeriodSource.REUP, ends, ends + YEAR, created=redeemed)
            self.rows.cards.append(
                ReupCard(
                    batch=batch,
                    serial=f"{HISTORY_CARD_PREFIX}{number:06d}",
                    status=ReupCardStatus.REDEEMED,
                    activated_at=redeemed - 2 * DAY,
                    redeemed_at=redeemed,
                    redeemed_by=self.user,
                    period=period,
                )
            )


def _write(rows: _Rows) -> None:
    """In bulk; the dates the history gives are set again after the inserts, which would
    stamp `created_at` with the present (auto_now_add)."""
    User.objects.bulk_create(rows.users)
    EmailAddress.objects.bulk_create(
        EmailAddress(user=user, email=user.email, verified=True, primary=True)
        for user in rows.users
    )
    Device.objects.bulk_create(rows.devices)
    Subscription.objects.bulk_create(rows.subscriptions)
    created = {id(payment): payment.created_at for payment in rows.payments}
    Payment.objects.bulk_create(rows.payments)
    for payment in rows.payments:
        payment.created_at = created[id(payment)]
    Payment.objects.bulk_update(rows.payments, ["created_at"], batch_size=500)
    PaymentItem.objects.bulk_create(rows.items)
    started = {id(period): period.created_at for period in rows.periods}
    SubscriptionPeriod.objects.bulk_create(rows.periods)
    for period in rows.periods:
        period.created_at = started[id(period)]
    SubscriptionPeriod.objects.bulk_update(rows.periods, ["created_at"], batch_size=500)
    RenewalAttempt.objects.bulk_create(rows.attempts)
    ReupCard.objects.bulk_create(rows.cards)
    Refund.objects.bulk_create(rows.refunds)
