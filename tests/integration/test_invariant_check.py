"""`flask portal check` names each kind of broken promise in words and exits 1.

Each test makes a small plant's documents through the real use cases (tests/money_world.py), so
the checker first has nothing to say, then breaks one promise with a direct write to the
database, as a bad import, a hand-made fix in SQL or a bug beside the services would, and runs
the command as an operator would. The fresh demo passing the check is in test_demo.py (it
reuses that module's loaded demo).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select, text, update

from portal.domain.statuses import InvoiceStatus
from portal.models import (
    AuditEvent,
    CommittedPoLine,
    GoodsReceipt,
    GoodsReceiptLine,
    PartLine,
    PurchaseOrderLine,
    PurchaseRequest,
    StockLevel,
    StockMovement,
    VendorInvoice,
    WorkOrder,
)
from portal.services import invariants, invoices, parts
from portal.services import purchase_requests as requests
from tests.money_world import (
    build_money_world,
    buy_for_work_order,
    once,
    raise_work_order,
    receive,
    today,
)


@pytest.fixture
def world(database):
    return build_money_world(database.session)


@pytest.fixture
def check(app):
    """Run `flask portal check` (args: e.g. --only stock): (exit code, all it printed)."""

    def _check(*args: str) -> tuple[int, str]:
        result = app.test_cli_runner().invoke(args=["portal", "check", *args])
        return result.exit_code, result.output

    return _check


def _write(database, *statements) -> None:
    """Direct writes, committed: nothing of the portal runs."""
    for statement in statements:
        database.session.execute(statement)
    database.session.commit()


def _reserved_line(database, world, wo_id: int, qty: str = "2") -> int:
    """A part line of MW-BRG-6205 on the work order with `qty` reserved; the line's id."""
    tech = world.user(database.session, "tech")
    line = parts.add_part_line(
        wo_id, item_id=world.item_ids["MW-BRG-6205"], qty=qty, actor=tech, submission_id=once()
    )
    parts.reserve_part_line(line.id, actor=tech, submission_id=once())
    return line.id


def _level(database, world) -> StockLevel:
    return database.session.scalars(
        select(StockLevel).where(StockLevel.item_id == world.item_ids["MW-BRG-6205"])
    ).one()


def test_the_loop_made_through_the_use_cases_passes_every_check(database, world, check):
    wo = raise_work_order(database.session, world, "Bearing noise")
    _reserved_line(database, world, wo)
    po, [line] = buy_for_work_order(database.session, world, wo, "MW-FLT-10", "4")
    receive(database.session, world, po, line, "4")
    invoices.enter_invoice(
        purchase_order_id=po,
        number="MW-1",
        invoice_on=today(),
        lines=[invoices.NewLine(line, Decimal("4"), Decimal("12.40"))],
        actor=world.user(database.session, "clerk"),
        submission_id=once(),
    )
    code, output = check()
    assert code == 0, output
    assert output.strip() == (
        "All 9 invariants hold (stock, reservations, receipts, invoices, budget, cancelled_work, "
        "approval, counted_once, audit)."
    )


def test_stock_on_hand_its_movements_do_not_explain_is_named(database, world, check):
    level = _level(database, world)
    _write(database, update(StockLevel).where(StockLevel.id == level.id).values(on_hand_qty=9))
    code, output = check()
    assert code == 1
    assert "MW-BRG-6205 in MW-MAIN: on hand is 9 but its stock movements add up to 6" in output
    assert "1 violation in 1 of 9 checks." in output


def test_stock_that_went_below_zero_on_the_way_is_named(database, world, check):
    """On hand ends right (6), but 8 were taken out before 8 more came in."""
    level = _level(database, world)
    moves = [
        {"qty": Decimal("-8"), "kind": "issue"},
        {"qty": Decimal("8"), "kind": "receipt"},
    ]
    for move in moves:
        database.session.add(
            StockMovement(
                item_id=level.item_id,
                storeroom_id=level.storeroom_id,
                unit_cost=Decimal("7.60"),
                **move,
            )
        )
    database.session.commit()
    taken_id = database.session.scalar(select(StockMovement.id).where(StockMovement.qty < 0))
    code, output = check("--only", "stock")
    assert code == 1
    assert f"MW-BRG-6205 in MW-MAIN: went below zero (-2) at stock movement #{taken_id}" in output


