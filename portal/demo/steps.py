"""The demo's hands: what a person does on a page, as one call to the real use case each.

Every write goes through portal.services (the same functions the views call), as the demo user
who would do it: the technician asks for parts, the approver approves, the buyer orders, the
storekeeper receives, the AP clerk enters invoices. So permissions, separation of duties,
numbering, stock, budgets and the audit trail behave in the demo as they do for real. These
helpers only look up ids and put the calls in order.

A script posts no form, so the demo gives no submission id (`submitted_once` then simply runs
the use case, see portal/services/_uow.py): `**NO_FORM` says so, right both for a use case that
still takes `submission_id` itself and for one whose `@submitted_once` wrapper takes it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.demo.world import RECEIPT_PHOTO
from portal.domain.invoices import APPROVED_FOR_PAYMENT
from portal.domain.statuses import InvoiceType, PurchaseOrderStatus
from portal.domain.work_orders import WorkOrderStatus
from portal.models import (
    CostCentre,
    GoodsReceipt,
    Item,
    OutOfPocketPurchase,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseRequestLine,
    Site,
    User,
    Vendor,
    VendorInvoice,
)
from portal.read_models import po_approval as po_approval_reads
from portal.services import (
    approvals,
    contractors,
    invoices,
    out_of_pocket,
    parts,
    po_approval,
    po_creation,
    purchase_orders,
    purchase_requests,
    receiving,
    work_orders,
)
from portal.services._uow import current_session

# No form was posted: no submission id (see the module docstring).
NO_FORM: dict[str, Any] = {"submission_id": None}


@dataclass
class Demo:
    """The demo world being loaded: its master data by code and its clock.

    `now` is when loading began; every document is dated relative to it (`ago`). `move_to`
    sets the portal's clock (portal.models.base.utcnow): the timeline does, before each step.
    """

    session: Session
    now: datetime
    move_to: Callable[[datetime], None]
    users: dict[str, User]
    sites: dict[str, Site]
    items: dict[str, Item]
    vendors: dict[str, Vendor]
    centres: dict[str, CostCentre]
    asset_ids: dict[str, int]  # by tag
    work_orders: dict[str, int] = field(default_factory=dict)  # ids by title, once raised
    history_orders: dict[int, int] = field(default_factory=dict)  # PO id by work order id

    def ago(self, days: float = 0, hours: float = 0) -> datetime:
        """The moment `days` and `hours` before the load began."""
        return self.now - timedelta(days=days, hours=hours)

    def user(self, username: str) -> User:
        """A demo person by username."""
        return self.users[username]


# ---------------------------------------------------------------- work orders and parts


def move(wo_id: int, *statuses: WorkOrderStatus, actor: User, reason: str | None = None) -> None:
    """Move a work order through `statuses` in turn, as `actor`."""
    for status in statuses:
        work_orders.change_status(wo_id, status, actor=actor, reason=reason)


def add_part(demo: Demo, wo_id: int, part_number: str, qty: str, *, actor: User) -> int:
    """A part line on the work order; its id."""
    outcome = parts.add_part_line(
        wo_id,
        item_id=demo.items[part_number].id,
        qty=qty,
        actor=actor,
        **NO_FORM,
    )
    return outcome.id


def take_from_stock(demo: Demo, wo_id: int, part_number: str, qty: str, *, actor: User) -> int:
    """A part line with its stock reserved; the line's id."""
    line_id = add_part(demo, wo_id, part_number, qty, actor=actor)
    parts.reserve_part_line(line_id, actor=actor)
    return line_id


def request_part(
    demo: Demo,
    wo_id: int,
    part_number: str,
    qty: str,
    *,
    actor: User,
    reason: str | None = None,
    today: date | None = None,
) -> int:
    """A part line marked unavailable: its purchase request line; the purchase request's id."""
    line_id = add_part(demo, wo_id, part_number, qty, actor=actor)
    made = purchase_requests.mark_part_line_unavailable(
        line_id, actor=actor, reason=reason, today=today
    )
    if not isinstance(made, PurchaseRequestLine):
        raise LookupError(f"nothing of {part_number} was missing on work order {wo_id}")
    return made.purchase_request_id


def pr_line_ids(session: Session, pr_id: int) -> list[int]:
    """The request's lines, in order."""
    return list(
        session.scalars(
            select(PurchaseRequestLine.id)
            .where(PurchaseRequestLine.purchase_request_id == pr_id)
            .order_by(PurchaseRequestLine.id)
        )
    )


def ask_for_service(
    demo: Demo,
    wo_id: int,
    vendor: str,
    description: str,
    *,
    qty: str,
    uom: str,
    unit_price: str,
    actor: User,
) -> int:
    """A service line from a vendor at an agreed price on the work order's request; its id."""
    asked = contractors.request_service(
        wo_id,
        vendor_id=demo.vendors[vendor].id,
        description=description,
        qty=qty,
        uom=uom,
        unit_price=unit_price,
        actor=actor,
        **NO_FORM,
    )
    return asked.purchase_request_id


def log_hours(
    wo_id: int, hours: Decimal, *, worked_on: date, actor: User, note: str | None = None
) -> None:
    """Labour on the work order at the person's rate."""
    work_orders.log_labour(
        wo_id,
        hours=hours,
        worked_on=worked_on,
        actor=actor,
        **NO_FORM,
        note=note,
    )


