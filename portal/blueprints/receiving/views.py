"""Receiving on a phone: what is expected, find a PO (scan or type), confirm what arrived.

The receipt is one plain multipart form per PO (boosted by htmx, so it works with JS off too):
success answers 303 to the receipt page; a refusal answers 422 with the words on the line at fault.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.blueprints.receiving import bp
from portal.blueprints.receiving.forms import FindPoForm, ReceiptForm, read_lines
from portal.domain.errors import DomainError, NotAllowed, NotFound
from portal.domain.permissions import Capability as C
from portal.domain.receiving import ReceiptRefused
from portal.domain.uploads import UploadRefused
from portal.forms import new_submission_id
from portal.models.base import utcnow
from portal.photo_response import send_photo
from portal.read_models import receiving as reads
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
        po = reads.find_po(q)
        if po is not None:
            return redirect(url_for("receiving.po", po_id=po.id), code=303)
        error = f"No purchase order has the number {q[:40]!r}. Check it and try again."
    elif form.q.errors:
        error = form.q.errors[0]
    board = reads.expected(utcnow().date(), viewer=current_user)
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
    """One card per open line of the PO: accepted, rejected and why; one Confirm button.

    A technician opens only POs with a line for their own work (any other is not found).
    """
    page = reads.receipt_page(po_id, viewer=current_user)
    return _po_page(page, ReceiptForm(formdata=None))


@bp.post("/receiving/po/<int:po_id>")
@requires(C.receive_goods)
def receive(po_id: int):
    """Record what arrived on the PO; a double tap records it once."""
    page = reads.receipt_page(po_id, viewer=current_user)
    form = ReceiptForm()
    # Every line they may receive, not only those still open: a double tap (or a page someone
    # else's receipt overtook) is sent to the service as it was typed, which answers with the
    # first receipt, or says in words what can no longer be taken.
    read = read_lines(request.form, page.line_ids)
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
        except (NotFound, NotAllowed):
            raise  # 404 / 403 pages
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
    form.submission_id.data = new_submission_id()  # nothing was written: a fresh try
    page = reads.receipt_page(po_id, viewer=current_user)
    shown = {line.line.id for line in page.lines}
    form.form_errors.extend(
        typed.error
        for line_id, typed in read.inputs.items()
        if typed.error and line_id not in shown
    )
    if not read.ok and not form.form_errors:
        form.form_errors.append("Check the lines marked below.")
    return _po_page(page, form, read, status=422)


@bp.get("/receiving/receipts/<int:receipt_id>")
@requires(C.read_goods_receipts)
def receipt(receipt_id: int):
    """A finished receipt: its GR number, what went where, which work orders got parts.

    A technician reads only receipts of POs with a line for their own work (any other is not
    found: they learn nothing of other people's orders, not even that the receipt exists).
    """
    summary = reads.receipt_summary(receipt_id, viewer=current_user)
    return render_template("receiving/receipt.html", summary=summary)


@bp.get("/receiving/receipts/<int:receipt_id>/packing-slips/<int:photo_id>")
@requires(C.read_goods_receipts)
def packing_slip(receipt_id: int, photo_id: int):
    """The packing slip photo of a receipt, to those who may read the receipt (else 404)."""
    return send_photo(reads.packing_slip(receipt_id, photo_id, viewer=current_user))


@bp.get("/receiving/receipts/<int:receipt_id>/packing-slips/<int:photo_id>/thumbnail")
@requires(C.read_goods_receipts)
def packing_slip_thumbnail(receipt_id: int, photo_id: int):
    """The small copy of the packing slip that the receipt page shows."""
    return send_photo(reads.packing_slip(receipt_id, photo_id, viewer=current_user), thumbnail=True)
