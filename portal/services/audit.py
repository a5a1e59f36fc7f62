"""Writing and verifying the audit trail: append-only and hash-chained.

Reading it (a document's timeline, the auditors' search and export) is
read_models/audit_trail.py.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event as orm_events
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import AuditEvent, DocumentCounter, User
from portal.models.base import utcnow
from portal.services.numbering import bump_counter

GENESIS = "0" * 64
AUDIT_COUNTER = "AUDIT"  # counts every event ever recorded: the trail's expected length


def _plain(value: Any) -> Any:
    """JSON-safe copy of a change value: Decimals and times become strings."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "value") and isinstance(value.value, str):  # StrEnum
        return value.value
    return value


def event_digest(prev_hash: str, fields: dict[str, Any]) -> str:
    """SHA-256 over the previous hash and this event's canonical JSON."""
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def _fields(event: AuditEvent) -> dict[str, Any]:
    """What the hash covers."""
    return {
        "at": event.at.isoformat(),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "subject_label": event.subject_label,
        "changes": event.changes,
        "why": event.why,
    }


def record(
    session: Session,
    *,
    actor: User | None,
    actor_label: str | None = None,
    action: str,
    subject: Any = None,
    subject_type: str | None = None,
    subject_label: str | None = None,
    changes: dict[str, Any] | None = None,
    why: str | None = None,
) -> AuditEvent:
    """Append one audit event in the caller's transaction, chained to the latest one.

    `actor_label` names an actor who is not a user (a tenant on the public form: "public").
    """
    # Serialise writers on the chain head: bumping the AUDIT counter locks it until commit,
    # so two transactions can never chain onto the same previous event.
    seq = bump_counter(session, AUDIT_COUNTER)
    prev_hash = _chain_head(session)
    if subject is not None:
        session.flush()
    event = AuditEvent(
        seq=seq,
        at=utcnow().replace(microsecond=0),
        actor_id=actor.id if actor is not None else None,
        actor_label=actor_label or (actor.username if actor is not None else "system"),
        action=action,
        subject_type=subject_type or (type(subject).__name__ if subject is not None else "system"),
        subject_id=getattr(subject, "id", None),
        subject_label=subject_label or getattr(subject, "number", None),
        changes=_plain(changes or {}),
        why=why,
    )
    event.prev_hash = prev_hash or GENESIS
    event.hash = event_digest(event.prev_hash, _fields(event))
    session.add(event)
    session.info[_HEAD] = event.hash
    return event


_HEAD = "audit_chain_head"  # session.info: hash of the event this transaction wrote last


def _chain_head(session: Session) -> str | None:
    """The hash of the latest event: the one this transaction wrote last, else the stored one.

    The AUDIT counter stays locked from this transaction's first event until it ends, so no
    one else appends in between. Any transaction or savepoint beginning or ending forgets the
    remembered hash (see _forget_head), and the trail is read again.
    """
    head = session.info.get(_HEAD)
    if head is not None:
        return head
    return session.scalar(_LATEST_HASH)


# Built once (every audit event may run it): building and keying it cost more than running it.
_LATEST_HASH = select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)


@orm_events.listens_for(Session, "after_transaction_create")
@orm_events.listens_for(Session, "after_transaction_end")
def _forget_head(session: Session, transaction) -> None:
    """Drop the remembered chain head when a transaction or savepoint begins or ends."""
    # Only real boundaries count: a flush opens and closes an inner "subtransaction" too.
    if transaction.nested or transaction.parent is None:
        session.info.pop(_HEAD, None)


@dataclass(frozen=True)
class ChainBreak:
    """One place where the trail is not as the portal wrote it."""

    kind: str  # "altered", "removed" or "inserted"
    event_id: int | None  # the event named (for "removed": the first one after the gap)
    seq: int | None
    detail: str


@dataclass(frozen=True)
class TrailCheck:
    """The result of walking the whole trail: how many events, and every break found."""

    count: int
    breaks: list[ChainBreak]

    @property
    def intact(self) -> bool:
        """True when nothing was altered, removed or inserted."""
        return not self.breaks


def _counter_value(session: Session) -> int:
    """How many events the portal has recorded (the AUDIT counter), 0 before the first."""
    value = session.scalar(
        select(DocumentCounter.last_value).where(DocumentCounter.key == AUDIT_COUNTER)
    )
    return int(value or 0)


def verify_trail(session: Session, *, max_breaks: int = 20) -> TrailCheck:
    """Walk the trail in sequence order and name what was altered, removed or inserted.

    Each event must carry the next sequence number, point at the hash of the event before it and
    hash to its own stored hash; the last number must be the AUDIT counter's value.
    """
    recorded = _counter_value(session)
    breaks: list[ChainBreak] = []
    expected, prev, count = 1, GENESIS, 0
    prev_event: AuditEvent | None = None
    stmt = select(AuditEvent).order_by(AuditEvent.seq.is_(None), AuditEvent.seq, AuditEvent.id)
    for event in session.scalars(stmt).yield_per(1000):
        count += 1
        if len(breaks) >= max_breaks:
            continue
        if event.seq is None or event.seq > recorded:
            breaks.append(
                ChainBreak(
                    "inserted",
                    event.id,
                    event.seq,
                    f"event #{event.id} ({event.action}) was written outside the portal: "
                    f"sequence {event.seq} was never handed out (the portal has recorded "
                    f"{recorded:,})",
                )
            )
        elif event.seq > expected:
            missing = event.seq - expected
            span = str(expected) if missing == 1 else f"{expected} to {event.seq - 1}"
            breaks.append(
                ChainBreak(
                    "removed",
                    event.id,
                    event.seq,
                    f"{missing} event{'s' if missing > 1 else ''} removed before event "
                    f"#{event.id}: sequence {span} is missing",
                )
            )
        elif event.prev_hash != prev and prev_event is not None:
            # Numbers run on but the link is broken: the event before was rewritten and re-hashed.
            breaks.append(
                ChainBreak(
                    "altered",
                    prev_event.id,
                    prev_event.seq,
                    f"event #{prev_event.id} ({prev_event.action}) was replaced: event "
                    f"#{event.id} after it no longer links to it",
                )
            )
        elif event.prev_hash != prev or event_digest(event.prev_hash, _fields(event)) != event.hash:
            breaks.append(
                ChainBreak(
                    "altered",
                    event.id,
                    event.seq,
                    f"event #{event.id} ({event.action}) was altered after it was written: "
                    "its content no longer matches its hash",
                )
            )
        prev = event.hash
        prev_event = event
        expected = (event.seq or expected) + 1
    last = expected - 1
    if last < recorded and len(breaks) < max_breaks:
        missing = recorded - last
        span = str(recorded) if missing == 1 else f"{last + 1} to {recorded}"
        breaks.append(
            ChainBreak(
                "removed",
                None,
                last + 1,
                f"the last {missing} event{'s' if missing > 1 else ''} were removed: "
                f"sequence {span} is missing",
            )
        )
    return TrailCheck(count=count, breaks=breaks)


def verify_chain(session: Session) -> tuple[bool, int | None]:
    """(True, None) if the trail is intact, else (False, id of the first event named)."""
    check = verify_trail(session, max_breaks=1)
    if check.intact:
        return True, None
    return False, check.breaks[0].event_id
