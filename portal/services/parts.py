"""Parts on a work order: add a line, reserve, issue and release stock.

Stock never goes negative, even when two people reach for the last unit at once: every change
of a stock level is one conditional UPDATE whose WHERE clause re-checks what is available, and
its row count says whether it happened. That holds on SQLite and on PostgreSQL alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache

from sqlalchemy import Select, func, literal, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from portal.domain import parts as rules
from portal.domain import policy as policy_rules
from portal.domain.errors import DomainError, NotFound
from portal.domain.money import format_money, format_qty, quantity
from portal.domain.statuses import (
    ItemKind,
    MovementKind,
    ReservationStatus,
)
from portal.domain.work_orders import WorkOrderStatus
from portal.extensions import db
from portal.models import (
    Item,
    PartLine,
    PurchaseRequestLine,
    Reservation,
    StockLevel,
    StockMovement,
    Storeroom,
    User,
    WorkOrder,
)
from portal.models.base import Quantity, utcnow
from portal.services import audit
from portal.services._uow import earlier_submission, unit_of_work

SEARCH_LIMIT = 12
ZERO = Decimal("0")
_stock = StockLevel.__table__


# ---------------------------------------------------------------- reads for pages


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


def _stock_by_item(
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


def _like(text_: str) -> str:
    """A LIKE pattern matching `text_` anywhere, with its wildcards taken literally."""
    escaped = text_.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_items(q: str | None, *, wo_id: int | None = None) -> list[ItemHit]:
    """Active items whose number, description or category holds `q`, with free stock: 2 queries."""
    needle = (q or "").strip()[:60]
    if len(needle) < 2:
        return []
    session = db.session
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
    site_id = _site_of(session, wo_id)
    stock = _stock_by_item(session, [i.id for i in items], site_id)
    return [ItemHit(item, stock.get(item.id, [])) for item in items]


def item_hit(item_id: int | None, *, wo_id: int | None = None) -> ItemHit | None:
    """One item as the search shows it (to show the chosen part again beside a form error)."""
    if not item_id:
        return None
    session = db.session
    item = session.get(Item, item_id)
    if item is None:
        return None
    stock = _stock_by_item(session, [item.id], _site_of(session, wo_id))
    return ItemHit(item, stock.get(item.id, []))


def work_order_of(line_id: int) -> int | None:
    """The id of the work order a part line belongs to, or None."""
    return db.session.scalar(select(PartLine.work_order_id).where(PartLine.id == line_id))


def _site_of(session: Session, wo_id: int | None) -> int | None:
    """The site of a work order, or None."""
    if not wo_id:
        return None
    return session.scalar(select(WorkOrder.site_id).where(WorkOrder.id == wo_id))


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


def panel_for(wo: WorkOrder) -> PartsPanel:
    """The parts section of `wo`: three queries whatever the number of lines.

    Expects wo.part_lines and their items loaded (services.work_orders.get_for_page does).
    """
    session = db.session
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

    stock = _stock_by_item(session, sorted({line.item_id for line in lines}), wo.site_id)
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
        view.can_release = parts_open and line.reserved_qty > 0
        view.can_issue = may_take and line.reserved_qty > 0
        view.can_request = may_take and view.uncovered > 0 and view.available < view.uncovered
        views.append(view)
    return PartsPanel(
        lines=views,
        issued_cost=rules.total_cost([line.issued_cost_amount for line in lines]),
        parts_open=parts_open,
        may_take=may_take,
    )


# ---------------------------------------------------------------- writes


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
    def of(cls, line: PartLine, message: str, **more) -> Outcome:
        """An outcome about `line` (plain ids, so it outlives the session)."""
        return cls(line.id, line.work_order_id, message, **more)


def uncovered(line: PartLine) -> Decimal:
    """What nobody is taking care of yet on this line."""
    return rules.uncovered_qty(
        line.needed_qty,
        line.reserved_qty or ZERO,
        line.issued_qty or ZERO,
        line.requested_qty or ZERO,
    )


def restatus(line: PartLine) -> None:
    """Set the line's status from its quantities."""
    line.status = rules.line_status(
        line.needed_qty, line.reserved_qty, line.issued_qty, line.requested_qty, line.status
    )


def line_label(wo: WorkOrder, item: Item) -> str:
    """How an audit event names a part line: WO-000012 SEAL-M32."""
    return f"{wo.number} {item.part_number}"[:80]


def amount_text(qty: Decimal, item: Item) -> str:
    """'2 EA of SEAL-M32' for messages."""
    return f"{format_qty(qty)} {item.uom} of {item.part_number}"


def lock_row(session: Session, model, row_id: int):
    """Lock one row for the rest of the transaction, then read it as it is now; None if absent.

    A no-op UPDATE takes the row lock on PostgreSQL and the write lock on SQLite (where
    SELECT ... FOR UPDATE does nothing), so what is read next cannot change under us; its
    RETURNING clause is that read, in the same round trip.
    """
    return session.scalars(_lock_and_read(model), {"id": row_id}).one_or_none()


