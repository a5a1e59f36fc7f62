"""Who may approve a purchase request: the approval matrix, separation of duties, the budget.

The matrix is data (ApprovalRule rows): an amount band, optionally one cost centre, the role that
decides and how many distinct people of that role must approve. A rule for the PR's own cost
centre beats a global one; the PR total is the sum of qty x unit price, rounded once to the cent.

Admin does not count as an approving role. An approval is spending authority; the admin account
creates users and grants roles, so letting it approve would let one account both set up and
spend. An administrator who also approves holds the approver (or supervisor) role explicitly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from portal.domain.errors import NotAllowed
from portal.domain.money import format_money, money
from portal.domain.statuses import PurchaseRequestStatus

PENDING = "submitted"  # the only PR status a decision can be taken on
NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}

# A purchase request's status in the requester's words: the `label` filter's table for it.
STATUS_LABELS: dict[PurchaseRequestStatus, str] = {
    PurchaseRequestStatus.draft: "Draft",
    PurchaseRequestStatus.submitted: "Waiting for approval",
    PurchaseRequestStatus.approved: "Approved",
    PurchaseRequestStatus.rejected: "Rejected",
    PurchaseRequestStatus.ordered: "Ordered",
    PurchaseRequestStatus.cancelled: "Cancelled",
}


class NoApprovalRule(NotAllowed):
    """No active row of the matrix covers this amount: nobody may approve until one does."""


class WrongRole(NotAllowed):
    """The person does not hold the role the matrix asks for at this amount."""


class SeparationOfDuties(NotAllowed):
    """Nobody approves or rejects what they requested themselves."""


class AlreadyDecided(NotAllowed):
    """The person has approved already, or the PR is no longer waiting for a decision."""


class BudgetAuthorityNeeded(NotAllowed):
    """The PR would overspend its cost centre: only budget authority, with a reason, approves."""


class ReasonNeeded(NotAllowed):
    """A rejection, or an approval over budget, must say why."""


@dataclass(frozen=True)
class Rule:
    """One active or inactive row of the approval matrix, as the rules see it."""

    cost_centre_id: int | None
    min_amount: Decimal
    max_amount: Decimal | None
    role: str
    approvals_needed: int = 1
    active: bool = True

    def covers(self, total: Decimal) -> bool:
        """True when `total` lies inside [min_amount, max_amount] (no max: no upper limit)."""
        if total < self.min_amount:
            return False
        return self.max_amount is None or total <= self.max_amount


@dataclass(frozen=True)
class Requirement:
    """What the matrix asks of a PR: this role, this many distinct approvals."""

    role: str
    approvals_needed: int

    def people(self) -> str:
        """'two approvers with the approver role' / 'someone with the supervisor role'."""
        role = self.role.replace("_", " ")
        if self.approvals_needed == 1:
            return f"someone with the {role} role"
        count = NUMBER_WORDS.get(self.approvals_needed, str(self.approvals_needed))
        return f"{count} approvers with the {role} role"


@dataclass(frozen=True)
class Decider:
    """The person about to decide: id, roles held, budget authority."""

    user_id: int
    roles: frozenset[str]
    budget_authority: bool = False


@dataclass(frozen=True)
class Request:
    """A PR as the rules see it."""

    number: str
    status: str
    total: Decimal
    requester_id: int
    cost_centre_code: str
    requirement: Requirement
    approved_by: tuple[int, ...] = ()  # distinct people who approved so far, in order
    over_budget_by: Decimal = Decimal("0.00")  # budgets.position(...).exceeded_by(total)

    @property
    def over_budget(self) -> bool:
        """True when approving would put the cost centre over its budget."""
        return self.over_budget_by > 0


@dataclass(frozen=True)
class Step:
    """Where an approval leaves the PR: approvals so far, needed, and whether it is complete."""

    approvals: int
    needed: int
    over_budget: bool

    @property
    def complete(self) -> bool:
        """Enough distinct approvals: the PR is approved."""
        return self.approvals >= self.needed


def pr_total(lines: Iterable[tuple[Decimal, Decimal]]) -> Decimal:
    """Sum of qty x unit price over (qty, unit_price) pairs, rounded once to the cent."""
    return money(sum((qty * price for qty, price in lines), Decimal("0")))


def requirement_for(
    total: Decimal, cost_centre_id: int | None, rules: Iterable[Rule]
) -> Requirement:
    """The role and number of approvals the matrix asks for `total` at this cost centre.

    Active rules for the cost centre itself are tried first, then the global ones; where two
    rules of the same kind cover the amount the stricter one (more approvals) wins.
    """
    total = money(total)
    active = [rule for rule in rules if rule.active and rule.covers(total)]
    own = [
        rule
        for rule in active
        if rule.cost_centre_id is not None and rule.cost_centre_id == cost_centre_id
    ]
    chosen = own or [rule for rule in active if rule.cost_centre_id is None]
    if not chosen:
        raise NoApprovalRule(
            f"No approval rule covers {format_money(total)}: ask an administrator to add one to "
            "the approval matrix."
        )
    best = max(chosen, key=lambda rule: (rule.approvals_needed, rule.min_amount))
    return Requirement(role=str(best.role), approvals_needed=max(1, best.approvals_needed))


def approving_roles(rules: Iterable[Rule]) -> frozenset[str]:
    """Roles that approve at some amount in the active matrix (anyone else may never approve)."""
    return frozenset(str(rule.role) for rule in rules if rule.active)


def _check_may_decide(request: Request, decider: Decider) -> None:
    """Shared by approve and reject: still pending, not the requester, the right role, once."""
    if request.status != PENDING:
        raise AlreadyDecided(
            f"{request.number} is {request.status}: it is no longer waiting for a decision."
        )
    if decider.user_id == request.requester_id:
        raise SeparationOfDuties(
            f"You raised {request.number}: someone else must decide on it (separation of duties)."
        )
    requirement = request.requirement
    if requirement.role not in decider.roles:
        raise WrongRole(
            f"{request.number} is {format_money(request.total)}: it needs "
            f"{requirement.people()}, which you do not hold."
        )
    if decider.user_id in request.approved_by:
        raise AlreadyDecided(
            f"{request.number} is {format_money(request.total)}: it needs "
            f"{requirement.people()}; you were the first. Someone else must give the next approval."
        )


def check_approval(request: Request, decider: Decider, reason: str | None = None) -> Step:
    """Raise NotAllowed in words unless `decider` may approve now; else where the PR then stands."""
    _check_may_decide(request, decider)
    if request.over_budget:
        over_by = format_money(request.over_budget_by)
        over = f"This PR would put {request.cost_centre_code} {over_by} over its budget"
        if not decider.budget_authority:
            raise BudgetAuthorityNeeded(
                f"{over}: only an approver with budget authority may approve it, "
                "with a written reason."
            )
        if not (reason or "").strip():
            raise ReasonNeeded(f"{over}: write why it should be approved all the same.")
    return Step(
        approvals=len(set(request.approved_by)) + 1,
        needed=request.requirement.approvals_needed,
        over_budget=request.over_budget,
    )


def check_rejection(request: Request, decider: Decider, reason: str | None) -> None:
    """Raise NotAllowed in words unless `decider` may reject now; a rejection always says why."""
    _check_may_decide(request, decider)
    if not (reason or "").strip():
        raise ReasonNeeded(
            f"Say why {request.number} is rejected: the requester reads it on the work order."
        )


def may_decide(request: Request, decider: Decider) -> bool:
    """True when `decider` may approve or reject now (budget authority aside: they may reject)."""
    try:
        _check_may_decide(request, decider)
    except NotAllowed:
        return False
    return True


def why_not(request: Request, decider: Decider) -> str | None:
    """Why `decider` may not decide now, in words; None when they may."""
    try:
        _check_may_decide(request, decider)
    except NotAllowed as err:
        return str(err)
    return None


def step_text(approvals: int, needed: int) -> str:
    """'1 of 2 approvals' for the matrix step a PR has reached."""
    return f"{approvals} of {needed} approval{'s' if needed != 1 else ''}"
