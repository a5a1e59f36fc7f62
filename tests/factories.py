"""Builders: make_<thing>(database, **overrides) with defaults for everything; they commit.

Master data comes from portal/demo/builders.py and documents take their row shape from
portal/demo/rows.py: the same "valid world" the demo and bench/ build, not a copy of it.
Documents are written as rows in any state a test needs; the use cases are what the tests test.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from portal.demo import builders as build
from portal.demo import rows
from portal.demo import rows_buying as buying
from portal.demo.world import RECEIPT_PHOTO
from portal.domain.money import line_total
from portal.domain.numbering import Sequence, format_number
from portal.domain.statuses import (
    InvoiceStatus,
    InvoiceType,
    ItemKind,
    LineKind,
    OutOfPocketStatus,
    PurchaseOrderStatus,
    PurchaseRequestStatus,
)
from portal.domain.work_orders import WorkOrderStatus
from portal.models import (
    ApprovalRule,
    Asset,
    Attachment,
    Contract,
    CostCentre,
    GoodsReceipt,
    GoodsReceiptLine,
    Hold,
    Item,
    LabourEntry,
    MatchResult,
    OutOfPocketPurchase,
    PolicyRule,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseRequest,
    PurchaseRequestLine,
    Site,
    StockMovement,
    Storeroom,
    User,
    Vendor,
    VendorInvoice,
    VendorInvoiceLine,
    WorkOrder,
    WorkOrderStatusChange,
)
from portal.models.base import utcnow
from portal.services.photos import prepare_photo

JPEG_BYTES = RECEIPT_PHOTO  # a real (small) JPEG: uploads are decoded and re-encoded


def _saved(database, thing):
    database.session.commit()
    return thing


# ---- master data: portal/demo/builders.py ---------------------------------------------------


def make_user(database, *, roles=("technician",), password="secret-pw", **overrides) -> User:
    return _saved(
        database, build.add_user(database.session, roles=roles, password=password, **overrides)
    )


def make_site(database, **overrides) -> Site:
    return _saved(database, build.add_site(database.session, **overrides))


def make_asset(database, *, site=None, **overrides) -> Asset:
    """An asset at an area of its own, at `site` (a new site by default)."""
    site = site or make_site(database)
    location = build.add_location(database.session, site=site)
    return _saved(database, build.add_asset(database.session, location=location, **overrides))


def make_item(database, *, kind=ItemKind.stock, **overrides) -> Item:
    return _saved(database, build.add_item(database.session, kind=kind, **overrides))


def make_storeroom(database, *, site=None, stock=(), **overrides) -> Storeroom:
    """A storeroom; `stock` is [(item, on_hand_qty, unit_cost), ...]."""
    site = site or make_site(database)
    store = build.add_storeroom(database.session, site=site, **overrides)
    for item, on_hand, cost in stock:
        build.add_stock(
            database.session, item=item, storeroom=store, on_hand=on_hand, unit_cost=cost
        )
    return _saved(database, store)


def make_vendor(database, **overrides) -> Vendor:
    return _saved(database, build.add_vendor(database.session, **overrides))


def make_cost_centre(database, *, site=None, budget="10000.00", **overrides) -> CostCentre:
    """A cost centre with a budget for this calendar year (budget=None: no budget row)."""
    return _saved(
        database, build.add_cost_centre(database.session, site=site, budget=budget, **overrides)
    )


def make_approval_rule(
    database, *, min_amount="0.00", max_amount=None, role="supervisor", **overrides
) -> ApprovalRule:
    """One row of the approval matrix (global unless cost_centre_id is given)."""
    rule = build.add_approval_rule(
        database.session, role=role, min_amount=min_amount, max_amount=max_amount, **overrides
    )
    return _saved(database, rule)


def make_approval_matrix(database) -> list[ApprovalRule]:
    """The demo matrix: up to 500.00 a supervisor, to 5,000.00 an approver, above that two."""
    return _saved(database, build.add_approval_matrix(database.session))


def make_contract(
    database, *, vendor=None, prices=(), valid_from=None, valid_to=None, **overrides
) -> Contract:
    """A contract; `prices` is [(Item or category name, uom, unit_price), ...]."""
    vendor = vendor or make_vendor(database)
    today = date.today()
    contract = build.add_contract(
        database.session,
        vendor=vendor,
        valid_from=valid_from or today - timedelta(days=30),
        valid_to=valid_to or today + timedelta(days=300),
        prices=prices,
        **overrides,
    )
    return _saved(database, contract)


def make_policy_rule(database, **overrides) -> PolicyRule:
    """An active rule: by default a PO from 500.00 for outside services."""
    return _saved(database, build.add_policy_rule(database.session, **overrides))


# ---- documents: row shapes from portal/demo/rows.py -------------------------------------------
# Document numbers start at 900001 so they never meet the ones the services hand out.
# Lines are given as dicts: {"item": Item | None, "qty": "3", "unit_price": "10.00", ...}; any
# PurchaseOrderLine / PurchaseRequestLine column may be set that way.


def _add(database, model, row):
    thing = model(**row)
    database.session.add(thing)
    database.session.flush()
    return thing


def make_work_order(
    database, *, title="Fix it", asset=None, assignee=None, **overrides
) -> WorkOrder:
    n = build.serial()
    asset = asset or make_asset(database)
    row = rows.work_order_row(
        number=overrides.pop("number", format_number(Sequence.work_order, n)),
        title=title,
        site_id=asset.location.site_id,
        location_id=asset.location_id,
        asset_id=asset.id,
        assignee_user_id=assignee.id if assignee else None,
        due_at=overrides.pop("due_at", utcnow() + timedelta(days=3)),
        status=overrides.pop("status", WorkOrderStatus.assigned),
        **overrides,
    )
    return _saved(database, _add(database, WorkOrder, row))


def _line_values(spec: dict, position: int) -> dict:
    spec = dict(spec)
    item = spec.pop("item", None)
    values = {
        "item_id": item.id if item else None,
        "description": spec.pop("description", item.description if item else f"Line {position}"),
        "kind": spec.pop(
            "kind", LineKind.service if item and item.kind is ItemKind.service else LineKind.goods
        ),
        "qty": spec.pop("qty", "1"),
        "uom": spec.pop("uom", item.uom if item else "EA"),
        "unit_price": spec.pop("unit_price", "10.00"),
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
    n = build.serial()
    requester = requester or make_user(database)
    cost_centre = cost_centre or make_cost_centre(database)
    pr = _add(
        database,
        PurchaseRequest,
        buying.purchase_request_row(
            number=overrides.pop("number", format_number(Sequence.purchase_request, 900000 + n)),
            work_order_id=work_order.id if work_order else None,
            cost_centre_id=cost_centre.id,
            requested_by_id=requester.id,
            status=status,
            **overrides,
        ),
    )
    for position, spec in enumerate(lines, start=1):
        row = buying.request_line_row(purchase_request_id=pr.id, **_line_values(spec, position))
        database.session.add(PurchaseRequestLine(**row))
    return _saved(database, pr)


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
    n = build.serial()
    vendor = vendor or make_vendor(database)
    now = utcnow()
    unapproved = status is PurchaseOrderStatus.draft
    unissued = status in (PurchaseOrderStatus.draft, PurchaseOrderStatus.approved)
    po = _add(
        database,
        PurchaseOrder,
        buying.purchase_order_row(
            number=overrides.pop(
                "number", format_number(Sequence.purchase_order, 900000 + n, year=now.year)
            ),
            vendor_id=vendor.id,
            status=status,
            payment_terms=overrides.pop("payment_terms", vendor.payment_terms),
            buyer_id=buyer.id if buyer else None,
            approved_at=overrides.pop("approved_at", None if unapproved else now),
            issued_at=overrides.pop("issued_at", None if unissued else now),
            **overrides,
        ),
    )
    for line_no, spec in enumerate(lines, start=1):
        values = _line_values(spec, line_no)
        backorder = values.pop("backorder_qty", None)
        direct = "approved_amount" in values and values.pop("approved_amount") is None
        row = buying.order_line_row(purchase_order_id=po.id, line_no=line_no, **values)
        # As if ordered from an approved request at this amount (approved_amount=None: a direct
        # buy, nothing approved).
        row["approved_amount"] = (
            None
            if direct
            else line_total(row["qty"], row["unit_price"], row.get("discount_percent") or 0)
        )
        if backorder is not None:
            row["backorder_qty"] = Decimal(str(backorder))
        database.session.add(PurchaseOrderLine(**row))
    database.session.commit()
    database.session.refresh(po)
    return po


def make_goods_receipt(database, po, *, receiver=None, lines=None, **overrides) -> GoodsReceipt:
    """A receipt on `po`: lines {line_no: accepted} or {line_no: (accepted, rejected)}; the PO
    lines' received/rejected/backorder quantities move with it (status is left to the caller)."""
    n = build.serial()
    receiver = receiver or make_user(database, roles=["storekeeper"])
    by_no = {line.line_no: line for line in po.lines}
    lines = lines if lines is not None else {no: line.qty for no, line in by_no.items()}
    receipt = _add(
        database,
        GoodsReceipt,
        buying.receipt_row(
            number=overrides.pop(
                "number", format_number(Sequence.goods_receipt, 900000 + n, year=utcnow().year)
            ),
            purchase_order_id=po.id,
            received_by_id=receiver.id,
            **overrides,
        ),
    )
    for line_no, amounts in lines.items():
        accepted, rejected = amounts if isinstance(amounts, tuple) else (amounts, 0)
        row = buying.receipt_line_row(
            goods_receipt_id=receipt.id,
            purchase_order_line_id=by_no[line_no].id,
            accepted_qty=str(accepted),
            rejected_qty=str(rejected),
        )
        database.session.add(GoodsReceiptLine(**row))
        po_line = by_no[line_no]
        po_line.received_qty += row["accepted_qty"]
        po_line.rejected_qty += row["rejected_qty"]
        po_line.backorder_qty = max(po_line.qty - po_line.received_qty, Decimal(0))
    return _saved(database, receipt)


