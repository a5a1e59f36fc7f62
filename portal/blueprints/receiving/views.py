"""Receiving on a phone: what is expected, find a PO (scan or type), confirm what arrived.

The receipt is one plain multipart form per PO (boosted by htmx, so it works with JS off too):
success answers 303 to the receipt page; a refusal answers 422 with the words on the line at fault.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.blueprints.receiving import bp
from portal.blueprints.receiving.forms import FindPoForm, ReceiptForm, read_lines
from portal.domain.errors import DomainError, NotFound
from portal.domain.permissions import Capability as C
from portal.domain.receiving import ReceiptRefused
from portal.domain.uploads import UploadRefused
from portal.forms import new_submission_id
from portal.models.base import utcnow
from portal.security import requires
from portal.services import receiving


@bp.get("/receiving/")
@requires(C.receive_goods)
def index():
    """Deliveries expected today and late ones by vendor, a scan button and a PO search."""
    form = FindPoForm(request.args, meta={"csrf": False})
    q = (form.q.data or "").strip() if form.validate() else ""
    error = None
    if q:
        po = receiving.find_po(q)
        if po is not None:
            return redirect(url_for("receiving.po", po_id=po.id), code=303)
        error = f"No purchase order has the number {q[:40]!r}. Check it and try again."
    elif form.q.errors:
        error = form.q.errors[0]
    board = receiving.expected(utcnow().date(), viewer=current_user)
    return render_template("receiving/index.html", board=board, q=q, error=error), (
        422 if error else 200
    )


def _po_page(page, form: ReceiptForm, read=None, *, status: int = 200):
    """The receipt page of a PO with what was typed and any errors."""
    return render_template(
        "receiving/po.html",
        page=page,
        form=form,
        inputs=read.inputs if read is not None else {},
    ), status


@bp.get("/receiving/po/<int:po_id>")
@requires(C.receive_goods)
def po(po_id: int):
    """One card per open line of the PO: accepted, rejected and why; one Confirm button."""
    page = receiving.receipt_page(po_id, viewer=current_user)
    if page is None:
        abort(404)
    return _po_page(page, ReceiptForm(formdata=None))


@bp.post("/receiving/po/<int:po_id>")
@requires(C.receive_goods)
def receive(po_id: int):
    """Record what arrived on the PO; a double tap records it once."""
    page = receiving.receipt_page(po_id, viewer=current_user)
    if page is None:
        abort(404)
    form = ReceiptForm()
    read = read_lines(request.form, [line.line.id for line in page.lines])
    if form.validate_on_submit() and read.ok:
        upload = form.packing_slip.data
        photo = (upload.read(), upload.filename) if upload and upload.filename else None
        try:
            receipt = receiving.record_receipt(
                po_id,
                lines=read.entries,
                receiver=current_user,
                submission_id=form.submission_id.data,
                packing_slip_ref=form.packing_slip_ref.data,
                packing_slip_photo=photo,
                note=form.note.data,
            )
        except NotFound:
            abort(404)
        except UploadRefused as err:
            form.packing_slip.errors = [str(err)]
        except ReceiptRefused as err:
            typed = read.inputs.get(err.po_line_id) if err.po_line_id else None
            if typed is not None:
                typed.error = str(err)
            else:
                form.form_errors.append(str(err))
        except DomainError as err:
            form.form_errors.append(str(err))
        else:
            flash(f"Received on {receipt.number}.", "success")
            return redirect(url_for("receiving.receipt", receipt_id=receipt.id), code=303)
    if not read.ok and not form.form_errors:
        form.form_errors.append("Check the lines marked below.")
    form.submission_id.data = new_submission_id()  # nothing was written: a fresh try
    page = receiving.receipt_page(po_id, viewer=current_user)
    return _po_page(page, form, read, status=422)


@bp.get("/receiving/receipts/<int:receipt_id>")
@requires(C.read_goods_receipts)
def receipt(receipt_id: int):
    """A finished receipt: its GR number, what went where, which work orders got parts."""
    summary = receiving.receipt_summary(receipt_id)
    if summary is None:
        abort(404)
    return render_template("receiving/receipt.html", summary=summary)
