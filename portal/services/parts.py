"""Parts on a work order: add a line, reserve, release and issue stock.

Each use case locks the part line, asserts the actor may plan parts or issue stock on that work
order, and returns what it made (the line, the reservations, the stock movements) so that a
double tap gets the first post's result; `portal.read_models.parts` puts it into words. Stock
levels change only through `portal.services.stock`; issuing what arrived on a receipt uses the
same `issue_to_line` as issuing from the storeroom.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.domain import lifecycle
from portal.domain import parts as rules
from portal.domain.errors import DomainError, NotFound
from portal.domain.events import Event, WorkOrderMoved
from portal.domain.labels import label
from portal.domain.money import quantity
from portal.domain.permissions import Capability as C
from portal.domain.statuses import ItemKind, ReservationStatus
from portal.domain.work_orders import WorkOrderStatus
from portal.models import (
    Item,
    PartLine,
    Reservation,
    StockLevel,
    StockMovement,
    Storeroom,
    User,
    WorkOrder,
)
from portal.read_models.parts import stock_by_item, uncovered
from portal.services import audit, stock
from portal.services._uow import locked, submitted_once, unit_of_work
from portal.services.authz import authorize_on_work_order

ZERO = Decimal("0")


def restatus(line: PartLine) -> None:
    """Set the line's status from its quantities."""
    line.status = rules.line_status(
        line.needed_qty, line.reserved_qty, line.issued_qty, line.requested_qty, line.status
    )


def line_label(wo: WorkOrder, item: Item) -> str:
    """How an audit event names a part line: WO-000012 SEAL-M32."""
    return f"{wo.number} {item.part_number}"[:80]


def locked_line(session: Session, line_id: int) -> PartLine:
    """The part line, locked until the transaction ends."""
    return locked(session, PartLine, line_id, missing=f"Part line {line_id} does not exist.")


def _work_order(session: Session, line: PartLine) -> WorkOrder:
    """The work order of a part line (loaded with it, or read once)."""
    wo = session.get(WorkOrder, line.work_order_id)
    assert wo is not None  # a foreign key: the line's work order exists
    return wo


# ---------------------------------------------------------------- add


@submitted_once("part_line.add")
def add_part_line(
    wo_id: int,
    *,
    item_id: int,
    qty: Decimal | str,
    actor: User,
    note: str | None = None,
    submission_id: str | None = None,  # the form's: submitted_once adds the line once
) -> PartLine:
    """Add a part line to a work order; the same submission_id twice gives one line."""
    qty = rules.parse_quantity(qty)
    with unit_of_work() as session:
        wo = session.get(WorkOrder, wo_id)
        if wo is None:
            raise NotFound(f"Work order {wo_id} does not exist.")
        authorize_on_work_order(actor, C.plan_parts, wo)
        item = session.get(Item, item_id)
        if item is None:
            raise rules.UnknownPart("That part does not exist: search again and choose one.")
        return add_line(session, wo, item, qty, actor=actor, note=note)


