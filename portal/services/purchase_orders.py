"""Purchase orders: approved request lines become POs (one per vendor), then edit, approve, issue,
revise after issue, cancel and close. One use case, one transaction, one audit event per change.

Concurrency: the purchase requests behind the chosen lines are locked (in id order) before anything
is checked, so two buyers ordering the same lines at once end with one PO line each, never two;
PO numbers come from the locked yearly counter (services.numbering), so they never repeat.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from portal.domain import purchase_orders as rules
from portal.domain.errors import DomainError, NotFound
from portal.domain.money import format_qty
from portal.domain.numbering import Sequence
from portal.domain.sourcing import SourceWarning
from portal.domain.statuses import (
    LineKind,
    PurchaseOrderStatus,
    PurchaseRequestStatus,
    VendorStatus,
)
from portal.extensions import db
from portal.models import (
    CostCentre,
    GoodsReceipt,
    Item,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderRevision,
    PurchaseRequest,
    PurchaseRequestLine,
    Site,
    Storeroom,
    User,
    Vendor,
    WorkOrder,
)
from portal.models.base import utcnow
from portal.services import audit
from portal.services._uow import locked, unit_of_work
from portal.services.numbering import next_number
from portal.services.sourcing import SourceNeed, assess_sources, check_vendor_usable

S = PurchaseOrderStatus
ZERO = Decimal("0")
PAGE_SIZE = 25
TO_ORDER_LIMIT = 200  # the "To order" page shows at most this many request lines


# ---------------------------------------------------------------- reads for pages


def _ordered_pr_line_ids():
    """PR line ids already on a PO that is not cancelled (a subquery)."""
    return (
        select(PurchaseOrderLine.purchase_request_line_id)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .where(
            PurchaseOrderLine.purchase_request_line_id.is_not(None),
            PurchaseOrder.status != S.cancelled,
        )
    )


def _orderable_lines_query():
    """Approved PR lines not yet on a live PO."""
    return (
        select(PurchaseRequestLine)
        .join(PurchaseRequest, PurchaseRequest.id == PurchaseRequestLine.purchase_request_id)
        .where(
            PurchaseRequest.status == PurchaseRequestStatus.approved,
            PurchaseRequestLine.id.not_in(_ordered_pr_line_ids()),
        )
    )


@dataclass
class ToOrderLine:
    """One approved request line waiting for a PO."""

    id: int
    pr_number: str
    wo_id: int | None
    wo_number: str | None
    description: str
    qty: Decimal
    uom: str
    unit_price: Decimal
    amount: Decimal
    warnings: list[str]


@dataclass
class ToOrderGroup:
    """Approved lines sharing a suggested vendor (key 0: no vendor suggested)."""

    key: int
    vendor_id: int | None
    vendor_name: str | None
    vendor_blocked: bool
    lines: list[ToOrderLine] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        """What the group's lines add up to."""
        return rules.po_total(
            _Priced(ln.qty, ln.unit_price, ZERO)
            for ln in self.lines  # type: ignore[misc]
        )


@dataclass
class _Priced:
    """A quantity and a price as the total rules read them."""

    qty: Decimal
    unit_price: Decimal
    discount_percent: Decimal


@dataclass
class ToOrder:
    """The To order page: groups, the vendors a buyer may choose, whether the list was cut."""

    groups: list[ToOrderGroup]
    vendors: list[tuple[int, str]]
    truncated: bool


