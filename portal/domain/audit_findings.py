"""Audit findings that become work orders: the audit CSV's columns and the rules every row must
pass (the file itself is read by domain/tabular.py, like every import).

Pure rules: no Flask, no database. The service looks up the asset tags and locations a file
names and passes them in as plain values, so every rule here is tested without a database.

The CSV, as people are told on the import page:

    audit_reference, finding, asset_tag, location, deadline, priority, instructions

- a header row with those names first (any order, any case; `asset_tag` or `location` may be
  left out; `reference` and `tag` are read as audit_reference and asset_tag);
- UTF-8, with or without a byte-order mark; commas or semicolons between cells;
- `location` is optional when the asset is given; write it `SITE/CODE` (or `CODE` if only one
  site has it);
- `deadline` is YYYY-MM-DD, today or later; `priority` is emergency, high, normal or low
  (blank: high); `instructions` are steps separated by `|`;
- at most MAX_ROWS findings; rows are numbered as a spreadsheet shows them (the header is row 1).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from portal.domain.errors import DomainError
from portal.domain.fields import LATEST_DAY
from portal.domain.tabular import TableSpec
from portal.domain.work_orders import Priority

MAX_ROWS = 2000
MAX_FILE_BYTES = 1024 * 1024
MAX_STEPS = 50
MAX_STEP_CHARS = 500
TITLE_CHARS = 200
DEFAULT_PRIORITY = Priority.high

COLUMNS: tuple[str, ...] = (
    "audit_reference",
    "finding",
    "asset_tag",
    "location",
    "deadline",
    "priority",
    "instructions",
)
REQUIRED_COLUMNS: tuple[str, ...] = ("audit_reference", "finding", "deadline")
# The longest text each cell may hold (the columns they land in, or a sane bound).
CELL_LIMITS: dict[str, int] = {
    "audit_reference": 80,
    "finding": 2000,
    "asset_tag": 32,
    "location": 80,
    "instructions": 4000,
}
COLUMN_WORDS: dict[str, str] = {
    "audit_reference": "audit reference",
    "finding": "finding",
    "asset_tag": "asset tag",
    "location": "location",
    "instructions": "instructions",
}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# How the one CSV reader reads an audit file.
SPEC = TableSpec(
    columns=COLUMNS,
    required=REQUIRED_COLUMNS,
    max_rows=MAX_ROWS,
    max_bytes=MAX_FILE_BYTES,
    max_cell_chars=max(CELL_LIMITS.values()),
    aliases=(("reference", "audit_reference"), ("audit", "audit_reference"), ("tag", "asset_tag")),
)


class FindingsRejected(DomainError):
    """A file or form of findings with problems: nothing is imported, every problem is named."""

    def __init__(self, problems: Sequence[str], rows: Mapping[int, Sequence[str]] | None = None):
        self.problems = list(problems)
        self.rows = {number: list(messages) for number, messages in (rows or {}).items()}
        shown = "; ".join(self.problems[:10])
        more = f"; and {len(self.problems) - 10} more" if len(self.problems) > 10 else ""
        super().__init__(f"Nothing was imported. {shown}{more}.")


@dataclass(frozen=True)
class RawFinding:
    """One finding as typed or read from a file: every cell still text."""

    row: int
    audit_reference: str = ""
    finding: str = ""
    asset_tag: str = ""
    location: str = ""
    deadline: str = ""
    priority: str = ""
    instructions: str = ""


def raw_finding(row: int, cells: Mapping[str, str]) -> RawFinding:
    """One row of an audit file as a RawFinding (the columns a file leaves out are blank)."""
    return RawFinding(row=row, **{name: cells.get(name, "") for name in COLUMNS})


@dataclass(frozen=True)
class AssetRef:
    """What the rules need to know about one asset the file names."""

    id: int
    tag: str
    site_code: str
    location_id: int
    active: bool = True


@dataclass(frozen=True)
class LocationRef:
    """What the rules need to know about one location the file may mean."""

    id: int
    site_code: str
    code: str


@dataclass(frozen=True)
class Finding:
    """A checked finding, ready to become a compliance work order."""

    row: int
    audit_reference: str
    finding: str
    deadline_on: date
    priority: Priority
    steps: tuple[str, ...]
    asset_id: int | None
    location_id: int | None

    @property
    def title(self) -> str:
        """The work order's title: the finding's first TITLE_CHARS characters."""
        return work_order_title(self.finding)


@dataclass(frozen=True)
class RowCheck:
    """One row's verdict: the finding it makes, or the problems that stop it."""

    raw: RawFinding
    label: str
    finding: Finding | None
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when the row can be imported."""
        return not self.problems

    def messages(self) -> list[str]:
        """The problems, each prefixed with the row: 'Row 7: asset tag P-999 is not known'."""
        return [f"{self.label}: {problem}" for problem in self.problems]


@dataclass
class FindingsCheck:
    """The verdict on a whole file or form: every row's result and the file's own problems."""

    rows: list[RowCheck] = field(default_factory=list)
    file_problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when there is something to import and nothing is wrong."""
        return not self.file_problems and bool(self.rows) and all(r.ok for r in self.rows)

    @property
    def bad_rows(self) -> list[RowCheck]:
        """The rows with problems, in file order."""
        return [r for r in self.rows if not r.ok]

    @property
    def findings(self) -> list[Finding]:
        """The checked findings of the good rows, in file order."""
        return [r.finding for r in self.rows if r.finding is not None]

    def messages(self) -> list[str]:
        """Every problem in words: the file's first, then row by row."""
        return self.file_problems + [m for r in self.rows for m in r.messages()]

    def rejection(self) -> FindingsRejected:
        """The error that says why nothing can be imported."""
        return FindingsRejected(self.messages(), {r.raw.row: r.problems for r in self.bad_rows})