def test_stock_reserved_for_a_closed_work_order_is_named(database, world, check):
    wo = raise_work_order(database.session, world, "Replace bearing")
    _reserved_line(database, world, wo, "2")
    _write(database, update(WorkOrder).where(WorkOrder.id == wo).values(status="closed"))
    number = database.session.get(WorkOrder, wo).number
    code, output = check()
    assert code == 1
    assert f"{number} is closed but still holds 2 of MW-BRG-6205 reserved in MW-MAIN" in output
    assert "1 violation in 1 of 9 checks." in output


def test_reserved_figures_their_reservations_do_not_explain_are_named(database, world, check):
    wo = raise_work_order(database.session, world, "Replace bearing")
    line_id = _reserved_line(database, world, wo, "2")
    level = _level(database, world)
    _write(
        database,
        update(StockLevel).where(StockLevel.id == level.id).values(reserved_qty=3),
        update(PartLine).where(PartLine.id == line_id).values(reserved_qty=1),
    )
    number = database.session.get(WorkOrder, wo).number
    code, output = check()
    assert code == 1
    assert (
        "MW-BRG-6205 in MW-MAIN: 3 shown as reserved but its active reservations add up to 2"
    ) in output
    assert (
        f"{number}, part MW-BRG-6205: the part line says 1 reserved but its active "
        "reservations add up to 2"
    ) in output


def _po_line_name(database, line_id: int) -> str:
    line = database.session.get(PurchaseOrderLine, line_id)
    return f"{line.purchase_order.number} line {line.line_no} ({line.description})"


def test_more_accepted_than_ordered_is_named(database, world, check):
    wo = raise_work_order(database.session, world, "Filters")
    po, [line] = buy_for_work_order(database.session, world, wo, "MW-FLT-10", "4")
    receive(database.session, world, po, line, "4")
    receipt = database.session.scalars(select(GoodsReceipt)).one()
    database.session.add(
        GoodsReceiptLine(
            goods_receipt_id=receipt.id, purchase_order_line_id=line, accepted_qty=Decimal("3")
        )
    )
    _write(
        database,
        update(PurchaseOrderLine).where(PurchaseOrderLine.id == line).values(received_qty=7),
    )
    code, output = check()
    assert code == 1
    assert (
        f"{_po_line_name(database, line)}: 7 accepted, more than the 4 ordered plus the 0% "
        "over-receipt tolerance"
    ) in output
    assert "1 violation in 1 of 9 checks." in output


def test_a_received_figure_its_receipts_do_not_explain_is_named(database, world, check):
    wo = raise_work_order(database.session, world, "Filters")
    po, [line] = buy_for_work_order(database.session, world, wo, "MW-FLT-10", "4")
    receive(database.session, world, po, line, "2")
    _write(
        database,
        update(PurchaseOrderLine).where(PurchaseOrderLine.id == line).values(received_qty=3),
    )
    code, output = check("--only", "receipts")
    assert code == 1
    assert (
        f"{_po_line_name(database, line)}: the line says 3 received but its goods receipts "
        "accepted 2"
    ) in output


def _billed(database, world, qty: str, number: str, *, received: str) -> tuple[int, int]:
    """5 filters bought for a work order, `received` of them in, `qty` invoiced as `number`:
    (the invoice, the PO line)."""
    wo = raise_work_order(database.session, world, "Filters")
    po, [line] = buy_for_work_order(database.session, world, wo, "MW-FLT-10", "5")
    receive(database.session, world, po, line, received)
    invoice = invoices.enter_invoice(
        purchase_order_id=po,
        number=number,
        invoice_on=today(),
        lines=[invoices.NewLine(line, Decimal(qty), Decimal("12.40"))],
        actor=world.user(database.session, "clerk"),
        submission_id=once(),
    )
    return invoice.id, line


def test_an_approved_invoice_billing_goods_never_received_is_named(database, world, check):
    invoice, line = _billed(database, world, "5", "MW-2", received="2")
    assert database.session.get(VendorInvoice, invoice).status is InvoiceStatus.hold
    assert check()[0] == 0  # held: not approved, nothing wrong yet
    _write(
        database,
        update(VendorInvoice).where(VendorInvoice.id == invoice).values(status="matched"),
    )
    code, output = check()
    assert code == 1
    assert (
        f"{_po_line_name(database, line)}: approved invoices bill 5 but only 2 were received "
        "(tolerance 0%), and no hold on it was released"
    ) in output
    assert "1 violation in 1 of 9 checks." in output