# ---- costs: invoices, labour, stock movements and own-money purchases on a work order ----------


def _invoice(database, *, vendor_id, po, number, lines, entered_by, **overrides) -> VendorInvoice:
    """An invoice with its lines: [(po_line or None, qty, unit price)], the gross computed."""
    billed = [(Decimal(str(qty)), Decimal(str(price))) for _line, qty, price in lines]
    invoice = _add(
        database,
        VendorInvoice,
        buying.invoice_row(
            vendor_id=vendor_id,
            purchase_order_id=po.id if po else None,
            number=number,
            invoice_on=overrides.pop("invoice_on", None) or date.today(),
            entered_by_id=entered_by.id,
            billed=billed,
            **overrides,
        ),
    )
    for position, (po_line, qty, price) in enumerate(lines, start=1):
        row = buying.invoice_line_row(
            invoice_id=invoice.id,
            position=position,
            qty=str(qty),
            unit_price=str(price),
            purchase_order_line_id=po_line.id if po_line else None,
            line_ref=str(po_line.line_no) if po_line else str(position),
        )
        database.session.add(VendorInvoiceLine(**row))
    return invoice


def make_vendor_invoice(
    database, po, *, lines, type=None, status=None, clerk=None, **overrides
) -> VendorInvoice:
    """An invoice (or credit memo) on `po`: lines {line_no: (qty, unit_price)}; matched by
    default, dated today."""
    n = build.serial()
    clerk = clerk or make_user(database, roles=["ap_clerk"])
    by_no = {line.line_no: line for line in po.lines}
    invoice = _invoice(
        database,
        vendor_id=po.vendor_id,
        po=po,
        number=overrides.pop("number", f"INV-{n}"),
        lines=[(by_no[no], qty, price) for no, (qty, price) in lines.items()],
        entered_by=clerk,
        type=type or InvoiceType.invoice,
        status=status or InvoiceStatus.matched,
        **overrides,
    )
    return _saved(database, invoice)


