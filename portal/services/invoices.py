"""Vendor invoices: entry (matched in the same transaction), holds released or rejected by
people, tasks for buyers and receivers, and the payment export.

Every use case asserts the actor's capability, locks the row it decides on, and is done once per
form submission (`submitted_once`): a double tap gets the first post's invoice, task or export.
The CSV import is `portal/services/invoice_import.py`; the pages' reads are
`portal/read_models/invoices.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, joinedload

from portal.domain import invoices as rules
from portal.domain.errors import DomainError, NotFound
from portal.domain.money import money
from portal.domain.permissions import Capability as C
from portal.domain.roles import Role
from portal.domain.statuses import HoldStatus, InvoiceStatus, InvoiceType
from portal.domain.tabular import csv_text
from portal.models import (
    Hold,
    PaymentExport,
    PurchaseOrder,
    Task,
    User,
    VendorInvoice,
    VendorInvoiceLine,
)
from portal.models.base import utcnow
from portal.read_models.invoices import PayableRow, addressed_to, payable_row
from portal.services import audit, costing, matching
from portal.services._uow import locked, submitted_once, unit_of_work
from portal.services.authz import authorize

ZERO = Decimal(0)


# --------------------------------------------------------------------------- entering


@dataclass(frozen=True)
class NewLine:
    """One billed line as typed: which PO line, how many, at what unit price."""

    po_line_id: int
    qty: Decimal
    unit_price: Decimal


def _check_not_duplicate(session: Session, vendor_id: int, normalised: str, number: str) -> None:
    """Refuse a number the vendor already used on an active invoice, naming the first one."""
    first = session.execute(
        select(VendorInvoice.id, VendorInvoice.number)
        .where(
            VendorInvoice.vendor_id == vendor_id,
            VendorInvoice.normalised_number == normalised,
            VendorInvoice.status.not_in(rules.INACTIVE),
        )
        .order_by(VendorInvoice.id)
        .limit(1)
    ).first()
    if first is not None:
        raise rules.DuplicateInvoice(
            f"Invoice {number} from this vendor is already entered (as {first.number}).",
            first_id=first.id,
        )


def create_invoice(
    session: Session,
    po: PurchaseOrder,
    *,
    number: str,
    invoice_on: date,
    lines: list[NewLine],
    invoice_type: InvoiceType,
    freight: Decimal,
    tax: Decimal,
    total_amount: Decimal | None,
    actor: User,
) -> VendorInvoice:
    """Write one invoice and its lines (checked against the PO) in the caller's transaction."""
    number = (number or "").strip()
    if not number:
        raise DomainError("Give the vendor's invoice number.")
    if len(number) > 40:
        raise DomainError("The invoice number is longer than 40 characters.")
    normalised = rules.normalise_invoice_number(number)
    _check_not_duplicate(session, po.vendor_id, normalised, number)
    by_id = {line.id: line for line in po.lines}
    billed = [line for line in lines if line.qty != 0]
    if not billed:
        raise DomainError("Bill at least one line: every quantity is 0.")
    for line in billed:
        if line.po_line_id not in by_id:
            raise DomainError(f"Line {line.po_line_id} is not on {po.number}.")
        if line.qty < 0 or line.unit_price < 0:
            raise DomainError(
                "Quantities and prices are never negative; enter a credit memo to give back."
            )
    gross = rules.gross_amount([(line.qty, line.unit_price) for line in billed], freight, tax)
    invoice = VendorInvoice(
        vendor_id=po.vendor_id,
        purchase_order_id=po.id,
        number=number,
        normalised_number=normalised[:40],
        type=invoice_type,
        invoice_on=invoice_on,
        due_on=rules.due_on_for(po.payment_terms, invoice_on),
        currency=po.currency,
        total_amount=money(total_amount) if total_amount is not None else None,
        freight_amount=money(freight),
        tax_amount=money(tax),
        gross_amount=gross,
        status=InvoiceStatus.entered,
        entered_by_id=actor.id,
    )
    session.add(invoice)
    for position, line in enumerate(billed, start=1):
        po_line = by_id[line.po_line_id]
        invoice.lines.append(
            VendorInvoiceLine(
                position=position,
                purchase_order_line_id=po_line.id,
                line_ref=str(po_line.line_no),
                qty=line.qty,
                unit_price=line.unit_price,
                uom=po_line.uom,
            )
        )
    costing.book_invoice(session, invoice)  # docs/money.md: freight, tax, currency
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="invoice.entered",
        subject=invoice,
        changes={
            "type": invoice_type,
            "purchase_order": po.number,
            "invoice_on": invoice_on.isoformat(),
            "gross_amount": gross,
            "lines": [[by_id[x.po_line_id].line_no, x.qty, x.unit_price] for x in billed],
        },
    )
    return invoice


