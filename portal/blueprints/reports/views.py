"""Reports: the list, one page per report (chart, table, period filter) and its CSV."""

from __future__ import annotations

import csv
import io

from flask import Response, abort, render_template, request

from portal.blueprints.reports import bp
from portal.blueprints.reports.forms import ReportFilterForm
from portal.domain.errors import NotFound
from portal.domain.permissions import Capability as C
from portal.domain.reports import BadPeriod
from portal.htmx import page_or_block
from portal.security import requires
from portal.services import reports


def _info_or_404(slug: str) -> reports.ReportInfo:
    """The report named in the URL, or 404."""
    try:
        return reports.report_info(slug)
    except NotFound:
        abort(404)


def _filter_form(info: reports.ReportInfo) -> ReportFilterForm:
    """The filter as asked in the query string, with this report's breakdowns to choose from."""
    form = ReportFilterForm(request.args, meta={"csrf": False})
    form.by.choices = list(info.breakdowns.items())
    form.by.data = reports.choose_breakdown(info, form.by.data)
    return form


@bp.get("/")
@requires(C.read_reports)
def index():
    """The list of reports."""
    return render_template("reports/index.html", reports=list(reports.REPORTS.values()))


@bp.get("/<slug>")
@requires(C.read_reports)
def show(slug: str):
    """One report: chart, table and CSV link for the period asked (the last 12 months unless)."""
    info = _info_or_404(slug)
    form = _filter_form(info)
    try:
        period = reports.period_for(form.start.data, form.end.data)
    except BadPeriod as err:
        return page_or_block(
            "reports/report.html",
            "report_body",
            status=422,
            info=info,
            form=form,
            report=None,
            error=str(err),
        )
    form.start.data, form.end.data = period.months[0], period.months[-1]
    report = reports.run_report(slug, period, form.by.data)
    return page_or_block(
        "reports/report.html", "report_body", info=info, form=form, report=report, error=None
    )


@bp.get("/<slug>/export.csv")
@requires(C.read_reports)
def export(slug: str):
    """The report's table as CSV: the same rows and numbers as the page."""
    info = _info_or_404(slug)
    form = _filter_form(info)
    try:
        period = reports.period_for(form.start.data, form.end.data)
    except BadPeriod as err:
        return Response(str(err) + "\n", status=422, mimetype="text/plain")
    report = reports.run_report(slug, period, form.by.data)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(report.csv_rows)
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{report.filename}"'},
    )
