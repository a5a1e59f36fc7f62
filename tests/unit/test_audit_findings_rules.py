"""Audit CSVs: read by the one CSV reader (BOM, semicolons, loose header) and the rules every
row must pass."""

from __future__ import annotations

from datetime import date

import pytest

from portal.domain.audit_findings import (
    MAX_ROWS,
    SPEC,
    AssetRef,
    LocationRef,
    RawFinding,
    check_findings,
    raw_finding,
    split_steps,
    wanted_references,
)
from portal.domain.tabular import ImportRefused, read_table
from portal.domain.work_orders import Priority

TODAY = date(2026, 3, 1)
HEADER = "audit_reference,finding,asset_tag,location,deadline,priority,instructions"
PUMP = AssetRef(id=1, tag="P-101", site_code="RBP", location_id=10)
LOBBY = LocationRef(id=20, site_code="ECA", code="LOBBY")
BOILER_ROOM = LocationRef(id=11, site_code="RBP", code="BR1")


def read(text: str | bytes):
    """The file's problems (in words) and its rows as findings, as the import reads them."""
    table = read_table(text, SPEC)
    return [str(p) for p in table.problems], [raw_finding(n, cells) for n, cells in table.rows]


def check(text: str, *, assets=(PUMP,), locations=(LOBBY, BOILER_ROOM)):
    """Read and check a CSV the way the service does, with a fixed today."""
    problems, rows = read(text)
    assert problems == []
    return check_findings(rows, today=TODAY, assets=assets, locations=locations)


def test_a_good_row_becomes_a_finding_with_defaults():
    result = check(f"{HEADER}\nFS-1,Guard missing on coupling,P-101,,2026-03-31,,\n")
    assert result.ok
    [finding] = result.findings
    assert finding.audit_reference == "FS-1"
    assert finding.asset_id == 1 and finding.location_id == 10  # the asset's own location
    assert finding.deadline_on == date(2026, 3, 31)
    assert finding.priority is Priority.high  # blank priority means high
    assert finding.steps == ()


def test_a_byte_order_mark_before_the_header_is_ignored():
    result = check(("\ufeff" + HEADER + "\nFS-1,Leak,P-101,,2026-03-31,low,\n").encode())
    assert result.ok and result.findings[0].priority is Priority.low


def test_semicolons_are_detected_and_commas_inside_cells_survive():
    text = (
        "audit_reference;finding;asset_tag;deadline\n"
        "FS-2;Guard loose, bolts missing;P-101;2026-04-01\n"
    )
    result = check(text)
    assert result.ok
    assert result.findings[0].finding == "Guard loose, bolts missing"


def test_headers_are_read_loosely_and_in_any_order():
    text = "Deadline,Asset Tag,Finding,Audit Reference\n2026-04-01,p-101,Rust on frame,FS-3\n"
    result = check(text)
    assert result.ok and result.findings[0].asset_id == 1  # tags match whatever the case


def test_a_file_without_a_header_row_is_refused_in_words():
    problems, rows = read("FS-1,Leak,P-101,,2026-03-31,high,\n")
    assert rows == []
    assert problems == [
        "The first row must be the header with the column names: "
        "audit_reference, finding, asset_tag, location, deadline, priority, instructions"
    ]


def test_unknown_and_missing_columns_are_named():
    problems, _ = read("audit_reference,finding,asset_tag,instrutions\nFS-1,Leak,P-101,x\n")
    assert problems == [
        "Row 1: unknown column(s): instrutions",
        "Row 1: missing column(s): deadline",
    ]


def test_reference_and_tag_are_read_as_their_columns():
    result = check("Reference,Finding,Tag,Deadline\nFS-4,Loose rail,P-101,2026-04-01\n")
    assert result.ok and result.findings[0].audit_reference == "FS-4"


def test_rows_are_numbered_as_a_spreadsheet_shows_them_and_blank_rows_are_skipped():
    text = f"{HEADER}\nFS-1,Leak,P-101,,2026-03-31,,\n,,,,,,\n\nFS-1,Crack,P-999,,2026-03-31,,\n"
    result = check(text)
    assert [row.raw.row for row in result.rows] == [2, 5]
    assert result.messages() == ["Row 5: asset tag P-999 is not known"]


@pytest.mark.parametrize(
    "deadline, problem",
    [
        ("2026-02-30", "deadline 2026-02-30 is not a real date"),
        ("31/03/2026", "deadline 31/03/2026 is not a date written YYYY-MM-DD"),
        ("2026-02-28", "deadline 2026-02-28 is in the past"),
        ("", "deadline is missing"),
    ],
)
def test_deadlines_must_be_real_iso_dates_not_in_the_past(deadline, problem):
    result = check(f"{HEADER}\nFS-1,Leak,P-101,,{deadline},,\n")
    assert not result.ok
    assert result.messages() == [f"Row 2: {problem}"]


def test_a_deadline_of_today_is_accepted():
    assert check(f"{HEADER}\nFS-1,Leak,P-101,,2026-03-01,,\n").ok


def test_an_unknown_priority_is_named_with_the_choices():
    result = check(f"{HEADER}\nFS-1,Leak,P-101,,2026-03-31,urgent,\n")
    assert result.messages() == [
        "Row 2: priority urgent is not one of emergency, high, normal, low"
    ]


