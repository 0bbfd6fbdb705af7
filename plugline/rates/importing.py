"""The operator's rate deck into Plugline (`manage.py import_rates FILE`).

Like the other imports (plugline.core.csv_import), the whole file is checked
row by row, every problem is reported with its line and column, and nothing
is written unless every row is good, in one transaction. A rate is known by
its prefix and `valid_from`: importing the same file again changes nothing,
a row with a known (prefix, valid_from) corrects that rate, and a new
`valid_from` for a known prefix is a price change from that moment on (the
rate before it stays, for the calls made before).

Prices are whole minor units (cents) of the billing currency
(settings.BILLING_CURRENCY). Numbers starting with 1 (the US and Canada)
are free, so no prefix may start with 1.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, fields
from pathlib import Path

import phonenumbers
from django.conf import settings
from django.db import transaction

from plugline.core.csv_import import ImportReport, Row, csv_rows, in_batches
from plugline.core.models import AuditAction
from plugline.core.services import audit_record
from plugline.rates.lookup import FREE_COUNTRY_CODE, prefix_country
from plugline.rates.models import PREFIX_MAX_LENGTH, Rate

REQUIRED_COLUMNS = (
    "prefix",
    "destination",
    "price_per_minute",
    "connection_fee",
    "increments",
    "valid_from",
)
OPTIONAL_COLUMNS = ("destination_fr", "destination_da")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS

DESTINATION_MAX_LENGTH = 100
# Larger amounts are typing mistakes (100000 cents: 1,000.00 a minute).
AMOUNT_MAX = 100_000
# The longest increment: an hour.
INCREMENT_MAX = 3600
INCREMENTS = re.compile(r"(\d{1,5})\s*/\s*(\d{1,5})")
WHOLE_NUMBER = re.compile(r"\d{1,9}")


@dataclass(frozen=True)
class _RateRow:
    """A good row: the rate's values as they will be written."""

    line: int
    prefix: str
    valid_from: dt.datetime
    country: str
    destination: str
    destination_fr: str
    destination_da: str
    currency: str
    price_per_minute: int
    connection_fee: int
    first_increment: int
    next_increment: int


# The Rate fields an import writes besides its key (prefix, valid_from).
RATE_FIELDS = tuple(
    f.name for f in fields(_RateRow) if f.name not in ("line", "prefix", "valid_from")
)


def _plural(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count == 1 else plural}"


@transaction.atomic
def rates_import(*, data: bytes | str, dry_run: bool = False) -> ImportReport:
    """Add or correct the rates of a CSV file (columns: COLUMNS, see the README)."""
    report = ImportReport(kind="rates", dry_run=dry_run)
    rows = csv_rows(data, required=REQUIRED_COLUMNS, optional=OPTIONAL_COLUMNS, report=report)
    currency = settings.BILLING_CURRENCY
    good: list[_RateRow] = []
    lines: dict[tuple[str, dt.datetime], int] = {}
    for row in rows:
        checked = _rate_row(row, currency=currency, report=report)
        if checked is None:
            continue
        key = (checked.prefix, checked.valid_from)
        if key in lines:
            report.reject(
                row.line,
                "valid_from",
                f"prefix {checked.prefix} already has a rate from {row['valid_from']} "
                f"on line {lines[key]}",
            )
            continue
        lines[key] = row.line
        good.append(checked)

    existing: dict[tuple[str, dt.datetime], Rate] = {}
    for batch in in_batches({rate.prefix for rate in good}):
        for rate in Rate.objects.select_for_update().filter(prefix__in=batch):
            existing[(rate.prefix, rate.valid_from)] = rate
    created: list[_RateRow] = []
    updated: list[Rate] = []
    unchanged = 0
    for candidate in good:
        known = existing.get((candidate.prefix, candidate.valid_from))
        if known is None:
            created.append(candidate)
        elif _rate_update(known, candidate):
            updated.append(known)
        else:
            unchanged += 1

    report.counts = {"created": len(created), "updated": len(updated), "unchanged": unchanged}
    report.summary = (
        "; ".join(
            part
            for part in (
                _plural(len(created), "new rate", "new rates") if created else "",
                _plural(len(updated), "rate corrected", "rates corrected") if updated else "",
                f"{unchanged} unchanged" if unchanged else "",
            )
            if part
        )
        or "nothing to import"
    )
    if not report.written:
        return report

    Rate.objects.bulk_create(
        (
            Rate(
                prefix=row.prefix,
                valid_from=row.valid_from,
                **{name: getattr(row, name) for name in RATE_FIELDS},
            )
            for row in created
        ),
        batch_size=1000,
    )
    Rate.objects.bulk_update(updated, list(RATE_FIELDS), batch_size=1000)
    if created or updated:
        audit_record(action=AuditAction.RATES_IMPORTED, data=report.counts)
    return report


def _rate_update(rate: Rate, row: _RateRow) -> bool:
    """Give `rate` the row's values; whether anything changed."""
    changed = False
    for name in RATE_FIELDS:
        if getattr(rate, name) != getattr(row, name):
            setattr(rate, name, getattr(row, name))
            changed = True
    return changed


