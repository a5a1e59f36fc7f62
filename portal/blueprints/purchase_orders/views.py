"""Purchase orders: list, To order, the PO page, edit a draft, move, revise, the PO document.

Thin views: forms check shape, services decide and write, domain errors come back in words on
the same page (422). Every action is a plain form post answering 303 (PRG); the list's filters
and search refresh only the rows under htmx.
"""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from portal.blueprints.purchase_orders import bp
from portal.blueprints.purchase_orders.forms import (
    CreateOrdersForm,
    EditDraftForm,
    LineFlagForm,
    PurchaseOrderSearchForm,
    ReasonForm,
    ReviseForm,
)
from portal.domain.errors import DomainError, NotAllowed, NotFound
from portal.domain.fields import parse_id
from portal.domain.labels import label
from portal.domain.permissions import Capability as C
from portal.domain.purchase_orders import (
    ACTION_LABELS,
    LineChange,
    NewLine,
    RevisionChanges,
)
from portal.domain.statuses import PurchaseOrderStatus
from portal.htmx import page_or_block, wants_fragment
from portal.read_models import approvals as approval_reads
from portal.read_models import po_approval as spend_reads
from portal.read_models import po_line_flags as line_flags_read
from portal.read_models import purchase_orders as pages
from portal.security import requires
from portal.services import po_approval, po_creation, po_document, po_line_changes, po_revisions
from portal.services import purchase_orders as orders

# Who may read POs: buyers, approvers (budgets), the dock, accounts payable, supervisors, auditors.


@bp.app_template_filter("po_status")
def po_status(value) -> str:
    """A PO status (an enum or its value, as other pages pass it) in words."""
    try:
        return label(PurchaseOrderStatus(value))
    except ValueError:
        return str(value)


@bp.get("/")
@requires(C.read_purchase_orders)
def index():
    """POs newest first; status, vendor and number filters refresh only the rows."""
    search = PurchaseOrderSearchForm(request.args, meta={"csrf": False})
    search.vendor.choices = [(0, "Any vendor")] + pages.vendor_choices()
    valid = search.validate()
    page = pages.search(
        status=search.status.data if valid else None,
        vendor_id=search.vendor.data if valid else None,
        q=search.q.data if valid else None,
        page=(search.page.data or 1) if valid else 1,
    )
    waiting = [] if wants_fragment() else spend_reads.waiting_for(current_user)
    return page_or_block(
        "purchase_orders/index.html", "po_rows", page=page, search=search, waiting=waiting
    )


@bp.get("/to-order")
@requires(C.manage_purchase_orders)
def to_order():
    """Approved request lines waiting for a PO, grouped by suggested vendor."""
    return _to_order_page(CreateOrdersForm(formdata=None))


def _to_order_page(form: CreateOrdersForm, *, status: int = 200, chosen=None, picked=None):
    """The To order page with the buyer's ticks and vendor choices kept after an error."""
    return (
        render_template(
            "purchase_orders/to_order.html",
            board=pages.to_order(),
            form=form,
            chosen=chosen,
            picked=picked or {},
            line_flags=line_flags_read.open_flags(),
        ),
        status,
    )


def _group_key(text: str) -> int | None:
    """A group on the To order page: its vendor's id, or 0 for lines with no vendor."""
    return 0 if text == "0" else parse_id(text)


@bp.post("/to-order")
@requires(C.manage_purchase_orders)
def create():
    """Create one draft PO per vendor from the ticked lines; a double tap creates them once."""
    form = CreateOrdersForm()
    chosen = [i for v in request.form.getlist("line") if (i := parse_id(v)) is not None]
    # One vendor choice per group: vendor-<group key> = vendor id (empty: keep the suggestion).
    picked = {
        key: vendor_id
        for k, v in request.form.items()
        if k.startswith("vendor-")
        and (key := _group_key(k.removeprefix("vendor-"))) is not None
        and (vendor_id := parse_id(v)) is not None
    }
    # Each line says which group it is shown in: group = "<line id>:<group key>".
    groups = {}
    for value in request.form.getlist("group"):
        line_text, _, key_text = value.partition(":")
        line_id, key = parse_id(line_text), _group_key(key_text)
        if line_id is not None and key is not None:
            groups[line_id] = key
    if form.validate_on_submit():
        overrides = {
            line_id: picked[groups[line_id]]
            for line_id in chosen
            if groups.get(line_id) in picked and picked[groups[line_id]]
        }
        try:
            pos = po_creation.create_purchase_orders(
                chosen,
                buyer=current_user,
                submission_id=form.submission_id.data,
                vendor_overrides=overrides,
            )
        except DomainError as err:
            form.form_errors.append(str(err))
        else:
            numbers = ", ".join(po.number for po in pos)
            flash(f"Created {numbers} as draft{'s' if len(pos) > 1 else ''}.", "success")
            if len(pos) == 1:
                return redirect(url_for("purchase_orders.detail", po_id=pos[0].id), code=303)
            return redirect(url_for("purchase_orders.index", status="draft"), code=303)
    else:
        form.form_errors.append("The form expired: try again.")
    return _to_order_page(form, status=422, chosen=set(chosen), picked=picked)