@submitted_once("vendor_invoice")
def enter_invoice(
    *,
    purchase_order_id: int,
    number: str,
    invoice_on: date,
    lines: list[NewLine],
    actor: User,
    submission_id: str | None = None,  # the form's: submitted_once saves the invoice once
    invoice_type: InvoiceType = InvoiceType.invoice,
    freight: Decimal = ZERO,
    tax: Decimal = ZERO,
    total_amount: Decimal | None = None,
) -> VendorInvoice:
    """Save an invoice or credit memo and match it, in one transaction; a retry saves it once."""
    authorize(actor, C.enter_invoices)
    with unit_of_work() as session:
        # The PO locked: two entries on one PO are matched in turn.
        po = locked(
            session,
            PurchaseOrder,
            purchase_order_id,
            missing=f"Purchase order {purchase_order_id} does not exist.",
        )
        invoice = create_invoice(
            session,
            po,
            number=number,
            invoice_on=invoice_on,
            lines=lines,
            invoice_type=invoice_type,
            freight=freight,
            tax=tax,
            total_amount=total_amount,
            actor=actor,
        )
        matching.match_batch(session, [invoice.id], actor=actor, why="matched on entry")
    return invoice  # expired by the commit: it reads its matched status when next used


# --------------------------------------------------------------------------- decisions


def _locked_invoice(session: Session, invoice_id: int) -> VendorInvoice:
    """The invoice, row-locked for the rest of the transaction."""
    return locked(
        session, VendorInvoice, invoice_id, missing=f"Invoice {invoice_id} does not exist."
    )


def release_hold(
    invoice_id: int,
    *,
    approver: User,
    reason: str,
    hold_id: int | None = None,
    submission_id: str | None = None,
) -> VendorInvoice:
    """An approver releases one hold (or all) with a written reason; never their own entry."""
    authorize(approver, C.release_invoice_holds)
    why = rules.written_reason(reason, what="release the hold")
    return _release(invoice_id, why, hold_id, actor=approver, submission_id=submission_id)


@submitted_once("invoice.release")
def _release(
    invoice_id: int,
    why: str,
    hold_id: int | None,
    *,
    actor: User,
    submission_id: str | None = None,  # the form's: submitted_once releases once
) -> VendorInvoice:
    """The release itself, once per submission."""
    with unit_of_work() as session:
        invoice = _locked_invoice(session, invoice_id)
        rules.check_may_release(
            invoice.status, entered_by_id=invoice.entered_by_id, approver_id=actor.id
        )
        holds = [hold for hold in invoice.holds if hold.status is HoldStatus.open]
        if hold_id is not None:
            holds = [hold for hold in holds if hold.id == hold_id]
            if not holds:
                raise NotFound("That hold is not open on this invoice.")
        now = utcnow()
        for hold in holds:
            hold.status = HoldStatus.released
            hold.released_by_id = actor.id
            hold.resolved_at = now
            hold.release_reason = why
        session.flush()
        still_open = session.scalar(
            select(func.count())
            .select_from(Hold)
            .where(Hold.invoice_id == invoice.id, Hold.status == HoldStatus.open)
        )
        before = invoice.status
        if not still_open:
            invoice.status = InvoiceStatus.released
        audit.record(
            session,
            actor=actor,
            action="invoice.hold_released",
            subject=invoice,
            changes={
                "status": [before, invoice.status],
                "holds_released": [hold.reason_code for hold in holds],
            },
            why=why,
        )
    return invoice


@submitted_once("invoice.reject")
def reject_invoice(
    invoice_id: int, *, actor: User, reason: str, submission_id: str | None = None
) -> VendorInvoice:
    """Refuse an invoice (it will not be paid) with a written reason."""
    authorize(actor, C.work_invoice_exceptions)
    why = rules.written_reason(reason, what="reject the invoice")
    with unit_of_work() as session:
        invoice = _locked_invoice(session, invoice_id)
        rules.check_may_reject(invoice.status)
        before = invoice.status
        invoice.status = InvoiceStatus.rejected
        now = utcnow()
        for hold in invoice.holds:
            if hold.status is HoldStatus.open:
                hold.status = HoldStatus.cleared
                hold.resolved_at = now
                hold.release_reason = f"invoice rejected: {why}"[:1000]
        audit.record(
            session,
            actor=actor,
            action="invoice.rejected",
            subject=invoice,
            changes={"status": [before, invoice.status]},
            why=why,
        )
    return invoice


