"""The auditors' page: search the audit trail, page through it, export what was found."""

from __future__ import annotations

from flask import Response, request
from wtforms.fields.choices import SelectChoice

from portal.blueprints.audit_trail import bp
from portal.blueprints.audit_trail.forms import EventSearchForm
from portal.domain.permissions import Capability as C
from portal.downloads import csv_response
from portal.htmx import page_or_block
from portal.read_models import audit_trail
from portal.security import requires


def _search_form() -> tuple[EventSearchForm, audit_trail.EventFilter | None]:
    """The form from the query string and the filter it means (None when it is invalid)."""
    form = EventSearchForm(request.args, meta={"csrf": False})
    form.actor.choices = [SelectChoice("", "Anyone")] + [
        SelectChoice(name, name) for name in audit_trail.actors()
    ]
    if not form.validate():
        return form, None
    criteria = audit_trail.EventFilter(
        text=form.q.data,
        actor=form.actor.data or None,
        action=form.action.data,
        subject=form.subject.data,
        date_from=form.date_from.data,
        date_to=form.date_to.data,
    )
    return form, criteria


@bp.get("/")
@requires(C.read_audit_trail)
def index():
    """Search the trail; changing a filter refreshes only the results."""
    form, criteria = _search_form()
    if criteria is None:
        return page_or_block(
            "audit/index.html", "event_rows", status=422, form=form, found=None, query=""
        )
    found = audit_trail.search_events(criteria, page=form.page.data or 1)
    query = request.query_string.decode()
    return page_or_block("audit/index.html", "event_rows", form=form, found=found, query=query)


@bp.get("/events.csv")
@requires(C.read_audit_trail)
def export():
    """Every event the filters match, as CSV (streamed; opens in a spreadsheet).

    The filters are checked, and the query built, before the first byte is sent: a bad filter
    gets a 422 in words, never a download that breaks off.
    """
    form, criteria = _search_form()
    if criteria is None:
        return Response(
            "The filters are not valid: "
            + "; ".join(f"{name}: {', '.join(errors)}" for name, errors in form.errors.items()),
            status=422,
            mimetype="text/plain",
        )
    rows = audit_trail.events_for_export(criteria)
    return csv_response("audit-trail.csv", audit_trail.CSV_COLUMNS, rows)