def add_line(
    session: Session,
    wo: WorkOrder,
    item: Item,
    qty: Decimal,
    *,
    actor: User | None,
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


# ---------------------------------------------------------------- reserve


@submitted_once("part_line.reserve")
def reserve_part_line(
    line_id: int, *, actor: User, submission_id: str | None = None
) -> list[Reservation]:
    """Set stock aside for what the line still needs: the reservations made (none: a shortage,
    or nothing left to reserve; the words say which)."""
    with unit_of_work() as session:
        line = locked_line(session, line_id)
        authorize_on_work_order(actor, C.plan_parts, _work_order(session, line))
        return reserve_stock(session, line, actor=actor)


def _stock_options(session: Session, item_id: int, site_id: int | None) -> list[rules.StockOption]:
    """Every storeroom's free stock of the item, as the reservation plan needs it."""
    levels = stock_by_item(session, [item_id], site_id).get(item_id, [])
    return [
        rules.StockOption(s.stock_level_id, s.storeroom_code, s.available, s.same_site)
        for s in levels
    ]


def _take_planned(
    session: Session, plan: list[tuple[int, Decimal]]
) -> list[tuple[int, Decimal, Decimal, Decimal]]:
    """Reserve each (level, qty) of the plan, or what is left there if someone took some since
    the plan was made: (level, qty, reserved after, on hand) for each level that gave some."""
    taken: list[tuple[int, Decimal, Decimal, Decimal]] = []
    # Stock levels are updated in id order, so two reservations never wait on each other in a ring.
    for level_id, qty in sorted(plan):
        row = stock.reserve_at(session, level_id, qty)
        if row is None:
            qty = min(qty, stock.free_now(session, level_id))
            row = stock.reserve_at(session, level_id, qty) if qty > 0 else None
        if row is not None:
            taken.append((level_id, qty, quantity(row.reserved_qty), quantity(row.on_hand_qty)))
    return taken


def reserve_stock(session: Session, line: PartLine, *, actor: User | None) -> list[Reservation]:
    """Reserve what the line still needs inside the caller's transaction (line locked by caller)."""
    wo = _work_order(session, line)
    item = line.item
    rules.check_may_take_stock_or_buy(wo.status)
    if item.kind is not ItemKind.stock:
        raise DomainError(
            f"{item.part_number} is not kept in stock: mark it unavailable to have it bought."
        )
    wanted = uncovered(line)
    if wanted <= 0:
        return []
    plan = rules.plan_reservation(wanted, _stock_options(session, item.id, wo.site_id))
    taken = _take_planned(session, plan)
    got = quantity(sum((t[1] for t in taken), ZERO))
    if got <= 0:
        return []
    stores = dict(
        session.execute(
            select(StockLevel.id, Storeroom.code)
            .join(Storeroom, Storeroom.id == StockLevel.storeroom_id)
            .where(StockLevel.id.in_([t[0] for t in taken]))
        ).all()
    )
    made = [
        Reservation(
            part_line_id=line.id,
            stock_level_id=level_id,
            qty=qty,
            status=ReservationStatus.active,
            reserved_by_id=actor.id if actor is not None else None,
        )
        for level_id, qty, _after, _on_hand in taken
    ]
    session.add_all(made)
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
            "shortage": quantity(wanted - got),
        },
        why=f"Reserved for {wo.number}",
    )
    return made


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


# ---------------------------------------------------------------- release


@submitted_once("part_line.release")
def release_part_line(
    line_id: int, *, actor: User, reason: str | None = None, submission_id: str | None = None
) -> list[Reservation]:
    """Give the line's reserved stock back: the reservations released (none if none was)."""
    with unit_of_work() as session:
        line = locked_line(session, line_id)
        authorize_on_work_order(actor, C.plan_parts, _work_order(session, line))
        return release_stock(session, line, actor=actor, reason=reason)


