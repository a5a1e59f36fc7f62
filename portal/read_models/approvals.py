"""What approvers read: the approval matrix as the rules see it, the facts about one purchase
request, the PR lists (waiting for me, mine, all) and the home page card.

Reads only, no unit of work. The rules (matrix, separation of duties, budget) are
`domain.approvals`; the budget figures are the budget page's own (`budgets.position`). The
decisions themselves are `services.approvals`, which gathers its facts through `facts()` here so
the page and the decision never judge a PR on different figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Numeric, cast, func, select
from sqlalchemy.orm import Session, load_only

from portal.domain import approvals as rules
from portal.domain.errors import NotFound
from portal.domain.money import money
from portal.domain.statuses import ApprovalDecision, PurchaseRequestStatus
from portal.models import (
    Approval,
    ApprovalRule,
    CostCentre,
    PurchaseRequest,
    PurchaseRequestLine,
    User,
    WorkOrder,
)

# The budget page's figures. Helper "oversight" moves this module to portal.read_models.budgets:
# at merge this import follows it (the read models then import no service at all).
from portal.read_models import budgets
from portal.services._uow import current_session

PAGE_SIZE = 25
# The PR columns a list row shows (the reason and the decision time stay unloaded).
ROW_COLUMNS = (
    PurchaseRequest.number,
    PurchaseRequest.status,
    PurchaseRequest.work_order_id,
    PurchaseRequest.cost_centre_id,
    PurchaseRequest.requested_by_id,
    PurchaseRequest.submitted_at,
)
PENDING_LIMIT = 200  # oldest submitted PRs looked at for one person's queue
LISTS = {"waiting": "Waiting for me", "mine": "Mine", "all": "All"}


# ---------------------------------------------------------------- facts for the rules


def matrix(session: Session | None = None) -> list[rules.Rule]:
    """Every row of the approval matrix as the rules see it (one query)."""
    session = session or current_session()
    return [
        rules.Rule(
            cost_centre_id=row.cost_centre_id,
            min_amount=money(row.min_amount),
            max_amount=money(row.max_amount) if row.max_amount is not None else None,
            role=str(row.role),
            approvals_needed=row.approvals_needed,
            active=row.active,
        )
        for row in session.scalars(select(ApprovalRule).order_by(ApprovalRule.id))
    ]


def decider(user: User) -> rules.Decider:
    """The signed-in person as the rules see them."""
    return rules.Decider(
        user_id=user.id, roles=frozenset(user.roles), budget_authority=bool(user.budget_authority)
    )


def may_ever_approve(user: User) -> bool:
    """True when the user holds a role the active matrix names (others get 403 on decisions)."""
    return bool(rules.approving_roles(matrix()) & set(user.roles))


def _line_amount() -> Any:
    """qty x unit price as exact SQL on both databases."""
    return cast(PurchaseRequestLine.qty, Numeric(28, 6)) * cast(
        PurchaseRequestLine.unit_price, Numeric(28, 6)
    )


def totals(session: Session, pr_ids: list[int]) -> dict[int, Decimal]:
    """PR totals, rounded once to the cent (one grouped query)."""
    if not pr_ids:
        return {}
    rows = session.execute(
        select(PurchaseRequestLine.purchase_request_id, func.sum(_line_amount()))
        .where(PurchaseRequestLine.purchase_request_id.in_(pr_ids))
        .group_by(PurchaseRequestLine.purchase_request_id)
    ).all()
    found = {pr_id: money(Decimal(str(total or 0))) for pr_id, total in rows}
    return {pr_id: found.get(pr_id, money(0)) for pr_id in pr_ids}


def approved_by(session: Session, pr_ids: list[int]) -> dict[int, tuple[int, ...]]:
    """Who approved each PR so far, in order (one query)."""
    found: dict[int, list[int]] = {}
    if pr_ids:
        for pr_id, approver_id in session.execute(
            select(Approval.purchase_request_id, Approval.approver_id)
            .where(
                Approval.purchase_request_id.in_(pr_ids),
                Approval.decision == ApprovalDecision.approved,
            )
            .order_by(Approval.id)
        ):
            found.setdefault(pr_id, []).append(approver_id)
    return {pr_id: tuple(found.get(pr_id, ())) for pr_id in pr_ids}


def as_request(
    pr: Any,
    *,
    total: Decimal,
    centre_code: str,
    requirement: rules.Requirement,
    approved_by: tuple[int, ...],
    over_budget_by: Decimal,
) -> rules.Request:
    """The PR (an object or a row with number, status and requester) as the rules see it."""
    return rules.Request(
        number=pr.number,
        status=PurchaseRequestStatus(pr.status).value,
        total=total,
        requester_id=pr.requested_by_id,
        cost_centre_code=centre_code,
        requirement=requirement,
        approved_by=approved_by,
        over_budget_by=over_budget_by,
    )


@dataclass
class Facts:
    """Everything the rules and the page need about one PR, gathered in one place."""

    pr: PurchaseRequest
    total: Decimal
    centre: CostCentre
    budget: budgets.BudgetPosition
    requirement: rules.Requirement | None
    no_rule: str | None
    approved_by: tuple[int, ...]
    request: rules.Request | None
    rule_rows: list[rules.Rule]

    @property
    def over_budget_by(self) -> Decimal:
        """How far approving would put the cost centre over its budget (0 when it fits)."""
        return self.budget.exceeded_by(self.total)

    def judged(self) -> tuple[rules.Request, rules.Requirement]:
        """The PR as the rules see it and what the matrix asks; NoApprovalRule when none does."""
        if self.request is None or self.requirement is None:
            raise rules.NoApprovalRule(self.no_rule)
        return self.request, self.requirement


def facts(session: Session, pr: PurchaseRequest) -> Facts:
    """Gather the PR's total, matrix requirement, approvals so far and budget position."""
    total = totals(session, [pr.id])[pr.id]
    centre = session.get(CostCentre, pr.cost_centre_id)
    if centre is None:
        raise NotFound(f"Cost centre {pr.cost_centre_id} does not exist.")
    position = budgets.position(pr.cost_centre_id)
    # The PR's approvals (loaded with the page's PR; one query when deciding).
    approvals_so_far = tuple(
        a.approver_id for a in pr.approvals if a.decision is ApprovalDecision.approved
    )
    rule_rows = matrix(session)
    requirement: rules.Requirement | None = None
    no_rule: str | None = None
    try:
        requirement = rules.requirement_for(total, pr.cost_centre_id, rule_rows)
    except rules.NoApprovalRule as err:
        no_rule = str(err)
    request = None
    if requirement is not None:
        request = as_request(
            pr,
            total=total,
            centre_code=centre.code,
            requirement=requirement,
            approved_by=approvals_so_far,
            over_budget_by=position.exceeded_by(total),
        )
    return Facts(
        pr, total, centre, position, requirement, no_rule, approvals_so_far, request, rule_rows
    )


