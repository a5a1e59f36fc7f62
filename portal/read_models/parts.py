"""Parts on a work order as pages show them: the part search, the parts section, and what a
parts action did, in words for the person who did it.

Plain reads (no unit of work); the actions themselves are `portal.services.parts`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload

from portal.domain import parts as rules
from portal.domain import policy as policy_rules
from portal.domain.money import format_money, format_qty, quantity
from portal.domain.statuses import ItemKind, ReservationStatus
from portal.domain.work_orders import WorkOrderStatus
from portal.models import (
    Item,
    PartLine,
    PurchaseRequest,
    PurchaseRequestLine,
    Reservation,
    StockLevel,
    StockMovement,
    Storeroom,
    WorkOrder,
)
from portal.services._uow import current_session

SEARCH_LIMIT = 12
ZERO = Decimal("0")


# ---------------------------------------------------------------- free stock


@dataclass
class StockHere:
    """What one storeroom can still give of an item."""

    stock_level_id: int
    storeroom: str
    storeroom_code: str
    available: Decimal
    same_site: bool


@dataclass
class ItemHit:
    """An item found by the part search, with where it is available."""

    item: Item
    stock: list[StockHere]

    @property
    def available(self) -> Decimal:
        """Free stock over all storerooms."""
        return sum((s.available for s in self.stock), ZERO)

    @property
    def is_stock(self) -> bool:
        """Kept in a storeroom (not bought when needed, not a service)."""
        return self.item.kind is ItemKind.stock


def stock_by_item(
    session: Session, item_ids: list[int], site_id: int | None
) -> dict[int, list[StockHere]]:
    """Free stock per storeroom for these items, the work order's own site first: one query."""
    if not item_ids:
        return {}
    rows = session.execute(
        select(
            StockLevel.id,
            StockLevel.item_id,
            StockLevel.on_hand_qty,
            StockLevel.reserved_qty,
            Storeroom.name,
            Storeroom.code,
            Storeroom.site_id,
        )
        .join(Storeroom, Storeroom.id == StockLevel.storeroom_id)
        .where(StockLevel.item_id.in_(item_ids))
    ).all()
    found: dict[int, list[StockHere]] = {}
    for level_id, item_id, on_hand, reserved, name, code, store_site in rows:
        free = quantity(on_hand - reserved)
        if free <= 0:
            continue
        found.setdefault(item_id, []).append(
            StockHere(level_id, name, code, free, same_site=store_site == site_id)
        )
    for levels in found.values():
        levels.sort(key=lambda s: (not s.same_site, -s.available, s.storeroom_code))
    return found


# ---------------------------------------------------------------- the part search


def _like(text_: str) -> str:
    """A LIKE pattern matching `text_` anywhere, with its wildcards taken literally."""
    escaped = text_.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_items(q: str | None, *, wo_id: int | None = None) -> list[ItemHit]:
    """Active items whose number, description or category holds `q`, with free stock: 2 queries."""
    needle = (q or "").strip()[:60]
    if len(needle) < 2:
        return []
    session = current_session()
    like = _like(needle)
    items = list(
        session.scalars(
            select(Item)
            .where(
                Item.active.is_(True),
                or_(
                    Item.part_number.ilike(like, escape="\\"),
                    Item.description.ilike(like, escape="\\"),
                    Item.category.ilike(like, escape="\\"),
                ),
            )
            .order_by(Item.part_number)
            .limit(SEARCH_LIMIT)
        )
    )
    stock = stock_by_item(session, [i.id for i in items], site_of(session, wo_id))
    return [ItemHit(item, stock.get(item.id, [])) for item in items]


def item_hit(item_id: int | None, *, wo_id: int | None = None) -> ItemHit | None:
    """One item as the search shows it (to show the chosen part again beside a form error)."""
    if not item_id:
        return None
    session = current_session()
    item = session.get(Item, item_id)
    if item is None:
        return None
    stock = stock_by_item(session, [item.id], site_of(session, wo_id))
    return ItemHit(item, stock.get(item.id, []))


