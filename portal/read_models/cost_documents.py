"""The documents behind each figure of a work order's cost panel (docs/money.md).

Each figure of `read_models.costs.CostRollup` is a sum of documents: labour entries, stock issues
and returns, invoice lines (with their share of freight and tax), PO lines and approved request
lines still on order, reimbursed own-money purchases. This lists them, each with a link to its
page and the capability that page asks for (the template links only what the viewer may open).
Goods bought for the work order that arrived through the storeroom are listed with their receipt,
at no cost: their money is the invoice line of the same PO line, counted once there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select

from portal.domain.labels import label
from portal.domain.money import format_qty, money
from portal.domain.permissions import Capability as C
from portal.domain.statuses import (
    InvoiceType,
    LineKind,
    MovementKind,
    OutOfPocketStatus,
    PurchaseRequestStatus,
)
from portal.models import (
    GoodsReceipt,
    GoodsReceiptLine,
    Item,
    LabourEntry,
    OutOfPocketPurchase,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseRequest,
    PurchaseRequestLine,
    StockMovement,
    User,
    VendorInvoice,
    VendorInvoiceLine,
)
from portal.read_models.spend_sql import (
    COMMITTING_PO,
    SPENT_INVOICE,
    amount_sql,
    billed_sql,
    charged_movement_sql,
    still_committed_sql,
    stock_cost_sql,
)
from portal.services._uow import current_session

SHOWN = 25  # documents per figure; the panel says how many more there are


@dataclass(frozen=True)
class CostDocument:
    """One document behind a figure: words, amount, and where it is (endpoint, its arguments,
    an anchor on that page, the capability the page asks for)."""

    text: str
    amount: Decimal
    endpoint: str
    args: dict = field(default_factory=dict)
    anchor: str | None = None
    capability: str = C.read_work_orders.value


@dataclass(frozen=True)
class Figure:
    """The documents of one row of the cost panel."""

    label: str
    documents: list[CostDocument]


def work_order_cost_documents(wo_id: int) -> list[Figure]:
    """The documents behind each row of the work order's cost panel, in the panel's order."""
    bought = _invoice_lines(wo_id) + _on_order(wo_id)
    return [
        Figure("Labour", _labour(wo_id)[:SHOWN]),
        Figure("Parts from stock", _stock(wo_id)[:SHOWN]),
        Figure("Purchased goods", [d for kind, d in bought if kind is LineKind.goods][:SHOWN]),
        Figure("Outside services", [d for kind, d in bought if kind is LineKind.service][:SHOWN]),
        Figure("Out of pocket", _out_of_pocket(wo_id)[:SHOWN]),
    ]


def _wo(wo_id: int, anchor: str) -> dict:
    return {"endpoint": "work_orders.detail", "args": {"wo_id": wo_id}, "anchor": anchor}


def _labour(wo_id: int) -> list[CostDocument]:
    rows = current_session().execute(
        select(
            LabourEntry.id,
            LabourEntry.worked_on,
            LabourEntry.hours,
            LabourEntry.cost_amount,
            User.full_name,
        )  # fmt: skip
        .join(User, User.id == LabourEntry.user_id)
        .where(LabourEntry.work_order_id == wo_id)
        .order_by(LabourEntry.worked_on, LabourEntry.id)
    )
    return [
        CostDocument(
            f"Labour entry: {name}, {format_qty(hours)} h on {day.isoformat()}",
            money(amount),
            **_wo(wo_id, "labour"),
        )
        for _id, day, hours, amount, name in rows
    ]


def _stock(wo_id: int) -> list[CostDocument]:
    """Issues and returns that cost the work order, then arrivals of what was bought for it."""
    s = current_session()
    charged = s.execute(
        select(
            StockMovement.kind,
            StockMovement.qty,
            StockMovement.part_line_id,
            stock_cost_sql(),
            Item.part_number,
            Item.uom,
        )  # fmt: skip
        .join(Item, Item.id == StockMovement.item_id)
        .where(StockMovement.work_order_id == wo_id, charged_movement_sql())
        .order_by(StockMovement.moved_at, StockMovement.id)
    )
    found = [
        CostDocument(
            f"{'Returned' if kind is MovementKind.return_ else 'Issued'} "
            f"{format_qty(abs(qty))} {uom} {part} from stock",
            money(amount),
            **_wo(wo_id, f"part-line-{part_line_id}" if part_line_id else "parts"),
        )
        for kind, qty, part_line_id, amount, part, uom in charged
    ]
    arrived = s.execute(
        select(
            StockMovement.qty, Item.part_number, Item.uom, GoodsReceipt.id, GoodsReceipt.number
        )  # fmt: skip
        .join(Item, Item.id == StockMovement.item_id)
        .join(GoodsReceiptLine, GoodsReceiptLine.id == StockMovement.goods_receipt_line_id)
        .join(GoodsReceipt, GoodsReceipt.id == GoodsReceiptLine.goods_receipt_id)
        .where(
            StockMovement.work_order_id == wo_id,
            StockMovement.kind == MovementKind.issue,
        )
        .order_by(StockMovement.moved_at, StockMovement.id)
    )
    found += [
        CostDocument(
            f"{format_qty(-qty)} {uom} {part} arrived on {number} and issued here: "
            f"bought for this work order, its cost is the invoice under purchased goods",
            money(0),
            "receiving.receipt",
            {"receipt_id": receipt_id},
            capability=C.read_goods_receipts.value,
        )
        for qty, part, uom, receipt_id, number in arrived
    ]
    return found


def _invoice_lines(wo_id: int) -> list[tuple[LineKind, CostDocument]]:
    """Spent invoice lines and credit memos on the work order's PO lines, with freight and tax."""
    rows = current_session().execute(
        select(
            PurchaseOrderLine.kind,
            VendorInvoice.id,
            VendorInvoice.number,
            VendorInvoice.type,
            VendorInvoice.status,
            VendorInvoiceLine.qty,
            VendorInvoiceLine.unit_price,
            PurchaseOrderLine.description,
            billed_sql(),
        )  # fmt: skip
        .select_from(VendorInvoiceLine)
        .join(VendorInvoice, VendorInvoice.id == VendorInvoiceLine.invoice_id)
        .join(PurchaseOrderLine, PurchaseOrderLine.id == VendorInvoiceLine.purchase_order_line_id)
        .where(PurchaseOrderLine.work_order_id == wo_id, VendorInvoice.status.in_(SPENT_INVOICE))
        .order_by(VendorInvoice.invoice_on, VendorInvoiceLine.id)
    )
    found = []
    for kind, inv_id, number, inv_type, status, qty, price, text, amount in rows:
        what = "Credit memo" if inv_type is InvoiceType.credit_memo else "Invoice"
        found.append(
            (
                kind,
                CostDocument(
                    f"{what} {number} ({label(status).lower()}): {format_qty(qty)} x "
                    f"{money(price)} {text}, with its share of freight and tax",
                    money(amount),
                    "invoices.detail",
                    {"invoice_id": inv_id},
                    capability=C.read_invoice.value,
                ),
            )
        )
    return found


