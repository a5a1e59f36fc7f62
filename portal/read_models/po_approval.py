"""The facts a PO's spend approval is judged on, and the panel the PO page shows.

Reads only: the lines with what their requests approved, the tolerance (policy data), the
approval matrix (`read_models.approvals.matrix`, the PR's own), the budget position of the cost
centre (the budget page's figures), the contract ceiling and what other POs consumed of it, who
wrote or changed the PO, and the approvals of the current round. `domain.po_approval` judges;
`services.po_approval` decides (and reads its facts here, so the page and the decision agree).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Numeric, cast, func, select
from sqlalchemy.orm import Session

from portal.domain import approvals, purchase_orders
from portal.domain import po_approval as rules
from portal.domain.money import money
from portal.domain.statuses import ApprovalDecision, PurchaseOrderStatus
from portal.models import (
    ApprovalTolerance,
    Contract,
    CostCentre,
    PurchaseOrder,
    PurchaseOrderApproval,
    PurchaseOrderLine,
    PurchaseOrderRevision,
    PurchaseRequest,
    PurchaseRequestLine,
    User,
)
from portal.read_models import budgets
from portal.read_models.approvals import decider, matrix, may_ever_approve
from portal.read_models.spend_sql import COMMITTING_PO
from portal.services._uow import current_session

S = PurchaseOrderStatus
ZERO = Decimal("0")
PENDING = "pending"
# A PO in these states may still be approved through the matrix (before it is issued).
BEFORE_ISSUE = (S.draft, S.approved)


def tolerance(session: Session | None = None) -> rules.Tolerance:
    """The tolerance in force: the newest row, or the default when none was ever set."""
    session = session or current_session()
    row = session.scalars(
        select(ApprovalTolerance).order_by(ApprovalTolerance.id.desc()).limit(1)
    ).first()
    if row is None:
        return rules.DEFAULT_TOLERANCE
    return rules.Tolerance(percent=row.percent, amount=money(row.amount))


def pending_revision(session: Session, po_id: int) -> PurchaseOrderRevision | None:
    """The revision of this PO waiting for approval, if any."""
    return session.scalars(
        select(PurchaseOrderRevision).where(
            PurchaseOrderRevision.purchase_order_id == po_id,
            PurchaseOrderRevision.status == PENDING,
        )
    ).first()


def request_numbers(session: Session, lines: list[PurchaseOrderLine]) -> dict[int, str]:
    """PR number per PR line id behind these PO lines (one query)."""
    ids = {ln.purchase_request_line_id for ln in lines} - {None}
    if not ids:
        return {}
    return dict(
        session.execute(
            select(PurchaseRequestLine.id, PurchaseRequest.number)
            .join(PurchaseRequest, PurchaseRequest.id == PurchaseRequestLine.purchase_request_id)
            .where(PurchaseRequestLine.id.in_(ids))
        ).all()
    )


@dataclass(frozen=True)
class _Proposed:
    """A line as it would be: amount and cost centre."""

    line_no: int
    amount: Decimal
    cost_centre_id: int | None
    approved: Decimal | None
    authorised: Decimal | None
    pr_line_id: int | None


def _proposed_lines(po: PurchaseOrder, revision: PurchaseOrderRevision | None) -> list[_Proposed]:
    """The PO's lines as they are, or as the pending revision would make them."""
    changes = rules_changes(revision)
    first = po.lines[0] if po.lines else None
    out = []
    for ln in po.lines:
        change = changes.lines.get(ln.id) if changes else None
        qty = change.qty if change and change.qty is not None else ln.qty
        price = change.unit_price if change and change.unit_price is not None else ln.unit_price
        discount = (
            change.discount_percent
            if change and change.discount_percent is not None
            else ln.discount_percent
        )
        out.append(
            _Proposed(
                ln.line_no,
                purchase_orders.line_amount(qty, price, discount or ZERO),
                ln.cost_centre_id,
                ln.approved_amount,
                ln.authorised_amount,
                ln.purchase_request_line_id,
            )
        )
    next_no = max((ln.line_no for ln in po.lines), default=0) + 1
    for offset, new in enumerate(changes.new_lines if changes else ()):
        out.append(
            _Proposed(
                next_no + offset,
                purchase_orders.line_amount(new.qty, new.unit_price, new.discount_percent),
                first.cost_centre_id if first else None,
                None,
                None,
                None,
            )
        )
    return out


def rules_changes(revision: PurchaseOrderRevision | None) -> purchase_orders.RevisionChanges | None:
    """The changes a pending revision asks for (None: no pending revision)."""
    if revision is None or revision.proposed is None:
        return None
    return purchase_orders.changes_from_json(revision.proposed)


def _main_centre(lines: list[_Proposed]) -> int | None:
    """The cost centre carrying most of the PO (the matrix row of that centre applies)."""
    by_centre: dict[int, Decimal] = defaultdict(Decimal)
    for ln in lines:
        if ln.cost_centre_id is not None:
            by_centre[ln.cost_centre_id] += ln.amount
    if not by_centre:
        return None
    return max(sorted(by_centre), key=lambda c: by_centre[c])