def work_order_of(line_id: int) -> int | None:
    """The id of the work order a part line belongs to, or None."""
    return current_session().scalar(select(PartLine.work_order_id).where(PartLine.id == line_id))


def site_of(session: Session, wo_id: int | None) -> int | None:
    """The site of a work order, or None."""
    if not wo_id:
        return None
    return session.scalar(select(WorkOrder.site_id).where(WorkOrder.id == wo_id))


# ---------------------------------------------------------------- the parts section


@dataclass
class ReservationView:
    """Stock set aside for a line, and where."""

    qty: Decimal
    storeroom: str


@dataclass
class RequestView:
    """A PR line raised for a part line."""

    pr_number: str
    pr_status: str
    qty: Decimal
    unit_price: Decimal
    vendor: str | None
    warnings: list[str]
    pr_id: int | None = None  # links the line to its PR page (approval status, reasons)
    policy: list[str] = field(default_factory=list)  # why the purchasing policy wants a PO


def uncovered(line: PartLine) -> Decimal:
    """What nobody is taking care of yet on this line."""
    return rules.uncovered_qty(
        line.needed_qty,
        line.reserved_qty or ZERO,
        line.issued_qty or ZERO,
        line.requested_qty or ZERO,
    )


@dataclass
class LineView:
    """One part line with everything its row on the work order page shows and offers."""

    line: PartLine
    reservations: list[ReservationView] = field(default_factory=list)
    requests: list[RequestView] = field(default_factory=list)
    stock: list[StockHere] = field(default_factory=list)
    uncovered: Decimal = ZERO
    can_reserve: bool = False
    can_release: bool = False
    can_issue: bool = False
    can_request: bool = False

    @property
    def available(self) -> Decimal:
        """Free stock over all storerooms."""
        return sum((s.available for s in self.stock), ZERO)

    @property
    def is_stock(self) -> bool:
        """Kept in a storeroom."""
        return self.line.item.kind is ItemKind.stock


@dataclass
class PartsPanel:
    """The parts section of a work order page."""

    lines: list[LineView]
    issued_cost: Decimal
    parts_open: bool  # parts may still change (not completed, closed or cancelled)
    may_take: bool  # stock may be reserved and parts bought (approved work)


def _reservations_of(session: Session, line_ids: list[int]) -> dict[int, list[ReservationView]]:
    """Active reservations per part line, with their storeroom: one query."""
    reserved: dict[int, list[ReservationView]] = {}
    for part_line_id, qty, store in session.execute(
        select(Reservation.part_line_id, Reservation.qty, Storeroom.name)
        .join(StockLevel, StockLevel.id == Reservation.stock_level_id)
        .join(Storeroom, Storeroom.id == StockLevel.storeroom_id)
        .where(
            Reservation.part_line_id.in_(line_ids),
            Reservation.status == ReservationStatus.active,
        )
        .order_by(Reservation.id)
    ):
        reserved.setdefault(part_line_id, []).append(ReservationView(qty, store))
    return reserved


def _requests_of(session: Session, line_ids: list[int]) -> dict[int, list[RequestView]]:
    """PR lines raised per part line, with their PR and suggested vendor: one query."""
    requested: dict[int, list[RequestView]] = {}
    for pr_line in session.scalars(
        select(PurchaseRequestLine)
        .where(PurchaseRequestLine.part_line_id.in_(line_ids))
        .options(
            joinedload(PurchaseRequestLine.purchase_request),
            joinedload(PurchaseRequestLine.suggested_vendor),
        )
        .order_by(PurchaseRequestLine.id)
    ):
        if pr_line.part_line_id is None:
            continue
        vendor = pr_line.suggested_vendor
        requested.setdefault(pr_line.part_line_id, []).append(
            RequestView(
                pr_number=pr_line.purchase_request.number,
                pr_status=pr_line.purchase_request.status.value,
                qty=pr_line.qty,
                unit_price=pr_line.unit_price,
                vendor=f"{vendor.name} ({vendor.code})" if vendor else None,
                warnings=policy_rules.warning_texts(pr_line.policy_warnings, coded=False),
                policy=policy_rules.decision_texts(pr_line.policy_warnings),
                pr_id=pr_line.purchase_request_id,
            )
        )
    return requested


