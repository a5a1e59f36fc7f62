"""Reading the audit trail: a document's timeline in words, the auditors' search and export."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, String, cast, func, or_, select

from portal.models import AuditEvent
from portal.services._uow import current_session

TIMELINE_SIZE = 30
SEARCH_PAGE_SIZE = 50


def action_words(action: str) -> str:
    """'work_order.status_changed' -> 'Work order status changed'."""
    text = action.replace(".", " ").replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _value_words(value: Any) -> str:
    """A before/after value in words: nothing is an em dash, nested records read as phrases."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        parts = []
        for key, inner in value.items():
            label = str(key).replace("_", " ")
            if isinstance(inner, list) and len(inner) == 2 and not isinstance(inner[0], dict):
                parts.append(f"{label} {_value_words(inner[0])} → {_value_words(inner[1])}")
            else:
                parts.append(f"{label} {_value_words(inner)}")
        return ", ".join(parts)
    if isinstance(value, list):
        return "; ".join(_value_words(item) for item in value)
    return str(value).replace("_", " ") if isinstance(value, str) else str(value)


@dataclass(frozen=True)
class Change:
    """One field's move, in words."""

    field: str
    before: str | None  # None: a plain fact, not a move
    after: str


@dataclass(frozen=True)
class TimelineEntry:
    """One audit event told in words: who, when, what, before -> after, why."""

    id: int
    seq: int | None
    at: datetime
    who: str
    what: str
    action: str
    subject: str
    changes: list[Change]
    why: str | None


def describe_changes(changes: dict | None) -> list[Change]:
    """The changes dict as words; [before, after] pairs become moves, anything else a fact."""
    described = []
    for name, value in (changes or {}).items():
        label = str(name).replace("_", " ")
        if isinstance(value, list) and len(value) == 2:
            described.append(Change(label, _value_words(value[0]), _value_words(value[1])))
        else:
            described.append(Change(label, None, _value_words(value)))
    return described


def _entry(event: AuditEvent) -> TimelineEntry:
    """An event as a timeline entry."""
    subject = event.subject_label or (
        f"{event.subject_type} {event.subject_id}" if event.subject_id else event.subject_type
    )
    return TimelineEntry(
        id=event.id,
        seq=event.seq,
        at=event.at,
        who=event.actor_label,
        what=action_words(event.action),
        action=event.action,
        subject=subject,
        changes=describe_changes(event.changes),
        why=event.why,
    )


def timeline_for(
    subject_type: str, subject_id: int, *, limit: int = TIMELINE_SIZE
) -> list[TimelineEntry]:
    """The latest events about one document (e.g. "WorkOrder", 12), newest first, bounded."""
    events = current_session().scalars(
        select(AuditEvent)
        .where(AuditEvent.subject_type == subject_type, AuditEvent.subject_id == subject_id)
        .order_by(AuditEvent.seq.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    return [_entry(event) for event in events]


# The days a search may name: the trail holds nothing earlier, and the day after the last must
# still be a date (a search up to 31 Dec 9999 used to break off a download half-way).
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2999, 12, 31)


@dataclass(frozen=True)
class EventFilter:
    """What the auditor searched for; every part optional."""

    text: str | None = None
    actor: str | None = None
    action: str | None = None
    subject: str | None = None
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True)
class EventPage:
    """One page of matching events, newest first."""

    entries: list[TimelineEntry]
    page: int
    total: int
    page_size: int

    @property
    def pages(self) -> int:
        """How many pages the matches fill (at least 1)."""
        return max(1, -(-self.total // self.page_size))

    @property
    def has_next(self) -> bool:
        """True when there is a later page."""
        return self.page < self.pages


def _like(text: str) -> str:
    """A LIKE pattern for `text`, its own % and _ taken literally."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _filtered(criteria: EventFilter) -> Select[AuditEvent]:
    """SELECT of the events matching `criteria` (no order, no limit)."""
    stmt = select(AuditEvent)
    if criteria.text and criteria.text.strip():
        like = _like(criteria.text.strip())
        stmt = stmt.where(
            or_(
                func.lower(AuditEvent.action).like(like, escape="\\"),
                func.lower(AuditEvent.subject_label).like(like, escape="\\"),
                func.lower(AuditEvent.actor_label).like(like, escape="\\"),
                func.lower(AuditEvent.why).like(like, escape="\\"),
                func.lower(cast(AuditEvent.changes, String)).like(like, escape="\\"),
            )
        )
    if criteria.actor and criteria.actor.strip():
        stmt = stmt.where(func.lower(AuditEvent.actor_label) == criteria.actor.strip().lower())
    if criteria.action and criteria.action.strip():
        stmt = stmt.where(
            func.lower(AuditEvent.action).like(_like(criteria.action.strip()), escape="\\")
        )
    if criteria.subject and criteria.subject.strip():
        stmt = stmt.where(func.upper(AuditEvent.subject_label) == criteria.subject.strip().upper())
    if criteria.date_from:
        stmt = stmt.where(AuditEvent.at >= datetime.combine(criteria.date_from, time.min, UTC))
    if criteria.date_to:
        after = datetime.combine(criteria.date_to + timedelta(days=1), time.min, UTC)
        stmt = stmt.where(AuditEvent.at < after)
    return stmt


def search_events(
    criteria: EventFilter, *, page: int = 1, page_size: int = SEARCH_PAGE_SIZE
) -> EventPage:
    """One page of events matching `criteria`, newest first (two queries)."""
    stmt = _filtered(criteria)
    total = current_session().scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = max(1, page)
    events = current_session().scalars(
        stmt.order_by(AuditEvent.seq.desc(), AuditEvent.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    return EventPage([_entry(e) for e in events], page, total, page_size)


def actors() -> list[str]:
    """Everyone who appears in the trail, for the actor filter (a bounded list)."""
    return list(
        current_session().scalars(
            select(AuditEvent.actor_label).distinct().order_by(AuditEvent.actor_label).limit(500)
        )
    )


CSV_COLUMNS = ["seq", "at", "actor", "action", "subject_type", "subject", "changes", "why"]


def events_for_export(criteria: EventFilter) -> Iterator[list[Any]]:
    """Every matching event as CSV cells (CSV_COLUMNS), oldest first, read in chunks.

    The query is built here, before the first row is asked for, so a filter that cannot be
    searched fails before a download begins.
    """
    stmt = _filtered(criteria).order_by(AuditEvent.seq, AuditEvent.id)
    return _export_rows(stmt.execution_options(yield_per=1000))


def _export_rows(stmt: Select[AuditEvent]) -> Iterator[list[Any]]:
    """The events of `stmt` as CSV cells, streamed."""
    for event in current_session().scalars(stmt):
        yield [
            event.seq,
            event.at.isoformat(),
            event.actor_label,
            event.action,
            event.subject_type,
            event.subject_label or (str(event.subject_id) if event.subject_id else ""),
            json.dumps(event.changes, sort_keys=True, ensure_ascii=False),
            event.why or "",
        ]
