"""Builders: make_<thing>(database, **overrides) with defaults for everything; they commit."""

from __future__ import annotations

import itertools
import secrets
from datetime import date, timedelta
from decimal import Decimal

from portal.domain.numbering import Sequence, format_number
from portal.domain.roles import Role
from portal.domain.statuses import (
    ItemKind,
    LineKind,
    PurchaseOrderStatus,
    PurchaseRequestStatus,
)
from portal.domain.work_orders import Priority, WorkOrderStatus, WorkOrderType
from portal.models import (
    Asset,
    Budget,
    CostCentre,
    GoodsReceipt,
    GoodsReceiptLine,
    Item,
    Location,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseRequest,
    PurchaseRequestLine,
    Site,
    StockLevel,
    Storeroom,
    User,
    UserRole,
    Vendor,
    WorkOrder,
)
from portal.models.base import utcnow

_seq = itertools.count(1)


def make_user(database, *, roles=("technician",), password="secret-pw", **overrides) -> User:
    n = next(_seq)
    user = User(
        username=overrides.pop("username", f"user{n}"),
        full_name=overrides.pop("full_name", f"Test Person {n}"),
        **overrides,
    )
    user.set_password(password)
    user.role_rows = [UserRole(role=Role(r)) for r in roles]
    database.session.add(user)
    database.session.commit()
    return user


def make_site(database, **overrides) -> Site:
    n = next(_seq)
    site = Site(
        code=overrides.pop("code", f"S{n}"), name=overrides.pop("name", f"Site {n}"), **overrides
    )
    database.session.add(site)
    database.session.commit()
    return site


def make_asset(database, *, site=None, **overrides) -> Asset:
    n = next(_seq)
    site = site or make_site(database)
    location = Location(site=site, code=f"L{n}", name=f"Area {n}", kind="area")
    asset = Asset(
        tag=overrides.pop("tag", f"T-{n}"),
        name=overrides.pop("name", f"Machine {n}"),
        category=overrides.pop("category", "Pumps"),
        location=location,
        qr_token=secrets.token_urlsafe(24),
        short_code=overrides.pop("short_code", f"C{n:05d}"),
        **overrides,
    )
    database.session.add(asset)
    database.session.commit()
    return asset


def make_work_order(
    database, *, title="Fix it", asset=None, assignee=None, **overrides
) -> WorkOrder:
    n = next(_seq)
    asset = asset or make_asset(database)
    wo = WorkOrder(
        number=overrides.pop("number", format_number(Sequence.work_order, n)),
        title=title,
        type=overrides.pop("type", WorkOrderType.corrective),
        priority=overrides.pop("priority", Priority.normal),
        status=overrides.pop("status", WorkOrderStatus.assigned),
        site_id=asset.location.site_id,
        location_id=asset.location_id,
        asset_id=asset.id,
        assignee_user_id=assignee.id if assignee else None,
        due_at=overrides.pop("due_at", utcnow() + timedelta(days=3)),
        **overrides,
    )
    database.session.add(wo)
    database.session.commit()
    return wo


JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200


# ---- purchasing -------------------------------------------------------------------------------
# Document numbers start at 900001 so they never meet the ones the services hand out.
# Lines are given as dicts: {"item": Item | None, "qty": "3", "unit_price": "10.00", ...}; any
# PurchaseOrderLine / PurchaseRequestLine column may be set that way.


def make_item(database, *, kind=ItemKind.stock, **overrides) -> Item:
    n = next(_seq)
    item = Item(
        part_number=overrides.pop("part_number", f"P-{n:05d}"),
        description=overrides.pop("description", f"Part {n}"),
        uom=overrides.pop("uom", "VISIT" if kind is ItemKind.service else "EA"),
        category=overrides.pop("category", "Bearings"),
        kind=kind,
        standard_cost=overrides.pop("standard_cost", Decimal("10.00")),
        **overrides,
    )
    database.session.add(item)
    database.session.commit()
    return item


def make_storeroom(database, *, site=None, stock=(), **overrides) -> Storeroom:
    """A storeroom; `stock` is [(item, on_hand_qty, unit_cost), ...]."""
    n = next(_seq)
    site = site or make_site(database)
    store = Storeroom(
        site_id=site.id,
        code=overrides.pop("code", f"ST{n}"),
        name=overrides.pop("name", f"Storeroom {n}"),
        **overrides,
    )
    database.session.add(store)
    for item, on_hand, cost in stock:
        database.session.add(
            StockLevel(
                item=item, storeroom=store, on_hand_qty=Decimal(on_hand), unit_cost=Decimal(cost)
            )
        )
    database.session.commit()
    return store


