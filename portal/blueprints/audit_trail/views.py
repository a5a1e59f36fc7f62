"""The auditors' page: search the audit trail, page through it, export what was found."""

from __future__ import annotations

import csv
import io

from flask import Response, request, stream_with_context

from portal.blueprints.audit_trail import bp
from portal.blueprints.audit_trail.forms import EventSearchForm
from portal.domain.permissions import Capability as C
from portal.htmx import page_or_block
from portal.security import requires
from portal.services import audit


def _search_form() -> tuple[EventSearchForm, audit.EventFilter | None]:
    """The form from the query string and the filter it means (None when it is invalid)."""
    form = EventSearchForm(request.args, meta={"csrf": False})
    form.actor.choices = [("", "Anyone")] + [(name, name) for name in audit.actors()]
    if not form.validate():
        return form, None
    criteria = audit.EventFilter(
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
    found = audit.search_events(criteria, page=form.page.data or 1)
    query = request.query_string.decode()
    return page_or_block("audit/index.html", "event_rows", form=form, found=found, query=query)


@bp.get("/events.csv")
@requires(C.read_audit_trail)
def export():
    """Every event the filters match, as CSV (streamed; opens in a spreadsheet)."""
    form, criteria = _search_form()
    if criteria is None:
        return Response(
            "The filters are not valid: "
            + "; ".join(f"{name}: {', '.join(errors)}" for name, errors in form.errors.items()),
            status=422,
            mimetype="text/plain",
        )

    def lines():
        yield "\ufeff"  # spreadsheet programs read UTF-8 only with the BOM
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in audit.events_csv_rows(criteria):
            writer.writerow(row)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()

    return Response(
        stream_with_context(lines()),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=audit-trail.csv"},
    )