def _rate_row(row: Row, *, currency: str, report: ImportReport) -> _RateRow | None:
    """The rate a row describes, or None with each of its problems reported."""
    before = len(report.rejections)

    def reject(column: str, reason: str) -> None:
        report.reject(row.line, column, reason)

    prefix = _prefix(row, report)

    names: dict[str, str] = {}
    for column in ("destination", *OPTIONAL_COLUMNS):
        value = " ".join(row[column].split())
        if not value and column == "destination":
            reject(column, "the destination's name is missing (e.g. United Kingdom - Mobile)")
        elif len(value) > DESTINATION_MAX_LENGTH:
            reject(column, f"at most {DESTINATION_MAX_LENGTH} characters")
        names[column] = value

    price = _amount(row, "price_per_minute", report, required=True)
    fee = _amount(row, "connection_fee", report, required=False)
    increments = _increments(row, report)
    valid_from = _valid_from(row, report)

    if (
        len(report.rejections) > before
        or prefix is None
        or price is None
        or fee is None
        or increments is None
        or valid_from is None
    ):
        return None
    return _RateRow(
        line=row.line,
        prefix=prefix,
        valid_from=valid_from,
        country=prefix_country(prefix),
        destination=names["destination"],
        destination_fr=names["destination_fr"],
        destination_da=names["destination_da"],
        currency=currency,
        price_per_minute=price,
        connection_fee=fee,
        first_increment=increments[0],
        next_increment=increments[1],
    )


def _prefix(row: Row, report: ImportReport) -> str | None:
    text = row["prefix"]
    prefix = "".join(text.split()).removeprefix("+")
    problem = ""
    if not prefix:
        problem = "the prefix is missing (the digits a number starts with: 44, 4420, 447)"
    elif not prefix.isascii() or not prefix.isdigit():
        problem = f"{text!r} is not a prefix: digits only, the country code first (e.g. 4420)"
    elif len(prefix) > PREFIX_MAX_LENGTH:
        problem = f"a prefix has at most {PREFIX_MAX_LENGTH} digits"
    elif prefix.startswith(FREE_COUNTRY_CODE):
        problem = (
            f"{prefix} starts with {FREE_COUNTRY_CODE}: calls to the US and Canada (+1) "
            "are free and have no rate"
        )
    elif not _starts_with_country_code(prefix):
        problem = f"{prefix} does not start with a country code (e.g. 44, 33, 45, 52)"
    if problem:
        report.reject(row.line, "prefix", problem)
        return None
    return prefix


def _starts_with_country_code(prefix: str) -> bool:
    return any(
        phonenumbers.region_codes_for_country_code(int(prefix[:length]))
        for length in range(1, min(3, len(prefix)) + 1)
    )


def _amount(row: Row, column: str, report: ImportReport, *, required: bool) -> int | None:
    text = row[column].replace(" ", "")
    if not text:
        if required:
            report.reject(row.line, column, "the price is missing (in cents: 5 for 0.05)")
            return None
        return 0
    if not WHOLE_NUMBER.fullmatch(text):
        report.reject(
            row.line, column, f"{row[column]!r} is not a whole number of cents (5 for 0.05)"
        )
        return None
    amount = int(text)
    if amount > AMOUNT_MAX:
        report.reject(row.line, column, f"at most {AMOUNT_MAX} (in cents)")
        return None
    return amount


def _increments(row: Row, report: ImportReport) -> tuple[int, int] | None:
    match = INCREMENTS.fullmatch(row["increments"])
    if match is None:
        report.reject(
            row.line,
            "increments",
            f"{row['increments']!r} is not first/next increments in seconds (60/60, 30/6 or 1/1)",
        )
        return None
    first, following = int(match[1]), int(match[2])
    if not (1 <= first <= INCREMENT_MAX and 1 <= following <= INCREMENT_MAX):
        report.reject(
            row.line, "increments", f"each increment is from 1 to {INCREMENT_MAX} seconds"
        )
        return None
    return first, following


def _valid_from(row: Row, report: ImportReport) -> dt.datetime | None:
    """A date (midnight UTC) or a date and time (UTC unless it gives its offset)."""
    text = row["valid_from"]
    if not text:
        report.reject(row.line, "valid_from", "the date the rate starts is missing (2027-01-01)")
        return None
    try:
        if len(text) == 10:
            moment = dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), tzinfo=dt.UTC)
        else:
            moment = dt.datetime.fromisoformat(text)
    except ValueError:
        report.reject(
            row.line,
            "valid_from",
            f"{text!r} is not a date (2027-01-01) or a time (2027-01-01T00:00:00Z)",
        )
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


DEMO_RATES = Path(__file__).resolve().parent / "data" / "demo_rates.csv"


def demo_rates_import() -> ImportReport:
    """The demo's rate deck (data/demo_rates.csv), as an operator would import it.

    Running it again changes nothing. The file is the project's own, so a
    rejected row is a bug: it raises ValueError with the problems.
    """
    report = rates_import(data=DEMO_RATES.read_bytes())
    if report.rejections:
        problems = "\n".join(str(rejection) for rejection in report.rejections)
        raise ValueError(f"{DEMO_RATES.name} does not import:\n{problems}")
    return report
