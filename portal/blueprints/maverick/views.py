"""The maverick spend report: purchases outside the rules, by site, technician, vendor, month."""

from __future__ import annotations

from datetime import date

from flask import current_app, request, url_for
from flask_wtf import FlaskForm
from werkzeug.routing import BuildError
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from portal.blueprints.maverick import bp
from portal.domain.labels import label
from portal.domain.maverick import GroupBy, MaverickKind, period_between
from portal.domain.permissions import Capability as C
from portal.downloads import csv_response
from portal.fields import DayField
from portal.htmx import page_or_block
from portal.models.base import utcnow
from portal.read_models import maverick
from portal.security import requires


class ReportForm(FlaskForm):
    """The period, the tab and maybe one group (GET, no CSRF)."""

    since = DayField("From", validators=[Optional()])
    until = DayField("To", validators=[Optional()])
    by = SelectField(choices=[SelectChoice(g.value, label(g)) for g in GroupBy])
    key = StringField(validators=[Optional(), Length(max=120)])


def _period(form: ReportForm) -> tuple[date, date]:
    """The chosen period, or the last twelve months; a reversed period is turned round."""
    since = form.since.data if not form.since.errors else None
    until = form.until.data if not form.until.errors else None
    return period_between(since, until, utcnow().date())


def _maybe_url(endpoint: str, **values) -> str | None:
    """A link to another feature's page when that page exists in this build."""
    if endpoint not in current_app.view_functions:
        return None
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


@bp.app_template_global()
def maverick_documents(row: maverick.Row) -> list[tuple[str | None, str | None]]:
    """(label, link or None) for each document behind a report row."""
    docs: list[tuple[str | None, str | None]] = []
    if row.wo_id:
        anchor = "#out-of-pocket" if row.oop_id else ""
        docs.append((row.wo_number, url_for("work_orders.detail", wo_id=row.wo_id) + anchor))
    if row.pr_id:
        docs.append((row.pr_number, _maybe_url("purchase_requests.detail", pr_id=row.pr_id)))
    if row.po_id:
        docs.append((row.po_number, _maybe_url("purchase_orders.detail", po_id=row.po_id)))
    if row.invoice_id:
        docs.append((row.invoice_number, _maybe_url("invoices.detail", invoice_id=row.invoice_id)))
    return docs


@bp.get("/")
@requires(C.read_maverick_spend)
def index():
    """Maverick spend of a period; the tabs swap only the table (htmx)."""
    form = ReportForm(request.args, meta={"csrf": False})
    form.validate()
    group_by = GroupBy(form.by.data) if not form.by.errors else GroupBy.site
    since, until = _period(form)
    key = request.args.get("key")
    report = maverick.report(since=since, until=until, group_by=group_by, key=key)
    return page_or_block(
        "maverick/index.html",
        "report_body",
        report=report,
        form=form,
        kinds=list(MaverickKind),
        tabs=list(GroupBy),
    )


@bp.get("/export.csv")
@requires(C.read_maverick_spend)
def export():
    """Every maverick row of the period as CSV, for a spreadsheet."""
    form = ReportForm(request.args, meta={"csrf": False})
    form.validate()
    since, until = _period(form)
    name = f"maverick-{since.isoformat()}-{until.isoformat()}.csv"
    return csv_response(name, maverick.CSV_HEADER, maverick.export_rows(since=since, until=until))