def make_vendor(database, **overrides) -> Vendor:
    n = next(_seq)
    vendor = Vendor(
        code=overrides.pop("code", f"V{n}"),
        name=overrides.pop("name", f"Vendor {n}"),
        payment_terms=overrides.pop("payment_terms", "Net 30"),
        **overrides,
    )
    database.session.add(vendor)
    database.session.commit()
    return vendor


def make_cost_centre(database, *, site=None, budget="10000.00", **overrides) -> CostCentre:
    """A cost centre with a budget for this calendar year (budget=None: no budget row)."""
    n = next(_seq)
    centre = CostCentre(
        code=overrides.pop("code", f"CC-{n}"),
        name=overrides.pop("name", f"Cost centre {n}"),
        site_id=site.id if site else None,
        **overrides,
    )
    database.session.add(centre)
    if budget is not None:
        year = date.today().year
        database.session.add(
            Budget(
                cost_centre=centre,
                period_start=date(year, 1, 1),
                period_end=date(year, 12, 31),
                amount=Decimal(budget),
            )
        )
    database.session.commit()
    return centre


def _line_values(spec: dict, position: int) -> dict:
    spec = dict(spec)
    item = spec.pop("item", None)
    values = {
        "item_id": item.id if item else None,
        "description": spec.pop("description", item.description if item else f"Line {position}"),
        "kind": spec.pop(
            "kind", LineKind.service if item and item.kind is ItemKind.service else LineKind.goods
        ),
        "qty": Decimal(str(spec.pop("qty", "1"))),
        "uom": spec.pop("uom", item.uom if item else "EA"),
        "unit_price": Decimal(str(spec.pop("unit_price", "10.00"))),
    }
    values.update(spec)
    return values


def make_purchase_request(
    database,
    *,
    requester=None,
    cost_centre=None,
    work_order=None,
    lines=({"qty": "1", "unit_price": "100.00"},),
    status=PurchaseRequestStatus.submitted,
    **overrides,
) -> PurchaseRequest:
    """A PR with its lines, by default submitted and waiting for approval."""
    n = next(_seq)
    requester = requester or make_user(database)
    cost_centre = cost_centre or make_cost_centre(database)
    pr = PurchaseRequest(
        number=overrides.pop("number", format_number(Sequence.purchase_request, 900000 + n)),
        work_order_id=work_order.id if work_order else None,
        cost_centre_id=cost_centre.id,
        requested_by_id=requester.id,
        status=status,
        submitted_at=overrides.pop("submitted_at", utcnow()),
        **overrides,
    )
    database.session.add(pr)
    database.session.flush()
    for position, spec in enumerate(lines, start=1):
        database.session.add(
            PurchaseRequestLine(purchase_request_id=pr.id, **_line_values(spec, position))
        )
    database.session.commit()
    return pr


def make_purchase_order(
    database,
    *,
    vendor=None,
    buyer=None,
    lines=({"qty": "10", "unit_price": "10.00"},),
    status=PurchaseOrderStatus.issued,
    **overrides,
) -> PurchaseOrder:
    """A PO with numbered lines, by default approved and issued to the vendor."""
    n = next(_seq)
    vendor = vendor or make_vendor(database)
    now = utcnow()
    po = PurchaseOrder(
        number=overrides.pop(
            "number", format_number(Sequence.purchase_order, 900000 + n, year=now.year)
        ),
        vendor_id=vendor.id,
        status=status,
        payment_terms=overrides.pop("payment_terms", vendor.payment_terms),
        buyer_id=buyer.id if buyer else None,
        approved_at=overrides.pop(
            "approved_at", None if status is PurchaseOrderStatus.draft else now
        ),
        issued_at=overrides.pop(
            "issued_at",
            None if status in (PurchaseOrderStatus.draft, PurchaseOrderStatus.approved) else now,
        ),
        **overrides,
    )
    database.session.add(po)
    database.session.flush()
    for line_no, spec in enumerate(lines, start=1):
        values = _line_values(spec, line_no)
        values.setdefault("backorder_qty", values["qty"])
        database.session.add(PurchaseOrderLine(purchase_order_id=po.id, line_no=line_no, **values))
    database.session.commit()
    return po


