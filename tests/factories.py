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


# ---- approvals --------------------------------------------------------------------------------
# Imported here so this section only ever appends to the file (eight features share it).
from portal.models import ApprovalRule  # noqa: E402


def make_approval_rule(
    database, *, min_amount="0.00", max_amount=None, role="supervisor", **overrides
) -> ApprovalRule:
    """One row of the approval matrix (global unless cost_centre_id is given)."""
    rule = ApprovalRule(
        min_amount=Decimal(min_amount),
        max_amount=Decimal(max_amount) if max_amount is not None else None,
        role=Role(role),
        approvals_needed=overrides.pop("approvals_needed", 1),
        active=overrides.pop("active", True),
        **overrides,
    )
    database.session.add(rule)
    database.session.commit()
    return rule


def make_approval_matrix(database) -> list[ApprovalRule]:
    """The demo matrix: up to 500.00 a supervisor, to 5,000.00 an approver, above that two."""
    return [
        make_approval_rule(database, min_amount="0.00", max_amount="500.00", role="supervisor"),
        make_approval_rule(database, min_amount="500.01", max_amount="5000.00", role="approver"),
        make_approval_rule(database, min_amount="5000.01", role="approver", approvals_needed=2),
    ]


# ---- vendors ----------------------------------------------------------------------------------


def make_contract(
    database,
    *,
    vendor=None,
    prices=(),
    valid_from=None,
    valid_to=None,
    **overrides,
):
    """A contract; `prices` is [(Item or category name, uom, unit_price), ...]."""
    from portal.models import Contract, ContractPrice

    n = next(_seq)
    vendor = vendor or make_vendor(database)
    today = date.today()
    contract = Contract(
        vendor_id=vendor.id,
        reference=overrides.pop("reference", f"C-{n}"),
        title=overrides.pop("title", f"Price agreement {n}"),
        valid_from=valid_from or today - timedelta(days=30),
        valid_to=valid_to or today + timedelta(days=300),
        **overrides,
    )
    for what, uom, price in prices:
        is_item = isinstance(what, Item)
        contract.prices.append(
            ContractPrice(
                item_id=what.id if is_item else None,
                category=None if is_item else what,
                uom=uom,
                unit_price=Decimal(price),
            )
        )
    database.session.add(contract)
    database.session.commit()
    return contract


# ---- costs: invoices, labour, stock movements and own-money purchases on a work order ----------

# Imported here so this section only appends to the file.
from portal.models import (  # noqa: E402
    LabourEntry,
    OutOfPocketPurchase,
    StockMovement,
    VendorInvoice,
    VendorInvoiceLine,
)


def make_vendor_invoice(
    database, po, *, lines, type=None, status=None, clerk=None, **overrides
) -> VendorInvoice:
    """An invoice (or credit memo) on `po`: lines {line_no: (qty, unit_price)}; matched by
    default, dated today."""
    from portal.domain.statuses import InvoiceStatus, InvoiceType

    n = next(_seq)
    clerk = clerk or make_user(database, roles=["ap_clerk"])
    by_no = {line.line_no: line for line in po.lines}
    invoice = VendorInvoice(
        vendor_id=po.vendor_id,
        purchase_order_id=po.id,
        number=overrides.pop("number", f"INV-{n}"),
        normalised_number=overrides.pop("normalised_number", f"INV{n}"),
        type=type or InvoiceType.invoice,
        invoice_on=overrides.pop("invoice_on", date.today()),
        currency=overrides.pop("currency", "USD"),
        status=status or InvoiceStatus.matched,
        entered_by_id=clerk.id,
        **overrides,
    )
    database.session.add(invoice)
    database.session.flush()
    for position, (line_no, (qty, price)) in enumerate(lines.items(), start=1):
        database.session.add(
            VendorInvoiceLine(
                invoice_id=invoice.id,
                position=position,
                purchase_order_line_id=by_no[line_no].id,
                line_ref=str(line_no),
                qty=Decimal(str(qty)),
                unit_price=Decimal(str(price)),
            )
        )
    database.session.commit()
    return invoice


def make_labour_entry(database, wo, *, hours="1", rate="50.00", user=None, **overrides):
    """Hours logged on `wo`, costed at hours x rate."""
    user = user or make_user(database)
    entry = LabourEntry(
        work_order_id=wo.id,
        user_id=user.id,
        worked_on=overrides.pop("worked_on", date.today()),
        hours=Decimal(hours),
        rate=Decimal(rate),
        cost_amount=overrides.pop("cost_amount", Decimal(hours) * Decimal(rate)),
        **overrides,
    )
    database.session.add(entry)
    database.session.commit()
    return entry


