"""Approved purchase request lines become draft purchase orders, one per vendor, in one step.

Concurrency: the purchase requests behind the chosen lines are locked (in id order) before anything
is checked, so two buyers ordering the same lines at once end with one PO line each, never two;
the same form posted twice makes one set (`submitted_once`). PO numbers come from the locked
yearly counter (services.numbering), so they never repeat. What happens to a PO afterwards is
`services.purchase_orders`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from portal.domain import purchase_orders as rules
from portal.domain.errors import DomainError, NotFound
from portal.domain.numbering import Sequence
from portal.domain.permissions import Capability as C
from portal.domain.statuses import LineKind, PurchaseOrderStatus, PurchaseRequestStatus
from portal.models import (
    Contract,
    ContractPrice,
    CostCentre,
    Item,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseRequest,
    PurchaseRequestLine,
    Site,
    Storeroom,
    User,
    Vendor,
    WorkOrder,
)
from portal.read_models.purchase_orders import ZERO, ordered_pr_line_ids
from portal.read_models.sourcing import check_vendor_usable
from portal.services import audit
from portal.services._uow import locked, submitted_once, unit_of_work
from portal.services.authz import authorize
from portal.services.numbering import next_number
from portal.services.purchase_orders import assess_lines, reload_lines

S = PurchaseOrderStatus


@submitted_once("create_purchase_orders", actor="buyer")
def create_purchase_orders(
    pr_line_ids: list[int],
    *,
    buyer: User,
    vendor_overrides: dict[int, int] | None = None,
    submission_id: str | None = None,
) -> list[PurchaseOrder]:
    """Turn approved PR lines into draft POs, one per vendor, in one step.

    `vendor_overrides` maps a PR line id to the vendor the buyer chose for it (lines without a
    suggested vendor need one). The same form posted again returns the POs it made.
    """
    authorize(buyer, C.manage_purchase_orders)
    ids = sorted({int(i) for i in pr_line_ids})
    if not ids:
        raise DomainError("Tick at least one request line to order.")
    overrides = {int(k): int(v) for k, v in (vendor_overrides or {}).items() if v}
    with unit_of_work() as session:
        pr_ids = sorted(
            set(
                session.scalars(
                    select(PurchaseRequestLine.purchase_request_id).where(
                        PurchaseRequestLine.id.in_(ids)
                    )
                )
            )
        )
        # Lock the requests first (id order: no deadlock), then read everything as it is now.
        for pr_id in pr_ids:
            locked(session, PurchaseRequest, pr_id)
        return order_lines(session, ids, buyer=buyer, vendor_overrides=overrides)


def order_lines(
    session: Session,
    ids: list[int],
    *,
    buyer: User,
    vendor_overrides: dict[int, int],
) -> list[PurchaseOrder]:
    """Draft POs for these PR lines inside the caller's transaction (requests already locked)."""
    authorize(buyer, C.manage_purchase_orders)
    lines = list(
        session.scalars(
            select(PurchaseRequestLine)
            .where(PurchaseRequestLine.id.in_(ids))
            .options(joinedload(PurchaseRequestLine.purchase_request))
            .order_by(PurchaseRequestLine.id)
            .execution_options(populate_existing=True)
        ).unique()
    )
    if len(lines) != len(ids):
        raise NotFound("Some of those request lines no longer exist: reload the list.")
    _check_orderable(session, lines)
    by_vendor = _group_by_vendor(lines, vendor_overrides)
    vendors = {vid: check_vendor_usable(session, vid) for vid in by_vendor}
    context = _line_context(session, lines)
    pos = []
    for vendor_id in sorted(by_vendor, key=lambda v: vendors[v].name.lower()):
        pos.append(
            _new_po(
                session,
                vendors[vendor_id],
                by_vendor[vendor_id],
                context,
                buyer=buyer,
            )
        )
    pr_ids = sorted({ln.purchase_request_id for ln in lines})
    _mark_requests_ordered(session, pr_ids, actor=buyer, pos=pos)
    return pos


