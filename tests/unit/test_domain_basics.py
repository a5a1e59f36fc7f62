"""Pure rules: money, numbering, roles, work order moves, safe redirects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from portal.domain.errors import InvalidTransition
from portal.domain.money import format_money, format_qty, line_total, money
from portal.domain.numbering import Sequence, counter_key, format_number
from portal.domain.roles import Role, allows, parse_roles
from portal.domain.work_orders import (
    Priority,
    WorkOrderStatus,
    allowed_moves,
    check_move,
    due_at,
)
from portal.security import safe_next


def test_discount_is_applied_before_rounding():
    assert line_total(Decimal("3"), Decimal("0.335"), Decimal("10")) == Decimal("0.90")


def test_money_rounds_half_up_and_refuses_floats():
    assert money("2.345") == Decimal("2.35") and money("-2.345") == Decimal("-2.35")
    with pytest.raises(TypeError):
        money(0.1)


def test_amounts_and_quantities_read_well_on_a_page():
    assert format_money(Decimal("12345.5"), "USD") == "USD 12,345.50"
    assert format_qty(Decimal("3.500")) == "3.5" and format_qty(Decimal("4.000")) == "4"


def test_document_numbers_have_the_glossary_format():
    assert format_number(Sequence.work_order, 123) == "WO-000123"
    assert format_number(Sequence.purchase_order, 7, 2026) == "PO-2026-000007"
    assert counter_key(Sequence.purchase_order, 2026) == "PO-2026"
    assert counter_key(Sequence.work_order, 2026) == "WO"
    with pytest.raises(ValueError):
        format_number(Sequence.purchase_order, 7)


def test_roles_parse_from_a_list_and_admin_may_do_everything():
    assert parse_roles("buyer, Approver,buyer") == [Role.buyer, Role.approver]
    with pytest.raises(ValueError, match="wizard"):
        parse_roles("buyer,wizard")
    assert allows({"admin"}, ("buyer",)) and allows({"buyer"}, ("buyer", "approver"))
    assert not allows({"technician"}, ("buyer",))


def test_work_order_moves_follow_the_glossary():
    assert check_move(WorkOrderStatus.in_progress, WorkOrderStatus.waiting_parts) is None
    assert WorkOrderStatus.in_progress in allowed_moves(WorkOrderStatus.waiting_parts)
    with pytest.raises(InvalidTransition, match="closed cannot become in progress"):
        check_move(WorkOrderStatus.closed, WorkOrderStatus.in_progress)
    for open_status in ("requested", "approved", "assigned", "in_progress", "waiting_parts"):
        assert WorkOrderStatus.cancelled in allowed_moves(WorkOrderStatus(open_status))


def test_priority_sets_the_due_date():
    raised = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    assert due_at(Priority.emergency, raised) == raised + timedelta(hours=4)
    assert due_at(Priority.low, raised) == raised + timedelta(days=30)


@pytest.mark.parametrize(
    "target, safe",
    [
        ("/work-orders/12", True),
        ("/?q=a", True),
        ("//evil.example", False),
        ("/\\evil.example", False),
        ("https://evil.example", False),
        ("evil", False),
        ("", False),
        ("/ok\nLocation: x", False),
    ],
)
def test_only_local_paths_are_followed_after_sign_in(target, safe):
    assert (safe_next(target) == target) is safe
