"""The reports' queries: each aggregates in the database, by week, in a fixed number of queries.

Weeks start on Monday (ISO) and are counted in UTC whatever the reader's time
zone, so that a week is the same for every staff member and in the CSV. A
range is whole days: from the first day's midnight to the end of the last.

What each report counts:

- renewals: periods of service paid for by an online checkout or an
  AutoRenew charge (one per device, in the week of the payment; refunded
  ones too, their period stays), or added by a Re-Up card (in the week it
  was redeemed);
- AutoRenew: renewals due (one claim per subscription and period end, by the
  week of the period end), how many were renewed or failed, and the declined
  AutoRenew charges of the week by decline code (retries included);
- trials: free trials started in the week, and how many of them were then
  paid for (a later period from a payment or a Re-Up card);
- churn: periods of service that ended in the week, whose grace days are
  over, and whether another period followed within the grace days;
- revenue: succeeded payments of the week (refunded or not) less what was
  refunded of them, per plan and currency (a payment for several devices is
  split by its items; payments of fees, which have no plan, by their kind);
  never one currency added to another;
- Re-Up redemptions: cards redeemed in the week, by the chain that sold them
  (the chain of the card's batch);
- devices: every device now, by status.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, DateTimeField, Exists, F, OuterRef, Q, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from plugline.billing.declines import DECLINE_REASONS
from plugline.billing.models import (
    Payment,
    PaymentItem,
    PaymentKind,
    PaymentStatus,
    PeriodSource,
    Plan,
    RenewalAttempt,
    SubscriptionPeriod,
)
from plugline.devices.models import Device, DeviceStatus
from plugline.reports.tables import (
    Chart,
    Dataset,
    Table,
    money,
    money_value,
    number,
    percent,
    ratio,
    week_label,
)
from plugline.reup.models import ReupCard, ReupCardStatus

UTC = dt.UTC
# Payments that took money (a refund, whole or part, is taken off them).
PAID_STATUSES = (
    PaymentStatus.SUCCEEDED,
    PaymentStatus.PARTIALLY_REFUNDED,
    PaymentStatus.REFUNDED,
)
# The AutoRenew claims' outcomes (billing.renewals.AttemptStatus).
RENEWED, FAILED = "succeeded", "failed"


@dataclass(frozen=True)
class DateRange:
    start: dt.date
    end: dt.date  # the last day, included

    @property
    def since(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time.min, tzinfo=UTC)

    @property
    def until(self) -> dt.datetime:
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=UTC)

    def weeks(self) -> list[dt.date]:
        """The Mondays of every week the range touches, in order."""
        monday = self.start - dt.timedelta(days=self.start.weekday())
        weeks = []
        while monday <= self.end:
            weeks.append(monday)
            monday += dt.timedelta(weeks=1)
        return weeks


def _week(field: str) -> TruncWeek:
    return TruncWeek(field, tzinfo=UTC, output_field=DateTimeField())


def _monday(value: dt.datetime | dt.date) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _by_week(rows: Any) -> dict[dt.date, dict[str, Any]]:
    return {_monday(row["week"]): row for row in rows}


def renewals_by_channel(period: DateRange) -> Table:
    # A paid item of a checkout or an AutoRenew charge is one device's period of service
    # (applied once); counting the items by their payment's week reads one index and
    # joins one row each, where starting from the periods would join two.
    paid = (
        PaymentItem.objects.filter(
            payment__kind__in=[PaymentKind.CHECKOUT, PaymentKind.AUTORENEW],
            payment__status__in=PAID_STATUSES,
            payment__created_at__gte=period.since,
            payment__created_at__lt=period.until,
        )
        .annotate(week=_week("payment__created_at"))
        .values("week")
        .annotate(
            online=Count("pk", filter=Q(payment__kind=PaymentKind.CHECKOUT)),
            autorenew=Count("pk", filter=Q(payment__kind=PaymentKind.AUTORENEW)),
        )
        .order_by("week")
    )
    cards = (
        SubscriptionPeriod.objects.filter(
            source=PeriodSource.REUP, created_at__gte=period.since, created_at__lt=period.until
        )
        .annotate(week=_week("created_at"))
        .values("week")
        .annotate(reup=Count("pk"))
        .order_by("week")
    )
    counted: dict[dt.date, dict[str, int]] = defaultdict(dict)
    for row in [*paid, *cards]:
        counted[_monday(row["week"])].update(
            {key: value for key, value in row.items() if key != "week"}
        )
    weeks = counted
    channels = [("online", _("Online")), ("autorenew", _("AutoRenew")), ("reup", _("Re-Up"))]
    table = Table(
        caption=_("Renewals per week by channel"),
        columns=[_("Week"), *(label for _key, label in channels), _("Total")],
        rows=[],
    )
    series: dict[str, list[float | int | None]] = {key: [] for key, _label in channels}
    for monday in period.weeks():
        row = weeks.get(monday, {})
        counts = [row.get(key, 0) for key, _label in channels]
        for (key, _label), count in zip(channels, counts, strict=True):
            series[key].append(count)
        table.rows.append([week_label(monday), *map(number, counts), number(sum(counts))])
    table.charts.append(
        Chart(
            labels=[week_label(m) for m in period.weeks()],
            datasets=[Dataset(label, series[key]) for key, label in channels],
            axis=_("Renewals"),
            stacked=True,
        )
    )
    return table


def autorenew_outcomes(period: DateRange) -> Table:
    due = (
        RenewalAttempt.objects.filter(period_end__gte=period.since, period_end__lt=period.until)
        .annotate(week=_week("period_end"))
        .values("week")
        .annotate(
            due=Count("pk"),
            renewed=Count("pk", filter=Q(status=RENEWED)),
            failed=Count("pk", filter=Q(status=FAILED)),
        )
        .order_by("week")
    )
    declines = (
        Payment.objects.filter(
            status=PaymentStatus.DECLINED,
            created_at__gte=period.since,
            created_at__lt=period.until,
            kind=PaymentKind.AUTORENEW,
        )
        .annotate(week=_week("created_at"))
        .values("week", "decline_code")
        .annotate(count=Count("pk"))
        .order_by("week", "decline_code")
    )
    weeks = _by_week(due)
    declined: dict[dt.date, dict[str, int]] = defaultdict(dict)
    for row in declines:
        declined[_monday(row["week"])][row["decline_code"] or "card_declined"] = row["count"]
    codes = sorted({code for counts in declined.values() for code in counts})
    table = Table(
        caption=_("AutoRenew per week: renewals due, their outcome, and declined charges"),
        columns=[
            _("Week"),
            _("Renewals due"),
            _("Renewed"),
            _("Failed"),
            _("Success rate"),
            *(
                _("Declined: %(reason)s") % {"reason": DECLINE_REASONS.get(code, code)}
                for code in codes
            ),
        ],
        rows=[],
    )
    rates: list[float | int | None] = []
    for monday in period.weeks():
        row = weeks.get(monday, {})
        renewed, failed = row.get("renewed", 0), row.get("failed", 0)
        rates.append(ratio(renewed, renewed + failed))
        table.rows.append(
            [
                week_label(monday),
                number(row.get("due", 0)),
                number(renewed),
                number(failed),
                percent(renewed, renewed + failed),
                *(number(declined[monday].get(code, 0)) for code in codes),
            ]
        )
    labels = [week_label(m) for m in period.weeks()]
    table.charts.append(
        Chart(
            labels=labels,
            datasets=[Dataset(_("Success rate"), rates)],
            axis=_("Success rate, in percent"),
            kind="line",
            percent=True,
        )
    )
    if codes:
        table.charts.append(
            Chart(
                labels=labels,
                datasets=[
                    Dataset(
                        str(DECLINE_REASONS.get(code, code)),
                        [declined[m].get(code, 0) for m in period.weeks()],
                    )
                    for code in codes
                ],
                axis=_("Declined charges"),
                stacked=True,
            )
        )
    return table


def trial_conversion(period: DateRange) -> Table:
    paid_later = SubscriptionPeriod.objects.filter(
        subscription=OuterRef("subscription"),
        source__in=[PeriodSource.PAYMENT, PeriodSource.REUP],
        starts_at__gte=OuterRef("starts_at"),
    )
    counted = (
        SubscriptionPeriod.objects.filter(
            source=PeriodSource.TRIAL, created_at__gte=period.since, created_at__lt=period.until
        )
        .annotate(week=_week("created_at"), paid=Exists(paid_later))
        .values("week")
        .annotate(started=Count("pk"), converted=Count("pk", filter=Q(paid=True)))
        .order_by("week")
    )
    weeks = _by_week(counted)
    table = Table(
        caption=_("Free trials started per week and how many became paid service"),
        columns=[_("Week"), _("Trials started"), _("Became paid"), _("Conversion rate")],
        rows=[],
    )
    started_series: list[float | int | None] = []
    converted_series: list[float | int | None] = []
    for monday in period.weeks():
        row = weeks.get(monday, {})
        started, converted = row.get("started", 0), row.get("converted", 0)
        started_series.append(started)
        converted_series.append(converted)
        table.rows.append(
            [week_label(monday), number(started), number(converted), percent(converted, started)]
        )
    table.charts.append(
        Chart(
            labels=[week_label(m) for m in period.weeks()],
            datasets=[
                Dataset(_("Trials started"), started_series),
                Dataset(_("Became paid"), converted_series),
            ],
            axis=_("Trials"),
        )
    )
    return table


def churn(period: DateRange, *, now: dt.datetime | None = None) -> Table:
    now = now or timezone.now()
    grace = dt.timedelta(days=settings.BILLING_GRACE_DAYS)
    followed = SubscriptionPeriod.objects.filter(
        subscription=OuterRef("subscription"),
        starts_at__gte=OuterRef("ends_at"),
        starts_at__lt=OuterRef("ends_at") + grace,
    )
    counted = (
        SubscriptionPeriod.objects.filter(
            ends_at__gte=period.since, ends_at__lt=min(period.until, now - grace)
        )
        .annotate(week=_week("ends_at"), renewed=Exists(followed))
        .values("week")
        .annotate(ended=Count("pk"), renewed_count=Count("pk", filter=Q(renewed=True)))
        .order_by("week")
    )
    weeks = _by_week(counted)
    table = Table(
        caption=_("Churn per week: periods of service that ended, once their grace days were over"),
        columns=[
            _("Week"),
            _("Periods ended"),
            _("Renewed within the grace days"),
            _("Not renewed (churned)"),
            _("Churn rate"),
        ],
        rows=[],
    )
    churned_series: list[float | int | None] = []
    renewed_series: list[float | int | None] = []
    for monday in period.weeks():
        row = weeks.get(monday, {})
        ended, renewed = row.get("ended", 0), row.get("renewed_count", 0)
        churned_series.append(ended - renewed)
        renewed_series.append(renewed)
        table.rows.append(
            [
                week_label(monday),
                number(ended),
                number(renewed),
                number(ended - renewed),
                percent(ended - renewed, ended),
            ]
        )
    table.charts.append(
        Chart(
            labels=[week_label(m) for m in period.weeks()],
            datasets=[
                Dataset(_("Renewed within the grace days"), renewed_series),
                Dataset(_("Not renewed (churned)"), churned_series),
            ],
            axis=_("Periods ended"),
            stacked=True,
        )
    )
    return table


def revenue(period: DateRange) -> Table:
    paid = {
        "payment__status__in": PAID_STATUSES,
        "payment__created_at__gte": period.since,
        "payment__created_at__lt": period.until,
    }
    by_plan = (
        PaymentItem.objects.filter(**paid)
        .annotate(week=_week("payment__created_at"), currency=F("payment__currency"))
        .values("week", "plan", "currency")
        # A part refund is shared among the payment's items in proportion to their amounts.
        .annotate(
            paid=Sum("amount"),
            refunded=Sum(F("amount") * F("payment__refunded_amount") / F("payment__amount")),
        )
        .order_by()
    )
    fees = (
        Payment.objects.filter(
            status__in=PAID_STATUSES, created_at__gte=period.since, created_at__lt=period.until
        )
        .filter(~Exists(PaymentItem.objects.filter(payment=OuterRef("pk"))))
        .annotate(week=_week("created_at"))
        .values("week", "kind", "currency")
        .annotate(paid=Sum("amount"), refunded=Sum("refunded_amount"))
        .order_by()
    )
    lines: list[tuple[dt.date, str, str, int, int]] = []
    plan_rows = list(by_plan)
    plans = Plan.objects.in_bulk({row["plan"] for row in plan_rows})
    for row in plan_rows:
        name = plans[row["plan"]].display_name()
        lines.append((_monday(row["week"]), name, row["currency"], row["paid"], row["refunded"]))
    kinds = dict(PaymentKind.choices)
    for row in fees:
        name = str(capfirst(kinds.get(row["kind"], row["kind"])))
        lines.append((_monday(row["week"]), name, row["currency"], row["paid"], row["refunded"]))
    lines.sort(key=lambda line: (line[0], line[2], line[1]))
    table = Table(
        caption=_("Revenue per week by plan, in each currency: paid, refunded and net"),
        columns=[_("Week"), _("Plan"), _("Currency"), _("Paid"), _("Refunded"), _("Net")],
        rows=[
            [
                week_label(monday),
                name,
                currency,
                money(paid_amount, currency),
                money(refunded, currency),
                money(paid_amount - refunded, currency),
            ]
            for monday, name, currency, paid_amount, refunded in lines
        ],
    )
    # One chart per currency: amounts of different currencies are never added or compared.
    net: dict[str, dict[dt.date, int]] = defaultdict(lambda: defaultdict(int))
    for monday, _name, currency, paid_amount, refunded in lines:
        net[currency][monday] += paid_amount - refunded
    for currency in sorted(net):
        table.charts.append(
            Chart(
                labels=[week_label(m) for m in period.weeks()],
                datasets=[
                    Dataset(
                        _("Net revenue (%(currency)s)") % {"currency": currency},
                        [money_value(net[currency].get(m, 0), currency) for m in period.weeks()],
                    )
                ],
                axis=_("Net revenue (%(currency)s)") % {"currency": currency},
                whole=False,
            )
        )
    return table


def reup_redemptions(period: DateRange) -> Table:
    counted = (
        ReupCard.objects.filter(
            status=ReupCardStatus.REDEEMED,
            redeemed_at__gte=period.since,
            redeemed_at__lt=period.until,
        )
        .annotate(week=_week("redeemed_at"), chain=F("batch__chain__name"))
        .values("week", "chain")
        .annotate(count=Count("pk"))
        .order_by()
    )
    by_week: dict[dt.date, dict[str, int]] = defaultdict(dict)
    for row in counted:
        by_week[_monday(row["week"])][row["chain"]] = row["count"]
    chains = sorted({chain for counts in by_week.values() for chain in counts})
    table = Table(
        caption=_("Re-Up cards redeemed per week, by the chain that sold them"),
        columns=[_("Week"), *chains, _("Total")],
        rows=[
            [
                week_label(monday),
                *(number(by_week[monday].get(chain, 0)) for chain in chains),
                number(sum(by_week[monday].values())),
            ]
            for monday in period.weeks()
        ],
    )
    table.charts.append(
        Chart(
            labels=[week_label(m) for m in period.weeks()],
            datasets=[
                Dataset(chain, [by_week[m].get(chain, 0) for m in period.weeks()])
                for chain in chains
            ],
            axis=_("Cards redeemed"),
            stacked=True,
        )
    )
    return table


def devices_by_status() -> Table:
    counted = {
        row["status"]: row["count"]
        for row in Device.objects.values("status").annotate(count=Count("pk")).order_by()
    }
    statuses = list(DeviceStatus)
    table = Table(
        caption=_("Devices now, by status"),
        columns=[_("Status"), _("Devices")],
        rows=[
            [str(capfirst(status.label)), number(counted.get(status.value, 0))]
            for status in statuses
        ],
    )
    table.charts.append(
        Chart(
            labels=[str(capfirst(status.label)) for status in statuses],
            datasets=[Dataset(_("Devices"), [counted.get(s.value, 0) for s in statuses])],
            axis=_("Devices"),
        )
    )
    return table