def to_order() -> ToOrder:
    """Approved request lines not yet ordered, grouped by suggested vendor: three queries."""
    session = db.session
    rows = list(
        session.scalars(
            _orderable_lines_query()
            .options(
                joinedload(PurchaseRequestLine.purchase_request),
                joinedload(PurchaseRequestLine.suggested_vendor),
            )
            .order_by(PurchaseRequestLine.suggested_vendor_id, PurchaseRequestLine.id)
            .limit(TO_ORDER_LIMIT + 1)
        ).unique()
    )
    truncated = len(rows) > TO_ORDER_LIMIT
    rows = rows[:TO_ORDER_LIMIT]
    wo_ids = {r.purchase_request.work_order_id for r in rows} - {None}
    wo_numbers = _wo_numbers(session, wo_ids)
    groups: dict[int, ToOrderGroup] = {}
    for r in rows:
        vendor = r.suggested_vendor
        key = vendor.id if vendor else 0
        group = groups.get(key)
        if group is None:
            group = groups[key] = ToOrderGroup(
                key=key,
                vendor_id=vendor.id if vendor else None,
                vendor_name=vendor.name if vendor else None,
                vendor_blocked=bool(vendor and vendor.status is VendorStatus.blocked),
            )
        wo_id = r.purchase_request.work_order_id
        group.lines.append(
            ToOrderLine(
                id=r.id,
                pr_number=r.purchase_request.number,
                wo_id=wo_id,
                wo_number=wo_numbers.get(wo_id),
                description=r.description,
                qty=r.qty,
                uom=r.uom,
                unit_price=r.unit_price,
                amount=rules.line_amount(r.qty, r.unit_price),
                warnings=_warning_texts(r.policy_warnings),
            )
        )
    ordered = sorted(groups.values(), key=lambda g: (g.key == 0, (g.vendor_name or "").lower()))
    vendors = [
        (vid, f"{name} ({code})")
        for vid, name, code in session.execute(
            select(Vendor.id, Vendor.name, Vendor.code)
            .where(Vendor.status == VendorStatus.active)
            .order_by(Vendor.name)
        )
    ]
    return ToOrder(groups=ordered, vendors=vendors, truncated=truncated)


def _wo_numbers(session: Session, wo_ids: set[int]) -> dict[int, str]:
    """Work order numbers by id, one query."""
    if not wo_ids:
        return {}
    return dict(
        session.execute(
            select(WorkOrder.id, WorkOrder.number).where(WorkOrder.id.in_(wo_ids))
        ).all()
    )


def _warning_texts(warnings: list | None) -> list[str]:
    """Stored warnings (dicts with text, or plain strings) as the words to show."""
    texts = []
    for w in warnings or []:
        texts.append(w.get("text", "") if isinstance(w, dict) else str(w))
    return [t for t in texts if t]


@dataclass
class Page:
    """One page of the PO list, with each PO's total."""

    items: list[PurchaseOrder]
    totals: dict[int, Decimal]
    number: int
    has_next: bool


def search(
    *, status: str | None = None, vendor_id: int | None = None, q: str | None = None, page: int = 1
) -> Page:
    """POs newest first, filtered by status, vendor and number text; two queries a page."""
    stmt = select(PurchaseOrder).options(
        joinedload(PurchaseOrder.vendor), selectinload(PurchaseOrder.lines)
    )
    if status in S.__members__:
        stmt = stmt.where(PurchaseOrder.status == S(status))
    if vendor_id:
        stmt = stmt.where(PurchaseOrder.vendor_id == vendor_id)
    needle = (q or "").strip().upper()[:20]
    if needle:
        escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(func.upper(PurchaseOrder.number).like(f"%{escaped}%", escape="\\"))
    page = max(page, 1)
    rows = list(
        db.session.scalars(
            stmt.order_by(PurchaseOrder.id.desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE + 1)
        ).unique()
    )
    items = rows[:PAGE_SIZE]
    return Page(
        items=items,
        totals={po.id: rules.po_total(po.lines) for po in items},
        number=page,
        has_next=len(rows) > PAGE_SIZE,
    )


def vendor_choices() -> list[tuple[int, str]]:
    """Every vendor for the list filter, by name."""
    rows = db.session.execute(select(Vendor.id, Vendor.name).order_by(Vendor.name))
    return [(vendor_id, name) for vendor_id, name in rows]