def release_stock(
    session: Session, line: PartLine, *, actor: User | None, reason: str | None = None
) -> list[Reservation]:
    """Release every active reservation of the line inside the caller's transaction.

    Allowed whatever the work order's status: giving stock back never harms, and stock must
    not stay reserved for work that is over (the move that ends it releases it, see
    `release_for_ended_work`)."""
    wo = _work_order(session, line)
    item = line.item
    active = _active_reservations(session, line)
    if not active:
        return []
    moved = []
    for reservation in active:
        row = stock.unreserve(session, reservation.stock_level_id, reservation.qty)
        if row is None:
            raise DomainError(
                f"The stock record of {item.part_number} does not hold this reservation any more: "
                "ask the storekeeper to check it."
            )
        reservation.status = ReservationStatus.released
        after = quantity(row.reserved_qty)
        moved.append(
            {"storeroom_id": row.storeroom_id, "reserved_qty": [after + reservation.qty, after]}
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
    return active


def release_for_ended_work(session: Session, event: Event) -> None:
    """WorkOrderMoved to completed, closed or cancelled: every reservation still held for the
    work order is released, audited with the move's reason (part lines locked in id order)."""
    assert isinstance(event, WorkOrderMoved)
    if not lifecycle.ends_work(event.after):
        return
    line_ids = session.scalars(
        select(Reservation.part_line_id)
        .join(PartLine, PartLine.id == Reservation.part_line_id)
        .where(
            PartLine.work_order_id == event.work_order_id,
            Reservation.status == ReservationStatus.active,
        )
        .distinct()
        .order_by(Reservation.part_line_id)
    ).all()
    if not line_ids:
        return
    actor = session.get(User, event.actor_id) if event.actor_id is not None else None
    wo = session.get(WorkOrder, event.work_order_id)
    assert wo is not None  # the event's work order was just moved
    why = f"{wo.number} {label(WorkOrderStatus(event.after)).lower()}" + (
        f": {event.reason}" if event.reason else ""
    )
    for line_id in line_ids:
        release_stock(session, locked_line(session, line_id), actor=actor, reason=why)


# ---------------------------------------------------------------- issue


@submitted_once("part_line.issue")
def issue_part_line(
    line_id: int, *, actor: User, submission_id: str | None = None
) -> list[StockMovement]:
    """Hand the reserved stock out to the work order, its cost on the work order: the stock
    movements made (none when nothing is reserved)."""
    with unit_of_work() as session:
        line = locked_line(session, line_id)
        authorize_on_work_order(actor, C.issue_stock, _work_order(session, line))
        return issue_stock(session, line, actor=actor)


def issue_stock(session: Session, line: PartLine, *, actor: User | None) -> list[StockMovement]:
    """Issue every active reservation of the line inside the caller's transaction."""
    wo = _work_order(session, line)
    item = line.item
    rules.check_may_take_stock_or_buy(wo.status)
    active = _active_reservations(session, line)
    if not active:
        return []
    taken = []
    for reservation in active:
        taken.append(
            stock.take_out(
                session,
                reservation.qty,
                level=stock.level_with_id(reservation.stock_level_id),
                reserved=True,
                line=line,
                actor=actor,
                refused=f"The stock record of {item.part_number} holds less than was reserved: "
                "ask the storekeeper to count it before issuing.",
            )
        )
        reservation.status = ReservationStatus.issued
    issue_to_line(
        session,
        line,
        wo,
        qty=quantity(sum((r.qty for r in active), ZERO)),
        taken=taken,
        covers="reserved_qty",
        actor=actor,
        why=f"Used on {wo.number}",
    )
    return [t.movement for t in taken]


def issue_to_line(
    session: Session,
    line: PartLine,
    wo: WorkOrder,
    *,
    qty: Decimal,
    taken: list[stock.Taken],
    covers: str,
    actor: User | None,
    why: str,
    cost: Decimal | None = None,
    more: dict | None = None,
) -> None:
    """Put what was handed out on the part line (issued quantity and cost) and audit it once.

    The one way stock is issued to a work order, from the storeroom or on arrival. `covers`
    names what the issue fulfils and so goes down: the reserved quantity (from the storeroom)
    or the requested one (bought and arrived). `cost` defaults to what `taken` cost; give it
    for goods that never passed through a storeroom (a service).
    """
    if cost is None:
        cost = ZERO
        for one in taken:
            cost = rules.add_cost(cost, one.cost)
    before = {
        "issued_qty": line.issued_qty,
        covers: getattr(line, covers),
        "cost": line.issued_cost_amount,
    }
    line.issued_qty = quantity(line.issued_qty + qty)
    setattr(line, covers, max(ZERO, quantity(getattr(line, covers) - qty)))
    line.issued_cost_amount = rules.add_cost(line.issued_cost_amount, cost)
    restatus(line)
    audit.record(
        session,
        actor=actor,
        action="stock.issued",
        subject=line,
        subject_label=line_label(wo, line.item),
        changes={
            "part_line.issued_qty": [before["issued_qty"], line.issued_qty],
            f"part_line.{covers}": [before[covers], getattr(line, covers)],
            "part_line.issued_cost_amount": [before["cost"], line.issued_cost_amount],
            "stock": [one.change for one in taken],
            **(more or {}),
        },
        why=why,
    )