def test_priority_is_read_whatever_the_case():
    result = check(f"{HEADER}\nFS-1,Leak,P-101,,2026-03-31,Emergency,\n")
    assert result.findings[0].priority is Priority.emergency


def test_overlong_cells_are_refused_with_the_limit():
    long_finding = "x" * 2001
    result = check(f"{HEADER}\nFS-1,{long_finding},P-101,,2026-03-31,,\n")
    assert result.messages() == ["Row 2: finding is 2,001 characters; at most 2,000"]


def test_too_many_rows_is_refused():
    rows = "".join(f"FS-1,Finding {n},P-101,,2026-03-31,,\n" for n in range(MAX_ROWS + 1))
    problems, _ = read(HEADER + "\n" + rows)
    assert problems == [f"The file has more than {MAX_ROWS} rows; split it"]


def test_a_header_with_no_rows_says_so():
    assert read(HEADER + "\n")[0] == ["The file has a header but no rows"]


def test_an_unquoted_comma_shows_as_a_row_with_stray_cells():
    text = "audit_reference,finding,asset_tag,deadline\nFS-1,Leak,at seal,P-101,2026-03-31\n"
    assert read(text)[0] == ["Row 2: more cells than columns (a comma that needed quotes?)"]


def test_instructions_become_steps_split_on_bars():
    assert split_steps("Isolate | Replace seal ||  Test ") == ["Isolate", "Replace seal", "Test"]
    result = check(f"{HEADER}\nFS-1,Leak,P-101,,2026-03-31,,Isolate | Replace seal | Test\n")
    assert result.findings[0].steps == ("Isolate", "Replace seal", "Test")


def test_a_row_needs_an_asset_or_a_location():
    result = check(f"{HEADER}\nFS-1,Leak,,,2026-03-31,,\n")
    assert result.messages() == ["Row 2: give an asset tag or a location"]


def test_a_location_alone_is_enough_written_as_site_and_code_or_a_unique_code():
    text = f"{HEADER}\nFS-1,Door,,ECA/LOBBY,2026-03-31,,\nFS-1,Sign,,lobby,2026-03-31,,\n"
    result = check(text)
    assert result.ok
    assert [f.location_id for f in result.findings] == [20, 20]
    assert [f.asset_id for f in result.findings] == [None, None]


def test_a_location_code_in_two_sites_must_say_which():
    other_lobby = LocationRef(id=30, site_code="RBP", code="LOBBY")
    result = check(f"{HEADER}\nFS-1,Door,,LOBBY,2026-03-31,,\n", locations=(LOBBY, other_lobby))
    assert result.messages() == [
        "Row 2: location LOBBY is in more than one site; write one of ECA/LOBBY, RBP/LOBBY"
    ]


def test_an_asset_and_a_location_in_different_sites_are_refused():
    result = check(f"{HEADER}\nFS-1,Door,P-101,ECA/LOBBY,2026-03-31,,\n")
    assert result.messages() == ["Row 2: asset P-101 is at site RBP, not at location ECA/LOBBY"]


def test_an_inactive_asset_is_refused():
    retired = AssetRef(id=2, tag="P-102", site_code="RBP", location_id=10, active=False)
    result = check(f"{HEADER}\nFS-1,Leak,P-102,,2026-03-31,,\n", assets=(retired,))
    assert result.messages() == ["Row 2: asset P-102 is out of service (inactive)"]


def test_a_repeated_row_is_named_with_the_row_it_repeats():
    row = "FS-1,Leak at seal,P-101,,2026-03-31,,\n"
    result = check(HEADER + "\n" + row + row)
    assert result.messages() == ["Row 3: repeats row 2"]


def test_one_bad_row_spoils_the_file_and_every_problem_is_listed():
    text = (
        f"{HEADER}\n"
        "FS-1,Leak,P-101,,2026-03-31,,\n"
        "FS-1,Crack,P-999,,2026-02-30,,\n"
        "FS-1,Rust,P-101,,2026-03-31,,\n"
    )
    result = check(text)
    assert not result.ok and len(result.findings) == 2
    assert result.messages() == [
        "Row 3: deadline 2026-02-30 is not a real date",
        "Row 3: asset tag P-999 is not known",
    ]
    error = result.rejection()
    assert error.rows == {3: list(result.bad_rows[0].problems)}
    assert str(error).startswith("Nothing was imported. Row 3: deadline 2026-02-30")


def test_the_service_is_told_which_tags_and_location_codes_to_look_up():
    rows = [
        RawFinding(row=2, asset_tag=" p-101 ", location="eca/lobby"),
        RawFinding(row=3, location="BR1"),
    ]
    assert wanted_references(rows) == ({"P-101"}, {"LOBBY", "BR1"})


def test_a_file_that_is_not_utf8_is_refused_with_what_to_do():
    with pytest.raises(ImportRefused, match="not UTF-8"):
        read("Prüfung;Mängel\n".encode("cp1252"))


def test_an_empty_upload_is_refused():
    assert read(b"  \n")[0] == ["The file is empty: it needs a header row"]


def test_lines_of_the_form_are_named_lines_not_rows():
    line = RawFinding(
        row=4, audit_reference="FS-9", finding="Leak", asset_tag="X-1", deadline="2026-03-31"
    )
    lines = [line]
    result = check_findings(lines, today=TODAY, assets=[PUMP], locations=[], noun="Line")
    assert result.messages() == ["Line 4: asset tag X-1 is not known"]