@dataclass
class LineView:
    """One PO line with what its row shows."""

    line: PurchaseOrderLine
    amount: Decimal
    backorder: Decimal
    wo_number: str | None
    warnings: list[str]


@dataclass
class PoPage:
    """Everything the PO page (and its document) shows."""

    po: PurchaseOrder
    lines: list[LineView]
    total: Decimal
    revisions: list[PurchaseOrderRevision]
    moves: list[PurchaseOrderStatus]
    any_received: bool
    buyer_name: str | None

    @property
    def revisable(self) -> bool:
        """After issue, changes go through a numbered revision."""
        return self.po.status in rules.REVISABLE

    @property
    def editable(self) -> bool:
        """A draft is edited in place."""
        return self.po.status is S.draft


def get_for_page(po_id: int) -> PoPage | None:
    """A PO with its vendor, lines, work order numbers and revisions: five queries."""
    session = db.session
    po = (
        session.scalars(
            select(PurchaseOrder)
            .where(PurchaseOrder.id == po_id)
            .options(joinedload(PurchaseOrder.vendor), selectinload(PurchaseOrder.lines))
        )
        .unique()
        .one_or_none()
    )
    if po is None:
        return None
    wo_numbers = _wo_numbers(session, {ln.work_order_id for ln in po.lines} - {None})
    revisions = list(
        session.scalars(
            select(PurchaseOrderRevision)
            .where(PurchaseOrderRevision.purchase_order_id == po.id)
            .order_by(PurchaseOrderRevision.revision.desc())
        )
    )
    any_received = _any_received(session, po)
    buyer_name = (
        session.scalar(select(User.full_name).where(User.id == po.buyer_id))
        if po.buyer_id
        else None
    )
    views = [
        LineView(
            line=ln,
            amount=rules.line_amount(ln.qty, ln.unit_price, ln.discount_percent),
            backorder=rules.backorder(ln.qty, ln.received_qty),
            wo_number=wo_numbers.get(ln.work_order_id),
            warnings=_warning_texts(ln.warnings),
        )
        for ln in po.lines
    ]
    return PoPage(
        po=po,
        lines=views,
        total=rules.po_total(po.lines),
        revisions=revisions,
        moves=rules.moves_for(po.status, any_received=any_received),
        any_received=any_received,
        buyer_name=buyer_name,
    )


def _any_received(session: Session, po: PurchaseOrder) -> bool:
    """True when anything arrived (or was rejected at the dock) against the PO."""
    if any((ln.received_qty or ZERO) > 0 or (ln.rejected_qty or ZERO) > 0 for ln in po.lines):
        return True
    return (
        session.scalar(select(GoodsReceipt.id).where(GoodsReceipt.purchase_order_id == po.id))
        is not None
    )


@dataclass(frozen=True)
class BuyerCounts:
    """The buyer's home-page card."""

    lines_to_order: int
    drafts: int


def buyer_counts() -> BuyerCounts:
    """How many approved request lines wait for a PO, and how many POs are drafts: two queries."""
    session = db.session
    lines = session.scalar(select(func.count()).select_from(_orderable_lines_query().subquery()))
    drafts = session.scalar(
        select(func.count(PurchaseOrder.id)).where(PurchaseOrder.status == S.draft)
    )
    return BuyerCounts(lines_to_order=lines or 0, drafts=drafts or 0)


def create_purchase_orders(
    pr_line_ids: list[int],
    *,
    buyer: User,
    submission_id: str,
    vendor_overrides: dict[int, int] | None = None,
) -> list[PurchaseOrder]:
    """Turn approved PR lines into draft POs, one per vendor, in one step.

    `vendor_overrides` maps a PR line id to the vendor the buyer chose for it (lines without a
    suggested vendor need one). The same submission_id again returns the POs it made.
    """
    ids = sorted({int(i) for i in pr_line_ids})
    if not ids:
        raise DomainError("Tick at least one request line to order.")
    overrides = {int(k): int(v) for k, v in (vendor_overrides or {}).items() if v}
    with unit_of_work() as session:
        earlier = _earlier_pos(session, submission_id)
        if earlier:
            return earlier
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
        earlier = _earlier_pos(session, submission_id)
        if earlier:  # a double tap that waited for the first post's lock
            return earlier
        result = order_lines(
            session, ids, buyer=buyer, submission_id=submission_id, vendor_overrides=overrides
        )
    return result


