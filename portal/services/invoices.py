"""Vendor invoices: entry and import (matched in the same transaction), holds released or
rejected by people, tasks for buyers and receivers, and the payment export.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.orm import Session, joinedload, selectinload

from portal.domain import invoices as rules
from portal.domain.errors import DomainError, NotAllowed, NotFound
from portal.domain.money import money
from portal.domain.roles import Role
from portal.domain.statuses import HoldStatus, InvoiceStatus, InvoiceType, LineKind
from portal.extensions import db
from portal.models import (
    GoodsReceiptLine,
    Hold,
    MatchResult,
    PaymentExport,
    PurchaseOrder,
    PurchaseOrderLine,
    Task,
    User,
    Vendor,
    VendorInvoice,
    VendorInvoiceLine,
)
from portal.models.base import utcnow
from portal.services import audit, matching
from portal.services._uow import earlier_submission, unit_of_work

ZERO = Decimal(0)
EXCEPTIONS_PAGE = 25
LIST_SIZE = 50
AGES = {"": "Any age", "7": "Over 7 days", "30": "Over 30 days"}
ASKABLE = {"buyer": "the buyer", "receiver": "the receiver"}


# --------------------------------------------------------------------------- reading a PO


@dataclass
class OpenLine:
    """A PO line as the invoice form shows it: what is ordered, received, billed and open."""

    po_line_id: int
    line_no: int
    description: str
    uom: str
    kind: LineKind
    ordered: Decimal
    received: Decimal
    billed: Decimal
    unit_price: Decimal

    @property
    def open_qty(self) -> Decimal:
        """Received (goods) or ordered (services) and not yet billed; never below zero."""
        base = self.ordered if self.kind is LineKind.service else self.received
        return max(base - self.billed, ZERO)


def find_purchase_order(text: str) -> PurchaseOrder | None:
    """The PO typed or scanned, by its number (case and spaces forgiven)."""
    cleaned = "".join((text or "").split()).upper()
    if not cleaned:
        return None
    return db.session.scalar(
        select(PurchaseOrder)
        .options(joinedload(PurchaseOrder.vendor))
        .where(func.upper(PurchaseOrder.number) == cleaned)
    )


def get_purchase_order(purchase_order_id: int) -> PurchaseOrder | None:
    """A PO with its vendor, for the entry page."""
    return db.session.get(
        PurchaseOrder, purchase_order_id, options=[joinedload(PurchaseOrder.vendor)]
    )


def open_lines(purchase_order_id: int) -> list[OpenLine]:
    """Every line of the PO with received and already billed quantities (three queries)."""
    session = db.session
    lines = list(
        session.scalars(
            select(PurchaseOrderLine)
            .where(PurchaseOrderLine.purchase_order_id == purchase_order_id)
            .order_by(PurchaseOrderLine.line_no)
        )
    )
    ids = [line.id for line in lines]
    received = dict(
        session.execute(
            select(GoodsReceiptLine.purchase_order_line_id, func.sum(GoodsReceiptLine.accepted_qty))
            .where(GoodsReceiptLine.purchase_order_line_id.in_(ids))
            .group_by(GoodsReceiptLine.purchase_order_line_id)
        ).all()
    )
    billed: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for line_id, qty, kind in session.execute(
        select(VendorInvoiceLine.purchase_order_line_id, VendorInvoiceLine.qty, VendorInvoice.type)
        .join(VendorInvoice, VendorInvoice.id == VendorInvoiceLine.invoice_id)
        .where(
            VendorInvoiceLine.purchase_order_line_id.in_(ids),
            VendorInvoice.status.not_in(rules.INACTIVE),
        )
    ):
        billed[line_id] += -qty if kind is InvoiceType.credit_memo else qty
    return [
        OpenLine(
            po_line_id=line.id,
            line_no=line.line_no,
            description=line.description,
            uom=line.uom,
            kind=line.kind,
            ordered=line.qty,
            received=Decimal(received.get(line.id) or 0),
            billed=billed[line.id],
            unit_price=line.unit_price,
        )
        for line in lines
    ]


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
    submission_id: str | None,
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
        submission_id=submission_id,
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


def _locked_po(session: Session, purchase_order_id: int) -> PurchaseOrder:
    """The PO with its lines; its row locked so two entries on one PO are matched in turn."""
    from portal.services.parts import lock_row

    po = lock_row(session, PurchaseOrder, purchase_order_id)
    if po is None:
        raise NotFound(f"Purchase order {purchase_order_id} does not exist.")
    return po


def enter_invoice(
    *,
    purchase_order_id: int,
    number: str,
    invoice_on: date,
    lines: list[NewLine],
    actor: User,
    submission_id: str | None,
    invoice_type: InvoiceType = InvoiceType.invoice,
    freight: Decimal = ZERO,
    tax: Decimal = ZERO,
    total_amount: Decimal | None = None,
) -> VendorInvoice:
    """Save an invoice or credit memo and match it, in one transaction; a retry saves it once."""
    with unit_of_work() as session:
        earlier = earlier_submission(session, VendorInvoice, submission_id)
        if earlier is not None:
            return earlier
        po = _locked_po(session, purchase_order_id)
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
            submission_id=submission_id,
        )
        matching.match_batch(session, [invoice.id], actor=actor, why="matched on entry")
    return invoice  # expired by the commit: it reads its matched status when next used


# --------------------------------------------------------------------------- CSV import


@dataclass
class ImportPreview:
    """The dry run: every row and its problems; `ok` only when every row is right."""

    rows: list[rules.CsvRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    invoice_count: int = 0

    @property
    def bad_rows(self) -> list[rules.CsvRow]:
        """Rows with at least one problem."""
        return [row for row in self.rows if row.problems]

    @property
    def ok(self) -> bool:
        """Nothing stops the import."""
        return bool(self.rows) and not self.problems and not self.bad_rows


def template_csv() -> str:
    """The header and two example lines of one invoice."""
    example = [
        ["PO-2026-000123", "INV-4711", "2026-11-20", "invoice", "1", "10", "12.50", "15.00", "0"],
        ["PO-2026-000123", "INV-4711", "2026-11-20", "invoice", "2", "4", "3.20", "", ""],
    ]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(rules.COLUMNS)
    writer.writerows(example)
    return out.getvalue()


def _check_against_database(session: Session, rows: list[rules.CsvRow]) -> dict:
    """PO numbers, line numbers and duplicate numbers checked for every row (three queries)."""
    numbers = {row.po_number.upper() for row in rows if row.po_number}
    pos = {
        po.number.upper(): po
        for po in session.scalars(
            select(PurchaseOrder)
            .options(selectinload(PurchaseOrder.lines))
            .where(func.upper(PurchaseOrder.number).in_(numbers))
        )
    }
    vendor_numbers = {
        (po.vendor_id, row.key[1]) for row in rows if (po := pos.get(row.po_number.upper()))
    }
    taken = {}
    if vendor_numbers:
        for vendor_id, normalised, number in session.execute(
            select(
                VendorInvoice.vendor_id, VendorInvoice.normalised_number, VendorInvoice.number
            ).where(
                VendorInvoice.vendor_id.in_({v for v, _ in vendor_numbers}),
                VendorInvoice.normalised_number.in_({n for _, n in vendor_numbers}),
                VendorInvoice.status.not_in(rules.INACTIVE),
            )
        ):
            taken[(vendor_id, normalised)] = number
    first_in_file: dict[tuple[int, str], tuple[str, int]] = {}
    for row in rows:
        if not row.po_number:
            continue
        po = pos.get(row.po_number.upper())
        if po is None:
            row.problems.append(f"PO {row.po_number} does not exist")
            continue
        if row.po_line is not None and row.po_line not in {line.line_no for line in po.lines}:
            row.problems.append(f"{po.number} has no line {row.po_line}")
        key = (po.vendor_id, row.key[1])
        if key in taken:
            row.problems.append(f"invoice {row.invoice_number} from this vendor is already entered")
        owner = first_in_file.setdefault(key, (po.number, row.row))
        if owner[0] != po.number:
            row.problems.append(
                f"invoice {row.invoice_number} is also used for {owner[0]} on row {owner[1]}"
            )
    return pos


def preview_import(text: str) -> ImportPreview:
    """Dry run of an invoice CSV: every row's problems; nothing is written."""
    rows, problems = rules.read_invoice_csv(text)
    preview = ImportPreview(rows=rows, problems=problems)
    if rows:
        _check_against_database(db.session, rows)
        preview.invoice_count = len({row.key for row in rows})
    db.session.rollback()
    return preview


