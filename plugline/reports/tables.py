"""A report's result: one table (what the page, its screen readers and its CSV show) and a chart.

Cells are written for the reader's language (numbers, percentages, dates and
money by locale, with babel's CLDR data), and the CSV download has exactly
the table's cells, but for one thing: a cell a spreadsheet would take for a
formula (a plan or chain name typed as "=HYPERLINK(...)") is written after an
apostrophe, which spreadsheets show as text. The chart gets raw numbers, drawn
beside the table.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from django.utils import translation

from plugline.core.money import locale_for_language, money_amount, money_format


@dataclass
class Dataset:
    label: str
    data: list[float | int | None]


@dataclass
class Chart:
    labels: list[str]
    datasets: list[Dataset]
    # The y axis's title, e.g. "Renewals" or "Net revenue (USD)".
    axis: str
    kind: str = "bar"
    stacked: bool = False
    percent: bool = False
    # Counts have whole-number ticks; amounts of money do not.
    whole: bool = True

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "labels": self.labels,
            "datasets": [{"label": d.label, "data": d.data} for d in self.datasets],
            "axis": self.axis,
            "stacked": self.stacked,
            "percent": self.percent,
            "whole": self.whole,
        }


@dataclass
class Table:
    caption: str
    columns: list[str]
    # Each row's first cell names it (a header cell, scope="row").
    rows: list[list[str]]
    charts: list[Chart] = field(default_factory=list)

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([csv_cell(cell) for cell in self.columns])
        writer.writerows([csv_cell(cell) for cell in row] for row in self.rows)
        return out.getvalue()


# What a spreadsheet reads as the start of a formula (OWASP's list, "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A negative amount as the table writes it ("-$12.00", "-12,00 kr.", "-3.5%"): a minus,
# then digits, letters, separators, spaces and currency signs, no operator, no call (a
# bare "-A1" stays too: it runs nothing).
_WRITTEN_NEGATIVE = re.compile(r"-[\w\s.,%$\u00a3\u00a5\u20ac\u00a4\u00a0\u202f]*")


def csv_cell(cell: str) -> str:
    """`cell` as a spreadsheet should show it: a would-be formula after an apostrophe."""
    if cell.startswith(_FORMULA_STARTS) and not _WRITTEN_NEGATIVE.fullmatch(cell):
        return "'" + cell
    return cell


def _locale() -> str:
    return locale_for_language(translation.get_language())


def number(value: int) -> str:
    return format_decimal(value, locale=_locale())


def percent(part: int, whole: int) -> str:
    """part / whole as a percentage with one decimal, or a dash when there is nothing to divide."""
    if not whole:
        return "\N{EN DASH}"
    return format_percent(part / whole, format="#,##0.0%", locale=_locale())


def ratio(part: int, whole: int) -> float | None:
    """part / whole in percent for a chart, or None (no point) when there is nothing to divide."""
    return round(part * 100 / whole, 1) if whole else None


def week_label(monday: dt.date) -> str:
    return format_date(monday, format="medium", locale=_locale())


def money(amount: int, currency: str) -> str:
    return money_format(amount, currency)


def money_value(amount: int, currency: str) -> float:
    """Minor units as a number of the currency's units, for a chart."""
    return float(money_amount(amount, currency))