@bp.get("/<int:po_id>")
@requires(C.read_purchase_orders)
def detail(po_id: int):
    """One PO: header, lines with WO links and backorders, warnings, revisions, allowed moves."""
    return _detail_page(po_id)


def _detail_page(po_id: int, *, status: int = 200, action=None, form=None, error=None):
    """The PO page (a fresh form per move), with a refused move's words beside the buttons."""
    view = pages.get_for_page(po_id, viewer=current_user)
    move_forms = {name: ReasonForm(formdata=None) for name in (*ACTIONS, "approve_spend")}
    if action is not None and form is not None:
        move_forms[action] = form
    return (
        render_template(
            "purchase_orders/detail.html",
            view=view,
            po=view.po,
            action_labels=ACTION_LABELS,
            move_forms=move_forms,
            move_error=error,
            error_action=action,
            line_flags=line_flags_read.open_flags(po_id),
        ),
        status,
    )


ACTIONS = ("approve", "issue", "cancel", "close")


def _move(action: str, po_id: int, form: ReasonForm):
    """Run one move with what the form says."""
    once = {"actor": current_user, "submission_id": form.submission_id.data}
    if action == "approve":
        return orders.approve_purchase_order(po_id, **once)
    if action == "issue":
        return orders.issue_purchase_order(po_id, **once)
    if action == "cancel":
        return orders.cancel_purchase_order(po_id, reason=form.reason.data, **once)
    return orders.close_purchase_order(po_id, reason=form.reason.data, **once)


@bp.post("/<int:po_id>/<any(approve, issue, cancel, close):action>")
@requires(C.manage_purchase_orders)
def move(po_id: int, action: str):
    """Approve, issue, cancel or close; a refusal is told on the PO page."""
    form = ReasonForm()
    if not form.validate_on_submit():
        return _detail_page(po_id, status=422, action=action, form=form, error="Check the reason.")
    try:
        po = _move(action, po_id, form)
    except NotFound:
        raise  # the 404 page
    except DomainError as err:
        return _detail_page(po_id, status=422, action=action, form=form, error=str(err))
    flash(f"{po.number} is now {label(po.status).lower()}.", "success")
    return redirect(url_for("purchase_orders.detail", po_id=po_id), code=303)


@bp.post("/<int:po_id>/<any(approve, reject):decision>-spend")
@requires(C.approve_purchase_requests)
def decide_spend(po_id: int, decision: str):
    """Approve a PO above what was approved, or send it back with a reason; refusals in words."""
    if not approval_reads.may_ever_approve(current_user):
        abort(403)  # admin holds every capability but approves nothing (domain/approvals.py)
    form = ReasonForm()
    if not form.validate_on_submit():
        return _detail_page(
            po_id, status=422, action="approve_spend", form=form, error="Check the reason."
        )
    decide = po_approval.approve_spend if decision == "approve" else po_approval.reject_spend
    try:
        decide(
            po_id,
            approver=current_user,
            reason=form.reason.data,
            submission_id=form.submission_id.data,
        )
    except NotFound:
        raise  # the 404 page
    except DomainError as err:
        return _detail_page(po_id, status=422, action="approve_spend", form=form, error=str(err))
    flash(
        "Your approval is recorded." if decision == "approve" else "Sent back to the buyer.",
        "success",
    )
    return redirect(url_for("purchase_orders.detail", po_id=po_id), code=303)


def _line_data(view: pages.PoPage) -> list[dict]:
    """The lines as the line forms start."""
    return [
        {
            "line_id": str(row.line.id),
            "qty": row.line.qty,
            "unit_price": row.line.unit_price,
            "discount_percent": row.line.discount_percent,
            "expected_on": row.line.expected_on,
        }
        for row in view.lines
    ]


def _line_changes(form) -> dict[int, LineChange]:
    """What the line forms say, per line id."""
    changes = {}
    for entry in form.lines:
        sub = entry.form
        if sub.line_id.data is None:
            continue
        changes[sub.line_id.data] = LineChange(
            qty=sub.qty.data,
            unit_price=sub.unit_price.data,
            discount_percent=sub.discount_percent.data,
            expected_on=sub.expected_on.data,
            clear_expected_on=sub.expected_on.data is None,
        )
    return changes


def _rows_by_id(view: pages.PoPage) -> dict[str, pages.LineView]:
    """Line views keyed by the id text the forms carry."""
    return {str(row.line.id): row for row in view.lines}


