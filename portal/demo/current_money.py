"""The demo's money of the last weeks: invoices, holds, a payment run, out-of-pocket buys.

The spring overhaul of line 1 carries the invoice demo: two POs from one request (NBS goods,
FlowTech gland packing) and a FlowTech service PO; invoices matched, one on hold for each common
reason (over the received quantity, over the price, dated before the PO was approved, a
possible duplicate), a credit memo and one payment export. Compressor 1 shows costs on a work
order: labour, a part invoiced above its price (released by an approver) and a service visit
still on order. An emergency plumber was called before any PO existed (after the fact). Two
technicians' own-money buys, one reimbursed, one waiting for review.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from portal.demo.steps import (
    Demo,
    approve_and_issue,
    ask_for_service,
    days_before,
    decide,
    enter_invoice,
    export_if_payable,
    log_hours,
    order,
    paid_own_money,
    receive,
    request_part,
    take_from_stock,
)
from portal.demo.timeline import Story
from portal.domain.statuses import InvoiceType
from portal.models import PurchaseOrder
from portal.services import invoices, out_of_pocket

OVERHAUL = "Line 1 spring overhaul: infeed conveyor and transfer pump"
COMPRESSOR = "Compressor 1 air and oil filter change"
BURST_PIPE = "Burst pipe under the kitchen sink, flat 1A"
SYRUP = "Syrup dosing pump leaking at seal"
LIGHTING = "Emergency lighting duration test"
H = timedelta(hours=1)

# (days ago entered, days ago dated, PO, number, type, {line no: (qty, unit price)}); None: the
# payment run. A credit memo, and holds: over received, price, after the fact, possible duplicate.
INVOICES: list[tuple[float, int, str, str, InvoiceType, dict[int, tuple[str, str]]] | None] = [
    (11, 12, "NBS", "NBS-1001", InvoiceType.invoice, {1: ("10", "7.60")}),
    (7, 8, "FLO", "FT-77", InvoiceType.invoice, {1: ("20", "4.00")}),
    None,
    (5, 30, "NBS", "NBS-0990", InvoiceType.invoice, {1: ("2", "7.60")}),
    (4, 8, "FLO", "FT-78", InvoiceType.invoice, {1: ("20", "4.00")}),
    (3, 4, "NBS", "NBS-1002", InvoiceType.invoice, {2: ("10", "16.00")}),
    (2, 3, "NBS", "NBS-1003", InvoiceType.invoice, {1: ("5", "8.20")}),
    (2, 3, "SERVICE", "FT-90", InvoiceType.invoice, {1: ("1", "850.00")}),
    (1, 2, "FLO", "FT-CM-3", InvoiceType.credit_memo, {1: ("5", "4.00")}),
]


def money_stories(demo: Demo) -> list[Story]:
    """The invoice demo, the costs on compressor 1, the plumber, the own-money buys."""
    return [
        _overhaul(demo),
        _compressor(demo),
        _burst_pipe(demo),
        _own_money(demo, SYRUP, "Food-grade O-ring kit", "Riverside Hardware", "18.40", "Seals",
                   2.5,
                   "Seal kit from stock was the wrong size; the line could not wait overnight.",
                   reviewed="Small amount, receipt attached."),
        _own_money(demo, LIGHTING, "4 x 3.6 V NiCd emergency light batteries",
                   "City Electrical Counter", "46.80", "Electrical", 2,
                   "Two fittings failed the duration test; the stairwell needs lighting tonight."),
    ]  # fmt: skip


def _overhaul(demo: Demo) -> Story:
    """Parts for the overhaul on two POs, a pump overhaul service PO, and their invoices."""
    priya, buyer, approver = demo.user("priya"), demo.user("buyer"), demo.user("approver")
    store = demo.user("storekeeper")
    yield demo.ago(24)
    wo = demo.work_orders[OVERHAUL]
    request_part(demo, wo, "BRG-6205", "20", actor=priya)
    request_part(demo, wo, "BELT-SPB1800", "10", actor=priya)
    pr_id = request_part(demo, wo, "PACK-GLAND", "50", actor=priya)
    yield demo.ago(23)
    decide(pr_id, approvers=[approver])
    yield demo.ago(22)
    pos = {po.vendor.code: po for po in order(demo, [pr_id], buyer=buyer)}
    for po in pos.values():
        approve_and_issue(po.id, buyer=buyer)
    yield demo.ago(18)
    receive(demo, pos["NBS"].id, {1: "20", 2: "8"}, receiver=store, slip="NBS-DN-88120")
    yield demo.ago(16)
    receive(demo, pos["FLO"].id, {1: "50"}, receiver=store, slip="FT-DN-3301")
    yield demo.ago(12)
    service_pr = ask_for_service(
        demo,
        wo,
        "FLO",
        "Transfer pump P-101 overhaul",
        qty="1",
        uom="JOB",
        unit_price="850.00",
        actor=buyer,
    )
    yield demo.ago(11.5)
    decide(service_pr, approvers=[approver])
    yield demo.ago(11)
    (pos["SERVICE"],) = order(demo, [service_pr], buyer=buyer)
    approve_and_issue(pos["SERVICE"].id, buyer=buyer)
    yield from _invoices(demo, pos)


def _invoices(demo: Demo, pos: dict[str, PurchaseOrder]) -> Story:
    """The AP clerk enters each invoice in its time (and runs one payment export)."""
    clerk = demo.user("ap_clerk")
    for entry in INVOICES:
        if entry is None:
            yield demo.ago(6)
            export_if_payable(demo.session, clerk)
            continue
        entered, dated, po, number, kind, billed = entry
        yield demo.ago(entered)
        enter_invoice(
            demo,
            pos[po].id,
            number,
            invoice_on=days_before(demo.now, dated),
            billed=billed,
            clerk=clerk,
            invoice_type=kind,
        )


def _compressor(demo: Demo) -> Story:
    """Filters reserved; an oil separator bought and billed above its price (released), the
    service visit still on order; labour logged."""
    tech, store, buyer = demo.user("technician"), demo.user("storekeeper"), demo.user("buyer")
    approver = demo.user("approver")
    yield demo.ago(5) + 3 * H
    wo = demo.work_orders[COMPRESSOR]
    for part_number in ("FLT-AIR-GA37", "FLT-OIL-GA37", "OIL-COMP"):
        take_from_stock(demo, wo, part_number, "1", actor=store)
    yield demo.ago(4.5)
    pr_id = request_part(demo, wo, "SEP-GA37", "1", actor=tech, reason="Oil separator worn")
    yield demo.ago(4.4)
    ask_for_service(
        demo,
        wo,
        "NBS",
        "Compressor service visit",
        qty="1",
        uom="VISIT",
        unit_price="320.00",
        actor=buyer,
    )
    yield demo.ago(4.2)
    decide(pr_id, approvers=[approver])
    yield demo.ago(4)
    (po,) = order(demo, [pr_id], buyer=buyer, vendor_for_unsourced="NBS")
    approve_and_issue(po.id, buyer=buyer)
    yield demo.ago(3)
    receive(demo, po.id, {1: "1"}, receiver=store, slip="NBS-DN-88191")
    yield demo.ago(1)
    log_hours(
        wo,
        Decimal("2.5"),
        worked_on=days_before(demo.now, 1),
        actor=tech,
        note="Filters changed, oil separator found worn",
    )
    yield demo.ago(1) + 2 * H
    invoice = enter_invoice(
        demo,
        po.id,
        "SEP-88127",
        invoice_on=days_before(demo.now, 2),
        billed={1: ("1", "192.00")},
        clerk=demo.user("ap_clerk"),
    )
    yield demo.ago(1) + 5 * H
    invoices.release_hold(
        invoice.id, approver=approver, reason="NBS raised the separator price this month: agreed"
    )


def _burst_pipe(demo: Demo) -> Story:
    """The plumber came at once; the PO was raised days later, after the invoice date."""
    buyer = demo.user("buyer")
    yield demo.ago(7)
    wo = demo.work_orders[BURST_PIPE]
    pr_id = ask_for_service(
        demo,
        wo,
        "AQUA",
        "Emergency call-out and mixer tap cartridge, flat 1A",
        qty="1",
        uom="JOB",
        unit_price="265.00",
        actor=buyer,
    )
    yield demo.ago(6.5)
    decide(pr_id, approvers=[demo.user("supervisor")], reason="Raised after the emergency")
    yield demo.ago(6)
    (po,) = order(demo, [pr_id], buyer=buyer)
    approve_and_issue(po.id, buyer=buyer)
    yield demo.ago(5)
    enter_invoice(
        demo,
        po.id,
        "AQ-55871",
        invoice_on=days_before(demo.now, 9),
        billed={1: ("1", "265.00")},
        clerk=demo.user("ap_clerk"),
    )


def _own_money(
    demo: Demo,
    title: str,
    what: str,
    shop: str,
    amount: str,
    category: str,
    days_ago: float,
    why: str,
    *,
    reviewed: str | None = None,
) -> Story:
    """A technician's own-money buy with the receipt photo; reimbursed a day later if
    `reviewed` says why, else waiting for review."""
    bought = demo.ago(days_ago) + 6 * H
    yield bought
    purchase = paid_own_money(
        demo.work_orders[title],
        what,
        shop=shop,
        amount=Decimal(amount),
        category=category,
        bought_on=bought.date(),
        why=why,
        actor=demo.user("technician"),
    )
    if reviewed is None:
        return
    yield demo.ago(days_ago - 1)
    out_of_pocket.review_purchase(
        purchase.id, approve=True, reason=reviewed, actor=demo.user("supervisor")
    )
