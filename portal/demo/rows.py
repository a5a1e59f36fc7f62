"""Row shapes of documents, for the tests' factories and the benchmarks' bulk inserts.

The product makes documents through its use cases (and so does the demo). Tests need documents
in any state at once, and bench/ needs hundreds of thousands in seconds; both write rows
directly, and both take the row's shape from here: every column named, the same defaults, and
the derived values (an invoice's gross amount, a PO line's backorder, a labour cost, a part
line's status) computed by the domain rules the services use. One shape per table, not a copy
per caller.

Each `<table>_row(...)` returns a dict of column values: `Model(**row)` for the ORM,
`insert(Model.__table__)` with a list of them for Core. Give `id` (in `**columns`) for bulk
inserts with explicit ids. Work: here; purchasing documents: portal/demo/rows_buying.py.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from portal.domain import parts as part_rules
from portal.domain.money import money, quantity
from portal.domain.statuses import (
    MovementKind,
    OutOfPocketStatus,
    PartLineStatus,
)
from portal.domain.work_orders import Priority, WorkOrderStatus, WorkOrderType
from portal.models.base import utcnow

ZERO = Decimal(0)
Row = dict[str, Any]


def exact(value: Decimal | str | int) -> Decimal:
    """A Decimal from text, an int or a Decimal (never a float)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        raise TypeError("give amounts and quantities as str or Decimal, never float")
    return Decimal(str(value))


# ---------------------------------------------------------------- work


def work_order_row(
    *,
    number: str,
    title: str,
    site_id: int,
    due_at: datetime | None,
    status: WorkOrderStatus = WorkOrderStatus.assigned,
    type: WorkOrderType = WorkOrderType.corrective,
    priority: Priority = Priority.normal,
    created_at: datetime | None = None,
    **columns: Any,
) -> Row:
    """A work order; every column the services set is named (None where not given)."""
    created = created_at or utcnow()
    row: Row = {
        "number": number,
        "title": title,
        "description": None,
        "type": type,
        "priority": priority,
        "status": status,
        "site_id": site_id,
        "location_id": None,
        "asset_id": None,
        "cost_centre_id": None,
        "requester_id": None,
        "requester_name": None,
        "department": None,
        "assignee_user_id": None,
        "assignee_team_id": None,
        "assignee_vendor_id": None,
        "due_at": due_at,
        "audit_reference": None,
        "down_at": None,
        "up_at": None,
        "completed_at": None,
        "closed_at": None,
        "created_by_id": None,
        "created_at": created,
        "updated_at": created,
    }
    return complete(row, columns)


def status_change_row(
    *,
    work_order_id: int,
    to_status: WorkOrderStatus,
    changed_at: datetime,
    from_status: WorkOrderStatus | None = None,
    changed_by_id: int | None = None,
    reason: str | None = None,
    **columns: Any,
) -> Row:
    """One status move of a work order."""
    return complete(
        {
            "work_order_id": work_order_id,
            "from_status": from_status,
            "to_status": to_status,
            "changed_by_id": changed_by_id,
            "changed_at": changed_at,
            "reason": reason,
        },
        columns,
    )


def checklist_item_row(*, work_order_id: int, position: int, text: str, **columns: Any) -> Row:
    """One step of a work order's instructions (not done unless told)."""
    return complete(
        {
            "work_order_id": work_order_id,
            "position": position,
            "text": text,
            "done": False,
            "done_by_id": None,
            "done_at": None,
        },
        columns,
    )


def part_line_row(
    *,
    work_order_id: int,
    item_id: int,
    needed_qty: Decimal | str,
    reserved_qty: Decimal | str = ZERO,
    issued_qty: Decimal | str = ZERO,
    requested_qty: Decimal | str = ZERO,
    issued_cost_amount: Decimal | str = ZERO,
    status: PartLineStatus | None = None,
    **columns: Any,
) -> Row:
    """A part line; its status follows its quantities (the parts rules) unless given."""
    needed, reserved = quantity(exact(needed_qty)), quantity(exact(reserved_qty))
    issued, requested = quantity(exact(issued_qty)), quantity(exact(requested_qty))
    return complete(
        {
            "work_order_id": work_order_id,
            "item_id": item_id,
            "needed_qty": needed,
            "reserved_qty": reserved,
            "issued_qty": issued,
            "requested_qty": requested,
            "status": status or part_rules.line_status(needed, reserved, issued, requested),
            "issued_cost_amount": money(exact(issued_cost_amount)),
            "note": None,
            "added_by_id": None,
            "created_at": utcnow(),
        },
        columns,
    )


def labour_row(
    *,
    work_order_id: int,
    user_id: int,
    hours: Decimal | str,
    rate: Decimal | str,
    worked_on: date | None = None,
    **columns: Any,
) -> Row:
    """Hours worked on a work order at a rate; the cost is hours x rate, to the cent."""
    return complete(
        {
            "work_order_id": work_order_id,
            "user_id": user_id,
            "worked_on": worked_on or utcnow().date(),
            "hours": quantity(exact(hours)),
            "rate": money(exact(rate)),
            "cost_amount": money(exact(hours) * exact(rate)),
            "note": None,
            "created_at": utcnow(),
        },
        columns,
    )


def stock_movement_row(
    *,
    item_id: int,
    storeroom_id: int,
    qty: Decimal | str,
    unit_cost: Decimal | str,
    kind: MovementKind | None = None,
    **columns: Any,
) -> Row:
    """A stock movement: an issue when qty < 0, a return when above, unless `kind` says."""
    signed = quantity(exact(qty))
    return complete(
        {
            "item_id": item_id,
            "storeroom_id": storeroom_id,
            "kind": kind or (MovementKind.issue if signed < 0 else MovementKind.return_),
            "qty": signed,
            "unit_cost": money(exact(unit_cost)),
            "work_order_id": None,
            "part_line_id": None,
            "goods_receipt_line_id": None,
            "moved_by_id": None,
            "moved_at": utcnow(),
        },
        columns,
    )


def out_of_pocket_row(
    *,
    work_order_id: int,
    user_id: int,
    amount: Decimal | str,
    description: str = "Hose clamps from the hardware store",
    status: OutOfPocketStatus = OutOfPocketStatus.submitted,
    bought_on: date | None = None,
    **columns: Any,
) -> Row:
    """A technician's own-money purchase for a work order."""
    return complete(
        {
            "work_order_id": work_order_id,
            "user_id": user_id,
            "description": description,
            "amount": money(exact(amount)),
            "qty": None,
            "bought_on": bought_on or utcnow().date(),
            "status": status,
            "reviewed_by_id": None,
            "review_reason": None,
            "created_at": utcnow(),
            "shop_name": None,
            "why": None,
            "receipt_attachment_id": None,
            "reviewed_at": None,
            "item_id": None,
            "category": None,
            "policy_warnings": None,
            "approved_by": None,
        },
        columns,
    )


def complete(row: Row, columns: dict[str, Any]) -> Row:
    """The row with `columns` set; a name that is not a column of it is a mistake."""
    if not columns.keys() <= row.keys():  # the common case checked cheaply (bench: millions)
        unknown = set(columns) - set(row) - {"id"}
        if unknown:
            raise TypeError(f"not a column here: {', '.join(sorted(unknown))}")
    row.update(columns)
    return row
