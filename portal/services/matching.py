"""Matching invoices: run the engine on a batch, keep its result, holds and the invoice status.

The engine's input comes from `portal/services/match_inputs.py` (a fixed number of queries per
batch); this module stores what the engine decided with set-based writes, so one invoice on
entry and a re-match run of every held invoice share one code path. A goods receipt re-matches
its PO's held invoices through `rematch_on_receipt`, a `GoodsReceived` handler.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from portal.domain.errors import NotFound
from portal.domain.events import Event, GoodsReceived
from portal.domain.matching import REASON_CODES, evaluate
from portal.domain.statuses import HoldStatus, InvoiceStatus, MatchStatus
from portal.models import Hold, MatchResult, User, VendorInvoice, VendorInvoiceLine
from portal.models.base import utcnow
from portal.services import audit
from portal.services._uow import unit_of_work
from portal.services.match_inputs import build_inputs

LATE_RECEIPT = "released by a late receipt"
REMATCHABLE = (InvoiceStatus.entered, InvoiceStatus.hold)
_ORDER = {code: n for n, code in enumerate(REASON_CODES)}


@dataclass
class Decision:
    """What one run of the engine did to one invoice."""

    invoice_id: int
    number: str
    before: InvoiceStatus
    after: InvoiceStatus
    opened: list[str] = field(default_factory=list)
    cleared: list[str] = field(default_factory=list)
    lines: int = 0
    unchanged: bool = False


def digest(engine_input: dict[str, Any]) -> str:
    """SHA-256 of the input's canonical JSON: the same inputs give the same digest."""
    canonical = json.dumps(engine_input, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def reason_codes(result: dict[str, Any]) -> list[str]:
    """Every reason the result holds the invoice for, in the spec's order, each once."""
    if "error" in result:
        return [f"INPUT_{result['error']['code']}"[:32]]
    codes = set(result.get("header_reasons", []))
    for line in result.get("lines", []):
        codes.update(line.get("reasons", []))
    return sorted(codes, key=lambda code: _ORDER.get(code, len(_ORDER)))


def _first_line_with(result: dict[str, Any], code: str, line_ids: list[int]) -> int | None:
    """The invoice line a line-level reason was first found on (None for header reasons)."""
    if code in result.get("header_reasons", []):
        return None
    for line in result.get("lines", []):
        if code in line.get("reasons", []) and line["index"] < len(line_ids):
            return line_ids[line["index"]]
    return None


@dataclass
class _Current:
    """What the batch's invoices hold now: number and status, line ids, open holds by code,
    and the digest of the newest stored input (only when unchanged inputs are skipped)."""

    heads: dict[int, Any]
    line_ids: dict[int, list[int]]
    open_holds: dict[int, dict[str, int]]
    latest: dict[int, str]


def _current(session: Session, ids: list[int], *, with_digests: bool) -> _Current:
    """Read the batch's current state in three or four queries."""
    heads = {
        row.id: row
        for row in session.execute(
            select(VendorInvoice.id, VendorInvoice.number, VendorInvoice.status).where(
                VendorInvoice.id.in_(ids)
            )
        )
    }
    line_ids: dict[int, list[int]] = defaultdict(list)
    for invoice_id, line_id in session.execute(
        select(VendorInvoiceLine.invoice_id, VendorInvoiceLine.id)
        .where(VendorInvoiceLine.invoice_id.in_(ids))
        .order_by(VendorInvoiceLine.invoice_id, VendorInvoiceLine.position)
    ):
        line_ids[invoice_id].append(line_id)
    open_holds: dict[int, dict[str, int]] = defaultdict(dict)
    for hold_id, hold_invoice_id, code in session.execute(
        select(Hold.id, Hold.invoice_id, Hold.reason_code).where(
            Hold.invoice_id.in_(ids), Hold.status == HoldStatus.open
        )
    ):
        open_holds[hold_invoice_id][code] = hold_id
    latest: dict[int, str] = {}
    if with_digests:
        newest = (
            select(func.max(MatchResult.id))
            .where(MatchResult.invoice_id.in_(ids))
            .group_by(MatchResult.invoice_id)
        )
        latest = {
            invoice_id: key
            for invoice_id, key in session.execute(
                select(MatchResult.invoice_id, MatchResult.input_digest).where(
                    MatchResult.id.in_(newest)
                )
            )
        }
    return _Current(heads, line_ids, open_holds, latest)


@dataclass
class _Writes:
    """What a batch will write: results, new holds (by result index), cleared holds, moves."""

    now: datetime
    results: list[dict[str, Any]] = field(default_factory=list)
    new_holds: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    cleared_ids: list[int] = field(default_factory=list)
    by_status: dict[InvoiceStatus, list[int]] = field(default_factory=lambda: defaultdict(list))


def _decide(
    invoice_id: int, engine_input: dict[str, Any], current: _Current, writes: _Writes, key: str
) -> Decision:
    """Run the engine on one invoice and note what to write: result, holds, status."""
    head = current.heads[invoice_id]
    result = evaluate(engine_input)
    status = MatchStatus.error if "error" in result else MatchStatus(result["status"])
    writes.results.append(
        {
            "invoice_id": invoice_id,
            "status": status,
            "result": result,
            "input_digest": key,
            "evaluated_at": writes.now,
        }
    )
    codes = reason_codes(result) if status is not MatchStatus.matched else []
    held = current.open_holds.get(invoice_id, {})
    cleared = [code for code in held if code not in codes]
    writes.cleared_ids.extend(held[code] for code in cleared)
    opened = [code for code in codes if code not in held]
    for code in opened:
        writes.new_holds.append(
            (
                len(writes.results) - 1,
                {
                    "invoice_id": invoice_id,
                    "invoice_line_id": _first_line_with(result, code, current.line_ids[invoice_id]),
                    "reason_code": code,
                    "status": HoldStatus.open,
                    "created_at": writes.now,
                },
            )
        )
    after = InvoiceStatus.matched if status is MatchStatus.matched else InvoiceStatus.hold
    if after is not head.status:
        writes.by_status[after].append(invoice_id)
    count = len(engine_input["invoice"]["lines"])
    return Decision(invoice_id, head.number, head.status, after, opened, cleared, count)


def _write(session: Session, writes: _Writes, why: str) -> None:
    """Set-based writes: one multi-row INSERT per table and one UPDATE per kind of change."""
    session.flush()
    if writes.results:
        result_ids = list(
            session.scalars(
                insert(MatchResult).returning(MatchResult.id, sort_by_parameter_order=True),
                writes.results,
            )
        )
        if writes.new_holds:
            session.execute(
                insert(Hold),
                [dict(row, match_result_id=result_ids[n]) for n, row in writes.new_holds],
            )
    if writes.cleared_ids:
        session.execute(
            update(Hold)
            .where(Hold.id.in_(writes.cleared_ids), Hold.status == HoldStatus.open)
            .values(status=HoldStatus.cleared, resolved_at=writes.now, release_reason=why[:1000])
            .execution_options(synchronize_session=False)
        )
    for after, moved in writes.by_status.items():
        session.execute(
            update(VendorInvoice)
            .where(
                VendorInvoice.id.in_(moved),
                VendorInvoice.status.in_(REMATCHABLE + (InvoiceStatus.matched,)),
            )
            .values(status=after)
            .execution_options(synchronize_session=False)
        )


def _expire_loaded(session: Session, invoice_ids: set[int]) -> None:
    """Objects already loaded in this session (the invoice just entered) must read the new
    state: expire those invoices and their holds."""
    for obj in list(session.identity_map.values()):
        if (isinstance(obj, VendorInvoice) and _key(obj) in invoice_ids) or (
            isinstance(obj, Hold) and obj.__dict__.get("invoice_id") in invoice_ids
        ):
            session.expire(obj)


def _key(obj: object) -> Any:
    """An object's primary key as the session knows it (reading it would load an expired one)."""
    identity = sa_inspect(obj).identity
    return identity[0] if identity else None


def match_batch(
    session: Session,
    invoice_ids: list[int],
    *,
    actor: User | None,
    why: str,
    audit_each: bool = True,
    skip_unchanged: bool = False,
) -> list[Decision]:
    """Run the engine on invoices in the caller's transaction: result, holds and status kept."""
    inputs = build_inputs(session, invoice_ids)
    if not inputs:
        return []
    ids = list(inputs)
    current = _current(session, ids, with_digests=skip_unchanged)
    writes = _Writes(now=utcnow())
    decisions: list[Decision] = []
    for invoice_id in ids:
        engine_input = inputs[invoice_id]
        key = digest(engine_input)
        if skip_unchanged and current.latest.get(invoice_id) == key:
            head = current.heads[invoice_id]
            count = len(engine_input["invoice"]["lines"])
            decisions.append(
                Decision(
                    invoice_id, head.number, head.status, head.status, lines=count, unchanged=True
                )
            )
            continue
        decisions.append(_decide(invoice_id, engine_input, current, writes, key))
    _write(session, writes, why)
    _expire_loaded(session, set(inputs))
    if audit_each:
        for decision in decisions:
            if not decision.unchanged:
                _audit_decision(session, decision, actor=actor, why=why)
    return decisions


def _audit_decision(session: Session, decision: Decision, *, actor: User | None, why: str) -> None:
    """One audit event for what a match run did to one invoice."""
    changes: dict[str, list[Any]] = {"status": [decision.before, decision.after]}
    if decision.opened:
        changes["holds_opened"] = decision.opened
    if decision.cleared:
        changes["holds_cleared"] = decision.cleared
    cleared_all = decision.cleared and decision.after is InvoiceStatus.matched
    audit.record(
        session,
        actor=actor,
        action="invoice.hold_cleared" if cleared_all else "invoice.matched",
        subject=session.get(VendorInvoice, decision.invoice_id),
        changes=changes,
        why=why,
    )


def match_invoice(invoice_id: int, *, actor: User | None) -> Decision:
    """Match one invoice now (its own transaction): result stored, holds opened or cleared."""
    with unit_of_work() as session:
        decisions = match_batch(session, [invoice_id], actor=actor, why="matched on request")
    if not decisions:
        raise NotFound(f"Invoice {invoice_id} does not exist.")
    return decisions[0]


def rematch_after_receipt(
    session: Session, purchase_order_id: int, *, actor: User | None
) -> list[Decision]:
    """Re-run every held invoice of the PO in the caller's transaction; cleared holds audited."""
    held = list(
        session.scalars(
            select(VendorInvoice.id)
            .where(
                VendorInvoice.purchase_order_id == purchase_order_id,
                VendorInvoice.status == InvoiceStatus.hold,
            )
            .order_by(VendorInvoice.id)
        )
    )
    return match_batch(session, held, actor=actor, why=LATE_RECEIPT)


def rematch_on_receipt(session: Session, event: Event) -> None:
    """On a goods receipt: the PO's held invoices are matched again, so a late receipt
    releases a hold by itself (audited as such)."""
    assert isinstance(event, GoodsReceived)
    actor = session.get(User, event.actor_id) if event.actor_id is not None else None
    rematch_after_receipt(session, event.purchase_order_id, actor=actor)


@dataclass
class RematchStats:
    """What a full re-match run did."""

    invoices: int = 0
    lines: int = 0
    changed: int = 0
    unchanged: int = 0
    batches: int = 0


def rematch_all(batch: int = 2000, *, actor: User | None = None, since_id: int = 0) -> RematchStats:
    """Re-match every entered or held invoice, `batch` at a time, one transaction per batch."""
    stats = RematchStats()
    last = since_id
    while True:
        with unit_of_work() as session:
            ids = list(
                session.scalars(
                    select(VendorInvoice.id)
                    .where(VendorInvoice.id > last, VendorInvoice.status.in_(REMATCHABLE))
                    .order_by(VendorInvoice.id)
                    .limit(batch)
                )
            )
            if not ids:
                break
            decisions = match_batch(
                session, ids, actor=actor, why="re-match run", audit_each=False, skip_unchanged=True
            )
            moved = {
                str(d.invoice_id): [d.before, d.after] for d in decisions if d.before is not d.after
            }
            if moved:
                audit.record(
                    session,
                    actor=actor,
                    action="invoice.rematched",
                    subject_type="system",
                    changes={"invoices": len(decisions), "status": moved},
                    why="re-match run",
                )
            last = ids[-1]
        stats.batches += 1
        stats.invoices += len(decisions)
        stats.lines += sum(d.lines for d in decisions)
        stats.changed += sum(1 for d in decisions if not d.unchanged)
        stats.unchanged += sum(1 for d in decisions if d.unchanged)
    return stats