# ---------------------------------------------------------------- checking


def _shown(text: str, limit: int = 40) -> str:
    """A cell quoted back in a message, cut short so a runaway cell cannot flood the page."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def asset_key(tag: str) -> str:
    """How tags are compared: without spaces around, ignoring case."""
    return tag.strip().upper()


def location_parts(text: str) -> tuple[str | None, str]:
    """('ECA', 'FLAT4B') from 'ECA/FLAT4B'; (None, 'FLAT4B') from a bare code; upper case."""
    site, sep, code = text.strip().upper().rpartition("/")
    return ((site.strip() or None) if sep else None), code.strip()


def work_order_title(finding: str) -> str:
    """A finding's first TITLE_CHARS characters, on one line."""
    return " ".join(finding.split())[:TITLE_CHARS]


def split_steps(text: str) -> list[str]:
    """Instruction steps from 'Isolate | Replace seal | Test', blanks dropped."""
    return [step.strip() for step in text.split("|") if step.strip()]


def wanted_references(rows: Iterable[RawFinding]) -> tuple[set[str], set[str]]:
    """The asset keys and location codes the rows name: what the service must look up."""
    tags, codes = set(), set()
    for raw in rows:
        if raw.asset_tag.strip():
            tags.add(asset_key(raw.asset_tag))
        if raw.location.strip():
            codes.add(location_parts(raw.location)[1])
    return tags, codes


def check_deadline(text: str, *, today: date) -> tuple[date | None, str | None]:
    """(the deadline, None) or (None, the problem in words) for a YYYY-MM-DD cell."""
    text = text.strip()
    if not text:
        return None, "deadline is missing"
    if not _ISO_DATE.match(text):
        return None, f"deadline {_shown(text)} is not a date written YYYY-MM-DD"
    try:
        deadline = date.fromisoformat(text)
    except ValueError:
        return None, f"deadline {text} is not a real date"
    if deadline < today:
        return None, f"deadline {text} is in the past"
    if deadline > LATEST_DAY:
        return None, f"deadline {text} is after {LATEST_DAY.isoformat()}"
    return deadline, None


