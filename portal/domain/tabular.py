"""CSV in and out, once for every import and export: reading a table, naming bad rows, and
writing cells a spreadsheet will not run as formulas.

Pure: the standard library only. `portal/services/csv_import.py` runs an import (preview,
then all or nothing) on top of this; `portal/downloads.py` sends an export.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from portal.domain.errors import DomainError

T = TypeVar("T")

# -- writing

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def neutralise(value: Any) -> str:
    """One cell as text that no spreadsheet evaluates.

    A cell beginning with = + - @ tab or CR gets a leading apostrophe (OWASP's advice against
    CSV injection), except a plain number such as -12.50, which stays a number so a credit
    still adds up. Dates are ISO 8601; None is an empty cell.
    """
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    text = str(value)
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(text):
        return "'" + text
    return text


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The CSV, a line at a time (CRLF, quoted as needed, every cell neutralised)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in _with_header(header, rows):
        writer.writerow([neutralise(cell) for cell in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def _with_header(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[Sequence[Any]]:
    """The header, then the rows."""
    yield header
    yield from rows


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """The whole CSV as one string."""
    return "".join(csv_lines(header, rows))


# -- reading


@dataclass(frozen=True)
class RowProblem:
    """What is wrong, in words, and where: `row` as a spreadsheet numbers it (header is 1)."""

    row: int | None
    message: str

    def __str__(self) -> str:
        return self.message if self.row is None else f"Row {self.row}: {self.message}"


class ImportRefused(DomainError):
    """A file with problems: nothing is written, and every problem is named."""

    def __init__(self, problems: Sequence[RowProblem]):
        self.problems = list(problems)
        shown = "; ".join(str(p) for p in self.problems[:10])
        more = f"; and {len(self.problems) - 10} more" if len(self.problems) > 10 else ""
        super().__init__(f"Nothing was imported. {shown}{more}.")

    def by_row(self) -> dict[int | None, list[str]]:
        """Messages grouped by row number (None: the file as a whole)."""
        grouped: dict[int | None, list[str]] = {}
        for problem in self.problems:
            grouped.setdefault(problem.row, []).append(problem.message)
        return grouped


@dataclass(frozen=True)
class TableSpec:
    """The columns a file may have and must have, and how much of it is accepted."""

    columns: tuple[str, ...]
    required: tuple[str, ...]
    max_rows: int = 5000
    max_bytes: int = 4 * 1024 * 1024
    max_cell_chars: int = 4000
    # Other names people give a column in their header: (("tag", "asset_tag"), ...).
    aliases: tuple[tuple[str, str], ...] = ()

    def column_named(self, header_cell: str) -> str:
        """The column a header cell means: case, spaces around, and spaces or hyphens between
        words do not matter ('Asset tag', 'asset-tag' and 'ASSET_TAG' are asset_tag)."""
        name = re.sub(r"[\s\-]+", "_", header_cell.strip().lower())
        return dict(self.aliases).get(name, name)


@dataclass
class Table:
    """A read file: its rows (number, cells by column) and the problems of the file itself."""

    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


def text_of(data: bytes | str) -> str:
    """Text from an upload: UTF-8 with or without BOM; anything else is refused in words."""
    if isinstance(data, str):
        return data.lstrip("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused(
            [RowProblem(None, "The file is not UTF-8 text. Save it as 'CSV UTF-8' and try again")]
        ) from None


def read_table(data: bytes | str, spec: TableSpec) -> Table:
    """Rows of a CSV (commas or semicolons) under a header naming `spec`'s columns.

    Header cells are matched loosely (`TableSpec.column_named`). The file's own problems (no
    header, missing, unknown or repeated columns, too many rows, text in cells past the
    header, overlong cells) come back as RowProblems; empty cells past the header, which
    spreadsheets leave behind, are ignored. Nothing raises except a file that is not text.
    """
    size = len(data.encode() if isinstance(data, str) else data)
    if size > spec.max_bytes:
        limit = spec.max_bytes // (1024 * 1024)
        raise ImportRefused([RowProblem(None, f"The file is larger than {limit} MB")])
    text = text_of(data)
    if "\x00" in text:
        raise ImportRefused([RowProblem(None, "The file holds binary data, not CSV text")])
    table = Table()
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        table.problems.append(RowProblem(None, "The file is empty: it needs a header row"))
        return table
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [spec.column_named(name) for name in next(reader)]
    table.problems.extend(_header_problems(header, spec))
    if table.problems:
        return table
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(table.rows) >= spec.max_rows:
            table.problems.append(
                RowProblem(None, f"The file has more than {spec.max_rows} rows; split it")
            )
            break
        if any(cell.strip() for cell in _unnamed(cells, header)):
            table.problems.append(
                RowProblem(number, "more cells than columns (a comma that needed quotes?)")
            )
            continue
        row = {
            name: (cells[i].strip() if i < len(cells) else "")
            for i, name in enumerate(header)
            if name
        }
        long = [name for name, value in row.items() if len(value) > spec.max_cell_chars]
        if long:
            table.problems.append(RowProblem(number, f"{long[0]} is too long"))
            continue
        table.rows.append((number, row))
    if not table.rows and not table.problems:
        table.problems.append(RowProblem(None, "The file has a header but no rows"))
    return table


def _header_problems(header: list[str], spec: TableSpec) -> list[RowProblem]:
    """What is wrong with a header row: none of it (no header at all), or columns unknown,
    missing or named twice."""
    if not set(header) & set(spec.required):
        names = ", ".join(spec.columns)
        return [
            RowProblem(None, f"The first row must be the header with the column names: {names}")
        ]
    problems = []
    unknown = [name for name in header if name and name not in spec.columns]
    missing = [name for name in spec.required if name not in header]
    repeated = sorted({name for name in header if name and header.count(name) > 1})
    if unknown:
        problems.append(RowProblem(1, f"unknown column(s): {', '.join(unknown)}"))
    if missing:
        problems.append(RowProblem(1, f"missing column(s): {', '.join(missing)}"))
    if repeated:
        problems.append(RowProblem(1, f"column(s) named twice: {', '.join(repeated)}"))
    return problems


def _unnamed(cells: list[str], header: list[str]) -> list[str]:
    """The cells of a row under no column: past the header, or under a blank header cell."""
    return [cell for i, cell in enumerate(cells) if i >= len(header) or not header[i]]


@dataclass(frozen=True)
class Parsed(Generic[T]):
    """One row turned into a value, with its row number."""

    row: int
    value: T


def parse_rows(
    table: Table, parse_row: Callable[[dict[str, str]], T]
) -> tuple[list[Parsed[T]], list[RowProblem]]:
    """Each row through `parse_row`; a ValueError or DomainError it raises names that row."""
    parsed: list[Parsed[T]] = []
    problems = list(table.problems)
    for number, cells in table.rows:
        try:
            parsed.append(Parsed(number, parse_row(cells)))
        except (ValueError, DomainError) as err:
            problems.append(RowProblem(number, str(err)))
    return parsed, problems