def consumed(session: Session, contract_id: int, *, except_po_id: int | None = None) -> Decimal:
    """What POs against the contract (approved or later, not cancelled) add up to."""
    amount = (
        cast(PurchaseOrderLine.qty, Numeric(28, 6))
        * cast(PurchaseOrderLine.unit_price, Numeric(28, 6))
        * (100 - func.coalesce(cast(PurchaseOrderLine.discount_percent, Numeric(28, 6)), 0))
        / 100
    )
    stmt = (
        select(func.sum(amount))
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .where(
            PurchaseOrder.contract_id == contract_id,
            PurchaseOrder.status.not_in((S.draft, S.cancelled)),
        )
    )
    if except_po_id is not None:
        stmt = stmt.where(PurchaseOrder.id != except_po_id)
    return money(Decimal(str(session.scalar(stmt) or 0)))


def _contract_use(session: Session, po: PurchaseOrder) -> rules.ContractUse | None:
    """The contract the PO consumes and what other POs (approved or later) consumed of it."""
    if po.contract_id is None:
        return None
    contract = session.get(Contract, po.contract_id)
    if contract is None or not contract.ceiling_amount:
        return None
    return rules.ContractUse(
        reference=contract.reference,
        ceiling=money(contract.ceiling_amount),
        consumed_by_others=consumed(session, contract.id, except_po_id=po.id),
    )


def _over_budget(session: Session, po: PurchaseOrder, lines: list[_Proposed]) -> Decimal:
    """How far the PO's new commitment puts its worst cost centre over budget (0: it fits)."""
    now: dict[int, Decimal] = defaultdict(Decimal)
    if po.status in COMMITTING_PO:
        for ln in po.lines:
            if ln.cost_centre_id is not None:
                now[ln.cost_centre_id] += purchase_orders.line_amount(
                    ln.qty, ln.unit_price, ln.discount_percent or ZERO
                )
    extra: dict[int, Decimal] = defaultdict(Decimal)
    for proposed in lines:
        if proposed.cost_centre_id is not None:
            extra[proposed.cost_centre_id] += proposed.amount
    worst = ZERO
    for centre_id, amount in extra.items():
        more = money(amount - now.get(centre_id, ZERO))
        if more > 0:
            worst = max(worst, budgets.position(centre_id).exceeded_by(more))
    return money(worst)


@dataclass
class SpendFacts:
    """Everything the approval of one PO's amounts is judged on."""

    po: PurchaseOrder
    assessment: rules.Assessment
    revision: PurchaseOrderRevision | None
    pending: bool
    order: rules.Order | None
    cost_centre_code: str
    over_budget_by: Decimal
    lines: list[_Proposed] = field(default_factory=list)
    sent_back: str | None = None  # "Sent back by …: why" while the buyer has not changed it


def facts(session: Session, po: PurchaseOrder) -> SpendFacts:
    """Judge the PO (or its pending revision) as it stands now; lines already loaded on `po`."""
    # A revision waits only while the PO can still be revised (not once cancelled or received).
    revision = pending_revision(session, po.id) if po.status in purchase_orders.REVISABLE else None
    lines = _proposed_lines(po, revision)
    numbers = request_numbers(session, po.lines)
    centre_id = _main_centre(lines)
    assessment = rules.assess(
        [
            rules.Line(
                line_no=ln.line_no,
                amount=ln.amount,
                approved=ln.approved,
                authorised=ln.authorised,
                requests=(numbers[ln.pr_line_id],) if ln.pr_line_id in numbers else (),
            )
            for ln in lines
        ],
        cost_centre_id=centre_id,
        matrix=matrix(session),
        tolerance=tolerance(session),
        contract=_contract_use(session, po),
    )
    pending = revision is not None or (assessment.needed and po.status in BEFORE_ISSUE)
    code = session.scalar(select(CostCentre.code).where(CostCentre.id == centre_id)) or ""
    over = _over_budget(session, po, lines) if pending and centre_id is not None else ZERO
    order = None
    back = sent_back(session, po) if pending and revision is None else None
    if back is not None:
        pass  # waits for its buyer to change the amounts (a new round) or cancel it
    elif pending and assessment.requirement is not None:
        authors = [po.buyer_id, po.amended_by_id, revision.changed_by_id if revision else None]
        order = rules.Order(
            number=po.number,
            pending=True,
            total=assessment.total,
            authors=tuple(dict.fromkeys(a for a in authors if a is not None)),
            cost_centre_code=code,
            requirement=assessment.requirement,
            approved_by=approved_by(session, po),
            over_budget_by=over,
        )
    return SpendFacts(po, assessment, revision, pending, order, code, over, lines, back)


