"""What the purchase order pages show: the To order board, the PO list, one PO with its lines and
what it may become next, and the buyer's home card. Reads only, each in a fixed number of queries;
the changes are `services.purchase_orders` and `services.po_creation`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from portal.domain import purchase_orders as rules
from portal.domain.errors import NotFound
from portal.domain.statuses import PurchaseOrderStatus, PurchaseRequestStatus, VendorStatus
from portal.models import (
    GoodsReceipt,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderRevision,
    PurchaseRequest,
    PurchaseRequestLine,
    User,
    Vendor,
    WorkOrder,
)
from portal.read_models import po_approval
from portal.services._uow import current_session

S = PurchaseOrderStatus
ZERO = Decimal("0")
PAGE_SIZE = 25
TO_ORDER_LIMIT = 200  # the "To order" page shows at most this many request lines


def ordered_pr_line_ids() -> Select:
    """PR line ids already on a PO that is not cancelled (a subquery)."""
    return (
        select(PurchaseOrderLine.purchase_request_line_id)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .where(
            PurchaseOrderLine.purchase_request_line_id.is_not(None),
            PurchaseOrder.status != S.cancelled,
        )
    )


def _orderable_lines_query() -> Select:
    """Approved PR lines not yet on a live PO."""
    return (
        select(PurchaseRequestLine)
        .join(PurchaseRequest, PurchaseRequest.id == PurchaseRequestLine.purchase_request_id)
        .where(
            PurchaseRequest.status == PurchaseRequestStatus.approved,
            PurchaseRequestLine.id.not_in(ordered_pr_line_ids()),
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
        return rules.po_total(_Priced(ln.qty, ln.unit_price, ZERO) for ln in self.lines)


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
    session = current_session()
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
    numbers = wo_numbers(session, wo_ids)
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
                wo_number=numbers.get(wo_id) if wo_id is not None else None,
                description=r.description,
                qty=r.qty,
                uom=r.uom,
                unit_price=r.unit_price,
                amount=rules.line_amount(r.qty, r.unit_price),
                warnings=warning_texts(r.policy_warnings),
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


def wo_numbers(session: Session, wo_ids: set[int | None]) -> dict[int, str]:
    """Work order numbers by id, one query."""
    if not wo_ids:
        return {}
    return dict(
        session.execute(
            select(WorkOrder.id, WorkOrder.number).where(WorkOrder.id.in_(wo_ids))
        ).all()
    )


def warning_texts(warnings: list | None) -> list[str]:
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
    if status is not None and status in S.__members__:
        stmt = stmt.where(PurchaseOrder.status == S(status))
    if vendor_id:
        stmt = stmt.where(PurchaseOrder.vendor_id == vendor_id)
    needle = (q or "").strip().upper()[:20]
    if needle:
        escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(func.upper(PurchaseOrder.number).like(f"%{escaped}%", escape="\\"))
    page = max(page, 1)
    rows = list(
        current_session()
        .scalars(
            stmt.order_by(PurchaseOrder.id.desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE + 1)
        )
        .unique()
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
    rows = current_session().execute(select(Vendor.id, Vendor.name).order_by(Vendor.name))
    return [(vendor_id, name) for vendor_id, name in rows]


@dataclass
class LineView:
    """One PO line with what its row shows."""

    line: PurchaseOrderLine
    amount: Decimal
    backorder: Decimal
    wo_number: str | None
    warnings: list[str]
    request_number: str | None = None  # the PR whose approval the line carries


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
    approval: po_approval.Panel | None = None  # spend approval, for the viewer (page only)

    @property
    def revisable(self) -> bool:
        """After issue, changes go through a numbered revision."""
        return self.po.status in rules.REVISABLE

    @property
    def editable(self) -> bool:
        """A draft is edited in place."""
        return self.po.status is S.draft


def get_for_page(po_id: int, viewer: User | None = None) -> PoPage:
    """A PO with its vendor, lines, work order numbers and revisions: five queries; with a
    viewer, also the spend approval panel (whose Approve and Issue wait while it is needed)."""
    session = current_session()
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
        raise NotFound(f"Purchase order {po_id} does not exist.")
    numbers = wo_numbers(session, {ln.work_order_id for ln in po.lines} - {None})
    requests = po_approval.request_numbers(session, po.lines)
    revisions = list(
        session.scalars(
            select(PurchaseOrderRevision)
            .where(PurchaseOrderRevision.purchase_order_id == po.id)
            .order_by(PurchaseOrderRevision.revision.desc())
        )
    )
    received = any_received(session, po)
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
            wo_number=numbers.get(ln.work_order_id) if ln.work_order_id is not None else None,
            warnings=warning_texts(ln.warnings),
            request_number=requests.get(ln.purchase_request_line_id)
            if ln.purchase_request_line_id is not None
            else None,
        )
        for ln in po.lines
    ]
    moves = rules.moves_for(po.status, any_received=received)
    panel = po_approval.panel(po, viewer) if viewer is not None else None
    if panel is not None and panel.needed:
        moves = [m for m in moves if m not in (S.approved, S.issued)]
    return PoPage(
        po=po,
        lines=views,
        total=rules.po_total(po.lines),
        revisions=revisions,
        moves=moves,
        any_received=received,
        buyer_name=buyer_name,
        approval=panel,
    )


def any_received(session: Session, po: PurchaseOrder) -> bool:
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
    session = current_session()
    lines = session.scalar(select(func.count()).select_from(_orderable_lines_query().subquery()))
    drafts = session.scalar(
        select(func.count(PurchaseOrder.id)).where(PurchaseOrder.status == S.draft)
    )
    return BuyerCounts(lines_to_order=lines or 0, drafts=drafts or 0)
