"""Demo purchasing policy: the default rules, two out-of-pocket buys, some maverick spend.

Runs inside load_demo's transaction, before the demo parts are requested, so the filler's level
probe (Electrical) is raised under the policy and its work order shows why a PO is required.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.domain.numbering import Sequence
from portal.domain.policy import RuleKind
from portal.domain.statuses import (
    InvoiceStatus,
    LineKind,
    OutOfPocketStatus,
    PurchaseOrderStatus,
    PurchaseRequestStatus,
)
from portal.models import (
    Attachment,
    CostCentre,
    OutOfPocketPurchase,
    PolicyRule,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseRequest,
    PurchaseRequestLine,
    User,
    Vendor,
    VendorInvoice,
    VendorInvoiceLine,
    WorkOrder,
)
from portal.services import audit
from portal.services.numbering import next_number

# (name, kind, limit, categories, item kinds, message)
RULES = [
    (
        "Outside spend from 500.00",
        RuleKind.amount_at_least,
        "500.00",
        [],
        ["service", "non_stock"],
        None,
    ),
    ("Electrical work goes through a PO", RuleKind.category_always, None, ["Electrical"], [], None),
    ("Preferred vendors or a contract", RuleKind.non_preferred_vendor, None, [], [], None),
    (
        "Any purchase from 5,000.00",
        RuleKind.amount_at_least,
        "5000.00",
        [],
        [],
        "A PO and two quotes are required: {amount} is over the {limit} limit.",
    ),
]

# A tiny JPEG header is enough for the demo's receipt photos: the browser shows a blank image.
RECEIPT = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def _at(day: date, hour: int) -> datetime:
    """A UTC time on `day`."""
    return datetime.combine(day, time(hour), tzinfo=UTC)


def load_demo_policy(session: Session) -> str:
    """The default rules, out-of-pocket buys and maverick rows; nothing if rules already exist."""
    if session.scalar(select(PolicyRule.id).limit(1)) is not None:
        return "Demo policy already there."
    session.flush()
    today = date.today()
    users = {u.username: u for u in session.scalars(select(User))}
    orders = {wo.title: wo for wo in session.scalars(select(WorkOrder))}
    vendors = {v.code: v for v in session.scalars(select(Vendor))}
    centres = {c.code: c for c in session.scalars(select(CostCentre))}
    admin = users["admin"]

    for name, kind, limit, categories, kinds, message in RULES:
        rule = PolicyRule(
            name=name,
            kind=kind,
            amount=Decimal(limit) if limit else None,
            categories=categories,
            item_kinds=kinds,
            message=message,
            active=True,
            created_by_id=admin.id,
        )
        session.add(rule)
        session.flush()
        audit.record(
            session,
            actor=admin,
            action="policy_rule.created",
            subject=rule,
            subject_label=name,
            changes={"kind": [None, kind], "amount": [None, limit], "categories": categories},
            why="Demo: the default purchasing policy",
        )

    tech, supervisor = users["technician"], users["supervisor"]
    lighting = orders["Emergency lighting duration test"]
    syrup = orders["Syrup dosing pump leaking at seal"]
    buys = [
        (
            syrup,
            "Food-grade O-ring kit",
            "Riverside Hardware",
            "18.40",
            today - timedelta(days=12),
            "Seal kit from stock was the wrong size; the line could not wait overnight.",
            OutOfPocketStatus.reimbursed,
        ),
        (
            lighting,
            "4 x 3.6 V NiCd emergency light batteries",
            "City Electrical Counter",
            "46.80",
            today - timedelta(days=2),
            "Two fittings failed the duration test; the stairwell needs lighting tonight.",
            OutOfPocketStatus.submitted,
        ),
    ]
    for wo, what, shop, amount, bought_on, why, status in buys:
        photo = Attachment(
            work_order_id=wo.id,
            filename="receipt.jpg",
            content_type="image/jpeg",
            size_bytes=len(RECEIPT),
            data=RECEIPT,
            uploaded_by_id=tech.id,
        )
        session.add(photo)
        session.flush()
        reviewed = status is not OutOfPocketStatus.submitted
        purchase = OutOfPocketPurchase(
            work_order_id=wo.id,
            user_id=tech.id,
            description=what,
            shop_name=shop,
            amount=Decimal(amount),
            bought_on=bought_on,
            why=why,
            status=status,
            receipt_attachment_id=photo.id,
            reviewed_by_id=supervisor.id if reviewed else None,
            reviewed_at=_at(bought_on + timedelta(days=1), 9) if reviewed else None,
            review_reason="Small amount, receipt attached." if reviewed else None,
            created_at=_at(bought_on, 17),
        )
        session.add(purchase)
        session.flush()
        audit.record(
            session,
            actor=tech,
            action="out_of_pocket.submitted",
            subject=purchase,
            subject_label=f"{wo.number} out-of-pocket",
            changes={"amount": [None, amount], "shop_name": shop},
            why=why,
        )
        if reviewed:
            audit.record(
                session,
                actor=supervisor,
                action=f"out_of_pocket.{status.value}",
                subject=purchase,
                subject_label=f"{wo.number} out-of-pocket",
                changes={"status": ["submitted", status.value]},
                why=purchase.review_reason,
            )

    # A PR raised from an off-contract quote and a non-preferred vendor (flagged by sourcing).
    conveyor = orders["Replace worn V-belts on case conveyor"]
    pr = PurchaseRequest(
        number=next_number(session, Sequence.purchase_request),
        work_order_id=conveyor.id,
        cost_centre_id=centres["CC-RBP-MNT"].id,
        requested_by_id=tech.id,
        status=PurchaseRequestStatus.submitted,
        reason=f"Spare belts for {conveyor.number}",
        submitted_at=_at(today - timedelta(days=20), 10),
    )
    session.add(pr)
    session.flush()
    session.add_all(
        [
            PurchaseRequestLine(
                purchase_request_id=pr.id,
                description="V-belt SPA 1250, quoted by AquaServ",
                kind=LineKind.goods,
                qty=Decimal("4"),
                uom="EA",
                unit_price=Decimal("13.90"),
                suggested_vendor_id=vendors["AQUA"].id,
                policy_warnings=[
                    {
                        "code": "off_contract",
                        "text": "V-belt SPA 1250 is on contract with Northern Bearing Supply at "
                        "10.10; AquaServ Plumbing Supplies has no valid contract for it.",
                    },
                    {
                        "code": "non_preferred",
                        "text": "AquaServ Plumbing Supplies is not a preferred vendor for Belts "
                        "(preferred: Northern Bearing Supply).",
                    },
                ],
            )
        ]
    )

    # After the fact: the plumber fixed the tap and invoiced before the PO was approved.
    tap = orders["Flat 4B kitchen tap dripping"]
    aqua = vendors["AQUA"]
    po = PurchaseOrder(
        number=next_number(session, Sequence.purchase_order),
        vendor_id=aqua.id,
        status=PurchaseOrderStatus.approved,
        payment_terms=aqua.payment_terms,
        buyer_id=users["buyer"].id,
        approved_at=_at(today - timedelta(days=6), 14),
        notes="Raised after the plumber's emergency call-out.",
    )
    session.add(po)
    session.flush()
    session.add(
        PurchaseOrderLine(
            purchase_order_id=po.id,
            line_no=1,
            description="Emergency call-out and mixer tap cartridge, flat 4B",
            kind=LineKind.service,
            qty=Decimal("1"),
            uom="JOB",
            unit_price=Decimal("265.00"),
            work_order_id=tap.id,
            cost_centre_id=centres["CC-ECA-MNT"].id,
            backorder_qty=Decimal("1"),
        )
    )
    session.flush()
    invoice = VendorInvoice(
        vendor_id=aqua.id,
        purchase_order_id=po.id,
        number="AQ-55871",
        normalised_number="AQ55871",
        invoice_on=today - timedelta(days=9),
        currency=aqua.currency,
        total_amount=Decimal("265.00"),
        status=InvoiceStatus.entered,
        entered_by_id=users["ap_clerk"].id,
    )
    session.add(invoice)
    session.flush()
    line = session.scalar(
        select(PurchaseOrderLine).where(PurchaseOrderLine.purchase_order_id == po.id)
    )
    session.add(
        VendorInvoiceLine(
            invoice_id=invoice.id,
            position=1,
            purchase_order_line_id=line.id,
            line_ref="1",
            qty=Decimal("1"),
            unit_price=Decimal("265.00"),
        )
    )
    session.flush()
    return f"Demo policy: {len(RULES)} rules, {len(buys)} out-of-pocket buys, maverick spend."