def test_an_excess_an_approver_released_is_not_a_violation(database, world, check):
    invoice, _line = _billed(database, world, "5", "MW-3", received="2")
    invoices.release_hold(
        invoice,
        approver=world.user(database.session, "approver"),
        reason="The vendor delivered the rest to site B; its slip is attached.",
    )
    code, output = check()
    assert code == 0, output


def test_a_budget_row_that_differs_from_its_purchase_order_is_named(database, world, check):
    wo = raise_work_order(database.session, world, "Filters")
    _po, [line] = buy_for_work_order(database.session, world, wo, "MW-FLT-10", "4")
    _write(
        database,
        update(CommittedPoLine)
        .where(CommittedPoLine.purchase_order_line_id == line)
        .values(amount=Decimal("99.60")),
    )
    code, output = check()
    assert code == 1
    assert (
        f"{_po_line_name(database, line)}: the budget counts 99.60 committed, the documents "
        "say 49.60"
    ) in output
    # The counted-once check (services/cost_checks.py) recomputes the same figure and names it too.
    assert "50.00 counted twice" in output
    assert "2 violations in 2 of 9 checks." in output


def test_an_altered_audit_event_is_named(database, world, check):
    raise_work_order(database.session, world, "Filters")
    event = database.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).first()
    # Past the ORM (which refuses): straight SQL, as someone with database access would.
    _write(database, text(f"UPDATE audit_event SET why = 'nothing' WHERE id = {event.id}"))
    code, output = check()
    assert code == 1
    assert (
        f"audit trail altered: event #{event.id} ({event.action}) was altered after it was "
        "written: its content no longer matches its hash"
    ) in output
    assert "1 violation in 1 of 9 checks." in output


def test_every_broken_promise_is_listed_with_its_check_and_the_count(database, world, check):
    raise_work_order(database.session, world, "Filters")
    level = _level(database, world)
    _write(
        database,
        update(StockLevel).where(StockLevel.id == level.id).values(on_hand_qty=9),
        text("UPDATE audit_event SET why = 'rewritten'"),
    )
    code, output = check()
    assert code == 1
    assert (
        '1 violation of "Stock on hand equals its movements and never goes below zero" (stock):\n'
        "  - MW-BRG-6205 in MW-MAIN: on hand is 9"
    ) in output
    assert 'violations of "The audit trail is intact" (audit):\n  - audit trail altered' in output
    assert "in 2 of 9 checks." in output


def test_a_check_registered_by_another_feature_runs_with_the_others(database, world, check):
    before = list(invariants.CHECKS)
    invariants.register("always", "A promise kept by nobody", lambda session: ["it broke"])
    try:
        code, output = check()
    finally:
        invariants.CHECKS[:] = before
    assert code == 1
    assert '1 violation of "A promise kept by nobody" (always):\n  - it broke' in output
    assert "1 violation in 1 of 10 checks." in output


def test_an_unknown_check_name_is_refused_in_words(database, check):
    code, output = check("--only", "stocks")
    assert code == 2
    assert "no check named stocks; the checks are stock, reservations, receipts" in output


def test_a_request_left_live_for_cancelled_work_is_named(database, world, check):
    """Cancelling a work order ends its requests; a request still approved for it is named."""
    wo = raise_work_order(database.session, world, "Replace bearing")
    tech = world.user(database.session, "tech")
    line = parts.add_part_line(
        wo, item_id=world.item_ids["MW-BRG-6205"], qty="8", actor=tech, submission_id=once()
    )
    made = requests.mark_part_line_unavailable(line.id, actor=tech, submission_id=once())
    assert check()[0] == 0
    _write(
        database,
        update(WorkOrder).where(WorkOrder.id == wo).values(status="cancelled"),
    )
    numbers = (
        database.session.get(PurchaseRequest, made.purchase_request_id).number,
        database.session.get(WorkOrder, wo).number,
    )
    code, output = check()
    assert code == 1
    assert (
        f"{numbers[0]} (waiting for approval) still asks for money for {numbers[1]}, "
        "which was cancelled"
    ) in output


def test_a_po_line_on_order_for_cancelled_work_and_never_flagged_is_named(database, world, check):
    wo = raise_work_order(database.session, world, "Replace bearing")
    po, [line] = buy_for_work_order(database.session, world, wo, "MW-BRG-6205", "8")
    _write(database, update(WorkOrder).where(WorkOrder.id == wo).values(status="cancelled"))
    code, output = check()
    assert code == 1
    assert "is still on order for" in output and "was never flagged to the buyer" in output
