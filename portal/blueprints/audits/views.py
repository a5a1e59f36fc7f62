"""Audit-driven work: a compliance audit's findings become work orders in one step."""

from __future__ import annotations

from datetime import timedelta

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.blueprints.audits import bp
from portal.blueprints.audits.forms import (
    MAX_LINES,
    AuditFindingsForm,
    ConfirmImportForm,
    ImportFindingsForm,
)
from portal.domain.audit_findings import COLUMNS, FindingsRejected, RawFinding
from portal.domain.errors import DomainError
from portal.domain.permissions import Capability as C
from portal.htmx import wants_fragment
from portal.security import requires
from portal.services import audit_findings


def _template_csv() -> str:
    """The header, and one example row due in four weeks."""
    example = [
        "FS-2026-014",
        "Fire door to the stairs does not close fully",
        "",
        "ECA/LOBBY",
        (audit_findings.today() + timedelta(days=28)).isoformat(),
        "high",
        "Adjust the closer | Check the latch | Photograph the door closed",
    ]
    return ",".join(COLUMNS) + "\r\n" + ",".join(example) + "\r\n"


def _created(orders, submission_id: str):
    """After an import: say so, then show what was made (PRG)."""
    count = len(orders)
    flash(f"Created {count} work order{'' if count == 1 else 's'}.", "success")
    return redirect(url_for("audits.result", submission_id=submission_id), code=303)


@bp.get("/audits/import")
@requires(C.import_audit_findings)
def import_form():
    """Upload or paste an audit CSV; nothing is made until the dry run has been seen."""
    return render_template("audits/import.html", form=ImportFindingsForm())


@bp.get("/audits/import/template.csv")
@requires(C.import_audit_findings)
def template():
    """An empty audit CSV with the header and one example row."""
    return Response(
        "\ufeff" + _template_csv(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=audit-findings.csv"},
    )


@bp.post("/audits/import/preview")
@requires(C.import_audit_findings)
def preview():
    """Dry run: every row with the work order it would make, or its problems; nothing written."""
    form = ImportFindingsForm()
    if form.validate_on_submit():
        try:
            if form.file.data:
                text = audit_findings.text_of_upload(form.file.data.read())
            else:
                text = form.text.data
        except DomainError as err:
            form.file.errors.append(str(err))
        else:
            result = audit_findings.preview_findings(text)
            confirm = ConfirmImportForm(formdata=None, csv_text=text)
            again = ImportFindingsForm(formdata=None)
            return render_template(
                "audits/preview.html", preview=result, confirm=confirm, form=again
            )
    return render_template("audits/import.html", form=form), 422


@bp.post("/audits/import")
@requires(C.import_audit_findings)
def create():
    """Make the work orders of a checked CSV: all rows or none; a repeat post makes none."""
    confirm = ConfirmImportForm()
    if not confirm.validate_on_submit():
        flash("The import form was incomplete. Check the file again.", "error")
        return redirect(url_for("audits.import_form"), code=303)
    try:
        orders = audit_findings.import_findings(
            confirm.csv_text.data, actor=current_user, submission_id=confirm.submission_id.data
        )
    except DomainError as err:
        result = audit_findings.preview_findings(confirm.csv_text.data)
        return render_template(
            "audits/preview.html",
            preview=result,
            confirm=confirm,
            form=ImportFindingsForm(formdata=None),
            error=str(err),
        ), 422
    return _created(orders, confirm.submission_id.data)


@bp.get("/audits/imports/<submission_id>")
@requires(C.import_audit_findings)
def result(submission_id: str):
    """The work orders one import made, each linked to its page."""
    orders = audit_findings.imported_work_orders(submission_id)
    if orders is None:
        abort(404)
    references = sorted({wo.audit_reference for wo in orders if wo.audit_reference})
    return render_template("audits/result.html", orders=orders, references=references)


def _lines_of(form: AuditFindingsForm) -> list[RawFinding]:
    """The typed lines as findings, numbered as the page shows them; blank lines left out."""
    return [
        RawFinding(
            row=number,
            audit_reference=form.audit_reference.data or "",
            finding=line.form.finding.data or "",
            asset_tag=line.form.asset_tag.data or "",
            deadline=form.deadline.data.isoformat() if form.deadline.data else "",
            priority=form.priority.data or "",
        )
        for number, line in enumerate(form.lines, start=1)
        if not line.form.blank
    ]


@bp.route("/audits/new", methods=["GET", "POST"])
@requires(C.import_audit_findings)
def new():
    """An audit's reference and deadline once, then its findings line by line."""
    form = AuditFindingsForm()
    problems: dict[int, list[str]] = {}
    if request.method == "POST" and "add_line" in request.form:
        if len(form.lines) >= MAX_LINES:
            message = f"At most {MAX_LINES} lines here; import a CSV file for more."
            if wants_fragment():
                return f'<p class="form-error" role="alert">{message}</p>'
            form.form_errors.append(message)
        else:
            form.lines.append_entry()
            if wants_fragment():  # htmx appends just the new line
                return render_template(
                    "audits/_line.html",
                    line=form.lines[-1],
                    number=len(form.lines),
                    autofocus=True,
                )
        return render_template("audits/new.html", form=form, problems=problems)
    if form.validate_on_submit():
        try:
            orders = audit_findings.import_lines(
                _lines_of(form), actor=current_user, submission_id=form.submission_id.data
            )
        except FindingsRejected as err:
            problems = err.rows
            form.form_errors.append(
                "Nothing was created. Fix the lines marked below and send again."
            )
        except DomainError as err:
            form.form_errors.append(str(err))
        else:
            return _created(orders, form.submission_id.data)
    status = 422 if request.method == "POST" else 200
    return render_template("audits/new.html", form=form, problems=problems), status
