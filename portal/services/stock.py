"""Stock levels: every change of what a storeroom holds, in one place.

Stock never goes negative, even when two people reach for the last unit at once: every change
of a stock level is one conditional UPDATE whose WHERE clause re-checks what is there, and its
RETURNING row says whether it happened (and what the level holds now). That holds on SQLite and
on PostgreSQL alike. Reserving and releasing move `reserved_qty`; taking out for a work order
and putting away from a receipt move `on_hand_qty` and write a stock movement.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import ColumnElement, Row, Table, func, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.domain import parts as part_rules
from portal.domain import receiving as receipt_rules
from portal.domain.errors import DomainError
from portal.domain.money import format_money, quantity
from portal.domain.statuses import MovementKind
from portal.models import GoodsReceiptLine, Item, PartLine, StockLevel, StockMovement, User
from portal.models.base import Quantity, utcnow
from portal.services import audit

ZERO = Decimal("0")
_stock = cast(Table, StockLevel.__table__)  # a mapped class's table is a Table
_c = _stock.c


# ---------------------------------------------------------------- reserving


def reserve_at(session: Session, level_id: int, qty: Decimal) -> Row[Any] | None:
    """Reserve `qty` at one level only if that much is free now: (reserved, on hand) or None."""
    q = literal(qty, Quantity)
    # ROUND keeps SQLite's binary floats on whole thousandths; it changes nothing on PostgreSQL.
    return session.execute(
        update(_stock)
        .where(_c.id == level_id, func.round(_c.on_hand_qty - _c.reserved_qty, 3) >= q)
        .values(reserved_qty=func.round(_c.reserved_qty + q, 3))
        .returning(_c.reserved_qty, _c.on_hand_qty)
    ).one_or_none()


def free_now(session: Session, level_id: int) -> Decimal:
    """What one stock level can still give, read now."""
    row = session.execute(select(_c.on_hand_qty, _c.reserved_qty).where(_c.id == level_id)).one()
    return quantity(row.on_hand_qty - row.reserved_qty)


def unreserve(session: Session, level_id: int, qty: Decimal) -> Row[Any] | None:
    """Give `qty` back at one level if it holds that much reserved: (reserved, storeroom), or
    None."""
    q = literal(qty, Quantity)
    return session.execute(
        update(_stock)
        .where(_c.id == level_id, _c.reserved_qty >= q)
        .values(reserved_qty=func.round(_c.reserved_qty - q, 3))
        .returning(_c.reserved_qty, _c.storeroom_id)
    ).one_or_none()


# ---------------------------------------------------------------- taking out for a work order


def level_with_id(level_id: int) -> ColumnElement[bool]:
    """Which level to take from: this one."""
    return _c.id == level_id


def level_of(item_id: int, storeroom_id: int) -> ColumnElement[bool]:
    """Which level to take from: the item's in this storeroom."""
    return (_c.item_id == item_id) & (_c.storeroom_id == storeroom_id)


@dataclass(frozen=True)
class Taken:
    """Stock that left a storeroom for a part line: the movement, its cost, the level's change."""

    movement: StockMovement
    cost: Decimal
    change: dict[str, Any]  # for the audit event: storeroom, on hand and reserved before/after


def take_out(
    session: Session,
    qty: Decimal,
    *,
    level: ColumnElement[bool],
    reserved: bool,
    line: PartLine,
    actor: User | None,
    unit_cost: Decimal | None = None,
    goods_receipt_line_id: int | None = None,
    refused: str,
) -> Taken:
    """Take `qty` out of one stock level for a part line: one guarded UPDATE, one movement.

    `reserved`: the stock was reserved for the line (on hand and reserved both go down);
    otherwise it must be free (on hand less reserved). `unit_cost`: what one unit costs the
    work order (default: the level's own cost). DomainError(`refused`) when the level does not
    hold it.
    """
    q = literal(qty, Quantity)
    guard: ColumnElement[bool]
    if reserved:
        guard = (_c.reserved_qty >= q) & (_c.on_hand_qty >= q)
        values = {
            "on_hand_qty": func.round(_c.on_hand_qty - q, 3),
            "reserved_qty": func.round(_c.reserved_qty - q, 3),
        }
    else:
        guard = func.round(_c.on_hand_qty - _c.reserved_qty, 3) >= q
        values = {"on_hand_qty": func.round(_c.on_hand_qty - q, 3)}
    row = session.execute(
        update(_stock)
        .where(level, guard)
        .values(**values)
        .returning(_c.on_hand_qty, _c.reserved_qty, _c.unit_cost, _c.storeroom_id, _c.item_id)
    ).one_or_none()
    if row is None:
        raise DomainError(refused)
    price = row.unit_cost if unit_cost is None else unit_cost
    cost = part_rules.issue_cost(qty, price)
    movement = StockMovement(
        item_id=row.item_id,
        storeroom_id=row.storeroom_id,
        kind=MovementKind.issue,
        qty=-qty,
        unit_cost=price,
        work_order_id=line.work_order_id,
        part_line_id=line.id,
        goods_receipt_line_id=goods_receipt_line_id,
        moved_by_id=actor.id if actor is not None else None,
        moved_at=utcnow(),
    )
    session.add(movement)
    on_hand, now_reserved = quantity(row.on_hand_qty), quantity(row.reserved_qty)
    change = {
        "storeroom_id": row.storeroom_id,
        "on_hand_qty": [on_hand + qty, on_hand],
        "reserved_qty": [now_reserved + qty if reserved else now_reserved, now_reserved],
        "unit_cost": price,
        "cost": cost,
    }
    return Taken(movement=movement, cost=cost, change=change)