def order_lines(
    session: Session,
    ids: list[int],
    *,
    buyer: User,
    submission_id: str | None,
    vendor_overrides: dict[int, int],
) -> list[PurchaseOrder]:
    """Draft POs for these PR lines inside the caller's transaction (requests already locked)."""
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
                submission_id=submission_id,
            )
        )
    pr_ids = sorted({ln.purchase_request_id for ln in lines})
    _mark_requests_ordered(session, pr_ids, actor=buyer, pos=pos)
    return pos


def _earlier_pos(session: Session, submission_id: str | None) -> list[PurchaseOrder]:
    """The POs an earlier post of the same form made, if any."""
    if not submission_id:
        return []
    return list(
        session.scalars(
            select(PurchaseOrder)
            .where(PurchaseOrder.submission_id == submission_id)
            .order_by(PurchaseOrder.id)
        )
    )


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
    submission_id: str,
) -> PurchaseOrder:
    """One draft PO for `vendor` with a line per request line, audited."""
    po = PurchaseOrder(
        number=next_number(session, Sequence.purchase_order),
        vendor_id=vendor.id,
        status=S.draft,
        revision=0,
        currency=vendor.currency or "USD",
        payment_terms=vendor.payment_terms,
        ship_to=_ship_to(lines, context),
        buyer_id=buyer.id,
        submission_id=submission_id,
    )
    session.add(po)
    session.flush()
    today = date.today()
    warnings = _assess_lines(session, vendor.id, lines, context.items, today)
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
        )
        po_line.warnings = [w.as_dict() for w in found]
        session.add(po_line)
    session.flush()
    _reload_lines(session, po)
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


def _assess_lines(
    session: Session, vendor_id: int, lines: list, items: dict[int, Item], on: date
) -> list[list[SourceWarning]]:
    """Sourcing warnings for each request or order line bought from one vendor, read at once."""
    needs = [
        SourceNeed(
            ln.item_id,
            ln.unit_price,
            ln.uom,
            category=item.category if (item := items.get(ln.item_id)) else None,
            description=ln.description,
        )
        for ln in lines
    ]
    return assess_sources(session, vendor_id=vendor_id, needs=needs, on=on)


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
                PurchaseRequestLine.id.not_in(_ordered_pr_line_ids()),
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


# ---------------------------------------------------------------- writes: draft, approve, issue


def _reload_lines(session: Session, po: PurchaseOrder) -> None:
    """Read the PO's lines as they are now, in one query (a refresh of the collection takes two)."""
    lines = session.scalars(
        select(PurchaseOrderLine)
        .where(PurchaseOrderLine.purchase_order_id == po.id)
        .order_by(PurchaseOrderLine.line_no)
        .execution_options(populate_existing=True)
    ).all()
    set_committed_value(po, "lines", list(lines))


def _locked_po(session: Session, po_id: int) -> PurchaseOrder:
    """The PO locked for the rest of the transaction, with its lines as they are now."""
    po = locked(session, PurchaseOrder, po_id, missing=f"Purchase order {po_id} does not exist.")
    _reload_lines(session, po)
    return po


@dataclass(frozen=True)
class DraftHeader:
    """The header fields a buyer edits on a draft; empty payment terms take the vendor's."""

    payment_terms: str | None = None
    ship_to: str | None = None
    notes: str | None = None
    service_frequency: str | None = None
    billing_schedule: str | None = None


