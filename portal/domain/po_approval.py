"""When a purchase order needs approval of its own, and the words that say why.

A PO line carries what its request approved (`approved`) and what the matrix last approved on the
PO itself (`authorised`); its cover is the larger. A line, or the PO, may go above its cover by
the tolerance (policy data: the smaller of a percentage of the cover and a fixed amount) without
approval again. Beyond it, or into a stricter band of the approval matrix, or past the ceiling of
the contract the PO is placed against, the PO goes through the same matrix and budget check as a
purchase request (`domain.approvals`), and whoever wrote or changed it may not approve it.

Pure Python: the services gather the facts, these functions judge them and put them in words.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from portal.domain import approvals
from portal.domain.errors import DomainError
from portal.domain.money import format_money, money

ZERO = Decimal("0")
HUNDRED = Decimal("100")
WARN_AT_PERCENT = Decimal("90")  # contract ceiling consumed from which the PO page warns


class SpendApprovalNeeded(DomainError):
    """The PO goes above what was approved: the matrix must approve it first."""


@dataclass(frozen=True)
class Tolerance:
    """How far above an approved amount a PO may go: the smaller of percent and amount."""

    percent: Decimal = Decimal("5")
    amount: Decimal = Decimal("50.00")

    def allowance(self, approved: Decimal) -> Decimal:
        """What may be added to `approved` without approval again (never below 0)."""
        by_percent = money(max(approved, ZERO) * self.percent / HUNDRED)
        return max(min(by_percent, money(self.amount)), money(0))

    def words(self) -> str:
        """'5 % or 50.00, whichever is smaller'."""
        percent = self.percent.normalize()
        return f"{percent:f} % or {format_money(self.amount)}, whichever is smaller"


DEFAULT_TOLERANCE = Tolerance()


def check_tolerance(percent: Decimal, amount: Decimal) -> Tolerance:
    """A tolerance as typed, or DomainError in words (0 to 100 %, an amount of 0 or more)."""
    if percent < 0 or percent > HUNDRED:
        raise DomainError("The tolerance percentage must be between 0 and 100.")
    if amount < 0:
        raise DomainError("The tolerance amount cannot be negative.")
    return Tolerance(percent=percent, amount=money(amount))


@dataclass(frozen=True)
class Line:
    """One PO line as the approval rules see it (amounts after discount)."""

    line_no: int
    amount: Decimal
    approved: Decimal | None  # approved on the request(s); None: no request behind it
    authorised: Decimal | None = None  # approved through the matrix on the PO; None: never
    requests: tuple[str, ...] = ()  # PR numbers behind it

    @property
    def cover(self) -> Decimal:
        """The most that has been approved for this line."""
        return max(self.approved or ZERO, self.authorised or ZERO)

    @property
    def direct(self) -> bool:
        """No request behind the line and nothing approved on the PO: a direct buy."""
        return self.approved is None and self.authorised is None


@dataclass(frozen=True)
class ContractUse:
    """The contract the PO is placed against: its ceiling and what other POs consumed."""

    reference: str
    ceiling: Decimal
    consumed_by_others: Decimal

    def consumed_with(self, total: Decimal) -> Decimal:
        """Consumed once this PO counts too."""
        return money(self.consumed_by_others + total)

    def percent_with(self, total: Decimal) -> Decimal:
        """Share of the ceiling consumed with this PO, in percent (one decimal)."""
        return (self.consumed_with(total) * HUNDRED / self.ceiling).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class Assessment:
    """Whether the PO needs the matrix, why (in words), and what the matrix asks."""

    total: Decimal
    cover: Decimal
    reasons: tuple[str, ...]
    requirement: approvals.Requirement | None
    no_rule: str | None = None
    contract_warning: str | None = None
    line_excess: dict[int, Decimal] = field(default_factory=dict)

    @property
    def needed(self) -> bool:
        """True when the PO may not be approved by its buyer nor issued without the matrix."""
        return bool(self.reasons)

    def sentence(self) -> str:
        """Every reason, then who must approve: the words the PO page shows."""
        if not self.reasons:
            return ""
        who = (
            f"needs {self.requirement.people()}"
            if self.requirement is not None
            else (self.no_rule or "no approval rule covers it")
        )
        return "; ".join(self.reasons) + f"; {who}."


def _requests(lines: Iterable[Line]) -> str:
    """'PR-000096' or 'PR-000096, PR-000097' (or 'the request' when none is known)."""
    numbers = sorted({n for ln in lines for n in ln.requests})
    return ", ".join(numbers) if numbers else "the request"


def assess(
    lines: list[Line],
    *,
    cost_centre_id: int | None,
    matrix: list[approvals.Rule],
    tolerance: Tolerance,
    contract: ContractUse | None = None,
) -> Assessment:
    """Judge a PO's lines against what was approved, the matrix bands and the contract ceiling."""
    total = money(sum((ln.amount for ln in lines), ZERO))
    cover = money(sum((ln.cover for ln in lines), ZERO))
    reasons: list[str] = []
    excess: dict[int, Decimal] = {}
    direct = [ln for ln in lines if ln.direct]
    if lines and len(direct) == len(lines):
        reasons.append(f"{format_money(total)} is a direct buy with no approved request")
    else:
        for ln in lines:
            over = money(ln.amount - ln.cover)
            if over > tolerance.allowance(ln.cover):
                excess[ln.line_no] = over
        if excess or money(total - cover) > tolerance.allowance(cover):
            pr_approved = all(ln.authorised is None for ln in lines)
            where = f"approved on {_requests(lines)}" if pr_approved else "approved so far"
            reasons.append(
                f"{format_money(total)} is {format_money(total - cover)} above the "
                f"{format_money(cover)} {where}"
            )
    requirement: approvals.Requirement | None = None
    no_rule: str | None = None
    try:
        requirement = approvals.requirement_for(total, cost_centre_id, matrix)
    except approvals.NoApprovalRule as err:
        no_rule = str(err)
    if not reasons and total > cover and requirement is not None:
        try:
            before = approvals.requirement_for(cover, cost_centre_id, matrix)
        except approvals.NoApprovalRule:
            before = None
        if before != requirement:
            reasons.append(
                f"{format_money(total)} is in a higher approval band than the "
                f"{format_money(cover)} approved"
            )
    warning = None
    if contract is not None and contract.ceiling > 0:
        used = contract.consumed_with(total)
        share = contract.percent_with(total)
        said = (
            f"Contract {contract.reference}: {format_money(used)} of its "
            f"{format_money(contract.ceiling)} ceiling consumed with this PO ({share} %)"
        )
        authorised_all = lines and all(
            ln.authorised is not None and ln.amount <= ln.authorised for ln in lines
        )
        if used > contract.ceiling and not authorised_all:
            reasons.append(
                f"it takes contract {contract.reference} {format_money(used - contract.ceiling)} "
                f"past its {format_money(contract.ceiling)} ceiling"
            )
            warning = said + "."
        elif share >= WARN_AT_PERCENT:
            warning = said + "."
    return Assessment(
        total=total,
        cover=cover,
        reasons=tuple(reasons),
        requirement=requirement,
        no_rule=no_rule,
        contract_warning=warning,
        line_excess=excess,
    )


