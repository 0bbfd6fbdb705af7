"""seed_demo's history for the reports: enough of everything, the same on a second run."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from plugline.accounts.models import User
from plugline.billing.models import Payment, SubscriptionPeriod
from plugline.portal.management.commands.seed_demo import DEMO_EMAIL
from plugline.reports import selectors
from plugline.reports.demo import HISTORY_CUSTOMERS, history_anchor
from plugline.reports.selectors import DateRange

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 6, 10, 15, 0, tzinfo=dt.UTC)  # a Wednesday


@pytest.fixture(autouse=True)
def _demo_mode(settings) -> None:
    settings.DEBUG = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed(when: dt.datetime = NOW) -> None:
    with time_machine.travel(when, tick=False):
        call_command("seed_demo", stdout=StringIO())


def history() -> dict[str, list]:
    return {
        "customers": list(
            User.objects.filter(original_email__startswith="history-").values_list("pk", "email")
        ),
        "payments": sorted(
            Payment.objects.filter(idempotency_key__startswith="demo-history-").values_list(
                "pk", "amount", "currency", "status", "created_at"
            )
        ),
        "periods": list(
            SubscriptionPeriod.objects.order_by("pk").values_list(
                "pk", "source", "starts_at", "ends_at", "created_at"
            )
        ),
    }


def last_weeks(weeks: int = 26) -> DateRange:
    today = NOW.date()
    return DateRange(start=today - dt.timedelta(weeks=weeks), end=today)


def totals(table, column: int) -> int:
    return sum(int(row[column].replace(",", "")) for row in table.rows)


def test_it_gives_every_report_something_to_show() -> None:
    seed()

    assert User.objects.filter(original_email__startswith="history-").count() == HISTORY_CUSTOMERS
    renewals = selectors.renewals_by_channel(last_weeks())
    assert all(totals(renewals, column) > 0 for column in (1, 2, 3))
    autorenew = selectors.autorenew_outcomes(last_weeks())
    assert totals(autorenew, 2) > 0 and totals(autorenew, 3) > 0
    assert {"Declined: insufficient funds"} <= set(autorenew.columns)
    trials = selectors.trial_conversion(last_weeks())
    assert 0 < totals(trials, 2) < totals(trials, 1)
    churn = selectors.churn(last_weeks(), now=NOW)
    assert 0 < totals(churn, 3) < totals(churn, 1)
    revenue = selectors.revenue(last_weeks())
    assert {row[2] for row in revenue.rows} == {"USD", "CAD", "DKK"}
    assert any(row[4] not in ("$0.00", "CA$0.00", "DKK0.00") for row in revenue.rows)
    reup = selectors.reup_redemptions(last_weeks())
    assert reup.columns == ["Week", "CornerMart", "Kiosk 24", "Total"]
    # The default range (twelve weeks) has some of each channel too.
    recent = selectors.renewals_by_channel(last_weeks(12))
    assert all(totals(recent, column) > 0 for column in (1, 2, 3))


def test_it_writes_the_same_history_when_run_again() -> None:
    seed()
    before = history()

    seed(NOW + dt.timedelta(days=2))

    assert history() == before


def test_it_writes_the_history_again_a_week_later_up_to_that_week() -> None:
    seed()
    later = NOW + dt.timedelta(weeks=1)

    seed(later)

    assert User.objects.filter(original_email__startswith="history-").count() == HISTORY_CUSTOMERS
    latest = Payment.objects.filter(idempotency_key__startswith="demo-history-").latest(
        "created_at"
    )
    assert latest.created_at > history_anchor(NOW)
    assert latest.created_at < later


def test_it_leaves_the_demo_subscribers_service_and_payments_alone() -> None:
    seed()

    demo = User.objects.get(original_email=DEMO_EMAIL)
    assert not Payment.objects.filter(user=demo).exists()
    assert list(
        SubscriptionPeriod.objects.filter(subscription__device__owner=demo).values_list(
            "source", flat=True
        )
    ) == ["included", "included"]
