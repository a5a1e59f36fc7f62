"""Vendor invoices: enter and import, the invoice page with its match in words, the exceptions
queue, release/reject/ask, and the payment export. Views call services and render; nothing more.
"""

from __future__ import annotations

from decimal import Decimal

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal.blueprints.invoices import bp
from portal.blueprints.invoices.forms import (
    AskForm,
    ExceptionFilterForm,
    ExportForm,
    FindPurchaseOrderForm,
    ImportInvoicesForm,
    InvoiceForm,
    ReasonForm,
)
from portal.domain.errors import DomainError, NotAllowed, NotFound
from portal.domain.fields import parse_id
from portal.domain.invoices import ASKABLE, REASON_WORDS, DuplicateInvoice
from portal.domain.labels import label
from portal.domain.permissions import Capability as C
from portal.domain.statuses import InvoiceStatus, InvoiceType
from portal.downloads import csv_response
from portal.forms import ConfirmImportForm
from portal.htmx import page_or_block, wants_fragment
from portal.read_models import invoices as reads
from portal.security import requires
from portal.services import invoice_import, invoices


@bp.app_template_filter("reason_words")
def reason_words(code: str) -> str:
    """A hold reason code in words."""
    return REASON_WORDS.get(code, code)


@bp.get("/")
@requires(C.read_invoices)
def index():
    """The latest invoices, with the ways in: enter, import, exceptions, payable."""
    return render_template("invoices/index.html", invoices=reads.recent_invoices())


def _prefill(form: InvoiceForm, lines) -> None:
    """One form line per PO line: the open quantity at the PO price (credit memos start at 0)."""
    credit = form.type.data == InvoiceType.credit_memo.value
    while len(form.lines):
        form.lines.pop_entry()
    for line in lines:
        form.lines.append_entry(
            {
                "po_line_id": str(line.po_line_id),
                "qty": Decimal(0) if credit else line.open_qty,
                "unit_price": line.unit_price,
            }
        )


def _new_page(po, lines, form, *, status: int = 200, duplicate_id: int | None = None):
    """The entry page: PO finder, then the invoice form with one row per PO line."""
    return render_template(
        "invoices/new.html",
        find=FindPurchaseOrderForm(formdata=None, po=po.number if po else ""),
        po=po,
        lines=lines,
        form=form,
        duplicate_id=duplicate_id,
    ), status


@bp.get("/new")
@requires(C.enter_invoices)
def new():
    """Choose the PO (typed or scanned), then the lines come prefilled with what is open."""
    find = FindPurchaseOrderForm(request.args, meta={"csrf": False})
    po = reads.find_purchase_order(find.po.data) if find.po.data else None
    if find.po.data and po is None:
        find.po.errors = [f"No PO numbered {find.po.data.strip()}."]
        return render_template("invoices/new.html", find=find, po=None, form=None), 404
    if po is None:
        return render_template("invoices/new.html", find=find, po=None, form=None)
    form = InvoiceForm(formdata=None)
    form.type.data = request.args.get("type", InvoiceType.invoice.value)
    lines = reads.open_lines(po.id)
    _prefill(form, lines)
    return _new_page(po, lines, form)[0]


@bp.post("/new/<int:po_id>")
@requires(C.enter_invoices)
def create(po_id: int):
    """Save the invoice and match it; a held invoice opens with its reasons in words."""
    form = InvoiceForm()
    po = reads.get_purchase_order(po_id)
    lines = reads.open_lines(po.id)
    duplicate_id = None
    if form.validate_on_submit():
        try:
            invoice = invoices.enter_invoice(
                purchase_order_id=po.id,
                number=form.number.data,
                invoice_on=form.invoice_on.data,
                invoice_type=InvoiceType(form.type.data),
                freight=form.freight.data or Decimal(0),
                tax=form.tax.data or Decimal(0),
                lines=[
                    invoices.NewLine(
                        int(entry.po_line_id.data), entry.qty.data, entry.unit_price.data
                    )
                    for entry in form.lines
                ],
                actor=current_user,
                submission_id=form.submission_id.data,
            )
        except (NotFound, NotAllowed):
            raise  # 404 / 403 pages
        except DuplicateInvoice as err:
            form.number.errors = [str(err)]
            duplicate_id = err.first_id
        except (DomainError, ValueError) as err:
            form.form_errors.append(str(err))
        else:
            held = invoice.status is InvoiceStatus.hold
            flash(
                f"Invoice {invoice.number} saved: {label(invoice.status).lower()}.",
                "warning" if held else "success",
            )
            return redirect(url_for("invoices.detail", invoice_id=invoice.id), code=303)
    return _new_page(po, lines, form, status=422, duplicate_id=duplicate_id)