def make_goods_receipt(database, po, *, receiver=None, lines=None, **overrides) -> GoodsReceipt:
    """A receipt on `po`: lines {line_no: accepted} or {line_no: (accepted, rejected)}; the PO
    lines' received/rejected/backorder quantities move with it (status is left to the caller)."""
    n = next(_seq)
    receiver = receiver or make_user(database, roles=["storekeeper"])
    by_no = {line.line_no: line for line in po.lines}
    lines = lines if lines is not None else {no: line.qty for no, line in by_no.items()}
    receipt = GoodsReceipt(
        number=overrides.pop(
            "number", format_number(Sequence.goods_receipt, 900000 + n, year=utcnow().year)
        ),
        purchase_order_id=po.id,
        received_by_id=receiver.id,
        **overrides,
    )
    database.session.add(receipt)
    database.session.flush()
    for line_no, amounts in lines.items():
        accepted, rejected = amounts if isinstance(amounts, tuple) else (amounts, 0)
        accepted, rejected = Decimal(str(accepted)), Decimal(str(rejected))
        po_line = by_no[line_no]
        database.session.add(
            GoodsReceiptLine(
                goods_receipt_id=receipt.id,
                purchase_order_line_id=po_line.id,
                accepted_qty=accepted,
                rejected_qty=rejected,
                reject_reason="Damaged" if rejected else None,
            )
        )
        po_line.received_qty += accepted
        po_line.rejected_qty += rejected
        po_line.backorder_qty = max(po_line.qty - po_line.received_qty, Decimal(0))
    database.session.commit()
    return receipt


# ---- reports: invoices, holds and status history ----------------------------------------------


def make_vendor_invoice(
    database,
    *,
    vendor,
    po=None,
    lines=(),
    type=None,
    status=None,
    invoice_on=None,
    held=False,
    **overrides,
):
    """An invoice (or type=credit_memo), matched by default; lines are (po_line or None, qty,
    unit_price); held=True adds a hold (released when status is released) and its match result."""
    from portal.domain.statuses import HoldStatus, InvoiceStatus, InvoiceType, MatchStatus
    from portal.models import Hold, MatchResult, VendorInvoice, VendorInvoiceLine

    n = next(_seq)
    status = status or InvoiceStatus.matched
    number = overrides.pop("number", f"INV-{n}")
    entered_by = overrides.pop("entered_by", None) or make_user(database, roles=["ap_clerk"])
    invoice = VendorInvoice(
        vendor_id=vendor.id,
        purchase_order_id=po.id if po else None,
        number=number,
        normalised_number=number.replace("-", "").upper(),
        type=type or InvoiceType.invoice,
        invoice_on=invoice_on or date.today(),
        currency="USD",
        status=status,
        entered_by_id=entered_by.id,
        **overrides,
    )
    database.session.add(invoice)
    database.session.flush()
    for position, (po_line, qty, price) in enumerate(lines, start=1):
        database.session.add(
            VendorInvoiceLine(
                invoice_id=invoice.id,
                position=position,
                purchase_order_line_id=po_line.id if po_line else None,
                line_ref=str(position),
                qty=Decimal(str(qty)),
                unit_price=Decimal(str(price)),
            )
        )
    if held:
        result = MatchResult(
            invoice_id=invoice.id,
            status=MatchStatus.hold,
            result={"status": "hold"},
            input_digest=f"test-{n}",
        )
        database.session.add(result)
        database.session.flush()
        released = status is InvoiceStatus.released
        database.session.add(
            Hold(
                invoice_id=invoice.id,
                match_result_id=result.id,
                reason_code="PRICE_OVER_TOLERANCE",
                status=HoldStatus.released if released else HoldStatus.open,
            )
        )
    database.session.commit()
    return invoice


def make_status_history(database, wo, moves) -> None:
    """Status changes of `wo`: moves are (to_status, changed_at) in order."""
    from portal.models import WorkOrderStatusChange

    previous = None
    for to_status, at in moves:
        database.session.add(
            WorkOrderStatusChange(
                work_order_id=wo.id, from_status=previous, to_status=to_status, changed_at=at
            )
        )
        previous = to_status
    database.session.commit()
