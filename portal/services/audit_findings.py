"""Audit findings into compliance work orders, through the one CSV import pipeline
(services/csv_import.py): a dry run names every bad row, the import makes all rows or none, and
a second post of the same form imports once. The many-lines form takes the same checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from portal.domain.audit_findings import (
    COLUMNS,
    SPEC,
    AssetRef,
    Finding,
    FindingsCheck,
    LocationRef,
    RawFinding,
    RowCheck,
    check_findings,
    raw_finding,
    wanted_references,
)
from portal.domain.permissions import Capability
from portal.domain.tabular import Parsed, RowProblem
from portal.domain.work_orders import Priority, WorkOrderType
from portal.models import Asset, AuditFinding, Location, Site, User, WorkOrder
from portal.models.base import utcnow
from portal.services import audit, csv_import
from portal.services._uow import (
    current_session,
    submission_result,
    submitted_once,
    unit_of_work,
)
from portal.services.authz import authorize
from portal.services.work_orders import NewWorkOrder, add_work_order

IMPORTED = "audit_findings.imported"
FORM_KIND = "audit_findings_form"  # the many-lines form's submissions
PREVIEW_READY_SHOWN = 100  # a dry run lists every bad row, and this many good ones


def today() -> date:
    """The date deadlines are compared with (UTC, like the due times they become)."""
    return utcnow().date()


def due_time(deadline: date) -> datetime:
    """A deadline as a work order due time: the end of that day, UTC."""
    return datetime.combine(deadline, time(23, 59, 59), tzinfo=UTC)


def example_row() -> list[str]:
    """One example finding, due in four weeks, for the template download."""
    return [
        "FS-2026-014",
        "Fire door to the stairs does not close fully",
        "",
        "ECA/LOBBY",
        (today() + timedelta(days=28)).isoformat(),
        "high",
        "Adjust the closer | Check the latch | Photograph the door closed",
    ]


# ---------------------------------------------------------------- checking


@dataclass
class _Lookup:
    """The assets and locations a set of rows names, as the rules and the page need them."""

    assets: list[AssetRef] = field(default_factory=list)
    locations: list[LocationRef] = field(default_factory=list)
    asset_labels: dict[int, str] = field(default_factory=dict)
    location_labels: dict[int, str] = field(default_factory=dict)


def _look_up(session: Session, rows: Sequence[RawFinding]) -> _Lookup:
    """Fetch only what the rows name: two queries, however many rows."""
    tags, codes = wanted_references(rows)
    found = _Lookup()
    if tags:
        assets = session.scalars(
            select(Asset)
            .where(func.upper(Asset.tag).in_(sorted(tags)))
            .options(joinedload(Asset.location).joinedload(Location.site))
        )
        for asset in assets:
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
        places = session.execute(
            select(Location, Site)
            .join(Site, Location.site_id == Site.id)
            .where(func.upper(Location.code).in_(sorted(codes)))
        )
        for location, site in places:
            found.locations.append(
                LocationRef(id=location.id, site_code=site.code, code=location.code or "")
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
    return check, lookup


@dataclass
class FindingRow:
    """One row of an audit file in the pipeline: its cells, then what checking made of it."""

    cells: dict[str, str]
    check: RowCheck | None = None
    asset: str | None = None  # 'P-101 · Pump' for the dry run page
    location: str | None = None


def _parse_row(cells: dict[str, str]) -> FindingRow:
    """Each row is kept as read; the rules run over all rows at once (repeats, lookups)."""
    return FindingRow(cells)


def _check_rows(session: Session, rows: list[Parsed[FindingRow]]) -> list[RowProblem]:
    """The rules and the database on every row; each row keeps its verdict for the page and
    for the import."""
    raws = [raw_finding(parsed.row, parsed.value.cells) for parsed in rows]
    check, lookup = _check(session, raws, noun="Row")
    problems: list[RowProblem] = []
    for parsed, verdict in zip(rows, check.rows, strict=True):
        row = parsed.value
        row.check = verdict
        if verdict.finding is not None:
            row.asset = lookup.asset_labels.get(verdict.finding.asset_id or 0)
            row.location = lookup.location_labels.get(verdict.finding.location_id or 0)
        problems.extend(RowProblem(parsed.row, problem) for problem in verdict.problems)
    return problems


def _write_rows(session: Session, rows: list[Parsed[FindingRow]], actor: User) -> list[Any]:
    """The checked rows' work orders (the pipeline calls this only when every row is good)."""
    findings = [p.value.check.finding for p in rows if p.value.check and p.value.check.finding]
    return _create(session, findings, actor=actor)


