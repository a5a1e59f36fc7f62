"""The one CSV import pipeline: preview every row (nothing written), then import all or nothing.

A feature describes its import once as an `Importer`: the file's columns, how one row becomes
a value (pure, in its domain module), what the database says about the rows (tags that do not
exist, natural keys already there), and how the rows are written. This module does the rest
for every import the same way: the dry run names every bad row; the real run re-checks the
file, writes nothing if any row is bad, writes every row in one transaction otherwise, and a
second post of the same form gets the first import's result.

The pages are shared too: `Preview.summary()` is what templates/imports/_summary.html shows,
the upload form is portal/forms.CsvUploadForm (templates/imports/_upload_form.html) and the
confirmation portal/forms.ConfirmImportForm.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session

from portal.domain.tabular import (
    ImportRefused,
    Parsed,
    RowProblem,
    TableSpec,
    csv_text,
    parse_rows,
    read_table,
)
from portal.models import User
from portal.services._uow import current_session, submitted_once, unit_of_work

T = TypeVar("T")

KIND = "csv_import"  # the submission kind of every import (services/_uow.submitted_once)


@dataclass(frozen=True)
class Importer(Generic[T]):
    """Everything that makes one kind of import different from another."""

    kind: str  # names the submission: "audit_findings", "vendor_invoices", ...
    spec: TableSpec
    parse_row: Callable[[dict[str, str]], T]
    # Problems the database reveals (unknown tags, duplicates); may also resolve references.
    check: Callable[[Session, list[Parsed[T]]], list[RowProblem]]
    # Write the checked rows; return what was made (ORM objects) for the result page.
    write: Callable[[Session, list[Parsed[T]], User], list[Any]]
    example: Sequence[Sequence[str]] = field(default_factory=tuple)

    def template_csv(self) -> str:
        """The header and the example rows: the file to download and fill in."""
        return csv_text(self.spec.columns, self.example)


@dataclass(frozen=True)
class BadRow:
    """A row of the file that stops the import, with everything wrong with it."""

    row: int
    problems: tuple[str, ...]

    @property
    def label(self) -> str:
        """How the page names the row: as a spreadsheet numbers it (the header is row 1)."""
        return f"Row {self.row}"


@dataclass
class Summary:
    """The dry run in numbers and words, as every import's page shows it
    (templates/imports/_summary.html): rows checked and ready, the file's own problems, every
    bad row by name, and warnings that do not stop the import."""

    checked: int
    ready: int
    problems: list[str]
    bad_rows: list[BadRow]
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the file can be imported as it is."""
        return not self.problems and self.checked > 0 and not self.bad_rows


@dataclass
class Preview(Generic[T]):
    """What an import would do: the good rows, and every problem by row."""

    rows: list[Parsed[T]]
    problems: list[RowProblem]

    def problems_by_row(self) -> dict[int | None, list[str]]:
        """Messages grouped by row number (None: the file as a whole)."""
        return ImportRefused(self.problems).by_row() if self.problems else {}

    def summary(self, warnings: Sequence[str] = ()) -> Summary:
        """The page's summary: rows the reader could not take count as checked and bad; the
        header's problems (row 1) are the file's own."""
        by_row = self.problems_by_row()
        file_problems = by_row.get(None, []) + [f"Row 1: {m}" for m in by_row.get(1, [])]
        bad = {number: words for number, words in by_row.items() if number and number > 1}
        read = {parsed.row for parsed in self.rows}
        return Summary(
            checked=len(read | set(bad)),
            ready=len(read - set(bad)),
            problems=file_problems,
            bad_rows=[BadRow(number, tuple(bad[number])) for number in sorted(bad)],
            warnings=list(warnings),
        )


def _checked(importer: Importer[T], session: Session, data: bytes | str) -> Preview[T]:
    """Read, parse and check the file against the database."""
    table = read_table(data, importer.spec)
    rows, problems = parse_rows(table, importer.parse_row)
    if rows and not table.problems:
        problems += importer.check(session, rows)
    problems.sort(key=lambda p: (p.row is not None, p.row or 0))
    return Preview(rows=rows, problems=problems)


def preview(importer: Importer[T], data: bytes | str) -> Preview[T]:
    """The dry run: every row checked, nothing written."""
    try:
        return _checked(importer, current_session(), data)
    except ImportRefused as refused:
        return Preview(rows=[], problems=refused.problems)


def run_import(
    importer: Importer[T], data: bytes | str, *, actor: User, submission_id: str | None
) -> list[Any]:
    """Import the file, all rows or none (ImportRefused names every bad row)."""
    return _run(importer, data, actor=actor, submission_id=submission_id)


@submitted_once(KIND)
def _run(
    importer: Importer[T], data: bytes | str, *, actor: User, submission_id: str | None = None
) -> list[Any]:
    """The import itself, inside one unit of work; once per submission."""
    with unit_of_work() as session:
        checked = _checked(importer, session, data)
        if checked.problems or not checked.rows:
            raise ImportRefused(checked.problems or [RowProblem(None, "The file has no rows")])
        return importer.write(session, checked.rows, actor)
