"""Approving and rejecting purchase requests, and what approvers and requesters read about them.

Each decision is one transaction: the PR row is locked first, so two approvers tapping at once are
taken one after the other and the second sees the first's approval. The rules (matrix, separation
of duties, budget) are `domain.approvals`; the budget figures are `services.budgets.position`,
the same ones the budget page shows. The work order hears the outcome as a comment from the
approver, and its parts panel shows the PR's status.

On rejection the PR's part lines go back to needing action: their requested quantity drops by
what the PR asked for, so the technician sees "Needed" again with Reserve (if stock turned up)
or Mark unavailable (to ask again, on a new PR) offered. A work order waiting for parts with
nothing else requested or on order moves back to in progress, with the reason, so it does not
sit waiting for parts nobody is buying.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Numeric, cast, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, load_only, selectinload

from portal.domain import approvals as rules
from portal.domain import policy as policy_rules
from portal.domain.errors import DomainError, NotFound
from portal.domain.money import format_money, money, quantity
from portal.domain.sourcing import BlockedVendor
from portal.domain.statuses import ApprovalDecision, PurchaseRequestStatus
from portal.domain.work_orders import WorkOrderStatus
from portal.extensions import db
from portal.models import (
    Approval,
    ApprovalRule,
    CostCentre,
    PartLine,
    PurchaseRequest,
    PurchaseRequestLine,
    User,
    WorkOrder,
    WorkOrderComment,
)
from portal.models.base import utcnow
from portal.services import audit, budgets, sourcing
from portal.services._uow import earlier_submission, locked, unit_of_work
from portal.services.parts import restatus
from portal.services.work_orders import move_work_order

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
# PR states that still bring parts to the work order.
BRINGING_PARTS = (
    PurchaseRequestStatus.submitted,
    PurchaseRequestStatus.approved,
    PurchaseRequestStatus.ordered,
)
LISTS = {"waiting": "Waiting for me", "mine": "Mine", "all": "All"}


# ---------------------------------------------------------------- facts for the rules


def matrix(session: Session | None = None) -> list[rules.Rule]:
    """Every row of the approval matrix as the rules see it (one query)."""
    session = session or db.session
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


def _line_amount():
    """qty x unit price as exact SQL on both databases."""
    return cast(PurchaseRequestLine.qty, Numeric(28, 6)) * cast(
        PurchaseRequestLine.unit_price, Numeric(28, 6)
    )


def _totals(session: Session, pr_ids: list[int]) -> dict[int, Decimal]:
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


def _approved_by(session: Session, pr_ids: list[int]) -> dict[int, tuple[int, ...]]:
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


def _as_request(
    pr: PurchaseRequest,
    *,
    total: Decimal,
    centre_code: str,
    requirement: rules.Requirement,
    approved_by: tuple[int, ...],
    over_budget_by: Decimal,
) -> rules.Request:
    """The PR as the rules see it."""
    return rules.Request(
        number=pr.number,
        status=pr.status.value,
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


def _facts(session: Session, pr: PurchaseRequest) -> Facts:
    """Gather the PR's total, matrix requirement, approvals so far and budget position."""
    total = _totals(session, [pr.id])[pr.id]
    centre = session.get(CostCentre, pr.cost_centre_id)
    position = budgets.position(pr.cost_centre_id)
    # The PR's approvals (loaded with the page's PR; one query when deciding).
    approved_by = tuple(
        a.approver_id for a in pr.approvals if a.decision is ApprovalDecision.approved
    )
    rule_rows = matrix(session)
    try:
        requirement, no_rule = (
            rules.requirement_for(total, pr.cost_centre_id, rule_rows),
            None,
        )
    except rules.NoApprovalRule as err:
        requirement, no_rule = None, str(err)
    request = None
    if requirement is not None:
        request = _as_request(
            pr,
            total=total,
            centre_code=centre.code,
            requirement=requirement,
            approved_by=approved_by,
            over_budget_by=position.exceeded_by(total),
        )
    return Facts(pr, total, centre, position, requirement, no_rule, approved_by, request, rule_rows)


# ---------------------------------------------------------------- decisions


@dataclass(frozen=True)
class Decision:
    """What a decision did, in words for the person who took it (plain values)."""

    pr_id: int
    number: str
    status: str
    message: str
    work_order_id: int | None