def update_draft(
    po_id: int,
    *,
    header: DraftHeader,
    lines: dict[int, rules.LineChange],
    actor: User,
) -> PurchaseOrder:
    """Change a draft's header and lines (price, discount, expected date, qty), audited."""
    with unit_of_work() as session:
        po = _locked_po(session, po_id)
        if po.status is not S.draft:
            raise DomainError(
                "Only a draft is edited in place; after issue, make a revision with a reason."
            )
        vendor = session.get(Vendor, po.vendor_id)
        changes: dict[str, list] = {}
        values = {
            "payment_terms": _clean(header.payment_terms, 32) or vendor.payment_terms,
            "ship_to": _clean(header.ship_to, 300),
            "notes": _clean(header.notes, 4000),
            "service_frequency": _clean(header.service_frequency, 40),
            "billing_schedule": _clean(header.billing_schedule, 40),
        }
        for name, value in values.items():
            if getattr(po, name) != value:
                changes[name] = [getattr(po, name), value]
                setattr(po, name, value)
        by_id = {ln.id: ln for ln in po.lines}
        for line_id, change in lines.items():
            line = by_id.get(line_id)
            if line is None:
                raise NotFound(f"Line {line_id} is not on {po.number}.")
            fields = _apply_line_change(line, change)
            if fields:
                changes[f"line {line.line_no}"] = _dated(fields)
        if changes:
            _refresh_warnings(session, po)
            audit.record(
                session,
                actor=actor,
                action="purchase_order.updated",
                subject=po,
                changes=changes,
                why="Draft edited by the buyer",
            )
    return po


def _dated(fields: dict[str, list]) -> dict[str, list]:
    """Dates in a change as ISO text (the audit trail stores JSON)."""
    return {
        k: [v.isoformat() if isinstance(v, date) else v for v in pair] for k, pair in fields.items()
    }


def _clean(value: str | None, limit: int) -> str | None:
    """Trimmed text or None."""
    text = (value or "").strip()
    return text[:limit] or None


def _apply_line_change(line: PurchaseOrderLine, change: rules.LineChange) -> dict[str, list]:
    """Set what changed on a line; {field: [before, after]}."""
    fields: dict[str, list] = {}
    for name in ("qty", "unit_price", "discount_percent"):
        value = getattr(change, name)
        if value is not None and value != getattr(line, name):
            fields[name] = [getattr(line, name), value]
            setattr(line, name, value)
    new_date = None if change.clear_expected_on else change.expected_on
    if (
        change.clear_expected_on or change.expected_on is not None
    ) and new_date != line.expected_on:
        fields["expected_on"] = [line.expected_on, new_date]
        line.expected_on = new_date
    line.backorder_qty = rules.backorder(line.qty, line.received_qty)
    return fields


def _refresh_warnings(session: Session, po: PurchaseOrder) -> list[str]:
    """Re-assess every line's source (BlockedVendor raises); store and return the words."""
    item_ids = {ln.item_id for ln in po.lines} - {None}
    # Loaded whole and held here, so the assessment finds them in the session.
    items = (
        {i.id: i for i in session.scalars(select(Item).where(Item.id.in_(item_ids)))}
        if item_ids
        else {}
    )
    found = _assess_lines(session, po.vendor_id, po.lines, items, date.today())
    texts = []
    for ln, warnings in zip(po.lines, found, strict=True):
        ln.warnings = [w.as_dict() for w in warnings]
        texts.extend(w.text for w in warnings)
    return texts


def approve_purchase_order(po_id: int, *, actor: User) -> PurchaseOrder:
    """Draft to approved: sourcing re-checked and stored per line, approved_at set, audited."""
    with unit_of_work() as session:
        po = approve_in(session, _locked_po(session, po_id), actor=actor)
    return po