def panel_for(wo: WorkOrder) -> PartsPanel:
    """The parts section of `wo`: three queries whatever the number of lines.

    Expects wo.part_lines and their items loaded (services.work_orders.get_for_page does).
    """
    session = current_session()
    lines = list(wo.part_lines)
    parts_open = wo.status not in (
        WorkOrderStatus.completed,
        WorkOrderStatus.closed,
        WorkOrderStatus.cancelled,
    )
    may_take = parts_open and wo.status is not WorkOrderStatus.requested
    if not lines:
        return PartsPanel([], rules.total_cost([]), parts_open, may_take)
    line_ids = [line.id for line in lines]
    reserved = _reservations_of(session, line_ids)
    requested = _requests_of(session, line_ids)
    stock = stock_by_item(session, sorted({line.item_id for line in lines}), wo.site_id)
    views = []
    for line in lines:
        view = LineView(
            line=line,
            reservations=reserved.get(line.id, []),
            requests=requested.get(line.id, []),
            stock=stock.get(line.item_id, []) if line.item.kind is ItemKind.stock else [],
            uncovered=uncovered(line),
        )
        view.can_reserve = may_take and view.is_stock and view.uncovered > 0 and view.available > 0
        view.can_release = line.reserved_qty > 0  # stock never stays held for ended work
        view.can_issue = may_take and line.reserved_qty > 0
        view.can_request = may_take and view.uncovered > 0 and view.available < view.uncovered
        views.append(view)
    return PartsPanel(
        lines=views,
        issued_cost=rules.total_cost([line.issued_cost_amount for line in lines]),
        parts_open=parts_open,
        may_take=may_take,
    )


# ---------------------------------------------------------------- what an action did


@dataclass
class Outcome:
    """What a parts action did, in words for the person who did it."""

    line_id: int
    wo_id: int
    message: str
    tone: str = "success"  # success, warning, info
    reserved: Decimal = ZERO
    shortage: Decimal = ZERO
    purchase_request_number: str | None = None

    @classmethod
    def of(cls, line: PartLine, message: str, **more: Any) -> Outcome:
        """An outcome about `line` (plain ids, so it outlives the session)."""
        return cls(line.id, line.work_order_id, message, **more)


def amount_text(qty: Decimal, item: Item) -> str:
    """'2 EA of SEAL-M32' for messages."""
    return f"{format_qty(qty)} {item.uom} of {item.part_number}"


def _line(session: Session, line_id: int) -> PartLine:
    """The part line with its item (the words name the part)."""
    return session.scalars(
        select(PartLine).where(PartLine.id == line_id).options(joinedload(PartLine.item))
    ).one()


def added(line: PartLine) -> Outcome:
    """Adding a part line, in words."""
    return Outcome.of(line, f"Added {amount_text(line.needed_qty, line.item)}.")


def reserved(line_id: int, reservations: list[Reservation]) -> Outcome:
    """What a reservation set aside (`reservations`: what it made), or why it set none aside."""
    session = current_session()
    line = _line(session, line_id)
    item = line.item
    short = uncovered(line)
    if not reservations:
        if short <= 0:
            return Outcome.of(line, f"Nothing left to reserve for {item.part_number}.", tone="info")
        return Outcome.of(
            line,
            f"None of {item.part_number} is free to reserve now (another job may have just taken "
            f"the last one). Mark it unavailable to request {format_qty(short)} {item.uom}.",
            tone="warning",
            shortage=short,
        )
    made = sorted(reservations, key=lambda r: (r.stock_level_id, r.id))
    codes = dict(
        session.execute(
            select(StockLevel.id, Storeroom.code)
            .join(Storeroom, Storeroom.id == StockLevel.storeroom_id)
            .where(StockLevel.id.in_([r.stock_level_id for r in made]))
        ).all()
    )
    got = quantity(sum((r.qty for r in made), ZERO))
    where = ", ".join(codes[r.stock_level_id] for r in made)
    if short > 0:
        return Outcome.of(
            line,
            f"Reserved {amount_text(got, item)} ({where}); {format_qty(short)} {item.uom} short. "
            "Mark it unavailable to request the rest.",
            tone="warning",
            reserved=got,
            shortage=short,
        )
    return Outcome.of(line, f"Reserved {amount_text(got, item)} ({where}).", reserved=got)