def _locked_request(session: Session, pr_id: int) -> PurchaseRequest:
    """The PR, locked for the rest of the transaction."""
    return locked(
        session, PurchaseRequest, pr_id, missing=f"Purchase request {pr_id} does not exist."
    )


def _clean(reason: str | None) -> str | None:
    """The reason as stored: trimmed, at most 1,000 characters, None when empty."""
    return (reason or "").strip()[:1000] or None


def _repeat(session: Session, submission_id: str | None) -> Decision | None:
    """The answer to a decision already taken with this form (a double tap or a retry)."""
    earlier = earlier_submission(session, Approval, submission_id)
    if earlier is None:
        return None
    pr = session.get(PurchaseRequest, earlier.purchase_request_id)
    verb = "approved" if earlier.decision is ApprovalDecision.approved else "rejected"
    return Decision(
        pr.id, pr.number, pr.status.value, f"You already {verb} {pr.number}.", pr.work_order_id
    )


def _comment(session: Session, pr: PurchaseRequest, *, author: User, body: str) -> None:
    """Tell the work order (and so its requester and technician) what was decided."""
    if pr.work_order_id is None:
        return
    session.add(WorkOrderComment(work_order_id=pr.work_order_id, author_id=author.id, body=body))


def _decide(pr_id: int, submission_id: str | None, decide) -> Decision:
    """Run one decision in its own transaction; a race on the same form ends in one row."""
    try:
        with unit_of_work() as session:
            repeated = _repeat(session, submission_id)
            if repeated is not None:
                return repeated
            return decide(session, _locked_request(session, pr_id))
    except IntegrityError:
        # Two posts of one form raced past the check above: the first one won.
        repeated = _repeat(db.session, submission_id)
        if repeated is None:
            raise
        return repeated


def approve_purchase_request(
    pr_id: int, *, approver: User, reason: str | None = None, submission_id: str | None = None
) -> Decision:
    """Record one approval; with enough distinct approvals the PR is approved (one transaction)."""
    return _decide(
        pr_id,
        submission_id,
        lambda session, pr: record_approval(
            session, pr, approver=approver, reason=reason, submission_id=submission_id
        ),
    )


def reject_purchase_request(
    pr_id: int, *, approver: User, reason: str, submission_id: str | None = None
) -> Decision:
    """Reject the PR with a reason; its part lines go back to needing action (one transaction)."""
    return _decide(
        pr_id,
        submission_id,
        lambda session, pr: record_rejection(
            session, pr, approver=approver, reason=reason, submission_id=submission_id
        ),
    )


def record_approval(
    session: Session,
    pr: PurchaseRequest,
    *,
    approver: User,
    reason: str | None = None,
    submission_id: str | None = None,
) -> Decision:
    """Approve inside the caller's transaction (PR locked by the caller), audited, WO told."""
    reason = _clean(reason)
    facts = _facts(session, pr)
    if facts.request is None:
        raise rules.NoApprovalRule(facts.no_rule)
    step = rules.check_approval(facts.request, decider(approver), reason)
    now = utcnow()
    session.add(
        Approval(
            purchase_request_id=pr.id,
            approver_id=approver.id,
            decision=ApprovalDecision.approved,
            reason=reason,
            over_budget=step.over_budget,
            decided_at=now,
            submission_id=submission_id,
        )
    )
    before = pr.status
    if step.complete:
        pr.status = PurchaseRequestStatus.approved
        pr.decided_at = now
    progress = rules.step_text(step.approvals, step.needed)
    audit.record(
        session,
        actor=approver,
        action="purchase_request.approved" if step.complete else "purchase_request.approval_added",
        subject=pr,
        changes={
            "status": [before, pr.status],
            "approvals": progress,
            "total": facts.total,
            "role": facts.requirement.role,
            "over_budget": step.over_budget,
            "over_budget_by": facts.over_budget_by,
            "budget_remaining": facts.budget.remaining,
        },
        why=reason
        or f"{format_money(facts.total)} within the {facts.requirement.role}'s approval band",
    )
    if step.complete:
        said = f"Approved {pr.number} ({format_money(facts.total)})."
        message = f"{pr.number} approved: the buyer can order it."
    else:
        said = (
            f"Approved {pr.number} ({format_money(facts.total)}): {progress}, "
            "waiting for the next approver."
        )
        message = f"Your approval is recorded: {progress} for {pr.number}."
    if step.over_budget:
        said += f" Over the {facts.centre.code} budget by {format_money(facts.over_budget_by)}."
    if reason:
        said += f" Reason: {reason}"
    _comment(session, pr, author=approver, body=said)
    return Decision(pr.id, pr.number, pr.status.value, message, pr.work_order_id)


