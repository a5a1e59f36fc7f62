"""Invariants of stock and reservations, recomputed from the stock movements and reservations.

Checks of the `flask portal check` registry (services/invariants.py): each takes a session and
returns one sentence per violation, from a few set-based queries.
"""

from __future__ import annotations

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from portal.domain.labels import label
from portal.domain.statuses import ReservationStatus
from portal.domain.work_orders import OPEN_STATUSES
from portal.models import (
    Item,
    PartLine,
    Reservation,
    StockLevel,
    StockMovement,
    Storeroom,
    WorkOrder,
)
from portal.read_models.portable_sql import qty_above, qty_differs
from portal.services.money_invariants import qty_words

# ---------------------------------------------------------------- stock


def stock_matches_movements(session: Session) -> list[str]:
    """Stock on hand equals the sum of its movements and never goes below zero."""
    moved = (
        select(
            StockMovement.item_id,
            StockMovement.storeroom_id,
            func.sum(StockMovement.qty).label("moved"),
        )
        .group_by(StockMovement.item_id, StockMovement.storeroom_id)
        .subquery()
    )
    return [
        *_levels_off_their_movements(session, moved),
        *_movements_without_a_level(session, moved),
        *_went_negative(session),
    ]


def _levels_off_their_movements(session: Session, moved) -> list[str]:
    """Stock levels below zero, or whose on hand is not the sum of their movements."""
    total = func.coalesce(moved.c.moved, 0)
    rows = session.execute(
        select(Item.part_number, Storeroom.code, StockLevel.on_hand_qty, total)
        .select_from(StockLevel)
        .join(Item, Item.id == StockLevel.item_id)
        .join(Storeroom, Storeroom.id == StockLevel.storeroom_id)
        .outerjoin(
            moved,
            and_(
                moved.c.item_id == StockLevel.item_id,
                moved.c.storeroom_id == StockLevel.storeroom_id,
            ),
        )
        .where(or_(qty_differs(StockLevel.on_hand_qty, total), StockLevel.on_hand_qty < 0))
        .order_by(Item.part_number, Storeroom.code)
    )
    return [
        f"{part} in {store}: on hand is {qty_words(on_hand)}, below zero"
        if on_hand < 0
        else f"{part} in {store}: on hand is {qty_words(on_hand)} but its stock movements "
        f"add up to {qty_words(total_moved)}"
        for part, store, on_hand, total_moved in rows
    ]


def _movements_without_a_level(session: Session, moved) -> list[str]:
    """Movements of an item in a storeroom that keeps no stock record of it."""
    rows = session.execute(
        select(Item.part_number, Storeroom.code, moved.c.moved)
        .select_from(moved)
        .join(Item, Item.id == moved.c.item_id)
        .join(Storeroom, Storeroom.id == moved.c.storeroom_id)
        .outerjoin(
            StockLevel,
            and_(
                StockLevel.item_id == moved.c.item_id,
                StockLevel.storeroom_id == moved.c.storeroom_id,
            ),
        )
        .where(StockLevel.id.is_(None), qty_differs(moved.c.moved, 0))
    )
    return [
        f"{part} in {store}: stock movements add up to {qty_words(total_moved)} but the "
        "storeroom has no stock record of it"
        for part, store, total_moved in rows
    ]


def _went_negative(session: Session) -> list[str]:
    """Movements, in the order they were recorded, after which the balance was below zero."""
    running = (
        select(
            StockMovement.id,
            StockMovement.item_id,
            StockMovement.storeroom_id,
            func.sum(StockMovement.qty)
            .over(
                partition_by=(StockMovement.item_id, StockMovement.storeroom_id),
                order_by=StockMovement.id,
            )
            .label("balance"),
        )
    ).subquery()
    first = (
        select(
            running.c.item_id,
            running.c.storeroom_id,
            func.min(running.c.id).label("movement_id"),
        )
        .where(qty_above(0, running.c.balance))
        .group_by(running.c.item_id, running.c.storeroom_id)
        .subquery()
    )
    rows = session.execute(
        select(Item.part_number, Storeroom.code, first.c.movement_id, running.c.balance)
        .select_from(first)
        .join(running, running.c.id == first.c.movement_id)
        .join(Item, Item.id == first.c.item_id)
        .join(Storeroom, Storeroom.id == first.c.storeroom_id)
        .order_by(Item.part_number, Storeroom.code)
    )
    return [
        f"{part} in {store}: went below zero ({qty_words(balance)}) at stock movement #{movement}"
        for part, store, movement, balance in rows
    ]