def import_invoices(text: str, *, actor: User, submission_id: str) -> list[VendorInvoice]:
    """Enter every invoice of a checked CSV and match them: all or none; a repeat adds none."""
    with unit_of_work() as session:
        earlier = list(
            session.scalars(
                select(VendorInvoice)
                .where(VendorInvoice.submission_id.like(f"{submission_id}-%"))
                .order_by(VendorInvoice.id)
            )
        )
        if earlier:
            return earlier
        rows, problems = rules.read_invoice_csv(text)
        pos = _check_against_database(session, rows) if rows else {}
        bad = [row for row in rows if row.problems]
        if problems or bad or not rows:
            first = (
                problems[0]
                if problems
                else (f"Row {bad[0].row}: {bad[0].problems[0]}" if bad else "The file has no rows.")
            )
            raise DomainError(f"Nothing was imported. {first}")
        groups: dict[tuple[str, str], list[rules.CsvRow]] = defaultdict(list)
        for row in rows:
            groups[row.key].append(row)
        created = []
        for n, group in enumerate(groups.values(), start=1):
            lead = group[0]
            po = pos[lead.po_number.upper()]
            by_no = {line.line_no: line for line in po.lines}
            created.append(
                create_invoice(
                    session,
                    po,
                    number=lead.invoice_number,
                    invoice_on=lead.invoice_on,
                    lines=[NewLine(by_no[r.po_line].id, r.qty, r.unit_price) for r in group],
                    invoice_type=lead.type,
                    freight=lead.freight,
                    tax=lead.tax,
                    total_amount=None,
                    actor=actor,
                    submission_id=f"{submission_id}-{n}",
                )
            )
        matching.match_batch(
            session, [invoice.id for invoice in created], actor=actor, why="matched on import"
        )
        for invoice in created:
            session.refresh(invoice)
    return created


