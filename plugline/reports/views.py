"""The reports' pages: the list, each report (form, chart, table) and its CSV download."""

from __future__ import annotations

from typing import cast

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from plugline.accounts.staff_access import staff_required
from plugline.reports.catalog import REPORTS, REPORTS_BY_SLUG, Report
from plugline.reports.forms import DateRangeForm
from plugline.reports.selectors import DateRange
from plugline.reports.tables import Table

PERMISSION = "reports.view_reports"


@staff_required(PERMISSION)
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/home.html", {"reports": REPORTS, "staff_section": "reports"})


def _report(slug: str) -> Report:
    report = REPORTS_BY_SLUG.get(slug)
    if report is None:
        raise Http404
    return report


def _table(report: Report, form: DateRangeForm | None) -> Table | None:
    """The report's table, or None while the date range is not valid."""
    if not report.dated:
        return report.build()  # type: ignore[call-arg]
    assert form is not None
    if not form.is_valid():
        return None
    period = DateRange(start=form.cleaned_data["start"], end=form.cleaned_data["end"])
    return report.build(period)  # type: ignore[call-arg]


@staff_required(PERMISSION)
def report_page(request: HttpRequest, slug: str) -> HttpResponse:
    report = _report(slug)
    form = DateRangeForm(request.GET) if report.dated else None
    table = _table(report, form)
    charts = [
        {"id": f"report-chart-data-{index}", "data": chart.as_json()}
        for index, chart in enumerate(table.charts if table is not None else [], start=1)
    ]
    return render(
        request,
        "reports/report.html",
        {
            "report": report,
            "reports": REPORTS,
            "form": form,
            "table": table,
            "charts": charts,
            "query": request.GET.urlencode() if form is not None and form.is_valid() else "",
            "staff_section": "reports",
        },
    )


@staff_required(PERMISSION)
def report_csv(request: HttpRequest, slug: str) -> HttpResponse:
    report = _report(slug)
    form = DateRangeForm(request.GET) if report.dated else None
    table = _table(report, form)
    if table is None:
        errors = cast(DateRangeForm, form).errors
        message = " ".join(str(error) for field in errors.values() for error in field)
        return HttpResponse(
            _("This date range cannot be downloaded: %(errors)s") % {"errors": message},
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    name = slug
    if form is not None:
        name = f"{slug}-{form.cleaned_data['start']:%Y-%m-%d}-{form.cleaned_data['end']:%Y-%m-%d}"
    response = HttpResponse(table.csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response
