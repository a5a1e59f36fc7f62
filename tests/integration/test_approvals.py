"""Purchase request approval through the web: the matrix, SoD, budget authority, one decision."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.domain.statuses import ApprovalDecision, ItemKind, PartLineStatus, PurchaseRequestStatus
from portal.domain.work_orders import WorkOrderStatus
from portal.models import (
    Approval,
    AuditEvent,
    PartLine,
    PurchaseRequest,
    WorkOrder,
    WorkOrderComment,
)
from portal.read_models import approvals
from portal.services import parts, purchase_requests
from tests.factories import (
    make_approval_matrix,
    make_approval_rule,
    make_cost_centre,
    make_item,
    make_purchase_request,
    make_user,
    make_vendor,
    make_work_order,
)

D = Decimal
HX = {"HX-Request": "true"}


@dataclass
class People:
    """Who raises and who decides."""

    tech: object
    supervisor: object
    approver: object
    approver_2: object
    boss: object  # approver with budget authority
    buyer: object


@pytest.fixture
def people(database):
    make_approval_matrix(database)
    return People(
        tech=make_user(database, roles=["technician"], full_name="Tomás Rivera"),
        supervisor=make_user(database, roles=["supervisor"], full_name="Sam Okafor"),
        approver=make_user(database, roles=["approver"], full_name="Arjun Mehta"),
        approver_2=make_user(database, roles=["approver"], full_name="Grace Adeyemi"),
        boss=make_user(database, roles=["approver"], full_name="Fin Boss", budget_authority=True),
        buyer=make_user(database, roles=["buyer"]),
    )


def raise_pr(database, requester, *, price: str, qty: str = "1", budget: str = "100000.00"):
    """A PR raised the way technicians raise them: a part line marked unavailable on a WO."""
    centre = make_cost_centre(database, budget=budget, code=f"CC-{uuid.uuid4().hex[:6]}")
    wo = make_work_order(
        database,
        title="Pump seal leaking",
        status=WorkOrderStatus.in_progress,
        cost_centre_id=centre.id,
        assignee=requester,
    )
    item = make_item(database, kind=ItemKind.non_stock, standard_cost=D(price))
    added = parts.add_part_line(
        wo.id, item_id=item.id, qty=qty, actor=requester, submission_id=uuid.uuid4().hex
    )
    made = purchase_requests.mark_part_line_unavailable(added.id, actor=requester)
    pr = database.session.get(PurchaseRequest, made.purchase_request_id)
    return pr, wo, added.id


def approve(client, pr, *, reason="", submission_id=None, headers=None):
    return client.post(
        f"/purchase-requests/{pr.id}/approve",
        data={"approve-reason": reason, "approve-submission_id": submission_id or uuid.uuid4().hex},
        headers=headers or {},
    )


def reject(client, pr, *, reason="", submission_id=None):
    return client.post(
        f"/purchase-requests/{pr.id}/reject",
        data={"reject-reason": reason, "reject-submission_id": submission_id or uuid.uuid4().hex},
    )


def fresh(database, pr) -> PurchaseRequest:
    database.session.expire_all()
    return database.session.get(PurchaseRequest, pr.id)


def audit_actions(database, pr) -> list[str]:
    return list(
        database.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.subject_type == "PurchaseRequest", AuditEvent.subject_id == pr.id)
            .order_by(AuditEvent.id)
        )
    )


def test_a_supervisor_approves_under_500_and_the_work_order_hears_it(database, login_as, people):
    pr, wo, _line = raise_pr(database, people.tech, price="500.00")
    client = login_as(people.supervisor)
    page = client.get(f"/purchase-requests/{pr.id}")
    assert "Approve 500.00" in page.text and "0 of 1 approval" in page.text

    answer = approve(client, pr)
    assert answer.status_code == 303 and answer.location.endswith(f"/purchase-requests/{pr.id}")
    pr = fresh(database, pr)
    assert pr.status is PurchaseRequestStatus.approved and pr.decided_at is not None
    assert audit_actions(database, pr) == ["purchase_request.raised", "purchase_request.approved"]
    event = database.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "purchase_request.approved")
    )
    assert event.actor_id == people.supervisor.id
    assert event.changes["status"] == ["submitted", "approved"]
    assert event.changes["over_budget"] is False and event.why

    wo_page = login_as(people.tech).get(f"/work-orders/{wo.id}")
    assert f"Approved {pr.number} (500.00)." in wo_page.text
    assert "Sam Okafor" in wo_page.text
    assert 'pr-status-approved">Approved<' in wo_page.text


def test_the_requester_is_refused_with_the_reason_in_words(database, login_as, people):
    both = make_user(database, roles=["technician", "supervisor"])
    pr, _wo, _line = raise_pr(database, both, price="120.00")
    page = login_as(both).get(f"/purchase-requests/{pr.id}")
    assert f"You raised {pr.number}: someone else must decide on it" in page.text
    assert "Approve 120.00" not in page.text and "Reject…" not in page.text
    answer = approve(login_as(both), pr)
    assert answer.status_code == 422
    assert f"You raised {pr.number}: someone else must decide on it" in answer.text
    assert fresh(database, pr).status is PurchaseRequestStatus.submitted
    assert database.session.scalar(select(func.count(Approval.id))) == 0
    # ...and it is not in their queue, but it is in another supervisor's.
    assert pr.number not in login_as(both).get("/purchase-requests/").text
    assert pr.number in login_as(people.supervisor).get("/purchase-requests/").text


@pytest.mark.parametrize("who", ["buyer", "tech"])
def test_roles_that_never_approve_get_403(database, login_as, people, who):
    pr, _wo, _line = raise_pr(database, people.supervisor, price="120.00")
    user = getattr(people, who)
    assert approve(login_as(user), pr).status_code == 403
    assert reject(login_as(user), pr, reason="no").status_code == 403
    assert fresh(database, pr).status is PurchaseRequestStatus.submitted


def test_a_supervisor_may_not_approve_above_500_and_is_told_who_may(database, login_as, people):
    pr, _wo, _line = raise_pr(database, people.tech, price="500.01")
    answer = approve(login_as(people.supervisor), pr)
    assert answer.status_code == 422
    assert f"{pr.number} is 500.01: it needs someone with the approver role" in answer.text
    assert approve(login_as(people.approver), pr).status_code == 303
    assert fresh(database, pr).status is PurchaseRequestStatus.approved


def test_above_5000_the_second_distinct_approver_completes_it(database, login_as, people):
    pr, _wo, _line = raise_pr(database, people.tech, price="2600.00", qty="2")  # 5,200.00
    first = approve(login_as(people.approver), pr, headers=HX)
    assert first.status_code == 200 and "<html" not in first.text
    assert "1 of 2 approvals" in first.text
    assert fresh(database, pr).status is PurchaseRequestStatus.submitted

    again = approve(login_as(people.approver), pr)
    assert again.status_code == 422
    needs_two = f"{pr.number} is 5,200.00: it needs two approvers with the approver role"
    assert f"{needs_two}; you were the first" in again.text
    assert pr.number not in login_as(people.approver).get("/purchase-requests/").text

    assert approve(login_as(people.approver_2), pr).status_code == 303
    pr = fresh(database, pr)
    assert pr.status is PurchaseRequestStatus.approved
    assert [a.approver_id for a in pr.approvals] == [people.approver.id, people.approver_2.id]
    assert audit_actions(database, pr)[1:] == [
        "purchase_request.approval_added",
        "purchase_request.approved",
    ]


def test_over_budget_needs_budget_authority_and_a_reason(database, login_as, people):
    pr, _wo, _line = raise_pr(database, people.tech, price="1240.00", budget="1000.00")
    page = login_as(people.approver).get(f"/purchase-requests/{pr.id}")
    assert "only an approver with budget authority may approve it" in page.text
    assert "Approve 1,240.00" not in page.text  # no button for who may not use it
    refused = approve(login_as(people.approver), pr, reason="Line is down")
    assert refused.status_code == 422
    code = database.session.get(type(pr), pr.id).cost_centre_id
    assert "over its budget: only an approver with budget authority may approve it" in refused.text
    assert "240.00 over its budget" in refused.text

    no_reason = approve(login_as(people.boss), pr, reason="  ")
    assert no_reason.status_code == 422
    assert "write why it should be approved all the same" in no_reason.text

    assert approve(login_as(people.boss), pr, reason="Line 2 is down").status_code == 303
    pr = fresh(database, pr)
    assert pr.status is PurchaseRequestStatus.approved and code
    (decision,) = pr.approvals
    assert decision.over_budget and decision.reason == "Line 2 is down"
    event = database.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "purchase_request.approved")
    )
    assert event.changes["over_budget"] is True
    assert event.changes["over_budget_by"] == "240.00"
    assert event.why == "Line 2 is down"


def test_a_double_tap_approves_once(database, login_as, people):
    pr, wo, _line = raise_pr(database, people.tech, price="6000.00")
    client = login_as(people.approver)
    token = uuid.uuid4().hex
    assert approve(client, pr, submission_id=token).status_code == 303
    assert approve(client, pr, submission_id=token).status_code == 303  # the retry, not an error
    assert database.session.scalar(select(func.count(Approval.id))) == 1
    assert audit_actions(database, pr).count("purchase_request.approval_added") == 1
    comments = database.session.scalar(
        select(func.count(WorkOrderComment.id)).where(WorkOrderComment.work_order_id == wo.id)
    )
    assert comments == 1


def test_a_rejection_says_why_and_the_part_is_needed_again(database, login_as, people):
    pr, wo, line_id = raise_pr(database, people.tech, price="80.00", qty="2")
    assert database.session.get(WorkOrder, wo.id).status is WorkOrderStatus.waiting_parts
    client = login_as(people.supervisor)
    empty = reject(client, pr, reason="")
    assert empty.status_code == 422 and "Say why it is rejected" in empty.text
    assert fresh(database, pr).status is PurchaseRequestStatus.submitted

    assert reject(client, pr, reason="Use the spare seal kit in the cage").status_code == 303
    pr = fresh(database, pr)
    assert pr.status is PurchaseRequestStatus.rejected and pr.decided_at is not None
    (decision,) = pr.approvals
    assert decision.decision is ApprovalDecision.rejected
    line = database.session.get(PartLine, line_id)
    assert line.requested_qty == D("0") and line.status is PartLineStatus.needed
    assert database.session.get(WorkOrder, wo.id).status is WorkOrderStatus.in_progress
    event = database.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "purchase_request.rejected")
    )
    assert event.why == "Use the spare seal kit in the cage"
    assert event.changes["part_lines"][0]["requested_qty"] == ["2.000", "0.000"]

    wo_page = login_as(people.tech).get(f"/work-orders/{wo.id}")
    assert "Use the spare seal kit in the cage" in wo_page.text
    assert 'pr-status-rejected">Rejected<' in wo_page.text
    assert "Mark unavailable" in wo_page.text  # the technician can ask again
    again = purchase_requests.mark_part_line_unavailable(line_id, actor=people.tech)
    assert again.purchase_request_id != pr.id


def test_a_decided_request_takes_no_more_decisions(database, login_as, people):
    pr, _wo, _line = raise_pr(database, people.tech, price="50.00")
    assert approve(login_as(people.supervisor), pr).status_code == 303
    other = make_user(database, roles=["supervisor"])
    late = reject(login_as(other), pr, reason="Too late")
    assert late.status_code == 422
    assert f"{pr.number} is approved: it is no longer waiting for a decision" in late.text
    assert fresh(database, pr).status is PurchaseRequestStatus.approved


def test_a_cost_centre_rule_beats_the_global_matrix(database, login_as, people):
    pr, _wo, _line = raise_pr(database, people.tech, price="200.00")
    make_approval_rule(
        database,
        min_amount="0.00",
        max_amount="1000.00",
        role="approver",
        cost_centre_id=pr.cost_centre_id,
    )
    assert approve(login_as(people.supervisor), pr).status_code == 422
    assert approve(login_as(people.approver), pr).status_code == 303


def test_the_queue_tabs_refresh_only_the_list(database, login_as, people):
    mine, _wo, _line = raise_pr(database, people.supervisor, price="90.00")
    theirs, _wo2, _line2 = raise_pr(database, people.tech, price="95.00")
    client = login_as(people.supervisor)
    waiting = client.get("/purchase-requests/")
    assert theirs.number in waiting.text and mine.number not in waiting.text
    assert "1 waiting" in waiting.text
    tab = client.get("/purchase-requests/?show=mine", headers=HX)
    assert "<html" not in tab.text and mine.number in tab.text and theirs.number not in tab.text
    approved = client.get("/purchase-requests/?show=all&status=approved")
    assert "No purchase requests here." in approved.text


def test_the_home_card_counts_what_waits_and_names_the_oldest(database, login_as, people):
    first, _wo, _l = raise_pr(database, people.tech, price="40.00")
    raise_pr(database, people.tech, price="45.00")
    home = login_as(people.supervisor).get("/")
    assert "2 purchase requests waiting for you" in home.text
    assert "Oldest: " in home.text and first.number in home.text
    assert "waiting for you" not in login_as(people.tech).get("/").text
    assert approvals.waiting_card(people.buyer) is None


def test_the_pr_page_shows_vendor_warnings_and_the_budget(database, login_as, people):
    pr, _wo, _line = raise_pr(database, people.tech, price="300.00", budget="2000.00")
    page = login_as(people.supervisor).get(f"/purchase-requests/{pr.id}")
    assert page.status_code == 200
    for figure in ("Budget", "2,000.00", "Committed", "Remaining", "+ 300.00", "1,700.00"):
        assert figure in page.text
    assert "Someone with the supervisor role" in page.text


def test_the_queue_page_costs_a_fixed_number_of_queries(
    database, login_as, people, count_statements
):
    raise_pr(database, people.tech, price="10.00")
    client = login_as(people.supervisor)
    client.get("/purchase-requests/?show=all")  # same starting point: signed-in user loaded once
    few = count_statements(lambda: client.get("/purchase-requests/?show=all"))
    for price in ("11.00", "12.00", "13.00"):
        raise_pr(database, people.tech, price=price)
    client.get("/purchase-requests/?show=all")
    many = count_statements(lambda: client.get("/purchase-requests/?show=all"))
    assert many == few


def test_an_admin_grants_budget_authority_on_the_users_page(database, login_as, people):
    admin = make_user(database, roles=["admin"])
    client = login_as(admin)
    page = client.get("/admin/users")
    assert 'Grant<span class="visually-hidden"> budget authority for Arjun Mehta' in page.text
    answer = client.post(f"/admin/users/{people.approver.id}/budget-authority", data={"grant": "1"})
    assert answer.status_code == 303
    database.session.expire_all()
    assert database.session.get(type(people.approver), people.approver.id).budget_authority
    event = database.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "user.budget_authority_changed")
    )
    assert event.actor_id == admin.id and event.changes == {"budget_authority": [False, True]}

    # ...and now the over-budget PR is theirs to approve, with a reason.
    pr, _wo, _line = raise_pr(database, people.tech, price="1240.00", budget="1000.00")
    assert approve(login_as(people.approver), pr, reason="Line down").status_code == 303

    client = login_as(admin)  # the test client is one browser: sign the admin back in
    assert (
        client.post(f"/admin/users/{admin.id}/budget-authority", data={"grant": "1"}).status_code
        == 303
    )
    database.session.expire_all()
    assert not database.session.get(type(admin), admin.id).budget_authority  # not for oneself
    assert (
        login_as(people.supervisor)
        .post(f"/admin/users/{people.approver.id}/budget-authority", data={"grant": "0"})
        .status_code
        == 403
    )


def test_the_users_page_offers_budget_authority_to_whoever_may_approve_but_never_to_oneself(
    database, login_as, people
):
    admin = make_user(database, roles=["admin"], full_name="Ada Self")
    make_user(database, roles=["admin"], full_name="Other Admin")  # admins approve requests too
    page = login_as(admin).get("/admin/users").text
    assert 'Grant<span class="visually-hidden"> budget authority for Other Admin' in page
    assert "budget authority for Ada Self" not in page  # the service refuses one's own
    assert "(another administrator changes it)" in page
    assert "budget authority for Tomás Rivera" not in page  # a technician approves nothing


def test_pr_page_and_waiting_list_do_not_grow_with_lines_or_requests(
    database, people, login_as, count_statements
):
    """Sourcing checks, budget and rows are a fixed number of statements (HOUSE_STYLE §11)."""
    vendor = make_vendor(database)
    centre = make_cost_centre(database)

    def lines(n):
        return [
            {
                "qty": "1",
                "unit_price": "10.00",
                "item_id": make_item(database, category=f"cat-{i % 2}").id,
                "suggested_vendor_id": vendor.id,
            }
            for i in range(n)
        ]

    one = make_purchase_request(database, requester=people.tech, cost_centre=centre, lines=lines(1))
    five = make_purchase_request(
        database, requester=people.tech, cost_centre=centre, lines=lines(5)
    )
    client = login_as(people.supervisor)

    def statements(url):
        client.get(url)  # requests share the test's session: count a warm second look
        return count_statements(lambda: client.get(url))

    assert statements(f"/purchase-requests/{one.id}") == statements(f"/purchase-requests/{five.id}")
    few = statements("/purchase-requests/?show=waiting")
    for _ in range(10):
        make_purchase_request(database, requester=people.tech, cost_centre=centre)
    assert statements("/purchase-requests/?show=waiting") == few