@cache
def _lock_and_read(model) -> Select:
    """`UPDATE <table> SET id = id WHERE id = :id RETURNING <every column>`, read as `model`
    (the session's copy overwritten), built once per model.

    Text, not update(): an ORM or Core UPDATE would also set onupdate columns (updated_at).
    """
    table = model.__table__
    names = ", ".join(f'"{column.name}"' for column in table.columns)
    locked = text(f'UPDATE "{table.name}" SET id = id WHERE id = :id RETURNING {names}')
    return (
        select(model)
        .from_statement(locked.columns(*table.columns))
        .execution_options(populate_existing=True)
    )


def locked_line(session: Session, line_id: int) -> PartLine:
    """The part line, locked."""
    line = lock_row(session, PartLine, line_id)
    if line is None:
        raise NotFound(f"Part line {line_id} does not exist.")
    return line


# -- add


def add_part_line(
    wo_id: int,
    *,
    item_id: int,
    qty: Decimal | str,
    actor: User,
    submission_id: str,
    note: str | None = None,
) -> Outcome:
    """Add a part line to a work order; the same submission_id twice gives one line."""
    qty = rules.parse_quantity(qty)
    try:
        with unit_of_work() as session:
            line = earlier_submission(session, PartLine, submission_id)
            if line is None:
                wo = session.get(WorkOrder, wo_id)
                if wo is None:
                    raise NotFound(f"Work order {wo_id} does not exist.")
                item = session.get(Item, item_id)
                if item is None:
                    raise NotFound("That part does not exist: search again and choose one.")
                line = add_line(
                    session, wo, item, qty, actor=actor, submission_id=submission_id, note=note
                )
            # Said before the commit, while the line and its item are loaded (not read again).
            outcome = _added(line)
    except IntegrityError:
        # A double tap that raced the first post past the check above: the first one won.
        line = earlier_submission(db.session, PartLine, submission_id)
        if line is None:
            raise
        outcome = _added(line)
    return outcome


def _added(line: PartLine) -> Outcome:
    """What adding the line did, in words."""
    return Outcome.of(line, f"Added {amount_text(line.needed_qty, line.item)}.")


def add_line(
    session: Session,
    wo: WorkOrder,
    item: Item,
    qty: Decimal,
    *,
    actor: User | None,
    submission_id: str | None = None,
    note: str | None = None,
) -> PartLine:
    """Add one part line inside the caller's transaction, audited."""
    rules.check_parts_open(wo.status)
    if not item.active:
        raise DomainError(f"{item.part_number} is no longer used: choose another part.")
    qty = rules.parse_quantity(qty)
    line = PartLine(
        work_order_id=wo.id,
        item_id=item.id,
        needed_qty=qty,
        reserved_qty=ZERO,
        issued_qty=ZERO,
        requested_qty=ZERO,
        issued_cost_amount=ZERO,
        status=rules.line_status(qty, ZERO, ZERO, ZERO),
        note=(note or "").strip()[:500] or None,
        added_by_id=actor.id if actor is not None else None,
        submission_id=submission_id,
    )
    line.item = item
    session.add(line)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="part_line.added",
        subject=line,
        subject_label=line_label(wo, item),
        changes={"item": [None, item.part_number], "needed_qty": [None, qty]},
        why=line.note or f"Needed for {wo.number}",
    )
    return line


# -- reserve


def reserve_part_line(line_id: int, *, actor: User) -> Outcome:
    """Set stock aside for what the line still needs; a shortage is an answer, not an error."""
    with unit_of_work() as session:
        line = locked_line(session, line_id)
        outcome = reserve_stock(session, line, actor=actor)
    return outcome


def _stock_options(session: Session, item_id: int, site_id: int) -> list[rules.StockOption]:
    """Every storeroom's free stock of the item, as the reservation plan needs it."""
    levels = _stock_by_item(session, [item_id], site_id).get(item_id, [])
    return [
        rules.StockOption(s.stock_level_id, s.storeroom_code, s.available, s.same_site)
        for s in levels
    ]


def _reserve_at(session: Session, level_id: int, qty: Decimal):
    """Reserve `qty` at one level only if that much is free now: (reserved, on hand) or None."""
    q = literal(qty, Quantity)
    c = _stock.c
    # ROUND keeps SQLite's binary floats on whole thousandths; it changes nothing on PostgreSQL.
    stmt = (
        update(_stock)
        .where(c.id == level_id, func.round(c.on_hand_qty - c.reserved_qty, 3) >= q)
        .values(reserved_qty=func.round(c.reserved_qty + q, 3))
        .returning(c.reserved_qty, c.on_hand_qty)
    )
    return session.execute(stmt).one_or_none()


