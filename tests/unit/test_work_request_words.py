"""A tenant's words: what they are told about the work their report became."""

from __future__ import annotations

import pytest

from portal.domain.work_orders import WorkOrderStatus
from portal.domain.work_requests import public_progress, tells_tenant, title_from


@pytest.mark.parametrize(
    "status, label",
    [
        (WorkOrderStatus.requested, "Scheduled"),
        (WorkOrderStatus.approved, "Scheduled"),
        (WorkOrderStatus.assigned, "Scheduled"),
        (WorkOrderStatus.in_progress, "In progress"),
        (WorkOrderStatus.waiting_parts, "In progress"),
        (WorkOrderStatus.completed, "Done"),
        (WorkOrderStatus.closed, "Done"),
        (WorkOrderStatus.cancelled, "Cancelled"),
    ],
)
def test_every_work_order_status_has_a_public_word(status, label):
    assert public_progress(status) == label


def test_work_order_title_is_the_first_line_cut_at_a_word():
    assert title_from("\n  Tap drips  \nsince Monday") == "Tap drips"
    long = "word " * 40
    title = title_from(long)
    assert len(title) <= 120 and title.endswith("word…")


@pytest.mark.parametrize(
    "before, after, told",
    [
        (WorkOrderStatus.in_progress, WorkOrderStatus.completed, True),
        (WorkOrderStatus.assigned, WorkOrderStatus.cancelled, True),
        (WorkOrderStatus.completed, WorkOrderStatus.closed, False),  # still "Done" to them
        (WorkOrderStatus.approved, WorkOrderStatus.assigned, False),
        (WorkOrderStatus.completed, WorkOrderStatus.in_progress, False),
        (None, WorkOrderStatus.completed, True),
    ],
)
def test_the_tenant_hears_only_when_the_work_becomes_done_or_cancelled(before, after, told):
    assert tells_tenant(before, after) is told