def sent_back(session: Session, po: PurchaseOrder) -> str | None:
    """'Sent back by Arjun Mehta: why' when the current round was refused, else None."""
    row = session.execute(
        select(User.full_name, PurchaseOrderApproval.reason)
        .join(User, User.id == PurchaseOrderApproval.approver_id)
        .where(
            PurchaseOrderApproval.purchase_order_id == po.id,
            PurchaseOrderApproval.round == po.approval_round,
            PurchaseOrderApproval.decision == ApprovalDecision.rejected,
        )
        .order_by(PurchaseOrderApproval.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return f"Sent back by {row[0]}: {row[1]} Change the amounts or cancel the PO."


def approved_by(session: Session, po: PurchaseOrder) -> tuple[int, ...]:
    """Who approved the PO's current round so far, in order."""
    return tuple(
        session.scalars(
            select(PurchaseOrderApproval.approver_id)
            .where(
                PurchaseOrderApproval.purchase_order_id == po.id,
                PurchaseOrderApproval.round == po.approval_round,
                PurchaseOrderApproval.decision == ApprovalDecision.approved,
            )
            .order_by(PurchaseOrderApproval.id)
        )
    )


# ---------------------------------------------------------------- the PO page's panel


@dataclass
class ApprovalRow:
    """One recorded approval of the PO's amounts: who, when, why, what it covered."""

    approver: str
    decision: str
    decided_at: Any
    reason: str | None
    why_needed: str
    total: Decimal
    round: int
    revision: int | None


@dataclass
class Panel:
    """What the PO page says about approval: why needed, the step, who may approve, history."""

    needed: bool
    sentence: str
    step: str | None
    contract_warning: str | None
    may_approve: bool
    why_not: str | None
    revision: int | None
    history: list[ApprovalRow]
    over_budget: bool
    sent_back: str | None = None


def panel(po: PurchaseOrder, viewer: User) -> Panel:
    """The approval panel of the PO page for this viewer (a fixed handful of queries)."""
    session = current_session()
    known = facts(session, po)
    history = [
        ApprovalRow(
            approver=name,
            decision=ApprovalDecision(row.decision).value,
            decided_at=row.decided_at,
            reason=row.reason,
            why_needed=row.why_needed,
            total=row.total,
            round=row.round,
            revision=row.revision,
        )
        for row, name in session.execute(
            select(PurchaseOrderApproval, User.full_name)
            .join(User, User.id == PurchaseOrderApproval.approver_id)
            .where(PurchaseOrderApproval.purchase_order_id == po.id)
            .order_by(PurchaseOrderApproval.id)
        )
    ]
    step = None
    why = None
    may = False
    if known.order is not None:
        step = approvals.step_text(
            len(known.order.approved_by), known.order.requirement.approvals_needed
        )
        why = rules.why_not(known.order, decider(viewer))
        may = why is None
    elif known.pending:
        why = None if known.sent_back else known.assessment.no_rule
    sentence = known.assessment.sentence()
    if known.revision is not None and sentence:
        sentence = f"Revision {known.revision.revision} waits for approval: {sentence}"
    return Panel(
        needed=known.pending,
        sentence=sentence if known.pending or known.assessment.needed else "",
        step=step,
        contract_warning=known.assessment.contract_warning,
        may_approve=may,
        why_not=why,
        revision=known.revision.revision if known.revision else None,
        history=history,
        over_budget=known.over_budget_by > 0,
        sent_back=known.sent_back,
    )


def waiting(session: Session, po: PurchaseOrder) -> bool:
    """True while the PO (or its pending revision) waits for the approval matrix."""
    return facts(session, po).pending


WAITING_LIMIT = 20  # POs looked at for one approver's list (each is judged on its own facts)


@dataclass
class WaitingPo:
    """A PO waiting for this approver: number, vendor, total and why."""

    po_id: int
    number: str
    vendor: str
    total: Decimal
    sentence: str
    step: str


def waiting_for(user: User) -> list[WaitingPo]:
    """POs (or their revisions) this user may approve now, oldest first; at most WAITING_LIMIT
    are looked at (drafts, approved POs and pending revisions), each judged by `facts`."""
    if not may_ever_approve(user):
        return []
    session = current_session()
    revised = select(PurchaseOrderRevision.purchase_order_id).where(
        PurchaseOrderRevision.status == PENDING
    )
    pos = session.scalars(
        select(PurchaseOrder)
        .where(PurchaseOrder.status.in_(BEFORE_ISSUE) | PurchaseOrder.id.in_(revised))
        .order_by(PurchaseOrder.id)
        .limit(WAITING_LIMIT)
    ).all()
    me = decider(user)
    found = []
    for po in pos:
        known = facts(session, po)
        if known.order is None or rules.why_not(known.order, me) is not None:
            continue
        found.append(
            WaitingPo(
                po_id=po.id,
                number=po.number,
                vendor=po.vendor.name,
                total=known.assessment.total,
                sentence=known.assessment.sentence(),
                step=approvals.step_text(
                    len(known.order.approved_by), known.order.requirement.approvals_needed
                ),
            )
        )
    return found