# ---------------------------------------------------------------- the lists


@dataclass
class Row:
    """One PR in a list: number, WO, total, status, the matrix step and who may act."""

    pr: PurchaseRequest
    total: Decimal
    work_order: WorkOrder | None
    requester: User | None
    centre_code: str
    step: str | None = None
    waiting_for: str | None = None


@dataclass
class ListPage:
    """One page of a PR list."""

    rows: list[Row]
    show: str
    page: int = 1
    has_more: bool = False
    waiting_count: int = 0


def _rows(
    session: Session,
    ids: list[int],
    rule_rows: list[rules.Rule],
    known: tuple[dict[int, Decimal], dict[int, tuple[int, ...]]] | None = None,
) -> list[Row]:
    """List rows for these PRs, in this order: totals, approvals, then the PRs with their work
    orders, requesters and centre codes (3 queries).

    `known` is (totals, approved_by) already read for these PRs (the waiting list has them).
    Each part loads only the columns a row shows (a work order row is wide).
    """
    sums, approved = known or (totals(session, ids), approved_by(session, ids))
    found = {
        pr.id: (pr, order, person, code)
        for pr, order, person, code in (
            session.execute(
                select(PurchaseRequest, WorkOrder, User, CostCentre.code)
                .outerjoin(WorkOrder, WorkOrder.id == PurchaseRequest.work_order_id)
                .outerjoin(User, User.id == PurchaseRequest.requested_by_id)
                .outerjoin(CostCentre, CostCentre.id == PurchaseRequest.cost_centre_id)
                .options(
                    load_only(*ROW_COLUMNS),
                    load_only(WorkOrder.number, WorkOrder.title),
                    load_only(User.full_name),
                )
                .where(PurchaseRequest.id.in_(ids))
            )
            if ids
            else ()
        )
    }
    rows = []
    for pr_id in ids:
        pr, order, person, code = found[pr_id]
        row = Row(
            pr=pr, total=sums[pr.id], work_order=order, requester=person, centre_code=code or ""
        )
        if pr.status is PurchaseRequestStatus.submitted:
            try:
                need = rules.requirement_for(row.total, pr.cost_centre_id, rule_rows)
            except rules.NoApprovalRule:
                row.waiting_for = "No approval rule covers this amount"
            else:
                row.step = rules.step_text(len(approved[pr.id]), need.approvals_needed)
                row.waiting_for = need.role.replace("_", " ").capitalize()
        rows.append(row)
    return rows