def _check_orderable(session: Session, lines: list[PurchaseRequestLine]) -> None:
    """Every line approved and not on a live PO yet, or DomainError naming them."""
    not_approved = sorted(
        {
            ln.purchase_request.number
            for ln in lines
            if ln.purchase_request.status is not PurchaseRequestStatus.approved
        }
    )
    if not_approved:
        raise DomainError(
            f"Only approved requests are ordered; {', '.join(not_approved)} "
            f"{'is' if len(not_approved) == 1 else 'are'} not approved."
        )
    taken = session.execute(
        select(PurchaseOrderLine.purchase_request_line_id, PurchaseOrder.number)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .where(
            PurchaseOrderLine.purchase_request_line_id.in_([ln.id for ln in lines]),
            PurchaseOrder.status != S.cancelled,
        )
    ).all()
    if taken:
        numbers = ", ".join(sorted({number for _, number in taken}))
        raise DomainError(f"Some of those lines are already ordered on {numbers}: reload the list.")


def _group_by_vendor(
    lines: list[PurchaseRequestLine], overrides: dict[int, int]
) -> dict[int, list[PurchaseRequestLine]]:
    """Lines per vendor (the buyer's choice first, else the suggestion); MissingVendor if none."""
    groups: dict[int, list[PurchaseRequestLine]] = defaultdict(list)
    missing = []
    for ln in lines:
        vendor_id = overrides.get(ln.id) or ln.suggested_vendor_id
        if vendor_id is None:
            missing.append(ln)
            continue
        groups[vendor_id].append(ln)
    if missing:
        names = "; ".join(f"{ln.purchase_request.number} {ln.description}" for ln in missing[:5])
        raise rules.MissingVendor(f"Choose a vendor for the lines that have none: {names}.")
    return groups


@dataclass
class _Context:
    """Facts about the lines' work orders, gathered once for every PO."""

    wo_site: dict[int, int]
    site_store: dict[int, Storeroom]
    sites: dict[int, Site]
    centre_site: dict[int, int | None]
    items: dict[int, Item]


def _line_context(session: Session, lines: list[PurchaseRequestLine]) -> _Context:
    """Work order sites, each site's storeroom, cost centre sites and items: four queries."""
    wo_ids = {ln.purchase_request.work_order_id for ln in lines} - {None}
    wo_site = (
        dict(
            session.execute(
                select(WorkOrder.id, WorkOrder.site_id).where(WorkOrder.id.in_(wo_ids))
            ).all()
        )
        if wo_ids
        else {}
    )
    centre_ids = {ln.purchase_request.cost_centre_id for ln in lines}
    centre_site = dict(
        session.execute(
            select(CostCentre.id, CostCentre.site_id).where(CostCentre.id.in_(centre_ids))
        ).all()
    )
    site_ids = set(wo_site.values()) | ({s for s in centre_site.values() if s})
    sites = (
        {s.id: s for s in session.scalars(select(Site).where(Site.id.in_(site_ids)))}
        if site_ids
        else {}
    )
    site_store: dict[int, Storeroom] = {}
    if site_ids:
        for store in session.scalars(
            select(Storeroom).where(Storeroom.site_id.in_(site_ids)).order_by(Storeroom.id)
        ):
            site_store.setdefault(store.site_id, store)  # a site's first storeroom receives
    item_ids = {ln.item_id for ln in lines} - {None}
    items = (
        {i.id: i for i in session.scalars(select(Item).where(Item.id.in_(item_ids)))}
        if item_ids
        else {}
    )
    return _Context(wo_site, site_store, sites, centre_site, items)


def _site_of(line: PurchaseRequestLine, context: _Context) -> int | None:
    """Where the line's goods go: its work order's site, else its cost centre's."""
    pr = line.purchase_request
    if pr.work_order_id is not None and pr.work_order_id in context.wo_site:
        return context.wo_site[pr.work_order_id]
    return context.centre_site.get(pr.cost_centre_id)


def _ship_to(lines: list[PurchaseRequestLine], context: _Context) -> str | None:
    """The delivery address: the first goods line's storeroom and site."""
    for ln in lines:
        site_id = _site_of(ln, context)
        site = context.sites.get(site_id) if site_id else None
        if site is None:
            continue
        store = context.site_store.get(site.id) if ln.kind is LineKind.goods else None
        parts = [store.name if store else None, site.name, site.address]
        return ", ".join(p for p in parts if p)[:300]
    return None


