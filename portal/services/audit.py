"""Writing and verifying the audit trail: append-only and hash-chained."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import AuditEvent, User
from portal.models.base import utcnow
from portal.services.numbering import bump_counter

GENESIS = "0" * 64


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
    bump_counter(session, "AUDIT")
    prev_hash = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    if subject is not None:
        session.flush()
    event = AuditEvent(
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
    return event


def verify_chain(session: Session) -> tuple[bool, int | None]:
    """Walk the trail in order; (True, None) if intact, else (False, id of the first bad event)."""
    prev = GENESIS
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id)).yield_per(1000):
        if event.prev_hash != prev or event_digest(prev, _fields(event)) != event.hash:
            return False, event.id
        prev = event.hash
    return True, None