# ---------------------------------------------------------------- reservations


def reservations_on_open_work(session: Session) -> list[str]:
    """Stock is reserved only for open work orders, and every reserved figure adds up."""
    return [
        *_reserved_for_work_not_open(session),
        *_levels_reserved_otherwise(session),
        *_lines_reserved_otherwise(session),
    ]


_ACTIVE = Reservation.status == ReservationStatus.active


def _reserved_for_work_not_open(session: Session) -> list[str]:
    """Active reservations of completed, closed or cancelled work orders."""
    rows = session.execute(
        select(
            WorkOrder.number,
            WorkOrder.status,
            Reservation.qty,
            Item.part_number,
            Storeroom.code,
            Reservation.id,
        )
        .select_from(Reservation)
        .join(PartLine, PartLine.id == Reservation.part_line_id)
        .join(WorkOrder, WorkOrder.id == PartLine.work_order_id)
        .join(StockLevel, StockLevel.id == Reservation.stock_level_id)
        .join(Item, Item.id == StockLevel.item_id)
        .join(Storeroom, Storeroom.id == StockLevel.storeroom_id)
        .where(_ACTIVE, WorkOrder.status.not_in(OPEN_STATUSES))
        .order_by(WorkOrder.number, Reservation.id)
    )
    return [
        f"{number} is {label(status).lower()} but still holds {qty_words(qty)} of {part} "
        f"reserved in {store} (reservation #{rid})"
        for number, status, qty, part, store, rid in rows
    ]


def _held_by(key):
    """Active reservations summed per `key` (a Reservation column): a subquery (key, held)."""
    return (
        select(key.label("key"), func.sum(Reservation.qty).label("held"))
        .where(_ACTIVE)
        .group_by(key)
        .subquery()
    )


def _levels_reserved_otherwise(session: Session) -> list[str]:
    """Stock levels whose reserved quantity is not the sum of their active reservations."""
    held_here = _held_by(Reservation.stock_level_id)
    held = func.coalesce(held_here.c.held, 0)
    rows = session.execute(
        select(Item.part_number, Storeroom.code, StockLevel.reserved_qty, held)
        .select_from(StockLevel)
        .join(Item, Item.id == StockLevel.item_id)
        .join(Storeroom, Storeroom.id == StockLevel.storeroom_id)
        .outerjoin(held_here, held_here.c.key == StockLevel.id)
        .where(qty_differs(StockLevel.reserved_qty, held))
        .order_by(Item.part_number, Storeroom.code)
    )
    return [
        f"{part} in {store}: {qty_words(reserved)} shown as reserved but its active "
        f"reservations add up to {qty_words(total)}"
        for part, store, reserved, total in rows
    ]


def _lines_reserved_otherwise(session: Session) -> list[str]:
    """Part lines whose reserved quantity is not the sum of their active reservations."""
    held_here = _held_by(Reservation.part_line_id)
    held = func.coalesce(held_here.c.held, 0)
    rows = session.execute(
        select(WorkOrder.number, Item.part_number, PartLine.reserved_qty, held)
        .select_from(PartLine)
        .join(WorkOrder, WorkOrder.id == PartLine.work_order_id)
        .join(Item, Item.id == PartLine.item_id)
        .outerjoin(held_here, held_here.c.key == PartLine.id)
        .where(qty_differs(PartLine.reserved_qty, held))
        .order_by(WorkOrder.number, PartLine.id)
    )
    return [
        f"{number}, part {part}: the part line says {qty_words(reserved)} reserved but its "
        f"active reservations add up to {qty_words(total)}"
        for number, part, reserved, total in rows
    ]