def make_labour_entry(database, wo, *, hours="1", rate="50.00", user=None, **overrides):
    """Hours logged on `wo`, costed at hours x rate."""
    user = user or make_user(database)
    row = rows.labour_row(work_order_id=wo.id, user_id=user.id, hours=hours, rate=rate, **overrides)
    return _saved(database, _add(database, LabourEntry, row))


def make_stock_movement(database, wo, *, qty, unit_cost, kind=None, item=None, storeroom=None):
    """Stock issued to (qty < 0) or returned from (qty > 0) `wo`."""
    item = item or make_item(database)
    storeroom = storeroom or make_storeroom(database)
    row = rows.stock_movement_row(
        item_id=item.id,
        storeroom_id=storeroom.id,
        qty=qty,
        unit_cost=unit_cost,
        kind=kind,
        work_order_id=wo.id,
    )
    return _saved(database, _add(database, StockMovement, row))


def make_out_of_pocket(database, wo, *, amount, status=None, user=None):
    """A technician's own-money purchase for `wo` (submitted unless told otherwise)."""
    user = user or make_user(database)
    row = rows.out_of_pocket_row(
        work_order_id=wo.id,
        user_id=user.id,
        amount=amount,
        status=status or OutOfPocketStatus.submitted,
    )
    return _saved(database, _add(database, OutOfPocketPurchase, row))