def approve_in(session: Session, po: PurchaseOrder, *, actor: User) -> PurchaseOrder:
    """Approve inside the caller's transaction."""
    rules.check_move(po.status, S.approved)
    warnings = _refresh_warnings(session, po)
    before = po.status
    po.status = S.approved
    po.approved_at = utcnow()
    audit.record(
        session,
        actor=actor,
        action="purchase_order.approved",
        subject=po,
        changes={
            "status": [before, po.status],
            "approved_at": [None, po.approved_at],
            "total": rules.po_total(po.lines),
            "warnings": warnings,
        },
        why="Approved by the buyer" + (" despite sourcing warnings" if warnings else ""),
    )
    return po


def issue_purchase_order(po_id: int, *, actor: User) -> PurchaseOrder:
    """Approved to issued (sent to the vendor): warnings stored again, issued_at set, audited."""
    with unit_of_work() as session:
        po = issue_in(session, _locked_po(session, po_id), actor=actor)
    return po


def issue_in(session: Session, po: PurchaseOrder, *, actor: User) -> PurchaseOrder:
    """Issue inside the caller's transaction."""
    rules.check_move(po.status, S.issued)
    warnings = _refresh_warnings(session, po)
    before = po.status
    po.status = S.issued
    po.issued_at = utcnow()
    for ln in po.lines:
        ln.backorder_qty = rules.backorder(ln.qty, ln.received_qty)
    audit.record(
        session,
        actor=actor,
        action="purchase_order.issued",
        subject=po,
        changes={
            "status": [before, po.status],
            "issued_at": [None, po.issued_at],
            "warnings": warnings,
        },
        why="Issued to the vendor",
    )
    return po


# ---------------------------------------------------------------- writes: revise, cancel, close


def _line_states(po: PurchaseOrder) -> dict[int, rules.LineState]:
    """The PO's lines as the revision rules see them."""
    return {
        ln.id: rules.LineState(
            line_id=ln.id,
            line_no=ln.line_no,
            description=ln.description,
            qty=ln.qty,
            uom=ln.uom,
            unit_price=ln.unit_price,
            discount_percent=ln.discount_percent or ZERO,
            expected_on=ln.expected_on,
            received_qty=ln.received_qty or ZERO,
        )
        for ln in po.lines
    }


def revise_purchase_order(
    po_id: int, *, changes: rules.RevisionChanges, reason: str, actor: User
) -> PurchaseOrderRevision:
    """A numbered revision of an issued PO: lines as they were kept, changes audited with why."""
    why = rules.require_reason(reason, "Say why the purchase order is revised.")
    with unit_of_work() as session:
        po = _locked_po(session, po_id)
        states = _line_states(po)
        diff = rules.check_revision(po.status, states, changes, current_vendor_id=po.vendor_id)
        before_total = rules.po_total(po.lines)
        revision = PurchaseOrderRevision(
            purchase_order_id=po.id,
            revision=po.revision + 1,
            changed_by_id=actor.id,
            changed_at=utcnow(),
            reason=why,
            snapshot=rules.snapshot(po.revision, states.values(), currency=po.currency),
        )
        session.add(revision)
        by_id = {ln.id: ln for ln in po.lines}
        notes = []
        for line_id, fields in diff.items():
            line = by_id[line_id]
            for name, (_old, new) in fields.items():
                setattr(line, name, new)
            line.backorder_qty = rules.backorder(line.qty, line.received_qty)
            notes.append(rules.describe_change(line.line_no, fields))
        added = _add_lines(session, po, changes.new_lines)
        notes.extend(
            f"Line {ln.line_no} added: {format_qty(ln.qty)} {ln.uom} {ln.description}"
            for ln in added
        )
        session.flush()
        _reload_lines(session, po)
        _refresh_warnings(session, po)
        before_status = po.status
        po.status = rules.status_after_receipt(po.lines)
        po.revision = revision.revision
        audit.record(
            session,
            actor=actor,
            action="purchase_order.revised",
            subject=po,
            changes={
                "revision": [revision.revision - 1, revision.revision],
                "lines": {
                    str(by_id[line_id].line_no): _dated(fields) for line_id, fields in diff.items()
                },
                "added_lines": [ln.line_no for ln in added],
                "total": [before_total, rules.po_total(po.lines)],
                "status": [before_status, po.status],
                "summary": notes,
            },
            why=why,
        )
    return revision