@dataclass(frozen=True)
class Order:
    """A PO waiting for the matrix, as the approval rules see it."""

    number: str
    pending: bool
    total: Decimal
    authors: tuple[int, ...]  # who wrote or changed the amounts being approved
    cost_centre_code: str
    requirement: approvals.Requirement
    approved_by: tuple[int, ...] = ()
    over_budget_by: Decimal = ZERO


def _as_request(order: Order, decider: approvals.Decider) -> approvals.Request:
    """The PO as the PR rules see it, once it is waiting and the decider wrote none of it."""
    if not order.pending:
        raise approvals.AlreadyDecided(
            f"{order.number} is not waiting for approval: its amounts are within what was approved."
        )
    if decider.user_id in order.authors:
        raise approvals.SeparationOfDuties(
            f"You wrote or changed {order.number}: someone else must approve it "
            "(separation of duties)."
        )
    return approvals.Request(
        number=order.number,
        status=approvals.PENDING,
        total=order.total,
        requester_id=order.authors[0] if order.authors else 0,
        cost_centre_code=order.cost_centre_code,
        requirement=order.requirement,
        approved_by=order.approved_by,
        over_budget_by=order.over_budget_by,
    )


def check_approval(
    order: Order, decider: approvals.Decider, reason: str | None = None
) -> approvals.Step:
    """The PR rules applied to a PO: separation of duties for every author, then the matrix role,
    once per person, budget authority with a reason when over budget."""
    return approvals.check_approval(_as_request(order, decider), decider, reason)


def check_rejection(order: Order, decider: approvals.Decider, reason: str | None) -> None:
    """Who may approve may send the amounts back instead, always saying why."""
    approvals.check_rejection(_as_request(order, decider), decider, reason)


def why_not(order: Order, decider: approvals.Decider) -> str | None:
    """Why `decider` may not approve the PO now, in words; None when they may (budget aside)."""
    try:
        check_approval(order, decider, reason="(asked before deciding)")
    except approvals.BudgetAuthorityNeeded as err:
        return str(err)
    except DomainError as err:
        return str(err)
    return None