def paid_own_money(
    wo_id: int,
    what: str,
    *,
    shop: str,
    amount: Decimal,
    category: str,
    bought_on: date,
    why: str,
    actor: User,
) -> OutOfPocketPurchase:
    """A technician's own-money buy on the work order (of a spend category), with a photo of
    the receipt."""
    return out_of_pocket.submit_purchase(
        wo_id,
        description=what,
        shop_name=shop,
        amount=amount,
        category=category,
        qty=None,
        bought_on=bought_on,
        why=why,
        receipt=(RECEIPT_PHOTO, "receipt.jpg"),
        actor=actor,
        **NO_FORM,
    )


def decide(pr_id: int, *, approvers: Iterable[User], reason: str | None = None) -> None:
    """Each of `approvers` approves the request in turn."""
    for approver in approvers:
        approvals.approve_purchase_request(pr_id, approver=approver, reason=reason)


# ---------------------------------------------------------------- orders and receipts


def order(
    demo: Demo,
    pr_ids: Iterable[int],
    *,
    buyer: User,
    vendor_for_unsourced: str | None = None,
    vendor_for_all: str | None = None,
) -> list[PurchaseOrder]:
    """Draft POs (one per vendor) for every line of the requests, as the buyer picks them.

    `vendor_for_unsourced` is the buyer's choice for lines with no suggested vendor;
    `vendor_for_all` overrides every line's vendor (an order outside the suggestion).
    """
    line_ids = [line_id for pr_id in pr_ids for line_id in pr_line_ids(demo.session, pr_id)]
    overrides: dict[int, int] = {}
    for line in demo.session.scalars(
        select(PurchaseRequestLine).where(PurchaseRequestLine.id.in_(line_ids))
    ):
        chosen = vendor_for_all or (
            vendor_for_unsourced if line.suggested_vendor_id is None else None
        )
        if chosen is not None:
            overrides[line.id] = demo.vendors[chosen].id
    return po_creation.create_purchase_orders(
        line_ids,
        buyer=buyer,
        **NO_FORM,
        vendor_overrides=overrides,
    )


def approve_and_issue(po_id: int, *, buyer: User, issue: bool = True) -> None:
    """The buyer approves the draft and (unless told not to) sends it to the vendor. A PO above
    what its requests approved (or against a contract past its ceiling) is approved through the
    matrix first, by the demo's approvers (never the buyer)."""
    approve_spend_if_needed(po_id)
    po = current_session().get(PurchaseOrder, po_id)
    if po is not None and po.status is PurchaseOrderStatus.draft:
        purchase_orders.approve_purchase_order(po_id, actor=buyer)
    if issue:
        purchase_orders.issue_purchase_order(po_id, actor=buyer)


SPEND_APPROVERS = ("approver", "approver2")


def approve_spend_if_needed(po_id: int, *, reason: str = "Price confirmed with the vendor") -> None:
    """The demo's approvers approve the PO's amounts, one after the other, while it waits."""
    session = current_session()
    for username in SPEND_APPROVERS:
        po = session.get(PurchaseOrder, po_id)
        if po is None or not po_approval_reads.waiting(session, po):
            return
        approver = session.scalars(select(User).where(User.username == username)).one()
        po_approval.approve_spend(po_id, approver=approver, reason=reason)


def po_lines(session: Session, po_id: int) -> dict[int, PurchaseOrderLine]:
    """The PO's lines by line number."""
    return {
        line.line_no: line
        for line in session.scalars(
            select(PurchaseOrderLine).where(PurchaseOrderLine.purchase_order_id == po_id)
        )
    }


def receive(
    demo: Demo,
    po_id: int,
    accepted: Mapping[int, Decimal | str],
    *,
    receiver: User,
    slip: str | None = None,
) -> GoodsReceipt:
    """One delivery: `accepted` quantities by line number, everything else left on order."""
    lines = po_lines(demo.session, po_id)
    return receiving.record_receipt(
        po_id,
        lines=[(lines[no].id, Decimal(str(qty)), Decimal(0), None) for no, qty in accepted.items()],
        receiver=receiver,
        **NO_FORM,
        packing_slip_ref=slip,
    )


def enter_invoice(
    demo: Demo,
    po_id: int,
    number: str,
    *,
    invoice_on: date,
    billed: Mapping[int, tuple[Decimal | str, Decimal | str]],
    clerk: User,
    invoice_type: InvoiceType = InvoiceType.invoice,
) -> VendorInvoice:
    """The AP clerk enters the vendor's invoice (`billed`: line number -> qty, unit price); the
    match engine runs on it at once, as on the invoice page."""
    lines = po_lines(demo.session, po_id)
    return invoices.enter_invoice(
        purchase_order_id=po_id,
        number=number,
        invoice_on=invoice_on,
        lines=[
            invoices.NewLine(lines[no].id, Decimal(str(qty)), Decimal(str(price)))
            for no, (qty, price) in billed.items()
        ],
        actor=clerk,
        invoice_type=invoice_type,
        **NO_FORM,
    )


def export_if_payable(session: Session, clerk: User) -> None:
    """The payment run, when something is approved for payment and not yet exported.

    Never called with nothing to pay: the use case then rolls back its transaction, which
    here is the whole demo's.
    """
    waiting = session.scalar(
        select(VendorInvoice.id)
        .where(
            VendorInvoice.status.in_(APPROVED_FOR_PAYMENT),
            VendorInvoice.payment_export_id.is_(None),
        )
        .limit(1)
    )
    if waiting is not None:
        invoices.export_payments(actor=clerk)


def days_before(when: datetime, days: int) -> date:
    """The calendar day `days` before `when`."""
    return (when - timedelta(days=days)).date()