def _free_now(session: Session, level_id: int) -> Decimal:
    """What one stock level can still give, read now."""
    row = session.execute(
        select(_stock.c.on_hand_qty, _stock.c.reserved_qty).where(_stock.c.id == level_id)
    ).one()
    return quantity(row.on_hand_qty - row.reserved_qty)


def reserve_stock(session: Session, line: PartLine, *, actor: User | None) -> Outcome:
    """Reserve what the line still needs inside the caller's transaction (line locked by caller)."""
    wo = session.get(WorkOrder, line.work_order_id)
    item = line.item
    rules.check_may_take_stock_or_buy(wo.status)
    if item.kind is not ItemKind.stock:
        raise DomainError(
            f"{item.part_number} is not kept in stock: mark it unavailable to have it bought."
        )
    wanted = uncovered(line)
    if wanted <= 0:
        return Outcome.of(line, f"Nothing left to reserve for {item.part_number}.", tone="info")

    plan = rules.plan_reservation(wanted, _stock_options(session, item.id, wo.site_id))
    taken: list[tuple[int, Decimal, Decimal, Decimal]] = []  # level, qty, reserved after, on hand
    # Stock levels are updated in id order, so two reservations never wait on each other in a ring.
    for level_id, qty in sorted(plan):
        row = _reserve_at(session, level_id, qty)
        if row is None:  # someone took some since we looked: take what is left, if anything
            qty = min(qty, _free_now(session, level_id))
            row = _reserve_at(session, level_id, qty) if qty > 0 else None
        if row is not None:
            taken.append((level_id, qty, quantity(row.reserved_qty), quantity(row.on_hand_qty)))

    got = quantity(sum((t[1] for t in taken), ZERO))
    short = quantity(wanted - got)
    if got <= 0:
        return Outcome.of(
            line,
            f"None of {item.part_number} is free to reserve now (another job may have just taken "
            f"the last one). Mark it unavailable to request {format_qty(short)} {item.uom}.",
            tone="warning",
            shortage=short,
        )

    stores = dict(
        session.execute(
            select(StockLevel.id, Storeroom.code)
            .join(Storeroom, Storeroom.id == StockLevel.storeroom_id)
            .where(StockLevel.id.in_([t[0] for t in taken]))
        ).all()
    )
    for level_id, qty, _after, _on_hand in taken:
        session.add(
            Reservation(
                part_line_id=line.id,
                stock_level_id=level_id,
                qty=qty,
                status=ReservationStatus.active,
                reserved_by_id=actor.id if actor is not None else None,
            )
        )
    before = line.reserved_qty
    line.reserved_qty = quantity(before + got)
    restatus(line)
    audit.record(
        session,
        actor=actor,
        action="stock.reserved",
        subject=line,
        subject_label=line_label(wo, item),
        changes={
            "part_line.reserved_qty": [before, line.reserved_qty],
            "stock": [
                {
                    "storeroom": stores[level_id],
                    "reserved_qty": [after - qty, after],
                    "on_hand_qty": on_hand,
                }
                for level_id, qty, after, on_hand in taken
            ],
            "shortage": short,
        },
        why=f"Reserved for {wo.number}",
    )
    where = ", ".join(stores[t[0]] for t in taken)
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


def _active_reservations(session: Session, line: PartLine) -> list[Reservation]:
    """The line's reservations still holding stock, in stock-level id order (the lock order)."""
    return list(
        session.scalars(
            select(Reservation)
            .where(
                Reservation.part_line_id == line.id,
                Reservation.status == ReservationStatus.active,
            )
            .order_by(Reservation.stock_level_id, Reservation.id)
        )
    )


# -- release


def release_part_line(line_id: int, *, actor: User, reason: str | None = None) -> Outcome:
    """Give the line's reserved stock back; a second tap finds nothing reserved and says so."""
    with unit_of_work() as session:
        line = locked_line(session, line_id)
        outcome = release_stock(session, line, actor=actor, reason=reason)
    return outcome


