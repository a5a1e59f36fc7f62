"""Audit findings into compliance work orders: a dry run first, then all of them or none."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from portal.domain.audit_findings import (
    AssetRef,
    FindingsCheck,
    LocationRef,
    RawFinding,
    check_findings,
    decode_csv,
    read_csv,
    wanted_references,
)
from portal.domain.errors import DomainError
from portal.domain.work_orders import Priority, WorkOrderType
from portal.extensions import db
from portal.models import Asset, AuditEvent, AuditFinding, Location, Site, User, WorkOrder
from portal.models.base import utcnow
from portal.services import audit
from portal.services._uow import unit_of_work
from portal.services.work_orders import NewWorkOrder, add_work_order

IMPORTED = "audit_findings.imported"
PREVIEW_READY_SHOWN = 100  # a dry run lists every bad row, and this many good ones
_SUBMISSION_ID = re.compile(r"^[A-Za-z0-9_-]{16,48}$")


@dataclass(frozen=True)
class PreviewRow:
    """One row of a dry run: the work order it would make, or its problems."""

    row: int
    label: str
    audit_reference: str
    title: str
    asset: str | None
    location: str | None
    due_on: date | None
    priority: Priority | None
    steps: tuple[str, ...]
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when this row would become a work order."""
        return not self.problems