def check_findings(
    rows: Sequence[RawFinding],
    *,
    today: date,
    assets: Iterable[AssetRef],
    locations: Iterable[LocationRef],
    noun: str = "Row",
) -> FindingsCheck:
    """Check every row against the rules and the assets and locations that exist."""
    by_tag = _index_assets(assets)
    by_code: dict[str, list[LocationRef]] = {}
    for ref in locations:
        by_code.setdefault(ref.code.upper(), []).append(ref)
    result = FindingsCheck()
    seen: dict[tuple[str, ...], int] = {}
    for raw in rows:
        label = f"{noun} {raw.row}"
        problems: list[str] = []
        for column, limit in CELL_LIMITS.items():
            value = getattr(raw, column).strip()
            if len(value) > limit:
                problems.append(
                    f"{COLUMN_WORDS[column]} is {len(value):,} characters; at most {limit:,}"
                )
        reference = raw.audit_reference.strip()
        text = raw.finding.strip()
        if not reference:
            problems.append("audit reference is missing")
        if not text:
            problems.append("finding is missing")
        deadline, problem = check_deadline(raw.deadline, today=today)
        if problem:
            problems.append(problem)
        priority = DEFAULT_PRIORITY
        if raw.priority.strip():
            try:
                priority = Priority(raw.priority.strip().lower())
            except ValueError:
                problems.append(
                    f"priority {_shown(raw.priority)} is not one of {', '.join(Priority)}"
                )
        steps = split_steps(raw.instructions)
        if len(steps) > MAX_STEPS:
            problems.append(f"instructions have {len(steps)} steps; at most {MAX_STEPS}")
        if any(len(step) > MAX_STEP_CHARS for step in steps):
            problems.append(f"an instruction step is longer than {MAX_STEP_CHARS} characters")
        asset, location_id = _where(raw, by_tag, by_code, problems)
        where = (asset_key(raw.asset_tag), raw.location.strip().upper())
        key = (reference.upper(), " ".join(text.split()).lower(), *where)
        if reference and text:
            if key in seen:
                problems.append(f"repeats {noun.lower()} {seen[key]}")
            else:
                seen[key] = raw.row
        finding = None
        if not problems and deadline is not None:
            finding = Finding(
                row=raw.row,
                audit_reference=reference,
                finding=text,
                deadline_on=deadline,
                priority=priority,
                steps=tuple(steps),
                asset_id=asset.id if asset else None,
                location_id=location_id,
            )
        result.rows.append(
            RowCheck(raw=raw, label=label, finding=finding, problems=tuple(problems))
        )
    return result


def _index_assets(assets: Iterable[AssetRef]) -> dict[str, list[AssetRef]]:
    """Assets by their compared tag; more than one only when tags differ by case alone."""
    index: dict[str, list[AssetRef]] = {}
    for ref in assets:
        index.setdefault(asset_key(ref.tag), []).append(ref)
    return index


def _where(
    raw: RawFinding,
    by_tag: Mapping[str, list[AssetRef]],
    by_code: Mapping[str, list[LocationRef]],
    problems: list[str],
) -> tuple[AssetRef | None, int | None]:
    """The asset and location a row names, checked; problems are appended in words."""
    tag, where = raw.asset_tag.strip(), raw.location.strip()
    tag_shown, where_shown = _shown(tag), _shown(where)
    if not tag and not where:
        problems.append("give an asset tag or a location")
        return None, None
    asset = None
    if tag:
        candidates = by_tag.get(asset_key(tag), [])
        exact = [ref for ref in candidates if ref.tag == tag]
        if len(exact) == 1 or len(candidates) == 1:
            asset = exact[0] if exact else candidates[0]
        elif candidates:
            problems.append(f"asset tag {tag_shown} matches more than one asset; write it exactly")
        else:
            problems.append(f"asset tag {tag_shown} is not known")
        if asset is not None and not asset.active:
            problems.append(f"asset {asset.tag} is out of service (inactive)")
    location = None
    if where:
        site_code, code = location_parts(where)
        places = by_code.get(code, [])
        if site_code is not None:
            places = [ref for ref in places if ref.site_code.upper() == site_code]
        if len(places) == 1:
            location = places[0]
        elif places:
            sites = ", ".join(sorted(f"{ref.site_code}/{ref.code}" for ref in places))
            problems.append(
                f"location {where_shown} is in more than one site; write one of {sites}"
            )
        else:
            problems.append(f"location {where_shown} is not known")
    if asset is not None and location is not None and asset.site_code != location.site_code:
        problems.append(
            f"asset {asset.tag} is at site {asset.site_code}, not at location {where_shown}"
        )
    if location is not None:
        return asset, location.id
    return asset, asset.location_id if asset else None
