"""What the purchase request page shows: lines with sourcing warnings, total, matrix step, budget,
decisions so far and what the signed-in person may decide; and a decision told in words.

Reads only. The figures come from `read_models.approvals.facts`, the same the decision uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from portal.domain import approvals as rules
from portal.domain import policy as policy_rules
from portal.domain.errors import DomainError, NotFound
from portal.domain.labels import label
from portal.domain.money import money
from portal.domain.sourcing import BlockedVendor
from portal.domain.statuses import ApprovalDecision, PurchaseRequestStatus
from portal.models import (
    Approval,
    CostCentre,
    PurchaseRequest,
    PurchaseRequestLine,
    User,
    WorkOrder,
)
from portal.read_models import approvals as reads
from portal.read_models import budgets, sourcing
from portal.services._uow import current_session


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


@dataclass(frozen=True)
class _Offer:
    """What the signed-in person may do on the PR now, and why not in words."""

    can_decide: bool = False
    can_approve: bool = False
    cannot_approve: str | None = None
    cannot_decide: str | None = None


def _offer(pr: PurchaseRequest, found: reads.Facts, viewer: User) -> _Offer:
    """May the viewer decide, approve (budget authority aside: they may reject), and why not."""
    me = reads.decider(viewer)
    request = found.request
    if request is None or not rules.may_decide(request, me):
        if pr.status is PurchaseRequestStatus.submitted and (
            rules.approving_roles(found.rule_rows) & me.roles
        ):
            why = rules.why_not(request, me) if request is not None else found.no_rule
            return _Offer(cannot_decide=why)
        return _Offer()
    try:
        rules.check_approval(request, me, reason="(checked with a reason)")
    except DomainError as err:
        return _Offer(can_decide=True, cannot_approve=str(err))
    return _Offer(can_decide=True, can_approve=True)


def detail(pr_id: int, viewer: User) -> Detail:
    """The PR page: lines with warnings, total, matrix step, budget, approvals, who may act."""
    session = current_session()
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
    known = reads.facts(session, pr)
    offer = _offer(pr, known, viewer)
    return Detail(
        pr=pr,
        lines=_line_views(session, list(pr.lines)),
        total=known.total,
        centre=known.centre,
        budget=known.budget,
        work_order=work_order,
        requester=requester,
        requirement=known.requirement,
        step=rules.step_text(len(known.approved_by), known.requirement.approvals_needed)
        if known.requirement
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
        over_budget_by=known.over_budget_by,
        can_decide=offer.can_decide,
        can_approve=offer.can_approve,
        cannot_approve=offer.cannot_approve,
        cannot_decide=offer.cannot_decide,
        no_rule=known.no_rule,
    )


def decision_message(approval: Approval) -> str:
    """What a decision did, in words for the person who took it (the same on a repeated post)."""
    session = current_session()
    pr = session.get(PurchaseRequest, approval.purchase_request_id)
    if pr is None:
        raise NotFound(f"Purchase request {approval.purchase_request_id} does not exist.")
    if approval.decision is ApprovalDecision.rejected:
        return f"{pr.number} rejected; the requester sees why on the work order."
    if pr.status in (PurchaseRequestStatus.approved, PurchaseRequestStatus.ordered):
        return f"{pr.number} approved: the buyer can order it."
    if pr.status is not PurchaseRequestStatus.submitted:
        return f"Your approval of {pr.number} is recorded; it is now {label(pr.status).lower()}."
    so_far = session.scalar(
        select(func.count(Approval.id)).where(
            Approval.purchase_request_id == pr.id,
            Approval.decision == ApprovalDecision.approved,
            Approval.id <= approval.id,
        )
    )
    total = reads.totals(session, [pr.id])[pr.id]
    try:
        needed = rules.requirement_for(total, pr.cost_centre_id, reads.matrix(session))
    except rules.NoApprovalRule:
        return f"Your approval is recorded for {pr.number}."
    progress = rules.step_text(so_far or 0, needed.approvals_needed)
    return f"Your approval is recorded: {progress} for {pr.number}."