def record_rejection(
    session: Session,
    pr: PurchaseRequest,
    *,
    approver: User,
    reason: str | None,
    submission_id: str | None = None,
) -> Decision:
    """Reject inside the caller's transaction (PR locked by the caller), audited, WO told."""
    reason = _clean(reason)
    facts = _facts(session, pr)
    if facts.request is None:
        raise rules.NoApprovalRule(facts.no_rule)
    rules.check_rejection(facts.request, decider(approver), reason)
    now = utcnow()
    session.add(
        Approval(
            purchase_request_id=pr.id,
            approver_id=approver.id,
            decision=ApprovalDecision.rejected,
            reason=reason,
            over_budget=facts.request.over_budget,
            decided_at=now,
            submission_id=submission_id,
        )
    )
    before = pr.status
    pr.status = PurchaseRequestStatus.rejected
    pr.decided_at = now
    released = _give_back_part_lines(session, pr)
    audit.record(
        session,
        actor=approver,
        action="purchase_request.rejected",
        subject=pr,
        changes={
            "status": [before, pr.status],
            "total": facts.total,
            "over_budget": facts.request.over_budget,
            "over_budget_by": facts.over_budget_by,
            "part_lines": released,
        },
        why=reason,
    )
    _comment(
        session,
        pr,
        author=approver,
        body=f"Rejected {pr.number} ({format_money(facts.total)}): {reason} "
        "The parts are needed again: reserve them if stock turned up, or request them anew.",
    )
    _unwait_work_order(session, pr, approver=approver, reason=reason)
    return Decision(
        pr.id,
        pr.number,
        pr.status.value,
        f"{pr.number} rejected; the requester sees why on the work order.",
        pr.work_order_id,
    )


def _give_back_part_lines(session: Session, pr: PurchaseRequest) -> list[dict]:
    """Take the PR's quantities off its part lines' requested quantity (lines locked, id order)."""
    asked: dict[int, Decimal] = {}
    for part_line_id, qty in session.execute(
        select(PurchaseRequestLine.part_line_id, PurchaseRequestLine.qty).where(
            PurchaseRequestLine.purchase_request_id == pr.id,
            PurchaseRequestLine.part_line_id.is_not(None),
        )
    ):
        asked[part_line_id] = quantity(asked.get(part_line_id, Decimal(0)) + qty)
    changed = []
    for part_line_id in sorted(asked):
        try:
            line = locked(session, PartLine, part_line_id)
        except NotFound:
            continue
        before = line.requested_qty
        line.requested_qty = max(quantity(before - asked[part_line_id]), quantity(0))
        restatus(line)
        changed.append(
            {
                "part_line_id": line.id,
                "requested_qty": [before, line.requested_qty],
                "status": line.status,
            }
        )
    return changed


def _unwait_work_order(
    session: Session, pr: PurchaseRequest, *, approver: User, reason: str
) -> None:
    """A WO waiting for parts that nothing else brings goes back to in progress."""
    if pr.work_order_id is None:
        return
    wo = locked(session, WorkOrder, pr.work_order_id)
    if wo.status is not WorkOrderStatus.waiting_parts:
        return
    others = session.scalar(
        select(func.count(PurchaseRequest.id)).where(
            PurchaseRequest.work_order_id == wo.id,
            PurchaseRequest.id != pr.id,
            PurchaseRequest.status.in_(BRINGING_PARTS),
        )
    )
    if others:
        return
    move_work_order(
        session,
        wo,
        WorkOrderStatus.in_progress,
        actor=approver,
        reason=f"{pr.number} rejected: {reason}"[:1000],
    )


