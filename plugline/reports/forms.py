"""The date range every dated report is read for: from and to, whole days in UTC."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The range shown when none is asked for: the last twelve weeks, this one included.
DEFAULT_WEEKS = 12
# The longest range a report is read for (a little over two years of weeks).
MAX_SPAN_DAYS = 744
# The days a report may be read for. A day at either end of the calendar (year 1 or 9999)
# has no day after it or no grace days before it, which the reports' arithmetic needs.
FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2099, 12, 31)
DAY_BOUNDS = [MinValueValidator(FIRST_DAY), MaxValueValidator(LAST_DAY)]


def default_range(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """From the Monday eleven weeks before this week's to today."""
    today = today or timezone.now().date()
    monday = today - dt.timedelta(days=today.weekday())
    return monday - dt.timedelta(weeks=DEFAULT_WEEKS - 1), today


class DateRangeForm(forms.Form):
    start = forms.DateField(
        label=_("From"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        validators=DAY_BOUNDS,
        error_messages={"invalid": _("Enter the first day as a date, for example 2026-01-31.")},
    )
    end = forms.DateField(
        label=_("To"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        validators=DAY_BOUNDS,
        error_messages={"invalid": _("Enter the last day as a date, for example 2026-03-31.")},
    )

    def __init__(self, data: dict[str, str] | None = None, **kwargs: object) -> None:
        start, end = default_range()
        # An empty query string is the default range; a partly filled one is checked as given.
        given = {key: value for key, value in (data or {}).items() if key in ("start", "end")}
        if not given:
            given = {"start": start.isoformat(), "end": end.isoformat()}
        super().__init__(given, **kwargs)  # type: ignore[arg-type]

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if isinstance(start, dt.date) and isinstance(end, dt.date):
            if end < start:
                self.add_error("end", _("The last day must not come before the first day."))
            elif (end - start).days + 1 > MAX_SPAN_DAYS:
                self.add_error(
                    "end",
                    _("A report covers at most %(weeks)d weeks: choose a shorter range.")
                    % {"weeks": MAX_SPAN_DAYS // 7},
                )
        return cleaned
