"""Vendor invoices as pages show them: a PO to bill, the invoice with its match in words, the
exceptions queue, what is payable, past payment exports and the home page's invoices card.

Plain reads (no unit of work); entering, deciding and exporting are `portal.services.invoices`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, Select, exists, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from portal.domain import invoices as rules
from portal.domain.errors import NotFound
from portal.domain.permissions import Capability as C
from portal.domain.statuses import HoldStatus, InvoiceStatus, InvoiceType, LineKind
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
from portal.read_models.matching import latest_result, policy
from portal.services._uow import current_session

ZERO = Decimal(0)
EXCEPTIONS_PAGE = 25
LIST_SIZE = 50
AGES = {"": "Any age", "7": "Over 7 days", "30": "Over 30 days"}


# --------------------------------------------------------------------------- a PO to bill


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


def find_purchase_order(text: str | None) -> PurchaseOrder | None:
    """The PO typed or scanned, by its number (case and spaces forgiven)."""
    cleaned = "".join((text or "").split()).upper()
    if not cleaned:
        return None
    return current_session().scalar(
        select(PurchaseOrder)
        .options(joinedload(PurchaseOrder.vendor))
        .where(func.upper(PurchaseOrder.number) == cleaned)
    )


def get_purchase_order(purchase_order_id: int) -> PurchaseOrder:
    """A PO with its vendor, for the entry page; NotFound if there is none."""
    po = current_session().get(
        PurchaseOrder, purchase_order_id, options=[joinedload(PurchaseOrder.vendor)]
    )
    if po is None:
        raise NotFound(f"Purchase order {purchase_order_id} does not exist.")
    return po


def open_lines(purchase_order_id: int) -> list[OpenLine]:
    """Every line of the PO with received and already billed quantities (three queries)."""
    session = current_session()
    lines = list(
        session.scalars(
            select(PurchaseOrderLine)
            .where(PurchaseOrderLine.purchase_order_id == purchase_order_id)
            .order_by(PurchaseOrderLine.line_no)
        )
    )
    ids = [line.id for line in lines]
    received = {
        line_id: qty
        for line_id, qty in session.execute(
            select(GoodsReceiptLine.purchase_order_line_id, func.sum(GoodsReceiptLine.accepted_qty))
            .where(GoodsReceiptLine.purchase_order_line_id.in_(ids))
            .group_by(GoodsReceiptLine.purchase_order_line_id)
        )
    }
    billed: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for line_id, qty, kind in session.execute(
        select(VendorInvoiceLine.purchase_order_line_id, VendorInvoiceLine.qty, VendorInvoice.type)
        .join(VendorInvoice, VendorInvoice.id == VendorInvoiceLine.invoice_id)
        .where(
            VendorInvoiceLine.purchase_order_line_id.in_(ids),
            VendorInvoice.status.not_in(rules.INACTIVE),
        )
    ):
        if line_id is not None:
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


# --------------------------------------------------------------------------- the invoice


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
    po = invoice.purchase_order
    by_id = {line.id: line for line in po.lines} if po else {}
    facts = []
    for line in invoice.lines:
        po_line = by_id.get(line.purchase_order_line_id) if line.purchase_order_line_id else None
        label = f"Line {line.line_ref}"
        if po_line is not None and po_line.description != label:
            label += f" ({po_line.description})"
        facts.append(
            rules.LineFacts(
                label=label,
                billed_qty=line.qty,
                billed_price=line.unit_price,
                ordered_qty=po_line.qty if po_line else None,
                ordered_price=po_line.unit_price if po_line else None,
            )
        )
    return facts


def invoice_page(invoice_id: int) -> InvoicePage:
    """The invoice with lines, PO, latest result in words, holds and tasks (fixed queries);
    NotFound if there is no such invoice."""
    session = current_session()
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
        raise NotFound(f"Invoice {invoice_id} does not exist.")
    result = latest_result(session, invoice.id)
    sentences = rules.explain(result.result, _facts(invoice), policy()) if result else []
    tasks = list(
        session.scalars(select(Task).where(Task.invoice_id == invoice.id).order_by(Task.id))
    )
    return InvoicePage(
        invoice=invoice,
        result=result,
        sentences=sentences,
        open_holds=[h for h in invoice.holds if h.status is HoldStatus.open],
        closed_holds=[h for h in invoice.holds if h.status is not HoldStatus.open],
        tasks=tasks,
        terms=_terms(invoice),
    )


def _terms(invoice: VendorInvoice) -> rules.TermsOutcome:
    """Due date and early-payment discount from the PO's payment terms (or the vendor's)."""
    po = invoice.purchase_order
    terms = po.payment_terms if po else invoice.vendor.payment_terms
    return rules.terms_outcome(terms, invoice.invoice_on, invoice.gross_amount)


def recent_invoices(limit: int = LIST_SIZE) -> list[VendorInvoice]:
    """The latest invoices entered, newest first."""
    return list(
        current_session().scalars(
            select(VendorInvoice)
            .options(joinedload(VendorInvoice.vendor), joinedload(VendorInvoice.purchase_order))
            .order_by(VendorInvoice.id.desc())
            .limit(limit)
        )
    )


# --------------------------------------------------------------------------- exceptions


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
    session = current_session()
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
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
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
        current_session().scalars(
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


def reason_choices() -> list[tuple[str, str]]:
    """Hold reasons for the queue filter, in the spec's order."""
    return [("", "Any reason")] + [(code, words) for code, words in rules.REASON_WORDS.items()]