def _detail(invoice_id: int, *, status: int = 200, **forms):
    """The invoice page (or its actions block for htmx)."""
    page = reads.invoice_page(invoice_id)
    context = {
        "page": page,
        "release_form": forms.get("release_form") or ReasonForm(formdata=None),
        "reject_form": forms.get("reject_form") or ReasonForm(formdata=None),
        "ask_form": forms.get("ask_form") or AskForm(formdata=None),
    }
    return page_or_block("invoices/detail.html", "invoice_main", status=status, **context)


@bp.get("/<int:invoice_id>")
@requires(C.read_invoice)
def detail(invoice_id: int):
    """Lines, the match in words, holds, tasks and the actions that fit the status."""
    return _detail(invoice_id)


def _decided(invoice_id: int, message: str):
    """After a decision: PRG with a flash, or the fresh main block for htmx."""
    flash(message, "success")
    if wants_fragment():
        return _detail(invoice_id)
    return redirect(url_for("invoices.detail", invoice_id=invoice_id), code=303)


@bp.post("/<int:invoice_id>/release")
@requires(C.release_invoice_holds)
def release(invoice_id: int):
    """Release the hold(s) with a written reason; never on an invoice you entered."""
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            invoice = invoices.release_hold(
                invoice_id,
                approver=current_user,
                reason=form.reason.data,
                hold_id=form.hold_id.data,
                submission_id=form.submission_id.data,
            )
        except NotFound:
            raise  # the 404 page
        except DomainError as err:  # separation of duties, a hold already decided: in words
            form.form_errors.append(str(err))
        else:
            return _decided(
                invoice_id,
                f"Released: invoice {invoice.number} is {label(invoice.status).lower()}.",
            )
    return _detail(invoice_id, status=422, release_form=form)


@bp.post("/<int:invoice_id>/reject")
@requires(C.work_invoice_exceptions)
def reject(invoice_id: int):
    """Refuse the invoice with a written reason."""
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            invoice = invoices.reject_invoice(
                invoice_id,
                actor=current_user,
                reason=form.reason.data,
                submission_id=form.submission_id.data,
            )
        except NotFound:
            raise  # the 404 page
        except DomainError as err:
            form.form_errors.append(str(err))
        else:
            return _decided(invoice_id, f"Invoice {invoice.number} rejected.")
    return _detail(invoice_id, status=422, reject_form=form)


@bp.post("/<int:invoice_id>/ask")
@requires(C.work_invoice_exceptions)
def ask(invoice_id: int):
    """Put a task on the buyer's or the receivers' home page."""
    form = AskForm()
    if form.validate_on_submit():
        try:
            invoices.ask_to_act(
                invoice_id,
                who=form.who.data,
                text=form.text.data,
                actor=current_user,
                submission_id=form.submission_id.data,
            )
        except NotFound:
            raise  # the 404 page
        except DomainError as err:
            form.form_errors.append(str(err))
        else:
            return _decided(invoice_id, f"Asked {ASKABLE[form.who.data]}.")
    return _detail(invoice_id, status=422, ask_form=form)


@bp.post("/tasks/<int:task_id>/done")
@requires(C.answer_invoice_tasks)
def task_done(task_id: int):
    """Mark one of my tasks done."""
    invoices.complete_task(
        task_id, actor=current_user, submission_id=request.form.get("submission_id") or None
    )
    flash("Task done.", "success")
    return redirect(
        request.referrer
        if request.referrer and request.referrer.startswith(request.host_url)
        else url_for("main.home"),
        code=303,
    )


def _filters(form: ExceptionFilterForm) -> reads.ExceptionFilters:
    """The queue filters from the query string; anything unreadable is ignored."""
    form.validate()
    vendor = form.vendor.data or ""
    age = form.age.data or ""
    return reads.ExceptionFilters(
        reason=form.reason.data if form.reason.data in REASON_WORDS else "",
        vendor_id=parse_id(vendor),
        older_than_days=int(age) if age in reads.AGES and age else None,
        min_amount=None if form.min_amount.errors else form.min_amount.data,
        page=form.page.data if form.page.data and not form.page.errors else 1,
    )