def set_budget_authority(user_id: int, *, granted: bool, actor: User) -> User:
    """Grant or withdraw budget authority (approving PRs that go over budget), audited."""
    with unit_of_work() as session:
        user = locked(session, User, user_id, missing=f"User {user_id} does not exist.")
        if user.id == actor.id:
            raise rules.SeparationOfDuties(
                "Nobody changes their own budget authority: ask another administrator."
            )
        before = bool(user.budget_authority)
        if before != granted:
            user.budget_authority = granted
            audit.record(
                session,
                actor=actor,
                action="user.budget_authority_changed",
                subject=user,
                subject_label=user.username,
                changes={"budget_authority": [before, granted]},
                why="Changed on the users page",
            )
    return user


# ---------------------------------------------------------------- reads for pages


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

    @property
    def status_label(self) -> str:
        """The status in words."""
        return rules.status_label(self.pr.status)


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
    totals, approved = known or (_totals(session, ids), _approved_by(session, ids))
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
            pr=pr,
            total=totals[pr.id],
            work_order=order,
            requester=person,
            centre_code=code or "",
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
    totals, approved = _totals(session, ids), _approved_by(session, ids)
    me = decider(user)
    mine = []
    for pr in candidates:
        try:
            need = rules.requirement_for(totals[pr.id], pr.cost_centre_id, rule_rows)
        except rules.NoApprovalRule:
            continue
        request = _as_request(
            pr,
            total=totals[pr.id],
            centre_code="",
            requirement=need,
            approved_by=approved[pr.id],
            over_budget_by=money(0),
        )
        if rules.may_decide(request, me):
            mine.append(pr.id)
        if limit is not None and len(mine) >= limit:
            break
    return _Decidable(mine, totals, approved, rule_rows)


def pending_for(user: User, *, limit: int | None = None) -> list[Row]:
    """PRs this user may decide now (right role, not theirs, not approved by them), oldest first."""
    return _decidable(db.session, user, limit=limit).rows(db.session)


@dataclass
class WaitingCard:
    """The home page card: how many PRs wait for this person, and the oldest."""

    count: int
    oldest: Row | None


def waiting_card(user: User) -> WaitingCard | None:
    """'N purchase requests waiting for you' and the oldest; None for those who never approve."""
    if not may_ever_approve(user):
        return None
    waiting = _decidable(db.session, user)
    oldest = waiting.rows(db.session, 0, 1)
    return WaitingCard(count=len(waiting.ids), oldest=oldest[0] if oldest else None)


def list_requests(
    user: User, *, show: str = "waiting", status: str | None = None, page: int = 1
) -> ListPage:
    """One page of PRs: waiting for me, mine (raised by me) or all; newest first, by status."""
    show = show if show in LISTS else "waiting"
    page = max(1, page or 1)
    session = db.session
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
    if status in PurchaseRequestStatus.__members__:
        stmt = stmt.where(PurchaseRequest.status == PurchaseRequestStatus(status))
    ids = list(session.scalars(stmt.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)))
    return ListPage(
        _rows(session, ids[:PAGE_SIZE], matrix(session)),
        show,
        page,
        has_more=len(ids) > PAGE_SIZE,
    )


@dataclass
class LineView:
    """One PR line with its amount, suggested vendor and the sourcing warnings in words."""

    line: PurchaseRequestLine
    amount: Decimal
    vendor: str | None
    warnings: list[str] = field(default_factory=list)
    blocked: str | None = None


@dataclass
class ApprovalView:
    """A decision taken so far."""

    who: str
    decision: str
    reason: str | None
    at: datetime
    over_budget: bool


@dataclass
class Detail:
    """Everything the PR page shows and offers to the signed-in person."""

    pr: PurchaseRequest
    lines: list[LineView]
    total: Decimal
    centre: CostCentre
    budget: budgets.BudgetPosition
    work_order: WorkOrder | None
    requester: User | None
    requirement: rules.Requirement | None
    step: str | None
    approvals: list[ApprovalView]
    over_budget_by: Decimal
    can_decide: bool
    can_approve: bool
    cannot_approve: str | None  # why not, in words, when the person may decide but not approve
    cannot_decide: str | None  # why not, in words, for an approving role that may not act now
    no_rule: str | None

    @property
    def status_label(self) -> str:
        """The status in words."""
        return rules.status_label(self.pr.status)

    @property
    def remaining_after(self) -> Decimal:
        """What the cost centre has left once this PR is committed."""
        return money(self.budget.remaining - self.total)

    @property
    def used_percent(self) -> int:
        """Committed and actual as a share of the budget, 0-100, for the bar."""
        if self.budget.budget <= 0:
            return 100
        used = (self.budget.committed + self.budget.actual) * 100 / self.budget.budget
        return int(max(Decimal(0), min(Decimal(100), used)))

    @property
    def adds_percent(self) -> int:
        """This PR as a share of the budget, capped so the bar stays inside 100."""
        if self.budget.budget <= 0:
            return 0
        share = self.total * 100 / self.budget.budget
        return int(max(Decimal(0), min(Decimal(100 - self.used_percent), share)))