def _add_lines(
    session: Session, po: PurchaseOrder, new_lines: tuple[rules.NewLine, ...]
) -> list[PurchaseOrderLine]:
    """Append free-text lines, charged like the PO's first line (cost centre, storeroom)."""
    if not new_lines:
        return []
    first = po.lines[0] if po.lines else None
    next_no = max((ln.line_no for ln in po.lines), default=0) + 1
    added = []
    for offset, spec in enumerate(new_lines):
        line = PurchaseOrderLine(
            purchase_order_id=po.id,
            line_no=next_no + offset,
            description=spec.description.strip()[:200],
            kind=LineKind.goods,
            qty=spec.qty,
            uom=spec.uom.strip()[:12] or "EA",
            unit_price=spec.unit_price,
            discount_percent=spec.discount_percent,
            expected_on=spec.expected_on,
            cost_centre_id=first.cost_centre_id if first else None,
            storeroom_id=first.storeroom_id if first else None,
            received_qty=ZERO,
            rejected_qty=ZERO,
            backorder_qty=spec.qty,
        )
        session.add(line)
        added.append(line)
    return added


def cancel_purchase_order(po_id: int, *, reason: str, actor: User) -> PurchaseOrder:
    """Cancel a PO nothing has arrived against; its request lines may be ordered again."""
    with unit_of_work() as session:
        po = _locked_po(session, po_id)
        why = rules.check_cancel(po.status, any_received=_any_received(session, po), reason=reason)
        before = po.status
        po.status = S.cancelled
        audit.record(
            session,
            actor=actor,
            action="purchase_order.cancelled",
            subject=po,
            changes={"status": [before, po.status], "total": rules.po_total(po.lines)},
            why=why,
        )
        session.flush()
        pr_ids = set(
            session.scalars(
                select(PurchaseRequestLine.purchase_request_id).where(
                    PurchaseRequestLine.id.in_([ln.purchase_request_line_id for ln in po.lines])
                )
            )
        )
        for pr in session.scalars(select(PurchaseRequest).where(PurchaseRequest.id.in_(pr_ids))):
            if pr.status is PurchaseRequestStatus.ordered:
                pr.status = PurchaseRequestStatus.approved
                audit.record(
                    session,
                    actor=actor,
                    action="purchase_request.reopened",
                    subject=pr,
                    changes={
                        "status": [PurchaseRequestStatus.ordered, PurchaseRequestStatus.approved]
                    },
                    why=f"{po.number} cancelled: {why}",
                )
    return po


def close_purchase_order(po_id: int, *, reason: str | None, actor: User) -> PurchaseOrder:
    """Close a received PO, or one partly received when the rest will not come (say why)."""
    with unit_of_work() as session:
        po = close_in(session, _locked_po(session, po_id), reason=reason, actor=actor)
    return po


def close_in(
    session: Session, po: PurchaseOrder, *, reason: str | None, actor: User
) -> PurchaseOrder:
    """Close inside the caller's transaction."""
    rules.check_move(po.status, S.closed)
    owed = sum((rules.backorder(ln.qty, ln.received_qty) for ln in po.lines), ZERO)
    if owed > 0:
        why = rules.require_reason(
            reason, "Some goods are still on backorder: say why the rest will not come."
        )
    else:
        why = (reason or "").strip()[:1000] or "Everything received"
    before = po.status
    po.status = S.closed
    audit.record(
        session,
        actor=actor,
        action="purchase_order.closed",
        subject=po,
        changes={"status": [before, po.status], "backorder_qty": owed},
        why=why,
    )
    return po