def release_stock(
    session: Session, line: PartLine, *, actor: User | None, reason: str | None = None
) -> Outcome:
    """Release every active reservation of the line inside the caller's transaction."""
    wo = session.get(WorkOrder, line.work_order_id)
    item = line.item
    rules.check_parts_open(wo.status)
    active = _active_reservations(session, line)
    if not active:
        return Outcome.of(line, f"Nothing of {item.part_number} is reserved.", tone="info")
    c = _stock.c
    moved = []
    for reservation in active:
        q = literal(reservation.qty, Quantity)
        row = session.execute(
            update(_stock)
            .where(c.id == reservation.stock_level_id, c.reserved_qty >= q)
            .values(reserved_qty=func.round(c.reserved_qty - q, 3))
            .returning(c.reserved_qty, c.storeroom_id)
        ).one_or_none()
        if row is None:
            raise DomainError(
                f"The stock record of {item.part_number} does not hold this reservation any more: "
                "ask the storekeeper to check it."
            )
        reservation.status = ReservationStatus.released
        after = quantity(row.reserved_qty)
        moved.append(
            {
                "storeroom_id": row.storeroom_id,
                "reserved_qty": [after + reservation.qty, after],
            }
        )
    total = quantity(sum((r.qty for r in active), ZERO))
    before = line.reserved_qty
    line.reserved_qty = quantity(before - total)
    restatus(line)
    audit.record(
        session,
        actor=actor,
        action="stock.released",
        subject=line,
        subject_label=line_label(wo, item),
        changes={"part_line.reserved_qty": [before, line.reserved_qty], "stock": moved},
        why=(reason or "").strip()[:1000] or "Released from the work order page",
    )
    return Outcome.of(line, f"Released {amount_text(total, item)} back to stock.")


# -- issue


def issue_part_line(line_id: int, *, actor: User) -> Outcome:
    """Hand the reserved stock out to the work order; its cost lands on the work order."""
    with unit_of_work() as session:
        line = locked_line(session, line_id)
        outcome = issue_stock(session, line, actor=actor)
    return outcome


def issue_stock(session: Session, line: PartLine, *, actor: User | None) -> Outcome:
    """Issue every active reservation of the line inside the caller's transaction."""
    wo = session.get(WorkOrder, line.work_order_id)
    item = line.item
    rules.check_may_take_stock_or_buy(wo.status)
    active = _active_reservations(session, line)
    if not active:
        if line.issued_qty > 0:
            return Outcome.of(
                line,
                f"{amount_text(line.issued_qty, item)} already issued "
                f"({format_money(line.issued_cost_amount)}); nothing more is reserved.",
                tone="info",
            )
        return Outcome.of(line, f"Reserve {item.part_number} before issuing it.", tone="info")
    c = _stock.c
    now = utcnow()
    before = {
        "issued_qty": line.issued_qty,
        "reserved_qty": line.reserved_qty,
        "cost": line.issued_cost_amount,
    }
    moves, total_qty, total_cost = [], ZERO, ZERO
    for reservation in active:
        q = literal(reservation.qty, Quantity)
        row = session.execute(
            update(_stock)
            .where(
                c.id == reservation.stock_level_id,
                c.reserved_qty >= q,
                c.on_hand_qty >= q,
            )
            .values(
                on_hand_qty=func.round(c.on_hand_qty - q, 3),
                reserved_qty=func.round(c.reserved_qty - q, 3),
            )
            .returning(c.on_hand_qty, c.reserved_qty, c.unit_cost, c.storeroom_id)
        ).one_or_none()
        if row is None:
            raise DomainError(
                f"The stock record of {item.part_number} holds less than was reserved: "
                "ask the storekeeper to count it before issuing."
            )
        cost = rules.issue_cost(reservation.qty, row.unit_cost)
        session.add(
            StockMovement(
                item_id=item.id,
                storeroom_id=row.storeroom_id,
                kind=MovementKind.issue,
                qty=-reservation.qty,
                unit_cost=row.unit_cost,
                work_order_id=wo.id,
                part_line_id=line.id,
                moved_by_id=actor.id if actor is not None else None,
                moved_at=now,
            )
        )
        reservation.status = ReservationStatus.issued
        total_qty = quantity(total_qty + reservation.qty)
        total_cost = rules.add_cost(total_cost, cost)
        on_hand, reserved = quantity(row.on_hand_qty), quantity(row.reserved_qty)
        moves.append(
            {
                "storeroom_id": row.storeroom_id,
                "on_hand_qty": [on_hand + reservation.qty, on_hand],
                "reserved_qty": [reserved + reservation.qty, reserved],
                "unit_cost": row.unit_cost,
                "cost": cost,
            }
        )
    line.issued_qty = quantity(line.issued_qty + total_qty)
    line.reserved_qty = quantity(line.reserved_qty - total_qty)
    line.issued_cost_amount = rules.add_cost(line.issued_cost_amount, total_cost)
    restatus(line)
    audit.record(
        session,
        actor=actor,
        action="stock.issued",
        subject=line,
        subject_label=line_label(wo, item),
        changes={
            "part_line.issued_qty": [before["issued_qty"], line.issued_qty],
            "part_line.reserved_qty": [before["reserved_qty"], line.reserved_qty],
            "part_line.issued_cost_amount": [before["cost"], line.issued_cost_amount],
            "stock": moves,
        },
        why=f"Used on {wo.number}",
    )
    return Outcome.of(
        line, f"Issued {amount_text(total_qty, item)}: {format_money(total_cost)} on {wo.number}."
    )


# -- mark unavailable