IMPORTER = csv_import.Importer(
    kind="audit_findings",
    spec=SPEC,
    parse_row=_parse_row,
    check=_check_rows,
    write=_write_rows,
)


# ---------------------------------------------------------------- the dry run


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
    """A dry run of a file: what every row would make and what stops it; nothing written.
    `summary` is what every import's page shows (csv_import.Summary); `rows` are this
    import's cards."""

    csv_text: str
    summary: csv_import.Summary
    rows: list[PreviewRow] = field(default_factory=list)

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


def _preview_row(parsed: Parsed[FindingRow], problems: list[str]) -> PreviewRow:
    """A read row as the dry run page shows it."""
    row = parsed.value
    finding = row.check.finding if row.check is not None else None
    return PreviewRow(
        row=parsed.row,
        label=f"Row {parsed.row}",
        audit_reference=row.cells.get("audit_reference", "").strip(),
        title=finding.title if finding else " ".join(row.cells.get("finding", "").split())[:200],
        asset=row.asset,
        location=row.location,
        due_on=finding.deadline_on if finding else None,
        priority=finding.priority if finding else None,
        steps=finding.steps if finding else (),
        problems=tuple(problems),
    )


def preview_findings(csv_text: str) -> Preview:
    """Dry run of an audit CSV: every row's would-be work order or problems; nothing written."""
    result = csv_import.preview(IMPORTER, csv_text)
    by_row = result.problems_by_row()
    references = {
        p.value.check.finding.audit_reference
        for p in result.rows
        if p.value.check is not None and p.value.check.finding is not None
    }
    summary = result.summary(warnings=_earlier_imports_warning(current_session(), references))
    read = {parsed.row for parsed in result.rows}
    rows = [_preview_row(parsed, by_row.get(parsed.row, [])) for parsed in result.rows]
    rows += [  # rows the reader could not take (text past the header, an overlong cell)
        PreviewRow(bad.row, bad.label, "", "", None, None, None, None, (), bad.problems)
        for bad in summary.bad_rows
        if bad.row not in read
    ]
    return Preview(csv_text=csv_text, summary=summary, rows=sorted(rows, key=lambda r: r.row))


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


# ---------------------------------------------------------------- importing


def import_findings(csv_text: str, *, actor: User, submission_id: str | None) -> list[WorkOrder]:
    """Make one compliance work order per row of an audit CSV: all rows or, if any is bad, none
    (ImportRefused names every bad row). The same submission twice imports once."""
    authorize(actor, Capability.import_audit_findings)
    return csv_import.run_import(IMPORTER, csv_text, actor=actor, submission_id=submission_id)


@submitted_once(FORM_KIND)
def import_lines(
    lines: Sequence[RawFinding], *, actor: User, submission_id: str | None = None
) -> list[WorkOrder]:
    """The same for findings typed line by line into the form (FindingsRejected names the
    lines); one import per form submission."""
    authorize(actor, Capability.import_audit_findings)
    with unit_of_work() as session:
        check, _ = _check(session, lines, noun="Line")
        if not lines:
            check.file_problems.append("There are no findings to import.")
        if not check.ok:
            raise check.rejection()
        return _create(session, check.findings, actor=actor)


def _create(session: Session, findings: Sequence[Finding], *, actor: User) -> list[WorkOrder]:
    """One AuditFinding and one compliance work order per finding, and one import event."""
    orders = []
    for finding in findings:
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
            why=f"Audit {finding.audit_reference} finding",
        )
        wo = add_work_order(session, draft, actor=actor)
        session.add(
            AuditFinding(
                audit_reference=finding.audit_reference,
                finding=finding.finding,
                deadline_on=finding.deadline_on,
                work_order_id=wo.id,
            )
        )
        orders.append(wo)
    references = sorted({f.audit_reference for f in findings})
    audit.record(
        session,
        actor=actor,
        action=IMPORTED,
        subject_type="AuditImport",
        subject_label=", ".join(references)[:80],
        changes={
            "count": len(orders),
            "audit_references": references,
            "work_order_ids": [wo.id for wo in orders],
        },
        why=f"{len(orders)} finding(s) of audit {', '.join(references)}"[:1000],
    )
    return orders


def template_rows() -> tuple[tuple[str, ...], list[list[str]]]:
    """The header and one example row: the file to download and fill in."""
    return COLUMNS, [example_row()]


def imported_work_orders(submission_id: str) -> list[WorkOrder] | None:
    """The work orders one import (file or form) made, for its result page; None if there is
    no such import."""
    made = submission_result(submission_id, kinds=(csv_import.KIND, FORM_KIND))
    if not isinstance(made, list):
        return None
    orders = [item for item in made if isinstance(item, WorkOrder)]
    return orders or None