# --------------------------------------------------------------------------- decisions


def _locked_invoice(session: Session, invoice_id: int) -> VendorInvoice:
    """The invoice, row-locked for the rest of the transaction."""
    from portal.services.parts import lock_row

    invoice = lock_row(session, VendorInvoice, invoice_id)
    if invoice is None:
        raise NotFound(f"Invoice {invoice_id} does not exist.")
    return invoice


def release_hold(
    invoice_id: int, *, approver: User, reason: str, hold_id: int | None = None
) -> VendorInvoice:
    """An approver releases one hold (or all) with a written reason; never their own entry."""
    if not approver.has_role(Role.approver):
        raise NotAllowed("Only an approver can release a hold.")
    why = rules.written_reason(reason, what="release the hold")
    with unit_of_work() as session:
        invoice = _locked_invoice(session, invoice_id)
        rules.check_may_release(
            invoice.status, entered_by_id=invoice.entered_by_id, approver_id=approver.id
        )
        holds = [hold for hold in invoice.holds if hold.status is HoldStatus.open]
        if hold_id is not None:
            holds = [hold for hold in holds if hold.id == hold_id]
            if not holds:
                raise NotFound("That hold is not open on this invoice.")
        now = utcnow()
        for hold in holds:
            hold.status = HoldStatus.released
            hold.released_by_id = approver.id
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
            actor=approver,
            action="invoice.hold_released",
            subject=invoice,
            changes={
                "status": [before, invoice.status],
                "holds_released": [hold.reason_code for hold in holds],
            },
            why=why,
        )
    return invoice


def reject_invoice(invoice_id: int, *, actor: User, reason: str) -> VendorInvoice:
    """Refuse an invoice (it will not be paid) with a written reason."""
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