def released(line_id: int, reservations: list[Reservation]) -> Outcome:
    """What a release gave back (`reservations`: those it released)."""
    line = _line(current_session(), line_id)
    if not reservations:
        return Outcome.of(line, f"Nothing of {line.item.part_number} is reserved.", tone="info")
    total = quantity(sum((r.qty for r in reservations), ZERO))
    return Outcome.of(line, f"Released {amount_text(total, line.item)} back to stock.")


def returned(line_id: int, movement: StockMovement) -> Outcome:
    """What a return gave back to stock, and what came off the work order's cost."""
    line = _line(current_session(), line_id)
    cost = rules.issue_cost(movement.qty, movement.unit_cost)
    return Outcome.of(
        line,
        f"Returned {amount_text(movement.qty, line.item)} to stock; "
        f"{format_money(cost)} off the work order's cost.",
    )


def issued(line_id: int, movements: list[StockMovement]) -> Outcome:
    """What an issue handed out and what it cost (`movements`: the stock it moved)."""
    session = current_session()
    line = _line(session, line_id)
    item = line.item
    if not movements:
        if line.issued_qty > 0:
            return Outcome.of(
                line,
                f"{amount_text(line.issued_qty, item)} already issued "
                f"({format_money(line.issued_cost_amount)}); nothing more is reserved.",
                tone="info",
            )
        return Outcome.of(line, f"Reserve {item.part_number} before issuing it.", tone="info")
    total_qty, total_cost = ZERO, ZERO
    for movement in movements:
        total_qty = quantity(total_qty - movement.qty)
        total_cost = rules.add_cost(total_cost, rules.issue_cost(-movement.qty, movement.unit_cost))
    number = session.scalar(select(WorkOrder.number).where(WorkOrder.id == line.work_order_id))
    return Outcome.of(
        line, f"Issued {amount_text(total_qty, item)}: {format_money(total_cost)} on {number}."
    )


def requested(line_id: int, made: PurchaseRequestLine | PartLine) -> Outcome:
    """What Mark unavailable did (`made`: the PR line it raised, or the part line itself when
    nothing was missing), in words; the policy's reasons for a PO come with it."""
    session = current_session()
    line = _line(session, line_id)
    part_number = line.item.part_number
    if isinstance(made, PurchaseRequestLine):
        number = session.scalar(
            select(PurchaseRequest.number).where(PurchaseRequest.id == made.purchase_request_id)
        )
        said = f"Requested {amount_text(made.qty, line.item)} on {number}."
        decisions = policy_rules.decision_texts(made.policy_warnings)
        if decisions:
            said += " " + " ".join(decisions)
        tone = "warning" if decisions else "success"
        return Outcome.of(line, said, tone=tone, purchase_request_number=number)
    earlier = session.scalar(  # nothing was missing: was it requested already?
        select(PurchaseRequest.number)
        .join(PurchaseRequestLine, PurchaseRequestLine.purchase_request_id == PurchaseRequest.id)
        .where(PurchaseRequestLine.part_line_id == line.id)
        .order_by(PurchaseRequestLine.id.desc())
        .limit(1)
    )
    if earlier is not None:
        said = f"{part_number} is already requested on {earlier}."
        return Outcome.of(line, said, tone="info", purchase_request_number=earlier)
    return Outcome.of(line, f"Nothing of {part_number} is missing.", tone="info")