def _line_views(session: Session, lines: list[PurchaseRequestLine]) -> list[LineView]:
    """Each line with the sourcing warnings for its suggested vendor at its price.

    One sourcing check per suggested vendor (usually one), for all of its lines at once.
    """
    views = [
        LineView(
            line=line,
            amount=money(line.qty * line.unit_price),
            vendor=f"{line.suggested_vendor.name} ({line.suggested_vendor.code})"
            if line.suggested_vendor
            else None,
        )
        for line in lines
    ]
    by_vendor: dict[int, list[LineView]] = {}
    for view in views:
        if view.line.suggested_vendor_id is not None:
            by_vendor.setdefault(view.line.suggested_vendor_id, []).append(view)
        else:
            view.warnings = [
                policy_rules.warning_text(note) for note in (view.line.policy_warnings or [])
            ]
    for vendor_id, group in by_vendor.items():
        needs = [
            sourcing.SourceNeed(
                item_id=v.line.item_id,
                unit_price=v.line.unit_price,
                uom=v.line.uom,
                description=v.line.description,
            )
            for v in group
        ]
        try:
            found = sourcing.assess_sources(session, vendor_id=vendor_id, needs=needs)
        except BlockedVendor as err:
            for view in group:
                view.blocked = str(err)
            continue
        for view, warnings in zip(group, found, strict=True):
            view.warnings = [w.text for w in warnings]
    return views


def detail(pr_id: int, viewer: User) -> Detail:
    """The PR page: lines with warnings, total, matrix step, budget, approvals, who may act."""
    session = db.session
    found = session.execute(
        select(PurchaseRequest, WorkOrder, User)
        .outerjoin(WorkOrder, WorkOrder.id == PurchaseRequest.work_order_id)
        .outerjoin(User, User.id == PurchaseRequest.requested_by_id)
        .where(PurchaseRequest.id == pr_id)
        .options(
            selectinload(PurchaseRequest.lines).joinedload(PurchaseRequestLine.suggested_vendor),
            selectinload(PurchaseRequest.approvals).joinedload(Approval.approver),
        )
    ).one_or_none()
    if found is None:
        raise NotFound(f"Purchase request {pr_id} does not exist.")
    pr, work_order, requester = found
    facts = _facts(session, pr)
    me = decider(viewer)
    can_decide = facts.request is not None and rules.may_decide(facts.request, me)
    cannot_decide = None
    if (
        not can_decide
        and pr.status is PurchaseRequestStatus.submitted
        and rules.approving_roles(facts.rule_rows) & me.roles
    ):
        cannot_decide = (
            rules.why_not(facts.request, me) if facts.request is not None else facts.no_rule
        )
    can_approve, cannot_approve = False, None
    if can_decide:
        try:
            rules.check_approval(facts.request, me, reason="(checked with a reason)")
            can_approve = True
        except DomainError as err:
            cannot_approve = str(err)
    approved_count = len(facts.approved_by)
    return Detail(
        pr=pr,
        lines=_line_views(session, list(pr.lines)),
        total=facts.total,
        centre=facts.centre,
        budget=facts.budget,
        work_order=work_order,
        requester=requester,
        requirement=facts.requirement,
        step=rules.step_text(approved_count, facts.requirement.approvals_needed)
        if facts.requirement
        else None,
        approvals=[
            ApprovalView(
                who=a.approver.full_name,
                decision=a.decision.value,
                reason=a.reason,
                at=a.decided_at,
                over_budget=a.over_budget,
            )
            for a in pr.approvals
        ],
        over_budget_by=facts.over_budget_by,
        can_decide=can_decide,
        can_approve=can_approve,
        cannot_approve=cannot_approve,
        cannot_decide=cannot_decide,
        no_rule=facts.no_rule,
    )