def ask_to_act(invoice_id: int, *, who: str, text: str, actor: User) -> Task:
    """A task on the buyer's (the PO's buyer, else every buyer) or the receivers' home page."""
    if who not in ASKABLE:
        raise DomainError("Ask the buyer or the receiver.")
    message = rules.written_reason(text, what=f"ask {ASKABLE[who]}")
    with unit_of_work() as session:
        invoice = session.get(VendorInvoice, invoice_id)
        if invoice is None:
            raise NotFound(f"Invoice {invoice_id} does not exist.")
        buyer_id = invoice.purchase_order.buyer_id if invoice.purchase_order else None
        task = Task(
            invoice_id=invoice.id,
            assignee_user_id=buyer_id if who == "buyer" else None,
            assignee_role=None
            if who == "buyer" and buyer_id
            else (Role.buyer.value if who == "buyer" else Role.storekeeper.value),
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


def _mine(user: User):
    """Tasks addressed to this person or to one of their roles."""
    return or_(Task.assignee_user_id == user.id, Task.assignee_role.in_(sorted(user.roles)))


def complete_task(task_id: int, *, actor: User) -> Task:
    """The buyer or receiver says it is done."""
    with unit_of_work() as session:
        task = session.scalar(select(Task).where(Task.id == task_id, _mine(actor)))
        if task is None:
            raise NotFound("That task is not yours or does not exist.")
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


def open_tasks(user: User, limit: int = 10) -> list[Task]:
    """This person's open tasks, oldest first, each with its invoice."""
    return list(
        db.session.scalars(
            select(Task)
            .options(joinedload(Task.invoice))
            .where(Task.done.is_(False), _mine(user))
            .order_by(Task.id)
            .limit(limit)
        )
    )


# --------------------------------------------------------------------------- pages


@dataclass
class InvoicePage:
    """Everything the invoice page shows."""

    invoice: VendorInvoice
    result: MatchResult | None
    sentences: list[str]
    open_holds: list[Hold]
    closed_holds: list[Hold]
    tasks: list[Task]
    terms: rules.TermsOutcome
    first_duplicate_id: int | None = None


def _facts(invoice: VendorInvoice) -> list[rules.LineFacts]:
    """What the sentences need about each billed line besides the engine's result."""
    by_id = (
        {line.id: line for line in invoice.purchase_order.lines} if invoice.purchase_order else {}
    )
    facts = []
    for line in invoice.lines:
        po_line = by_id.get(line.purchase_order_line_id)
        facts.append(
            rules.LineFacts(
                label=f"Line {line.line_ref}"
                + (
                    f" ({po_line.description})"
                    if po_line and po_line.description != f"Line {line.line_ref}"
                    else ""
                ),
                billed_qty=line.qty,
                billed_price=line.unit_price,
                ordered_qty=po_line.qty if po_line else None,
                ordered_price=po_line.unit_price if po_line else None,
            )
        )
    return facts


def invoice_page(invoice_id: int) -> InvoicePage | None:
    """The invoice with lines, PO, latest result in words, holds and tasks (fixed queries)."""
    session = db.session
    invoice = session.scalar(
        select(VendorInvoice)
        .options(
            joinedload(VendorInvoice.vendor),
            joinedload(VendorInvoice.entered_by),
            selectinload(VendorInvoice.lines),
            selectinload(VendorInvoice.holds).joinedload(Hold.released_by),
            joinedload(VendorInvoice.purchase_order).selectinload(PurchaseOrder.lines),
        )
        .where(VendorInvoice.id == invoice_id)
    )
    if invoice is None:
        return None
    result = matching.latest_result(session, invoice.id)
    sentences = rules.explain(result.result, _facts(invoice), matching.policy()) if result else []
    tasks = list(
        session.scalars(select(Task).where(Task.invoice_id == invoice.id).order_by(Task.id))
    )
    terms = rules.terms_outcome(
        invoice.purchase_order.payment_terms
        if invoice.purchase_order
        else invoice.vendor.payment_terms,
        invoice.invoice_on,
        invoice.gross_amount,
    )
    return InvoicePage(
        invoice=invoice,
        result=result,
        sentences=sentences,
        open_holds=[h for h in invoice.holds if h.status is HoldStatus.open],
        closed_holds=[h for h in invoice.holds if h.status is not HoldStatus.open],
        tasks=tasks,
        terms=terms,
    )


def recent_invoices(limit: int = LIST_SIZE) -> list[VendorInvoice]:
    """The latest invoices entered, newest first."""
    return list(
        db.session.scalars(
            select(VendorInvoice)
            .options(joinedload(VendorInvoice.vendor), joinedload(VendorInvoice.purchase_order))
            .order_by(VendorInvoice.id.desc())
            .limit(limit)
        )
    )


@dataclass
class ExceptionFilters:
    """What the exceptions queue is narrowed to."""

    reason: str = ""
    vendor_id: int | None = None
    older_than_days: int | None = None
    min_amount: Decimal | None = None
    page: int = 1


@dataclass
class ExceptionRow:
    """One held invoice in the queue with its open reasons."""

    invoice: VendorInvoice
    reasons: list[str]
    age_days: int


@dataclass
class ExceptionPage:
    """One page of the exceptions queue."""

    rows: list[ExceptionRow]
    total: int
    page: int
    has_next: bool


def exceptions_queue(filters: ExceptionFilters) -> ExceptionPage:
    """Invoices on hold, oldest first, filtered by reason, vendor, age and amount (3 queries)."""
    session = db.session
    now = utcnow()
    stmt = select(VendorInvoice).where(VendorInvoice.status == InvoiceStatus.hold)
    if filters.reason:
        stmt = stmt.where(
            exists().where(
                Hold.invoice_id == VendorInvoice.id,
                Hold.status == HoldStatus.open,
                Hold.reason_code == filters.reason,
            )
        )
    if filters.vendor_id:
        stmt = stmt.where(VendorInvoice.vendor_id == filters.vendor_id)
    if filters.older_than_days:
        stmt = stmt.where(VendorInvoice.entered_at < now - timedelta(days=filters.older_than_days))
    if filters.min_amount is not None:
        stmt = stmt.where(VendorInvoice.gross_amount >= filters.min_amount)
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    page = max(filters.page, 1)
    invoices = list(
        session.scalars(
            stmt.options(
                joinedload(VendorInvoice.vendor),
                joinedload(VendorInvoice.purchase_order),
                selectinload(VendorInvoice.holds),
            )
            .order_by(VendorInvoice.entered_at, VendorInvoice.id)
            .offset((page - 1) * EXCEPTIONS_PAGE)
            .limit(EXCEPTIONS_PAGE)
        )
    )
    rows = [
        ExceptionRow(
            invoice=invoice,
            reasons=[h.reason_code for h in invoice.holds if h.status is HoldStatus.open],
            age_days=(now - invoice.entered_at).days,
        )
        for invoice in invoices
    ]
    return ExceptionPage(rows, total, page, has_next=page * EXCEPTIONS_PAGE < total)


def vendors_with_holds() -> list[Vendor]:
    """Vendors that have an invoice on hold, for the queue's vendor filter."""
    return list(
        db.session.scalars(
            select(Vendor)
            .where(
                exists().where(
                    VendorInvoice.vendor_id == Vendor.id,
                    VendorInvoice.status == InvoiceStatus.hold,
                )
            )
            .order_by(Vendor.name)
        )
    )


@dataclass
class PayableRow:
    """An invoice approved for payment, with when it falls due and the discount it offers."""

    invoice: VendorInvoice
    amount: Decimal
    terms: rules.TermsOutcome


def _payable_query():
    """Approved for payment (matched or released) and not yet exported."""
    return select(VendorInvoice).where(
        VendorInvoice.status.in_(rules.APPROVED_FOR_PAYMENT),
        VendorInvoice.payment_export_id.is_(None),
    )


def _payable_row(invoice: VendorInvoice) -> PayableRow:
    """The row for one invoice: signed amount and terms from its PO (or vendor)."""
    terms_text = (
        invoice.purchase_order.payment_terms
        if invoice.purchase_order
        else invoice.vendor.payment_terms
    )
    terms = rules.terms_outcome(terms_text, invoice.invoice_on, invoice.gross_amount)
    return PayableRow(invoice, rules.signed(invoice.gross_amount, invoice.type), terms)


def payable(limit: int = 200) -> tuple[list[PayableRow], int]:
    """Invoices approved for payment, soonest due first (first `limit`), and how many in all."""
    session = db.session
    total = session.scalar(select(func.count()).select_from(_payable_query().subquery()))
    invoices = session.scalars(
        _payable_query()
        .options(joinedload(VendorInvoice.vendor), joinedload(VendorInvoice.purchase_order))
        .order_by(VendorInvoice.due_on, VendorInvoice.id)
        .limit(limit)
    )
    return [_payable_row(invoice) for invoice in invoices], total


def past_exports(limit: int = 20) -> list[PaymentExport]:
    """The latest payment exports, newest first."""
    return list(
        db.session.scalars(select(PaymentExport).order_by(PaymentExport.id.desc()).limit(limit))
    )


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
    """The payment file: one row per invoice, credit memos negative."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for row in rows:
        invoice = row.invoice
        writer.writerow(
            [
                invoice.vendor.code,
                invoice.vendor.name,
                invoice.number,
                invoice.type.value,
                invoice.invoice_on.isoformat(),
                invoice.due_on.isoformat() if invoice.due_on else "",
                invoice.currency,
                f"{row.amount:.2f}",
                row.terms.discount_until.isoformat() if row.terms.discount_until else "",
                f"{row.terms.discount_amount:.2f}" if row.terms.discount_amount is not None else "",
                invoice.purchase_order.number if invoice.purchase_order else "",
            ]
        )
    return out.getvalue()


def export_payments(*, actor: User) -> PaymentExport | None:
    """Hand what is approved and not yet exported to the payment run, each invoice once.

    The invoices are claimed with one conditional UPDATE (only rows still unexported), so two
    exports at the same moment never share an invoice; None when there is nothing to export.
    """
    with unit_of_work() as session:
        made = export_approved(session, actor=actor)
        if made is None:
            session.rollback()
    return made


def export_approved(session: Session, *, actor: User) -> PaymentExport | None:
    """The payment export inside the caller's transaction (None, and a stray row, if empty)."""
    now = utcnow()
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
    ).rowcount
    if not claimed:
        return None
    invoices = session.scalars(
        select(VendorInvoice)
        .options(joinedload(VendorInvoice.vendor), joinedload(VendorInvoice.purchase_order))
        .where(VendorInvoice.payment_export_id == export.id)
        .order_by(VendorInvoice.due_on, VendorInvoice.id)
        .execution_options(populate_existing=True)
    ).all()
    rows = [_payable_row(invoice) for invoice in invoices]
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


