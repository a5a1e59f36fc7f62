"""Reports: the list, one page per report (chart, table, period filter) and its CSV."""

from __future__ import annotations

from flask import Response, render_template, request
from wtforms.fields.choices import SelectChoice

from portal.blueprints.reports import bp
from portal.blueprints.reports.forms import ReportFilterForm
from portal.domain.permissions import Capability as C
from portal.domain.reports import BadPeriod
from portal.downloads import csv_response
from portal.htmx import page_or_block
from portal.read_models import reports
from portal.security import requires


def _filter_form(info: reports.ReportInfo) -> ReportFilterForm:
    """The filter as asked in the query string, with this report's breakdowns to choose from."""
    form = ReportFilterForm(request.args, meta={"csrf": False})
    form.by.choices = [SelectChoice(by, words) for by, words in info.breakdowns.items()]
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
    info = reports.report_info(slug)
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
    info = reports.report_info(slug)
    form = _filter_form(info)
    try:
        period = reports.period_for(form.start.data, form.end.data)
    except BadPeriod as err:
        return Response(str(err) + "\n", status=422, mimetype="text/plain")
    report = reports.run_report(slug, period, form.by.data)
    return csv_response(report.filename, report.table.headers, report.table.rows)