# --------------------------------------------------------------------------- payable


@dataclass
class PayableRow:
    """An invoice approved for payment, with when it falls due and the discount it offers."""

    invoice: VendorInvoice
    amount: Decimal
    terms: rules.TermsOutcome


def payable_query() -> Select[VendorInvoice]:
    """Approved for payment (matched or released) and not yet exported."""
    return select(VendorInvoice).where(
        VendorInvoice.status.in_(rules.APPROVED_FOR_PAYMENT),
        VendorInvoice.payment_export_id.is_(None),
    )


def payable_row(invoice: VendorInvoice) -> PayableRow:
    """The row for one invoice: signed amount and terms from its PO (or vendor)."""
    return PayableRow(invoice, rules.signed(invoice.gross_amount, invoice.type), _terms(invoice))


def payable(limit: int = 200) -> tuple[list[PayableRow], int]:
    """Invoices approved for payment, soonest due first (first `limit`), and how many in all."""
    session = current_session()
    total = session.scalar(select(func.count()).select_from(payable_query().subquery())) or 0
    invoices = session.scalars(
        payable_query()
        .options(joinedload(VendorInvoice.vendor), joinedload(VendorInvoice.purchase_order))
        .order_by(VendorInvoice.due_on, VendorInvoice.id)
        .limit(limit)
    )
    return [payable_row(invoice) for invoice in invoices], total


def past_exports(limit: int = 20) -> list[PaymentExport]:
    """The latest payment exports, newest first."""
    return list(
        current_session().scalars(
            select(PaymentExport).order_by(PaymentExport.id.desc()).limit(limit)
        )
    )


def export_file(export_id: int) -> PaymentExport:
    """A past export as first made (downloading again changes nothing); NotFound if none."""
    made = current_session().get(PaymentExport, export_id)
    if made is None:
        raise NotFound(f"Payment export {export_id} does not exist.")
    return made


# --------------------------------------------------------------------------- tasks, home


def addressed_to(user: User) -> ColumnElement[bool]:
    """Tasks addressed to this person or to one of their roles."""
    return or_(Task.assignee_user_id == user.id, Task.assignee_role.in_(sorted(user.roles)))


def open_tasks(user: User, limit: int = 10) -> list[Task]:
    """This person's open tasks, oldest first, each with its invoice."""
    return list(
        current_session().scalars(
            select(Task)
            .options(joinedload(Task.invoice))
            .where(Task.done.is_(False), addressed_to(user))
            .order_by(Task.id)
            .limit(limit)
        )
    )


@dataclass
class HomeCard:
    """The invoices card on the home page: counts for AP and approvers, tasks for the rest."""

    on_hold: int | None = None
    payable: int | None = None
    tasks: list[Task] = field(default_factory=list)


def home_card(user: User) -> HomeCard | None:
    """What the home page's invoices card shows this person; None when it has nothing for them."""
    session = current_session()
    card = HomeCard()
    if user.can(C.work_invoice_exceptions):
        card.on_hold = session.scalar(
            select(func.count()).where(VendorInvoice.status == InvoiceStatus.hold)
        )
    if user.can(C.export_payments):
        card.payable = session.scalar(select(func.count()).select_from(payable_query().subquery()))
    if user.can(C.answer_invoice_tasks):
        card.tasks = open_tasks(user)
    if card.on_hold is None and card.payable is None and not card.tasks:
        return None
    return card