@bp.get("/exceptions")
@requires(C.read_invoices)
def exceptions():
    """Invoices on hold; the filters refresh only the rows under htmx."""
    form = ExceptionFilterForm(request.args, meta={"csrf": False})
    form.reason.choices = [SelectChoice(v, words) for v, words in reads.reason_choices()]
    form.vendor.choices = [SelectChoice("", "Any vendor")] + [
        SelectChoice(str(v.id), v.name) for v in reads.vendors_with_holds()
    ]
    form.age.choices = [SelectChoice(v, words) for v, words in reads.AGES.items()]
    filters = _filters(form)
    queue = reads.exceptions_queue(filters)
    return page_or_block(
        "invoices/exceptions.html", "exception_rows", form=form, queue=queue, filters=filters
    )


@bp.get("/payable")
@requires(C.read_invoices)
def payable():
    """Approved for payment and not yet exported, with due dates and discounts; past exports."""
    rows, total = reads.payable()
    return render_template(
        "invoices/payable.html",
        rows=rows,
        total=total,
        exports=reads.past_exports(),
        export_form=ExportForm(formdata=None),
    )


@bp.post("/payable/export")
@requires(C.export_payments)
def export():
    """Export what is approved and not yet exported; each invoice goes out once."""
    form = ExportForm()
    if not form.validate_on_submit():
        flash("The page was out of date: check what is payable and export again.", "error")
        return redirect(url_for("invoices.payable"), code=303)
    made = invoices.export_payments(actor=current_user, submission_id=form.submission_id.data)
    if made is None:
        flash("Nothing new to export: every approved invoice is already in an export.", "info")
        return redirect(url_for("invoices.payable"), code=303)
    flash(
        f"Exported {made.invoice_count} invoice{'s' if made.invoice_count != 1 else ''} "
        f"in {made.filename}.",
        "success",
    )
    return redirect(url_for("invoices.payable", made=made.id), code=303)


@bp.get("/exports/<int:export_id>.csv")
@requires(C.export_payments)
def export_download(export_id: int):
    """A past payment file, the same bytes every time; nothing is marked again."""
    made = reads.export_file(export_id)
    # The file was written once (formula-safe, by domain/tabular) when the export was made;
    # it is sent as stored so a download never differs from what went to the payment run.
    return Response(
        made.content,
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={made.filename}"},
    )


@bp.get("/import")
@requires(C.enter_invoices)
def import_form():
    """Upload or paste an invoice CSV; nothing is written until the dry run has been seen."""
    return render_template("invoices/import.html", form=ImportInvoicesForm())


@bp.get("/import/template.csv")
@requires(C.enter_invoices)
def import_template():
    """The invoice CSV header with two example lines of one invoice."""
    importer = invoice_import.INVOICES
    return csv_response("invoices-template.csv", importer.spec.columns, importer.example)


def _preview_page(text: str, confirm: ConfirmImportForm, *, error: str | None = None):
    """The dry run's page: every row with its problems, and the confirm button if all is right."""
    preview = invoice_import.preview_import(text)
    summary = preview.summary()
    return render_template(
        "invoices/import_preview.html",
        preview=preview,
        summary=summary,
        problems=preview.problems_by_row(),
        invoice_count=invoice_import.invoice_count(preview),
        confirm=confirm,
        form=ImportInvoicesForm(formdata=None),
        error=error,
    ), (200 if summary.ok and error is None else 422)


@bp.post("/import/preview")
@requires(C.enter_invoices)
def import_preview():
    """Dry run: every row with its problems; nothing is written."""
    form = ImportInvoicesForm()
    if form.validate_on_submit() and (text := form.csv_text()) is not None:
        return _preview_page(text, ConfirmImportForm(formdata=None, csv_text=text))
    return render_template("invoices/import.html", form=form), 422


@bp.post("/import")
@requires(C.enter_invoices)
def import_create():
    """Enter every invoice of the checked file: all or none; a repeat post adds none."""
    confirm = ConfirmImportForm()
    if not confirm.validate_on_submit():
        flash("The import form was incomplete. Check the file again.", "error")
        return redirect(url_for("invoices.import_form"), code=303)
    try:
        made = invoice_import.import_invoices(
            confirm.csv_text.data, actor=current_user, submission_id=confirm.submission_id.data
        )
    except NotAllowed:
        raise  # the 403 page
    except DomainError as err:
        return _preview_page(confirm.csv_text.data, confirm, error=str(err))
    held = sum(1 for invoice in made if invoice.status is InvoiceStatus.hold)
    flash(
        f"Imported {len(made)} invoice{'s' if len(made) != 1 else ''}: "
        f"{len(made) - held} matched, {held} on hold.",
        "success",
    )
    return redirect(url_for("invoices.index"), code=303)
