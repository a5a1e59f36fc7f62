"""The maverick spend report: purchases outside the rules, by site, technician, vendor, month."""

from __future__ import annotations

from datetime import date

from flask import Response, current_app, request, url_for
from flask_wtf import FlaskForm
from werkzeug.routing import BuildError
from wtforms import DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from portal.blueprints.maverick import bp
from portal.domain.permissions import Capability as C
from portal.htmx import page_or_block
from portal.models.base import utcnow
from portal.security import requires
from portal.services import maverick


class ReportForm(FlaskForm):
    """The period, the tab and maybe one group (GET, no CSRF)."""

    since = DateField("From", validators=[Optional()])
    until = DateField("To", validators=[Optional()])
    by = SelectField(
        choices=[SelectChoice(g.value, label) for g, label in maverick.GROUP_LABELS.items()]
    )
    key = StringField(validators=[Optional()])


def _period(form: ReportForm) -> tuple[date, date]:
    """The chosen period, or the last twelve months; a reversed period is turned round."""
    since, until = maverick.default_period(utcnow().date())
    if not form.since.errors and form.since.data:
        since = form.since.data
    if not form.until.errors and form.until.data:
        until = form.until.data
    return (since, until) if since <= until else (until, since)


def _maybe_url(endpoint: str, **values) -> str | None:
    """A link to another feature's page when that page exists in this build."""
    if endpoint not in current_app.view_functions:
        return None
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


@bp.app_template_global()
def maverick_documents(row: maverick.Row) -> list[tuple[str, str | None]]:
    """(label, link or None) for each document behind a report row."""
    docs: list[tuple[str, str | None]] = []
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
    group_by = maverick.GroupBy(form.by.data) if not form.by.errors else maverick.GroupBy.site
    since, until = _period(form)
    key = request.args.get("key")
    report = maverick.report(since=since, until=until, group_by=group_by, key=key)
    return page_or_block(
        "maverick/index.html",
        "report_body",
        report=report,
        form=form,
        kind_labels=maverick.KIND_LABELS,
        group_labels=maverick.GROUP_LABELS,
    )


@bp.get("/export.csv")
@requires(C.read_maverick_spend)
def export():
    """Every maverick row of the period as CSV, for a spreadsheet."""
    form = ReportForm(request.args, meta={"csrf": False})
    form.validate()
    since, until = _period(form)
    body = "".join(maverick.csv_lines(since=since, until=until))
    name = f"maverick-{since.isoformat()}-{until.isoformat()}.csv"
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
