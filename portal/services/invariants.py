"""The invariants money and stock must keep, recomputed from the documents (`flask portal check`).

Each check is a function `(session) -> list[str]`: one sentence per violation, naming the
documents in the words of the pages ("WO-000012 is closed but still holds 2 of BRG-6205
reserved in RBP-MAIN"). `CHECKS` is the one registry, an explicit list in the order the checks
run; the CLI (`flask portal check`) and the stateful property test
(tests/integration/test_money_state_machine.py) run every check in it. A feature that makes a
new promise writes its check beside its use cases and adds one line to `CHECKS` (or calls
`register` from a test). Each check is a few set-based queries, so the whole run takes seconds
on the benchmark's data too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from portal.services import cost_checks, po_approval
from portal.services import lifecycle_invariants as lifecycle
from portal.services import money_invariants as money
from portal.services import stock_invariants as stock

Check = Callable[[Session], list[str]]


@dataclass(frozen=True)
class Invariant:
    """One named check: its name (for `--only`), what it promises in words, the function."""

    name: str
    title: str
    check: Check


CHECKS: list[Invariant] = [
    Invariant(
        "stock",
        "Stock on hand equals its movements and never goes below zero",
        stock.stock_matches_movements,
    ),
    Invariant(
        "reservations",
        "Stock is reserved only for open work orders, and reservations add up",
        stock.reservations_on_open_work,
    ),
    Invariant(
        "receipts",
        "Goods accepted stay within what was ordered plus the over-receipt tolerance",
        money.accepted_within_ordered,
    ),
    Invariant(
        "invoices",
        "Approved invoices bill no more goods than were received, within tolerance",
        money.billed_within_received,
    ),
    Invariant(
        "budget",
        "The budget's derived rows equal the documents",
        money.budget_rows_match_documents,
    ),
    Invariant(
        "cancelled_work",
        "No money stays committed for cancelled work",
        lifecycle.nothing_committed_for_cancelled_work,
    ),
    Invariant(
        "approval",
        "PO lines stay within what was approved plus the tolerance, or the excess was approved",
        po_approval.violations,
    ),
    Invariant(
        "counted_once",
        "Each amount is counted once in work order, asset and budget figures",
        cost_checks.violations,
    ),
    Invariant("audit", "The audit trail is intact", money.audit_trail_intact),
]


def register(name: str, title: str, check: Check) -> Invariant:
    """Add a check to the registry, or replace the one of the same name; the entry."""
    entry = Invariant(name, title, check)
    for n, known in enumerate(CHECKS):
        if known.name == name:
            CHECKS[n] = entry
            return entry
    CHECKS.append(entry)
    return entry


@dataclass(frozen=True)
class Outcome:
    """What one check found: its name and title, and a sentence per violation."""

    name: str
    title: str
    violations: list[str]


def run_checks(session: Session, names: list[str] | None = None) -> list[Outcome]:
    """Run every check of the registry (or those named), in order; what each found."""
    wanted = [c for c in CHECKS if not names or c.name in names]
    return [Outcome(c.name, c.title, list(c.check(session))) for c in wanted]


def violations(session: Session) -> list[str]:
    """Every violation of every check, each after its check's name: empty when all hold."""
    return [f"{o.name}: {v}" for o in run_checks(session) for v in o.violations]
