"""Unused parts back to stock: what was issued to a work order and not used goes back on the
shelf, with a return movement, and the work order's cost goes down by what it was charged.

Allowed while the work goes on and after it is completed or closed (that is when one knows what
was left over); the storeroom is the one the line's parts last came from.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from portal.domain import lifecycle
from portal.domain import parts as rules
from portal.domain.errors import DomainError
from portal.domain.money import money, quantity
from portal.domain.permissions import Capability as C
from portal.domain.statuses import MovementKind
from portal.models import PartLine, StockMovement, User, WorkOrder
from portal.services import audit, stock
from portal.services._uow import locked, submitted_once, unit_of_work
from portal.services.authz import authorize_on_work_order
from portal.services.parts import line_label, locked_line, restatus


@submitted_once("part_line.return")
def return_to_stock(
    line_id: int,
    *,
    qty: Decimal | str,
    reason: str | None,
    actor: User,
    submission_id: str | None = None,
) -> StockMovement:
    """Give `qty` unused issued parts of the line back to stock: the return movement made; the
    same form posted twice returns them once."""
    qty = rules.parse_quantity(qty)
    with unit_of_work() as session:
        wo_id = session.scalar(select(PartLine.work_order_id).where(PartLine.id == line_id))
        wo = locked(session, WorkOrder, wo_id or 0, missing=f"Part line {line_id} does not exist.")
        authorize_on_work_order(actor, C.issue_stock, wo)
        line = locked_line(session, line_id)
        item = line.item
        lifecycle.check_return(qty, issued=line.issued_qty, unit=item.uom)
        why = lifecycle.reason_given(reason, asked="Say why the parts go back (not used...).")
        storeroom_id = session.scalar(
            select(StockMovement.storeroom_id)
            .where(
                StockMovement.part_line_id == line.id,
                StockMovement.kind == MovementKind.issue,
            )
            .order_by(StockMovement.id.desc())
            .limit(1)
        )
        if storeroom_id is None:
            raise DomainError(
                f"{item.part_number} never came out of a storeroom for this work order: "
                "there is no shelf to put it back on."
            )
        # What the work order was charged for one unit: its cost comes down by exactly that.
        unit_cost = money(line.issued_cost_amount / line.issued_qty)
        movement, change = stock.put_back(
            session,
            line,
            qty,
            storeroom_id=storeroom_id,
            unit_cost=unit_cost,
            actor=actor,
        )
        cost = rules.issue_cost(qty, unit_cost)
        before = {
            "issued_qty": line.issued_qty,
            "needed_qty": line.needed_qty,
            "cost": line.issued_cost_amount,
        }
        line.issued_qty = quantity(line.issued_qty - qty)
        line.needed_qty = max(quantity(line.needed_qty - qty), line.issued_qty)
        line.issued_cost_amount = max(money(line.issued_cost_amount - cost), money(0))
        restatus(line)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="stock.returned",
            subject=line,
            subject_label=line_label(wo, item),
            changes={
                "part_line.issued_qty": [before["issued_qty"], line.issued_qty],
                "part_line.needed_qty": [before["needed_qty"], line.needed_qty],
                "part_line.issued_cost_amount": [before["cost"], line.issued_cost_amount],
                "stock": [change],
                "returned_qty": qty,
            },
            why=why,
        )
        return movement