# ---------------------------------------------------------------- putting away from a receipt


def _level_for(session: Session, item_id: int, storeroom_id: int, price: Decimal) -> StockLevel:
    """The item's stock level in the storeroom, made (empty, at `price`) if there is none yet."""
    wanted = select(StockLevel).where(
        StockLevel.item_id == item_id, StockLevel.storeroom_id == storeroom_id
    )
    level = session.scalar(wanted)
    if level is not None:
        return level
    try:
        with session.begin_nested():
            session.add(
                StockLevel(
                    item_id=item_id,
                    storeroom_id=storeroom_id,
                    on_hand_qty=ZERO,
                    reserved_qty=ZERO,
                    unit_cost=price,
                )
            )
    except IntegrityError:
        pass  # another transaction made it first; the UPDATE that follows waits for it
    return session.scalars(wanted).one()


def _add_on_hand(
    session: Session, item_id: int, storeroom_id: int, qty: Decimal, price: Decimal
) -> tuple[StockLevel, Row[Any], Decimal, Decimal]:
    """`qty` more on hand at the level (made if there is none), its unit cost averaged with
    `price`: the level, the row after (on hand, old unit cost), on hand before, the new cost."""
    level = _level_for(session, item_id, storeroom_id, price)
    q = literal(qty, Quantity)
    row = session.execute(
        update(_stock)
        .where(_c.id == level.id)
        .values(on_hand_qty=func.round(_c.on_hand_qty + q, 3))
        .returning(_c.on_hand_qty, _c.unit_cost)
    ).one()
    on_hand_before = quantity(row.on_hand_qty) - qty
    new_cost = receipt_rules.moving_average_cost(on_hand_before, row.unit_cost, qty, price)
    session.execute(update(_stock).where(_c.id == level.id).values(unit_cost=new_cost))
    return level, row, on_hand_before, new_cost


def put_away(
    session: Session,
    gr_line: GoodsReceiptLine,
    item: Item,
    qty: Decimal,
    *,
    price: Decimal,
    actor: User,
) -> None:
    """On hand up in the receipt line's storeroom, one receipt movement at `price` (the PO price
    net of discount), and the storeroom's unit cost averaged with what arrived."""
    storeroom_id = gr_line.storeroom_id
    if storeroom_id is None:
        raise DomainError(f"{item.part_number} has no storeroom to go to.")
    level, row, on_hand_before, new_cost = _add_on_hand(session, item.id, storeroom_id, qty, price)
    session.add(
        StockMovement(
            item_id=item.id,
            storeroom_id=storeroom_id,
            kind=MovementKind.receipt,
            qty=qty,
            unit_cost=price,
            goods_receipt_line_id=gr_line.id,
            moved_by_id=actor.id,
            moved_at=utcnow(),
        )
    )
    audit.record(
        session,
        actor=actor,
        action="stock.received",
        subject=level,
        subject_label=item.part_number,
        changes={
            "on_hand_qty": [on_hand_before, quantity(row.on_hand_qty)],
            "unit_cost": [row.unit_cost, new_cost],
            "storeroom_id": storeroom_id,
            "goods_receipt_line_id": gr_line.id,
        },
        why=f"Received at {format_money(price)} each",
    )


# ---------------------------------------------------------------- giving back from a work order


def put_back(
    session: Session,
    line: PartLine,
    qty: Decimal,
    *,
    storeroom_id: int,
    unit_cost: Decimal,
    actor: User,
) -> tuple[StockMovement, dict[str, Any]]:
    """Unused parts of a work order back on hand in `storeroom_id`: one return movement at the
    cost the work order was charged (so its cost goes down by as much), the storeroom's unit
    cost averaged with what came back. The movement, and the level's change for the audit."""
    _level, row, on_hand_before, new_cost = _add_on_hand(
        session, line.item_id, storeroom_id, qty, unit_cost
    )
    movement = StockMovement(
        item_id=line.item_id,
        storeroom_id=storeroom_id,
        kind=MovementKind.return_,
        qty=qty,
        unit_cost=unit_cost,
        work_order_id=line.work_order_id,
        part_line_id=line.id,
        moved_by_id=actor.id,
        moved_at=utcnow(),
    )
    session.add(movement)
    return movement, {
        "storeroom_id": storeroom_id,
        "on_hand_qty": [on_hand_before, quantity(row.on_hand_qty)],
        "unit_cost": [row.unit_cost, new_cost],
    }