# ---- policy, out-of-pocket, maverick --------------------------------------------------------


def make_out_of_pocket_with_receipt(database, *, work_order=None, user=None, **overrides):
    """A submitted out-of-pocket purchase on a work order, with a receipt photo."""
    work_order = work_order or make_work_order(database)
    user = user or make_user(database)
    photo = Attachment.of_photo(
        prepare_photo(JPEG_BYTES, "receipt.jpg"),
        work_order_id=work_order.id,
        uploaded_by_id=user.id,
    )
    database.session.add(photo)
    database.session.flush()
    row = rows.out_of_pocket_row(
        work_order_id=work_order.id,
        user_id=user.id,
        amount=overrides.pop("amount", "12.50"),
        description=overrides.pop("description", "Fuse 10 A"),
        shop_name=overrides.pop("shop_name", "Corner Hardware"),
        why=overrides.pop("why", "Needed at once"),
        receipt_attachment_id=photo.id,
        **overrides,
    )
    return _saved(database, _add(database, OutOfPocketPurchase, row))


def make_invoice_in_full(database, po, *, entered_by=None, lines=None, **overrides):
    """An invoice on `po` dated `invoice_on` (today by default), billing every PO line in full."""
    n = build.serial()
    entered_by = entered_by or make_user(database, roles=["ap_clerk"])
    invoice = _invoice(
        database,
        vendor_id=po.vendor_id,
        po=po,
        number=overrides.pop("number", f"INV-{n}"),
        lines=[(line, line.qty, line.unit_price) for line in po.lines],
        entered_by=entered_by,
        status=overrides.pop("status", InvoiceStatus.entered),
        **overrides,
    )
    return _saved(database, invoice)


# ---- reports: invoices, holds and status history ----------------------------------------------


def make_invoice_with_hold(
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
    n = build.serial()
    status = status or InvoiceStatus.matched
    invoice = _invoice(
        database,
        vendor_id=vendor.id,
        po=po,
        number=overrides.pop("number", f"INV-{n}"),
        lines=list(lines),
        entered_by=overrides.pop("entered_by", None) or make_user(database, roles=["ap_clerk"]),
        type=type or InvoiceType.invoice,
        status=status,
        invoice_on=invoice_on,
        **overrides,
    )
    if held:
        result = _add(
            database,
            MatchResult,
            buying.match_result_row(invoice_id=invoice.id, held=True, input_digest=f"test-{n}"),
        )
        released = status is InvoiceStatus.released
        database.session.add(
            Hold(
                **buying.hold_row(
                    invoice_id=invoice.id, match_result_id=result.id, released=released
                )
            )
        )
    return _saved(database, invoice)


def make_status_history(database, wo, moves) -> None:
    """Status changes of `wo`: moves are (to_status, changed_at) in order."""
    previous = None
    for to_status, at in moves:
        database.session.add(
            WorkOrderStatusChange(
                **rows.status_change_row(
                    work_order_id=wo.id, from_status=previous, to_status=to_status, changed_at=at
                )
            )
        )
        previous = to_status
    database.session.commit()