@submitted_once("invoice.ask")
def ask_to_act(
    invoice_id: int, *, who: str, text: str, actor: User, submission_id: str | None = None
) -> Task:
    """A task on the buyer's (the PO's buyer, else every buyer) or the receivers' home page."""
    authorize(actor, C.work_invoice_exceptions)
    if who not in rules.ASKABLE:
        raise DomainError("Ask the buyer or the receiver.")
    message = rules.written_reason(text, what=f"ask {rules.ASKABLE[who]}")
    with unit_of_work() as session:
        invoice = session.get(VendorInvoice, invoice_id)
        if invoice is None:
            raise NotFound(f"Invoice {invoice_id} does not exist.")
        buyer_id = invoice.purchase_order.buyer_id if invoice.purchase_order else None
        if who == "buyer":
            user_id, role = (buyer_id, None) if buyer_id else (None, Role.buyer.value)
        else:
            user_id, role = None, Role.storekeeper.value
        task = Task(
            invoice_id=invoice.id,
            assignee_user_id=user_id,
            assignee_role=role,
            text=message,
            created_by_id=actor.id,
        )
        session.add(task)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="invoice.task_created",
            subject=invoice,
            changes={"task_id": task.id, "asked": who},
            why=message,
        )
    return task


@submitted_once("task.done")
def complete_task(task_id: int, *, actor: User, submission_id: str | None = None) -> Task:
    """The buyer or receiver says it is done (once, however often it is tapped)."""
    authorize(actor, C.answer_invoice_tasks)
    with unit_of_work() as session:
        mine = session.scalar(select(Task.id).where(Task.id == task_id, addressed_to(actor)))
        if mine is None:
            raise NotFound("That task is not yours or does not exist.")
        task = locked(session, Task, mine)
        if not task.done:
            task.done = True
            task.done_at = utcnow()
            audit.record(
                session,
                actor=actor,
                action="task.done",
                subject=task,
                subject_label=f"Task {task.id}",
                changes={"done": [False, True]},
            )
    return task


# --------------------------------------------------------------------------- payment export

EXPORT_COLUMNS = (
    "vendor_code",
    "vendor_name",
    "invoice_number",
    "type",
    "invoice_date",
    "due_date",
    "currency",
    "amount",
    "discount_until",
    "discount_amount",
    "po_number",
)


def _export_csv(rows: list[PayableRow]) -> str:
    """The payment file: one row per invoice, credit memos negative (cells formula-safe)."""
    return csv_text(
        EXPORT_COLUMNS,
        (
            [
                row.invoice.vendor.code,
                row.invoice.vendor.name,
                row.invoice.number,
                row.invoice.type.value,
                row.invoice.invoice_on.isoformat(),
                row.invoice.due_on.isoformat() if row.invoice.due_on else "",
                row.invoice.currency,
                f"{row.amount:.2f}",
                row.terms.discount_until.isoformat() if row.terms.discount_until else "",
                f"{row.terms.discount_amount:.2f}" if row.terms.discount_amount is not None else "",
                row.invoice.purchase_order.number if row.invoice.purchase_order else "",
            ]
            for row in rows
        ),
    )


@submitted_once("payment_export")
def export_payments(*, actor: User, submission_id: str | None = None) -> PaymentExport | None:
    """Hand what is approved and not yet exported to the payment run, each invoice once.

    The invoices are claimed with one conditional UPDATE (only rows still unexported), so two
    exports at the same moment never share an invoice; None when there is nothing to export.
    """
    authorize(actor, C.export_payments)
    with unit_of_work() as session:
        return export_approved(session, actor=actor)


def export_approved(session: Session, *, actor: User) -> PaymentExport | None:
    """The payment export inside the caller's transaction; None (and nothing written) if empty."""
    now = utcnow()
    savepoint = session.begin_nested()
    export = PaymentExport(
        created_by_id=actor.id,
        created_at=now,
        invoice_count=0,
        total_amount=ZERO,
        filename=f"payments-{now:%Y%m%d-%H%M%S}.csv",
        content="",
    )
    session.add(export)
    session.flush()
    claimed = session.execute(
        update(VendorInvoice)
        .where(
            VendorInvoice.status.in_(rules.APPROVED_FOR_PAYMENT),
            VendorInvoice.payment_export_id.is_(None),
        )
        .values(payment_export_id=export.id, status=InvoiceStatus.exported)
        .execution_options(synchronize_session=False)
    )
    if not claimed.rowcount:  # type: ignore[attr-defined]  # an UPDATE's CursorResult
        savepoint.rollback()
        return None
    savepoint.commit()
    invoices = session.scalars(
        select(VendorInvoice)
        .options(joinedload(VendorInvoice.vendor), joinedload(VendorInvoice.purchase_order))
        .where(VendorInvoice.payment_export_id == export.id)
        .order_by(VendorInvoice.due_on, VendorInvoice.id)
        .execution_options(populate_existing=True)
    ).all()
    rows = [payable_row(invoice) for invoice in invoices]
    export.invoice_count = len(rows)
    export.total_amount = money(sum((row.amount for row in rows), ZERO))
    export.filename = f"payments-{export.id:06d}-{now:%Y%m%d}.csv"
    export.content = _export_csv(rows)
    audit.record(
        session,
        actor=actor,
        action="payment_export.created",
        subject=export,
        subject_label=export.filename,
        changes={
            "invoices": [invoice.number for invoice in invoices],
            "invoice_count": export.invoice_count,
            "total_amount": export.total_amount,
        },
        why="approved for payment",
    )
    return export
