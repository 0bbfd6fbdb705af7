"""Each report's figures on a small hand-made history, exactly."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from plugline.billing.models import PaymentKind, PaymentStatus, PeriodSource, RenewalAttempt
from plugline.core.money import money_format
from plugline.devices.models import DeviceStatus
from plugline.reports import selectors
from plugline.reports.selectors import DateRange
from plugline.reports.tables import csv_cell
from plugline.reports.tests import history as h
from plugline.reports.tests.history import WEEK_1, WEEK_2, at
from plugline.reup.models import ReupBatch, ReupCard, ReupCardStatus
from plugline.stores.models import RetailChain

pytestmark = pytest.mark.django_db

TWO_WEEKS = DateRange(start=WEEK_1, end=WEEK_2 + dt.timedelta(days=6))
W1, W2 = "Mar 3, 2025", "Mar 10, 2025"


def test_it_counts_renewals_per_week_by_channel() -> None:
    for days in (0, 2):
        h.period(h.subscription(), source=PeriodSource.PAYMENT, starts=at(WEEK_1, days=days))
    h.period(
        h.subscription(),
        source=PeriodSource.PAYMENT,
        starts=at(WEEK_1, days=30),  # the new period starts later: counted when it was paid
        created=at(WEEK_1, days=6, hour=23),
        kind=PaymentKind.AUTORENEW,
    )
    h.period(h.subscription(), source=PeriodSource.REUP, starts=at(WEEK_1, days=1))
    h.period(h.subscription(), source=PeriodSource.REUP, starts=at(WEEK_2, days=6, hour=23))
    # Not renewals, or not in the range.
    h.period(
        h.subscription(),
        source=PeriodSource.PAYMENT,
        starts=at(WEEK_1),
        kind=PaymentKind.TRIAL_CONVERSION,
    )
    h.period(h.subscription(), source=PeriodSource.STAFF, starts=at(WEEK_1))
    h.period(h.subscription(), source=PeriodSource.TRIAL, starts=at(WEEK_1))
    h.period(h.subscription(), source=PeriodSource.PAYMENT, starts=at(WEEK_1, days=-1))
    h.period(h.subscription(), source=PeriodSource.REUP, starts=at(WEEK_2, days=7, hour=0))
    declined = h.payment(created=at(WEEK_1), status=PaymentStatus.DECLINED)
    h.item(declined, subscription=h.subscription(), plan=h.plan(), amount=declined.amount)

    table = selectors.renewals_by_channel(TWO_WEEKS)

    assert table.columns == ["Week", "Online", "AutoRenew", "Re-Up", "Total"]
    assert table.rows == [[W1, "2", "1", "1", "4"], [W2, "0", "0", "1", "1"]]
    assert table.charts[0].datasets[0].data == [2, 0]


def test_it_gives_autorenew_success_rate_and_decline_reasons() -> None:
    for status in ("succeeded", "succeeded", "failed", "retry"):
        RenewalAttempt.objects.create(
            subscription=h.subscription(), period_end=at(WEEK_1, days=3), status=status
        )
    RenewalAttempt.objects.create(
        subscription=h.subscription(), period_end=at(WEEK_2, days=8), status="failed"
    )
    for created, code in [(at(WEEK_1), "insufficient_funds")] * 2 + [(at(WEEK_2), "")]:
        h.payment(
            created=created,
            kind=PaymentKind.AUTORENEW,
            status=PaymentStatus.DECLINED,
            decline_code=code,
        )
    h.payment(
        created=at(WEEK_1),
        kind=PaymentKind.CHECKOUT,
        status=PaymentStatus.DECLINED,
        decline_code="expired_card",
    )

    table = selectors.autorenew_outcomes(TWO_WEEKS)

    assert table.columns == [
        "Week",
        "Renewals due",
        "Renewed",
        "Failed",
        "Success rate",
        "Declined: card declined",
        "Declined: insufficient funds",
    ]
    assert table.rows == [
        [W1, "4", "2", "1", "66.7%", "0", "2"],
        [W2, "0", "0", "0", "\N{EN DASH}", "1", "0"],
    ]
    assert table.charts[0].datasets[0].data == [66.7, None]


def test_it_counts_trials_that_became_paid_service() -> None:
    converted_by_payment = h.subscription()
    trial = h.period(
        converted_by_payment,
        source=PeriodSource.TRIAL,
        starts=at(WEEK_1),
        ends=at(WEEK_1, days=30),
    )
    h.period(
        converted_by_payment,
        source=PeriodSource.PAYMENT,
        starts=trial.ends_at,
        kind=PaymentKind.TRIAL_CONVERSION,
    )
    converted_by_card = h.subscription()
    h.period(
        converted_by_card, source=PeriodSource.TRIAL, starts=at(WEEK_1), ends=at(WEEK_1, days=30)
    )
    h.period(converted_by_card, source=PeriodSource.REUP, starts=at(WEEK_1, days=40))
    h.period(
        h.subscription(), source=PeriodSource.TRIAL, starts=at(WEEK_1), ends=at(WEEK_1, days=30)
    )
    h.period(
        h.subscription(), source=PeriodSource.TRIAL, starts=at(WEEK_2), ends=at(WEEK_2, days=30)
    )

    table = selectors.trial_conversion(TWO_WEEKS)

    assert table.rows == [[W1, "3", "2", "66.7%"], [W2, "1", "0", "0.0%"]]


def test_it_counts_churn_after_the_grace_days(settings) -> None:
    settings.BILLING_GRACE_DAYS = 7
    ends = at(WEEK_1, days=2)

    def ended(*, followed_after: int | None) -> None:
        sub = h.subscription()
        h.period(sub, source=PeriodSource.STAFF, starts=ends - dt.timedelta(days=365), ends=ends)
        if followed_after is not None:
            h.period(
                sub,
                source=PeriodSource.PAYMENT,
                starts=ends + dt.timedelta(days=followed_after),
                created=ends,
            )

    ended(followed_after=0)  # renewed before it ended
    ended(followed_after=10)  # came back after its grace days: it churned
    ended(followed_after=None)
    sub = h.subscription()
    late = at(WEEK_2, days=1)
    h.period(sub, source=PeriodSource.STAFF, starts=late - dt.timedelta(days=30), ends=late)
    h.period(sub, source=PeriodSource.REUP, starts=late + dt.timedelta(days=3))

    table = selectors.churn(TWO_WEEKS)

    assert table.rows == [[W1, "3", "1", "2", "66.7%"], [W2, "1", "1", "0", "0.0%"]]


def test_it_leaves_out_services_still_in_their_grace_days(settings) -> None:
    settings.BILLING_GRACE_DAYS = 7
    sub = h.subscription()
    h.period(sub, source=PeriodSource.STAFF, starts=at(WEEK_1), ends=at(WEEK_1, days=3))

    table = selectors.churn(TWO_WEEKS, now=at(WEEK_1, days=9))

    assert table.rows[0] == [W1, "0", "0", "0", "\N{EN DASH}"]


def test_it_gives_revenue_per_week_plan_and_currency_less_refunds() -> None:
    year = h.plan("1-year", name="1 year")
    five = h.plan("5-years", name="5 years", months=60)
    paid = h.payment(created=at(WEEK_1))
    h.item(paid, subscription=h.subscription(), plan=year, amount=4999)
    part_refunded = h.payment(
        created=at(WEEK_1, days=1),
        kind=PaymentKind.AUTORENEW,
        status=PaymentStatus.PARTIALLY_REFUNDED,
        refunded=1000,
    )
    h.item(part_refunded, subscription=h.subscription(), plan=year, amount=4999)
    kroner = h.payment(created=at(WEEK_1), amount=149900, currency="DKK")
    h.item(kroner, subscription=h.subscription(), plan=five, amount=149900)
    h.payment(created=at(WEEK_1), kind=PaymentKind.MINUTES_TOP_UP, amount=1000)
    h.payment(created=at(WEEK_1), status=PaymentStatus.DECLINED)
    h.payment(created=at(WEEK_1), status=PaymentStatus.PENDING)
    two_devices = h.payment(
        created=at(WEEK_2), amount=9998, status=PaymentStatus.REFUNDED, refunded=9998
    )
    for _ in range(2):
        h.item(two_devices, subscription=h.subscription(), plan=year, amount=4999)

    table = selectors.revenue(TWO_WEEKS)

    assert table.columns == ["Week", "Plan", "Currency", "Paid", "Refunded", "Net"]
    assert table.rows == [
        [W1, "5 years", "DKK", "DKK1,499.00", "DKK0.00", "DKK1,499.00"],
        [W1, "1 year", "USD", "$99.98", "$10.00", "$89.98"],
        [W1, "International minutes", "USD", "$10.00", "$0.00", "$10.00"],
        [W2, "1 year", "USD", "$99.98", "$99.98", "$0.00"],
    ]
    # A chart per currency: kroner and dollars are never added together.
    assert [chart.datasets[0].data for chart in table.charts] == [[1499.0, 0.0], [99.98, 0.0]]


def test_it_writes_money_and_numbers_for_the_readers_language() -> None:
    paid = h.payment(created=at(WEEK_1), amount=149900, currency="DKK")
    h.item(paid, subscription=h.subscription(), plan=h.plan(), amount=149900)

    with translation.override("da"):
        table = selectors.revenue(TWO_WEEKS)

    assert table.rows[0][0] == "3. mar. 2025"
    assert table.rows[0][3] == "1.499,00\xa0kr."


def test_it_counts_reup_redemptions_by_chain() -> None:
    plan = h.plan()

    def redeemed(chain: RetailChain, when: dt.datetime | None, serial: str) -> None:
        batch, _ = ReupBatch.objects.get_or_create(chain=chain, plan=plan, count=10)
        sub = h.subscription()
        period = h.period(sub, source=PeriodSource.REUP, starts=when or at(WEEK_1))
        ReupCard.objects.create(
            batch=batch,
            serial=serial,
            status=ReupCardStatus.REDEEMED if when else ReupCardStatus.ACTIVATED,
            redeemed_at=when,
            period=period if when else None,
        )

    corner = RetailChain.objects.create(code="corner", name="CornerMart")
    quick = RetailChain.objects.create(code="quick", name="QuickStop")
    redeemed(corner, at(WEEK_1), "C1")
    redeemed(corner, at(WEEK_1, days=4), "C2")
    redeemed(corner, at(WEEK_2), "C3")
    redeemed(corner, None, "C4")  # sold, not redeemed
    redeemed(quick, at(WEEK_1, days=6), "Q1")
    redeemed(quick, at(WEEK_2, days=7), "Q2")  # after the range

    table = selectors.reup_redemptions(TWO_WEEKS)

    assert table.columns == ["Week", "CornerMart", "QuickStop", "Total"]
    assert table.rows == [[W1, "2", "1", "3"], [W2, "1", "0", "1"]]


def test_it_counts_devices_by_status_now() -> None:
    for status in [DeviceStatus.ACTIVE, DeviceStatus.ACTIVE, DeviceStatus.IN_STOCK]:
        h.device(status)
    h.device(DeviceStatus.RETIRED)

    table = selectors.devices_by_status()

    assert table.rows == [
        ["In stock", "1"],
        ["Sold online", "0"],
        ["Sold in store", "0"],
        ["Active", "2"],
        ["Released", "0"],
        ["Retired", "1"],
    ]


def test_it_lists_every_week_of_the_range_from_its_monday() -> None:
    weeks = DateRange(start=dt.date(2025, 3, 5), end=dt.date(2025, 3, 17)).weeks()

    assert weeks == [dt.date(2025, 3, 3), dt.date(2025, 3, 10), dt.date(2025, 3, 17)]


@pytest.mark.parametrize(
    "cell",
    [
        "=1+1",
        '=HYPERLINK("https://evil.test","x")',
        "+1+cmd|' /C calc'!A0",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(A1:A9)",
        "\t=1+1",
        "\r=1+1",
        "-(1)",
    ],
)
def test_a_csv_cell_a_spreadsheet_would_run_is_written_as_text(cell: str) -> None:
    assert csv_cell(cell) == "'" + cell


@pytest.mark.parametrize("language", ["en", "fr", "da"])
@pytest.mark.parametrize("currency", ["USD", "EUR", "DKK", "GBP"])
def test_a_negative_amount_as_the_table_writes_it_stays_a_number(
    language: str, currency: str
) -> None:
    written = money_format(-123456, currency, language)
    assert written.startswith("-")
    assert csv_cell(written) == written
    assert csv_cell("Alice's plan") == "Alice's plan"
    assert csv_cell("-3.5%") == "-3.5%"