def _on_order(wo_id: int) -> list[tuple[LineKind, CostDocument]]:
    """PO lines not yet invoiced, and approved request lines not yet ordered."""
    s = current_session()
    left = still_committed_sql()
    ordered = s.execute(
        select(
            PurchaseOrderLine.kind,
            PurchaseOrder.id,
            PurchaseOrder.number,
            PurchaseOrderLine.line_no,
            PurchaseOrderLine.description,
            left,
        )  # fmt: skip
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .where(
            PurchaseOrderLine.work_order_id == wo_id,
            PurchaseOrder.status.in_(COMMITTING_PO),
            left > 0,
        )
        .order_by(PurchaseOrder.id, PurchaseOrderLine.line_no)
    )
    found = [
        (
            kind,
            CostDocument(
                f"On order: {number} line {line_no}, {text}, not yet invoiced",
                money(amount),
                "purchase_orders.detail",
                {"po_id": po_id},
                capability=C.read_purchase_orders.value,
            ),
        )
        for kind, po_id, number, line_no, text, amount in ordered
    ]
    requested = s.execute(
        select(
            PurchaseRequestLine.kind,
            PurchaseRequest.id,
            PurchaseRequest.number,
            PurchaseRequestLine.description,
            amount_sql(PurchaseRequestLine.qty, PurchaseRequestLine.unit_price),
        )  # fmt: skip
        .join(PurchaseRequest, PurchaseRequest.id == PurchaseRequestLine.purchase_request_id)
        .where(
            PurchaseRequest.work_order_id == wo_id,
            PurchaseRequest.status == PurchaseRequestStatus.approved,
        )
        .order_by(PurchaseRequest.id, PurchaseRequestLine.id)
    )
    found += [
        (
            kind,
            CostDocument(
                f"Approved on {number}, not yet ordered: {text}",
                money(amount),
                "purchase_requests.detail",
                {"pr_id": pr_id},
                capability=C.read_purchase_requests.value,
            ),
        )
        for kind, pr_id, number, text, amount in requested
    ]
    return found


def _out_of_pocket(wo_id: int) -> list[CostDocument]:
    rows = current_session().execute(
        select(
            OutOfPocketPurchase.description,
            OutOfPocketPurchase.bought_on,
            OutOfPocketPurchase.amount,
        )  # fmt: skip
        .where(
            OutOfPocketPurchase.work_order_id == wo_id,
            OutOfPocketPurchase.status == OutOfPocketStatus.reimbursed,
        )
        .order_by(OutOfPocketPurchase.bought_on, OutOfPocketPurchase.id)
    )
    return [
        CostDocument(
            f"Reimbursed own-money purchase: {text} on {day.isoformat()}",
            money(amount),
            **_wo(wo_id, "out-of-pocket"),
        )
        for text, day, amount in rows
    ]
