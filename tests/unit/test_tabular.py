"""The one CSV reader and writer: named problems in, formula-safe cells out."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from portal.domain.tabular import (
    ImportRefused,
    TableSpec,
    csv_text,
    neutralise,
    parse_rows,
    read_table,
)

SPEC = TableSpec(columns=("code", "qty", "note"), required=("code", "qty"), max_rows=3)


@pytest.mark.parametrize(
    "cell", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]
)
def test_a_cell_a_spreadsheet_would_run_is_neutralised(cell):
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize(
    "value, text", [("-12.50", "-12.50"), (Decimal("-3.10"), "-3.10"), (5, "5")]
)
def test_a_plain_number_stays_a_number(value, text):
    assert neutralise(value) == text


def test_dates_are_iso_and_none_is_empty():
    assert neutralise(date(2026, 12, 7)) == "2026-12-07"
    assert neutralise(None) == ""


def test_the_written_csv_reads_back_cell_for_cell():
    text = csv_text(["a", "b"], [["x, y", 'say "hi"'], ["=1+1", "2"]])
    assert text.endswith("\r\n")
    assert list(csv.reader(io.StringIO(text))) == [["a", "b"], ["x, y", 'say "hi"'], ["'=1+1", "2"]]


def test_rows_are_numbered_as_a_spreadsheet_shows_them_and_bad_ones_are_named():
    table = read_table("\ufeffCode ; QTY;note\nA;1;\n\nB;x;\n", SPEC)
    assert [number for number, _ in table.rows] == [2, 4]

    def strict(cells):
        if not cells["qty"].replace(".", "").isdecimal():
            raise ValueError(f"qty {cells['qty']!r} is not a number")
        return cells["code"]

    parsed, problems = parse_rows(table, strict)
    assert [p.value for p in parsed] == ["A"]
    assert [str(p) for p in problems] == ["Row 4: qty 'x' is not a number"]


def test_missing_and_unknown_columns_are_named_on_the_header_row():
    table = read_table("code,price\nA,1\n", SPEC)
    assert [str(p) for p in table.problems] == [
        "Row 1: unknown column(s): price",
        "Row 1: missing column(s): qty",
    ]


def test_too_many_rows_and_extra_cells_are_problems_not_crashes():
    table = read_table("code,qty\nA,1\nB,2,3\nC,1\nD,1\nE,1\n", SPEC)
    messages = [str(p) for p in table.problems]
    assert "Row 3: more cells than columns (a comma that needed quotes?)" in messages
    assert "The file has more than 3 rows; split it" in messages


def test_a_file_that_is_not_utf8_text_is_refused_in_words():
    with pytest.raises(ImportRefused, match="not UTF-8"):
        read_table("code,qty\né,1\n".encode("latin-1"), SPEC)


AUDIT = TableSpec(
    columns=("audit_reference", "asset_tag", "deadline"),
    required=("audit_reference", "deadline"),
    aliases=(("tag", "asset_tag"),),
)


def test_header_cells_are_read_loosely_and_by_their_aliases():
    table = read_table("Deadline;Tag;Audit Reference\n2026-04-01;p-101;FS-3\n", AUDIT)
    assert table.problems == []
    assert table.rows == [
        (2, {"deadline": "2026-04-01", "asset_tag": "p-101", "audit_reference": "FS-3"})
    ]


def test_a_file_without_a_header_row_is_told_what_the_header_is():
    table = read_table("FS-1,P-101,2026-03-31\n", AUDIT)
    assert [str(p) for p in table.problems] == [
        "The first row must be the header with the column names: "
        "audit_reference, asset_tag, deadline"
    ]


def test_a_column_named_twice_is_a_problem():
    table = read_table("audit_reference,deadline,Deadline\nFS-1,2026-03-31,2026-04-01\n", AUDIT)
    assert [str(p) for p in table.problems] == ["Row 1: column(s) named twice: deadline"]


def test_empty_cells_past_the_header_are_ignored_but_text_there_is_named():
    table = read_table("audit_reference,deadline\nFS-1,2026-03-31,,\nFS-2,2026-03-31,x\n", AUDIT)
    assert [number for number, _ in table.rows] == [2]
    assert [str(p) for p in table.problems] == [
        "Row 3: more cells than columns (a comma that needed quotes?)"
    ]
