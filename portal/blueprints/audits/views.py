"""Audit-driven work: a compliance audit's findings become work orders in one step, from a CSV
file (checked in a dry run first) or typed line by line."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.blueprints.audits import bp
from portal.blueprints.audits.forms import MAX_LINES, AuditFindingsForm, ImportFindingsForm
from portal.domain.audit_findings import FindingsRejected, RawFinding
from portal.domain.errors import DomainError, NotAllowed, NotFound
from portal.domain.permissions import Capability as C
from portal.downloads import csv_response
from portal.forms import ConfirmImportForm
from portal.htmx import wants_fragment
from portal.security import requires
from portal.services import audit_findings


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
    header, rows = audit_findings.template_rows()
    return csv_response("audit-findings.csv", header, rows)


def _preview_page(text: str, confirm: ConfirmImportForm, *, error: str | None = None):
    """The dry run of `text`, with the confirm form carrying it (and its submission id)."""
    return render_template(
        "audits/preview.html",
        preview=audit_findings.preview_findings(text),
        confirm=confirm,
        form=ImportFindingsForm(formdata=None),
        error=error,
    )


@bp.post("/audits/import/preview")
@requires(C.import_audit_findings)
def preview():
    """Dry run: every row with the work order it would make, or its problems; nothing written."""
    form = ImportFindingsForm()
    if form.validate_on_submit() and (text := form.csv_text()) is not None:
        return _preview_page(text, ConfirmImportForm(formdata=None, csv_text=text))
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
    except (NotFound, NotAllowed):
        raise
    except DomainError as err:  # ImportRefused names every bad row
        return _preview_page(confirm.csv_text.data, confirm, error=str(err)), 422
    return _created(orders, confirm.submission_id.data)


@bp.get("/audits/imports/<submission_id>")
@requires(C.import_audit_findings)
def result(submission_id: str):
    """The work orders one import made, each linked to its page."""
    orders = audit_findings.imported_work_orders(submission_id)
    if orders is None:
        raise NotFound("There is no such import.")
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


def _add_line(form: AuditFindingsForm):
    """'Add another line': one more line (htmx: just that line), up to MAX_LINES."""
    if len(form.lines) >= MAX_LINES:
        message = f"At most {MAX_LINES} lines here; import a CSV file for more."
        if wants_fragment():
            return f'<p class="form-error" role="alert">{message}</p>'
        form.form_errors.append(message)
    else:
        form.lines.append_entry()
        if wants_fragment():  # htmx appends just the new line
            return render_template(
                "audits/_line.html", line=form.lines[-1], number=len(form.lines), autofocus=True
            )
    return render_template("audits/new.html", form=form, problems={})


@bp.route("/audits/new", methods=["GET", "POST"])
@requires(C.import_audit_findings)
def new():
    """An audit's reference and deadline once, then its findings line by line."""
    form = AuditFindingsForm()
    problems: dict[int, list[str]] = {}
    if request.method == "POST" and "add_line" in request.form:
        return _add_line(form)
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
        except (NotFound, NotAllowed):
            raise
        except DomainError as err:
            form.form_errors.append(str(err))
        else:
            return _created(orders, form.submission_id.data)
    status = 422 if request.method == "POST" else 200
    return render_template("audits/new.html", form=form, problems=problems), status