def make_stock_movement(database, wo, *, qty, unit_cost, kind=None, item=None, storeroom=None):
    """Stock issued to (qty < 0) or returned from (qty > 0) `wo`."""
    from portal.domain.statuses import MovementKind

    item = item or make_item(database)
    storeroom = storeroom or make_storeroom(database)
    movement = StockMovement(
        item_id=item.id,
        storeroom_id=storeroom.id,
        kind=kind or (MovementKind.issue if Decimal(qty) < 0 else MovementKind.return_),
        qty=Decimal(qty),
        unit_cost=Decimal(unit_cost),
        work_order_id=wo.id,
    )
    database.session.add(movement)
    database.session.commit()
    return movement


def make_out_of_pocket(database, wo, *, amount, status=None, user=None):
    """A technician's own-money purchase for `wo` (submitted unless told otherwise)."""
    from portal.domain.statuses import OutOfPocketStatus

    user = user or make_user(database)
    purchase = OutOfPocketPurchase(
        work_order_id=wo.id,
        user_id=user.id,
        description="Hose clamps from the hardware store",
        amount=Decimal(amount),
        bought_on=date.today(),
        status=status or OutOfPocketStatus.submitted,
    )
    database.session.add(purchase)
    database.session.commit()
    return purchase


# ---- policy, out-of-pocket, maverick --------------------------------------------------------


def make_policy_rule(database, **overrides):
    """An active rule: by default a PO from 500.00 for outside services."""
    from portal.domain.policy import RuleKind
    from portal.models import PolicyRule

    n = next(_seq)
    rule = PolicyRule(
        name=overrides.pop("name", f"Rule {n}"),
        kind=overrides.pop("kind", RuleKind.amount_at_least),
        amount=Decimal(str(overrides.pop("amount", "500.00"))),
        categories=overrides.pop("categories", []),
        item_kinds=overrides.pop("item_kinds", ["service"]),
        active=overrides.pop("active", True),
        **overrides,
    )
    database.session.add(rule)
    database.session.commit()
    return rule


def make_out_of_pocket_with_receipt(database, *, work_order=None, user=None, **overrides):
    """A submitted out-of-pocket purchase on a work order, with a receipt photo."""
    from portal.domain.statuses import OutOfPocketStatus
    from portal.models import Attachment, OutOfPocketPurchase

    work_order = work_order or make_work_order(database)
    user = user or make_user(database)
    photo = Attachment(
        work_order_id=work_order.id,
        filename="receipt.jpg",
        content_type="image/jpeg",
        size_bytes=len(JPEG_BYTES),
        data=JPEG_BYTES,
        uploaded_by_id=user.id,
    )
    database.session.add(photo)
    database.session.flush()
    purchase = OutOfPocketPurchase(
        work_order_id=work_order.id,
        user_id=user.id,
        description=overrides.pop("description", "Fuse 10 A"),
        shop_name=overrides.pop("shop_name", "Corner Hardware"),
        amount=Decimal(str(overrides.pop("amount", "12.50"))),
        bought_on=overrides.pop("bought_on", date.today()),
        why=overrides.pop("why", "Needed at once"),
        status=overrides.pop("status", OutOfPocketStatus.submitted),
        receipt_attachment_id=photo.id,
        **overrides,
    )
    database.session.add(purchase)
    database.session.commit()
    return purchase


def make_invoice_in_full(database, po, *, entered_by=None, lines=None, **overrides):
    """An invoice on `po` dated `invoice_on` (today by default), billing every PO line in full."""
    from portal.models import VendorInvoice, VendorInvoiceLine

    n = next(_seq)
    entered_by = entered_by or make_user(database, roles=["ap_clerk"])
    number = overrides.pop("number", f"INV-{n}")
    invoice = VendorInvoice(
        vendor_id=po.vendor_id,
        purchase_order_id=po.id,
        number=number,
        normalised_number=number.upper(),
        invoice_on=overrides.pop("invoice_on", date.today()),
        currency=overrides.pop("currency", "USD"),
        entered_by_id=entered_by.id,
        **overrides,
    )
    database.session.add(invoice)
    database.session.flush()
    for position, line in enumerate(po.lines, start=1):
        database.session.add(
            VendorInvoiceLine(
                invoice_id=invoice.id,
                position=position,
                purchase_order_line_id=line.id,
                line_ref=str(line.line_no),
                qty=line.qty,
                unit_price=line.unit_price,
            )
        )
    database.session.commit()
    return invoice


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
