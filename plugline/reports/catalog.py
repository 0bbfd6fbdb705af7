"""The list of reports: the address, title and query of each."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from plugline.reports import selectors
from plugline.reports.selectors import DateRange
from plugline.reports.tables import Table


@dataclass(frozen=True)
class Report:
    slug: str
    title: str | Promise
    summary: str | Promise
    # Reports over a date range take it; the others show the present.
    build: Callable[[DateRange], Table] | Callable[[], Table]
    dated: bool = True


REPORTS = [
    Report(
        "renewals",
        _("Renewals by channel"),
        _("Renewals per week: online, by AutoRenew and with Re-Up cards."),
        selectors.renewals_by_channel,
    ),
    Report(
        "autorenew",
        _("AutoRenew"),
        _("AutoRenew's success rate per week, and why charges were declined."),
        selectors.autorenew_outcomes,
    ),
    Report(
        "trials",
        _("Trial conversion"),
        _("Free trials started per week and how many became paid service."),
        selectors.trial_conversion,
    ),
    Report(
        "churn",
        _("Churn"),
        _("Services that ended and were not renewed within their grace days."),
        selectors.churn,
    ),
    Report(
        "revenue",
        _("Revenue"),
        _("Payments less refunds per week and plan, in each currency."),
        selectors.revenue,
    ),
    Report(
        "reup",
        _("Re-Up redemptions"),
        _("Re-Up cards redeemed per week, by retail chain."),
        selectors.reup_redemptions,
    ),
    Report(
        "devices",
        _("Devices"),
        _("Every device now, by status."),
        selectors.devices_by_status,
        dated=False,
    ),
]
REPORTS_BY_SLUG = {report.slug: report for report in REPORTS}