@dataclass
class Preview:
    """A dry run of a file: what every row would make and what stops it; nothing written."""

    csv_text: str
    rows: list[PreviewRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # the file's own, not a row's
    warnings: list[str] = field(default_factory=list)  # worth a look, not stopping the import

    @property
    def checked(self) -> int:
        """How many rows were checked."""
        return len(self.rows)

    @property
    def ready(self) -> int:
        """How many rows would become work orders."""
        return sum(1 for row in self.rows if row.ok)

    @property
    def bad_rows(self) -> list[PreviewRow]:
        """Rows with problems, in file order."""
        return [row for row in self.rows if not row.ok]

    @property
    def ok(self) -> bool:
        """True when the file can be imported as it is."""
        return not self.problems and bool(self.rows) and not self.bad_rows

    @property
    def shown(self) -> list[PreviewRow]:
        """The rows the page lists: every bad row, and the first good ones, in file order."""
        good = 0
        shown = []
        for row in self.rows:
            if not row.ok or good < PREVIEW_READY_SHOWN:
                shown.append(row)
                good += row.ok
        return shown

    @property
    def hidden(self) -> int:
        """Good rows checked but not listed."""
        return len(self.rows) - len(self.shown)


def today() -> date:
    """The date deadlines are compared with (UTC, like the due times they become)."""
    return utcnow().date()


def due_time(deadline: date) -> datetime:
    """A deadline as a work order due time: the end of that day, UTC."""
    return datetime.combine(deadline, time(23, 59, 59), tzinfo=UTC)


def text_of_upload(data: bytes) -> str:
    """The text of an uploaded CSV (UTF-8, BOM or not, at most 1 MB); DomainError in words."""
    return decode_csv(data)


# ---------------------------------------------------------------- checking


@dataclass
class _Lookup:
    """The assets and locations a set of rows names, as the rules and the page need them."""

    assets: list[AssetRef]
    locations: list[LocationRef]
    asset_labels: dict[int, str]
    location_labels: dict[int, str]


def _look_up(session: Session, rows: Sequence[RawFinding]) -> _Lookup:
    """Fetch only what the rows name: two queries, however many rows."""
    tags, codes = wanted_references(rows)
    found = _Lookup([], [], {}, {})
    if tags:
        stmt = (
            select(Asset)
            .where(func.upper(Asset.tag).in_(sorted(tags)))
            .options(joinedload(Asset.location).joinedload(Location.site))
        )
        for asset in session.scalars(stmt):
            found.assets.append(
                AssetRef(
                    id=asset.id,
                    tag=asset.tag,
                    site_code=asset.location.site.code,
                    location_id=asset.location_id,
                    active=asset.active,
                )
            )
            found.asset_labels[asset.id] = f"{asset.tag} · {asset.name}"
            found.location_labels[asset.location_id] = _location_label(
                asset.location, asset.location.site
            )
    if codes:
        stmt = (
            select(Location, Site)
            .join(Site, Location.site_id == Site.id)
            .where(func.upper(Location.code).in_(sorted(codes)))
        )
        for location, site in session.execute(stmt):
            found.locations.append(
                LocationRef(id=location.id, site_code=site.code, code=location.code)
            )
            found.location_labels[location.id] = _location_label(location, site)
    return found


def _location_label(location: Location, site: Site) -> str:
    """'Boiler Room · RBP': the place and its site, without walking the tree."""
    return f"{location.name} · {site.code}"


def _check(
    session: Session, rows: Sequence[RawFinding], *, noun: str
) -> tuple[FindingsCheck, _Lookup]:
    """Check rows against the rules and the database; nothing is written."""
    lookup = _look_up(session, rows)
    check = check_findings(
        rows, today=today(), assets=lookup.assets, locations=lookup.locations, noun=noun
    )
    if not rows:
        check.file_problems.append("There are no findings to import.")
    return check, lookup


def _earlier_imports_warning(session: Session, references: set[str]) -> list[str]:
    """Audits in the file that already have imported findings: maybe the same file twice."""
    if not references:
        return []
    stmt = (
        select(AuditFinding.audit_reference, func.count())
        .where(AuditFinding.audit_reference.in_(sorted(references)))
        .group_by(AuditFinding.audit_reference)
        .order_by(AuditFinding.audit_reference)
    )
    return [
        f"Audit {reference} already has {count} finding(s) imported. "
        "Check this is not the same file again."
        for reference, count in session.execute(stmt)
    ]


def preview_findings(csv_text: str) -> Preview:
    """Dry run of an audit CSV: every row's would-be work order or problems; nothing written."""
    parsed = read_csv(csv_text)
    preview = Preview(csv_text=csv_text, problems=list(parsed.problems))
    if parsed.problems:
        return preview
    session = db.session
    check, lookup = _check(session, parsed.rows, noun="Row")
    preview.problems.extend(check.file_problems)
    for result in check.rows:
        raw, finding = result.raw, result.finding
        location_id = finding.location_id if finding else None
        preview.rows.append(
            PreviewRow(
                row=raw.row,
                label=result.label,
                audit_reference=raw.audit_reference.strip(),
                title=finding.title if finding else " ".join(raw.finding.split())[:200],
                asset=lookup.asset_labels.get(finding.asset_id) if finding else None,
                location=lookup.location_labels.get(location_id) if location_id else None,
                due_on=finding.deadline_on if finding else None,
                priority=finding.priority if finding else None,
                steps=finding.steps if finding else (),
                problems=result.problems,
            )
        )
    references = {f.audit_reference for f in check.findings}
    preview.warnings = _earlier_imports_warning(session, references)
    return preview


# ---------------------------------------------------------------- importing


def import_findings(csv_text: str, *, actor: User, submission_id: str) -> list[WorkOrder]:
    """Make one compliance work order per row of an audit CSV: all rows or, if any is bad, none.

    The same submission_id twice imports once (a double tap, a retry, the back button).
    """
    parsed = read_csv(csv_text)
    return _import(parsed.rows, parsed.problems, "Row", actor=actor, submission_id=submission_id)


def import_lines(
    lines: Sequence[RawFinding], *, actor: User, submission_id: str
) -> list[WorkOrder]:
    """The same as import_findings for findings typed line by line into the form."""
    return _import(lines, [], "Line", actor=actor, submission_id=submission_id)


def _import(
    rows: Sequence[RawFinding],
    file_problems: list[str],
    noun: str,
    *,
    actor: User,
    submission_id: str,
) -> list[WorkOrder]:
    """Check again, then create every work order and finding in one transaction."""
    if not _SUBMISSION_ID.match(submission_id or ""):
        raise DomainError("The form was incomplete; reload the page and send it again.")
    try:
        with unit_of_work() as session:
            earlier = _imported(session, submission_id)
            if earlier is not None:
                return earlier
            if file_problems:
                raise FindingsCheck(file_problems=list(file_problems)).rejection()
            check, _ = _check(session, rows, noun=noun)
            if not check.ok:
                raise check.rejection()
            orders = _create(session, check, actor=actor, submission_id=submission_id)
    except IntegrityError:
        # Two posts of the same submission raced; the loser's work order keys collided.
        earlier = _imported(db.session, submission_id)
        if earlier is None:
            raise
        return earlier
    return orders


def _create(
    session: Session, check: FindingsCheck, *, actor: User, submission_id: str
) -> list[WorkOrder]:
    """One AuditFinding and one compliance work order per finding, and one import event."""
    orders = []
    for position, finding in enumerate(check.findings, start=1):
        why = f"Audit {finding.audit_reference} finding"
        draft = NewWorkOrder(
            title=finding.title,
            description=finding.finding if finding.finding != finding.title else None,
            type=WorkOrderType.compliance,
            priority=finding.priority,
            asset_id=finding.asset_id,
            location_id=finding.location_id,
            due=due_time(finding.deadline_on),
            checklist=list(finding.steps),
            audit_reference=finding.audit_reference,
            why=why,
        )
        # A key per row on the work order's UNIQUE submission_id: a racing second post of the
        # same submission fails on the first row instead of importing the audit twice.
        wo = add_work_order(
            session, draft, actor=actor, submission_id=f"{submission_id}.{position}"
        )
        session.add(
            AuditFinding(
                audit_reference=finding.audit_reference,
                finding=finding.finding,
                deadline_on=finding.deadline_on,
                work_order_id=wo.id,
            )
        )
        orders.append(wo)
    references = sorted({f.audit_reference for f in check.findings})
    audit.record(
        session,
        actor=actor,
        action=IMPORTED,
        subject_type="AuditImport",
        subject_label=", ".join(references)[:80],
        changes={
            "submission_id": submission_id,
            "count": len(orders),
            "audit_references": references,
            "work_order_ids": [wo.id for wo in orders],
        },
        why=f"{len(orders)} finding(s) of audit {', '.join(references)}"[:1000],
    )
    return orders


def _imported(session: Session, submission_id: str) -> list[WorkOrder] | None:
    """The work orders an earlier post of this submission made, or None if there was none."""
    event = session.scalar(
        select(AuditEvent)
        .where(
            AuditEvent.action == IMPORTED,
            AuditEvent.changes["submission_id"].as_string() == submission_id,
        )
        .limit(1)
    )
    if event is None:
        return None
    ids = [int(i) for i in event.changes.get("work_order_ids", [])]
    stmt = (
        select(WorkOrder)
        .where(WorkOrder.id.in_(ids))
        .options(
            joinedload(WorkOrder.asset),
            joinedload(WorkOrder.location),
            joinedload(WorkOrder.assignee_user),
        )
        .order_by(WorkOrder.id)
    )
    return list(session.scalars(stmt).unique())


def imported_work_orders(submission_id: str) -> list[WorkOrder] | None:
    """The work orders one import made, for its result page; None if there is no such import."""
    if not _SUBMISSION_ID.match(submission_id or ""):
        return None
    return _imported(db.session, submission_id)