@bp.route("/<int:po_id>/edit", methods=["GET", "POST"])
@requires(C.manage_purchase_orders)
def edit(po_id: int):
    """Edit a draft: payment terms, ship-to, notes, service schedule; line prices and dates."""
    view = pages.get_for_page(po_id)
    if not view.editable:
        flash("Only a draft is edited; after issue, revise it with a reason.", "error")
        return redirect(url_for("purchase_orders.detail", po_id=po_id), code=303)
    po = view.po
    if request.method == "GET":
        form = EditDraftForm(
            formdata=None,
            data={
                "payment_terms": po.payment_terms,
                "ship_to": po.ship_to,
                "notes": po.notes,
                "service_frequency": po.service_frequency,
                "billing_schedule": po.billing_schedule,
                "lines": _line_data(view),
            },
        )
    else:
        form = EditDraftForm()
        if form.validate():
            header = orders.DraftHeader(
                payment_terms=form.payment_terms.data,
                ship_to=form.ship_to.data,
                notes=form.notes.data,
                service_frequency=form.service_frequency.data,
                billing_schedule=form.billing_schedule.data,
            )
            try:
                orders.update_draft(
                    po_id,
                    header=header,
                    lines=_line_changes(form),
                    actor=current_user,
                    submission_id=form.submission_id.data,
                )
            except DomainError as err:
                form.form_errors.append(str(err))
            else:
                flash(f"{po.number} saved.", "success")
                return redirect(url_for("purchase_orders.detail", po_id=po_id), code=303)
    status = 422 if request.method == "POST" else 200
    return (
        render_template(
            "purchase_orders/edit.html", view=view, po=po, form=form, rows=_rows_by_id(view)
        ),
        status,
    )


@bp.route("/<int:po_id>/revise", methods=["GET", "POST"])
@requires(C.manage_purchase_orders)
def revise(po_id: int):
    """Revise an issued PO: quantities, prices, discounts, dates, an added line, and why."""
    view = pages.get_for_page(po_id)
    if not view.revisable:
        flash("Only an issued purchase order is revised.", "error")
        return redirect(url_for("purchase_orders.detail", po_id=po_id), code=303)
    if request.method == "GET":
        form = ReviseForm(formdata=None, data={"lines": _line_data(view)})
    else:
        form = ReviseForm()
        if form.validate():
            new_lines: tuple[NewLine, ...] = ()
            if (form.new_description.data or "").strip():
                new_lines = (
                    NewLine(
                        description=form.new_description.data,
                        qty=form.new_qty.data,
                        uom=form.new_uom.data or "EA",
                        unit_price=form.new_unit_price.data,
                    ),
                )
            try:
                revision = po_revisions.revise_purchase_order(
                    po_id,
                    changes=RevisionChanges(lines=_line_changes(form), new_lines=new_lines),
                    reason=form.reason.data,
                    actor=current_user,
                    submission_id=form.submission_id.data,
                )
            except NotFound:
                raise  # the 404 page
            except DomainError as err:
                form.form_errors.append(str(err))
            else:
                flash(f"{view.po.number} revision {revision.revision} saved.", "success")
                return redirect(url_for("purchase_orders.detail", po_id=po_id), code=303)
    status = 422 if request.method == "POST" else 200
    return (
        render_template(
            "purchase_orders/revise.html",
            view=view,
            po=view.po,
            form=form,
            rows=_rows_by_id(view),
        ),
        status,
    )


@bp.get("/<int:po_id>/document")
@requires(C.read_purchase_orders)
def document(po_id: int):
    """The PO as a print-ready page (A4 or Letter) with the dock's QR code."""
    view = pages.get_for_page(po_id)
    paper = "letter" if request.args.get("paper") == "letter" else "a4"
    return render_template(
        "purchase_orders/document.html",
        view=view,
        po=view.po,
        paper=paper,
        qr=po_document.qr_svg(view.po.number),
    )


@bp.get("/<int:po_id>.pdf")
@requires(C.read_purchase_orders)
def pdf(po_id: int):
    """The PO as a PDF file (fpdf2) with the PO number's QR code for the receiving dock."""
    view = pages.get_for_page(po_id)
    paper = "letter" if request.args.get("paper") == "letter" else "a4"
    response = make_response(po_document.render_pdf(view, paper=paper))
    response.mimetype = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{view.po.number}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


# ---------------------------------------------------------------- lines of cancelled work


@bp.app_template_global()
def new_line_flag_form() -> LineFlagForm:
    """A fresh form (and submission id) for one flagged line."""
    return LineFlagForm(formdata=None)


@bp.post("/line-flags/<int:flag_id>/resolve")
@requires(C.manage_purchase_orders)
def resolve_line_flag(flag_id: int):
    """Cancel what is still to come on a line of cancelled work, or divert it to stock."""
    po_id = line_flags_read.po_of_flag(flag_id)
    if po_id is None:
        raise NotFound(f"Flag {flag_id} does not exist.")
    form = LineFlagForm()
    if not form.validate_on_submit():
        flash(" ".join(e for errors in form.errors.values() for e in errors), "error")
        return _detail_page(po_id, status=422)
    try:
        flag = po_line_changes.resolve_flag(
            flag_id,
            resolution=form.resolution.data,
            reason=form.reason.data,
            actor=current_user,
            submission_id=form.submission_id.data,
        )
    except (NotFound, NotAllowed):
        raise
    except DomainError as err:
        flash(str(err), "error")
        return _detail_page(po_id, status=422)
    done = "cancelled" if flag.resolution == "cancelled" else "diverted to stock"
    flash(f"Line {done}.", "success")
    return redirect(url_for("purchase_orders.detail", po_id=po_id), code=303)