@dataclass
class _Decidable:
    """The submitted PRs one person may decide now, oldest first, with what their rows need."""

    ids: list[int]
    totals: dict[int, Decimal]
    approved: dict[int, tuple[int, ...]]
    rule_rows: list[rules.Rule]

    def rows(self, session: Session, start: int = 0, stop: int | None = None) -> list[Row]:
        """List rows for ids[start:stop] only, reusing the totals and approvals read already."""
        return _rows(session, self.ids[start:stop], self.rule_rows, (self.totals, self.approved))


def _decidable(session: Session, user: User, *, limit: int | None = None) -> _Decidable:
    """PRs this user may decide now (right role, not theirs, not approved by them), oldest first."""
    rule_rows = matrix(session)
    if not rules.approving_roles(rule_rows) & set(user.roles):
        return _Decidable([], {}, {}, rule_rows)
    # Up to PENDING_LIMIT candidates are judged to show one page: plain rows with what the
    # rules read, not PR objects (rows for the page shown are loaded afterwards).
    candidates = session.execute(
        select(
            PurchaseRequest.id,
            PurchaseRequest.number,
            PurchaseRequest.status,
            PurchaseRequest.cost_centre_id,
            PurchaseRequest.requested_by_id,
        )
        .where(
            PurchaseRequest.status == PurchaseRequestStatus.submitted,
            PurchaseRequest.requested_by_id != user.id,
        )
        .order_by(PurchaseRequest.submitted_at, PurchaseRequest.id)
        .limit(PENDING_LIMIT)
    ).all()
    ids = [pr.id for pr in candidates]
    sums, approved = totals(session, ids), approved_by(session, ids)
    me = decider(user)
    mine = []
    for pr in candidates:
        try:
            need = rules.requirement_for(sums[pr.id], pr.cost_centre_id, rule_rows)
        except rules.NoApprovalRule:
            continue
        request = as_request(
            pr,
            total=sums[pr.id],
            centre_code="",
            requirement=need,
            approved_by=approved[pr.id],
            over_budget_by=money(0),
        )
        if rules.may_decide(request, me):
            mine.append(pr.id)
        if limit is not None and len(mine) >= limit:
            break
    return _Decidable(mine, sums, approved, rule_rows)


def pending_for(user: User, *, limit: int | None = None) -> list[Row]:
    """PRs this user may decide now (right role, not theirs, not approved by them), oldest first."""
    session = current_session()
    return _decidable(session, user, limit=limit).rows(session)


@dataclass
class WaitingCard:
    """The home page card: how many PRs wait for this person, and the oldest."""

    count: int
    oldest: Row | None


def waiting_card(user: User) -> WaitingCard | None:
    """'N purchase requests waiting for you' and the oldest; None for those who never approve."""
    if not may_ever_approve(user):
        return None
    session = current_session()
    waiting = _decidable(session, user)
    oldest = waiting.rows(session, 0, 1)
    return WaitingCard(count=len(waiting.ids), oldest=oldest[0] if oldest else None)


def list_requests(
    user: User, *, show: str = "waiting", status: str | None = None, page: int = 1
) -> ListPage:
    """One page of PRs: waiting for me, mine (raised by me) or all; newest first, by status."""
    show = show if show in LISTS else "waiting"
    page = max(1, page or 1)
    session = current_session()
    if show == "waiting":
        waiting = _decidable(session, user)
        start = (page - 1) * PAGE_SIZE
        return ListPage(
            waiting.rows(session, start, start + PAGE_SIZE),
            show,
            page,
            has_more=len(waiting.ids) > start + PAGE_SIZE,
            waiting_count=len(waiting.ids),
        )
    stmt = select(PurchaseRequest.id).order_by(PurchaseRequest.id.desc())
    if show == "mine":
        stmt = stmt.where(PurchaseRequest.requested_by_id == user.id)
    if status is not None and status in PurchaseRequestStatus.__members__:
        stmt = stmt.where(PurchaseRequest.status == PurchaseRequestStatus(status))
    ids = list(session.scalars(stmt.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)))
    return ListPage(
        _rows(session, ids[:PAGE_SIZE], matrix(session)),
        show,
        page,
        has_more=len(ids) > PAGE_SIZE,
    )