def _new_po(
    session: Session,
    vendor: Vendor,
    lines: list[PurchaseRequestLine],
    context: _Context,
    *,
    buyer: User,
) -> PurchaseOrder:
    """One draft PO for `vendor` with a line per request line, audited."""
    po = PurchaseOrder(
        contract_id=_contract_of(session, vendor, lines),
        number=next_number(session, Sequence.purchase_order),
        vendor_id=vendor.id,
        status=S.draft,
        revision=0,
        currency=vendor.currency or "USD",
        payment_terms=vendor.payment_terms,
        ship_to=_ship_to(lines, context),
        buyer_id=buyer.id,
    )
    session.add(po)
    session.flush()
    today = date.today()
    warnings = assess_lines(session, vendor.id, lines, context.items, today)
    for line_no, (ln, found) in enumerate(zip(lines, warnings, strict=True), start=1):
        pr = ln.purchase_request
        site_id = _site_of(ln, context)
        store = context.site_store.get(site_id) if site_id else None
        po_line = PurchaseOrderLine(
            purchase_order_id=po.id,
            line_no=line_no,
            item_id=ln.item_id,
            description=ln.description,
            kind=ln.kind,
            qty=ln.qty,
            uom=ln.uom,
            unit_price=ln.unit_price,
            discount_percent=ZERO,
            expected_on=pr.needed_by_on,
            work_order_id=pr.work_order_id,
            cost_centre_id=pr.cost_centre_id,
            purchase_request_line_id=ln.id,
            storeroom_id=store.id if store and ln.kind is LineKind.goods else None,
            received_qty=ZERO,
            rejected_qty=ZERO,
            backorder_qty=ln.qty,
            # What the request approved for this line: the PO may not go above it (beyond the
            # tolerance) without approval of its own (services/po_approval.py).
            approved_amount=rules.line_amount(ln.qty, ln.unit_price),
        )
        po_line.warnings = [w.as_dict() for w in found]
        session.add(po_line)
    session.flush()
    reload_lines(session, po)
    audit.record(
        session,
        actor=buyer,
        action="purchase_order.created",
        subject=po,
        changes={
            "status": [None, S.draft],
            "vendor": [None, vendor.code],
            "lines": [
                {
                    "pr_line_id": ln.purchase_request_line_id,
                    "description": ln.description,
                    "qty": ln.qty,
                    "unit_price": ln.unit_price,
                    "work_order_id": ln.work_order_id,
                }
                for ln in po.lines
            ],
            "total": rules.po_total(po.lines),
        },
        why="Approved request lines ordered from "
        + vendor.name
        + ": "
        + ", ".join(sorted({ln.purchase_request.number for ln in lines})),
    )
    return po


def _contract_of(session: Session, vendor: Vendor, lines: list[PurchaseRequestLine]) -> int | None:
    """The vendor's contract whose prices the request lines were raised at (its ceiling is
    consumed by the PO), or None."""
    price_ids = {ln.contract_price_id for ln in lines} - {None}
    if not price_ids:
        return None
    return session.scalar(
        select(Contract.id)
        .join(ContractPrice, ContractPrice.contract_id == Contract.id)
        .where(ContractPrice.id.in_(price_ids), Contract.vendor_id == vendor.id)
        .order_by(Contract.id)
        .limit(1)
    )


def _mark_requests_ordered(
    session: Session, pr_ids: list[int], *, actor: User, pos: list[PurchaseOrder]
) -> None:
    """Requests whose every line is on a live PO become ordered, audited."""
    session.flush()
    open_counts = dict(
        session.execute(
            select(PurchaseRequestLine.purchase_request_id, func.count(PurchaseRequestLine.id))
            .where(
                PurchaseRequestLine.purchase_request_id.in_(pr_ids),
                PurchaseRequestLine.id.not_in(ordered_pr_line_ids()),
            )
            .group_by(PurchaseRequestLine.purchase_request_id)
        ).all()
    )
    numbers = ", ".join(po.number for po in pos)
    for pr in session.scalars(select(PurchaseRequest).where(PurchaseRequest.id.in_(pr_ids))):
        if open_counts.get(pr.id, 0) == 0 and pr.status is PurchaseRequestStatus.approved:
            pr.status = PurchaseRequestStatus.ordered
            audit.record(
                session,
                actor=actor,
                action="purchase_request.ordered",
                subject=pr,
                changes={"status": [PurchaseRequestStatus.approved, PurchaseRequestStatus.ordered]},
                why=f"Every line is on {numbers}",
            )