def export_file(export_id: int) -> PaymentExport | None:
    """A past export as first made (downloading again changes nothing)."""
    return db.session.get(PaymentExport, export_id)


# --------------------------------------------------------------------------- home


@dataclass
class HomeCard:
    """The invoices card on the home page: counts for AP and approvers, tasks for the rest."""

    on_hold: int | None = None
    payable: int | None = None
    tasks: list[Task] = field(default_factory=list)


def home_card(user: User) -> HomeCard | None:
    """What the home page's invoices card shows this person; None when it has nothing for them."""
    card = HomeCard()
    if user.has_role(Role.ap_clerk, Role.approver):
        card.on_hold = db.session.scalar(
            select(func.count()).where(VendorInvoice.status == InvoiceStatus.hold)
        )
    if user.has_role(Role.ap_clerk):
        card.payable = db.session.scalar(
            select(func.count()).select_from(_payable_query().subquery())
        )
    if user.has_role(Role.buyer, Role.storekeeper):
        card.tasks = open_tasks(user)
    if card.on_hold is None and card.payable is None and not card.tasks:
        return None
    return card


def reason_choices() -> list[tuple[str, str]]:
    """Hold reasons for the queue filter, in the spec's order."""
    return [("", "Any reason")] + [(code, words) for code, words in rules.REASON_WORDS.items()]
