"""`flask portal match FILE [--check]` (match-spec.md §0), driven through click's test runner."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from portal.commands.match import match_command

REPO = Path(__file__).resolve().parents[2]
VECTORS_FILE = REPO / "tests" / "data" / "match-vectors.json"


def run(*args: str):
    """Invoke the command as the CLI would, with stdout and stderr kept apart."""
    return CliRunner().invoke(match_command, list(args), catch_exceptions=False)


def test_check_passes_every_shared_vector() -> None:
    count = len(json.loads(VECTORS_FILE.read_text(encoding="utf-8")))
    result = run(str(VECTORS_FILE), "--check")
    lines = result.stdout.splitlines()
    assert result.exit_code == 0, result.output
    assert lines[-1] == f"{count} passed, 0 failed"
    assert sum(line.startswith("ok ") for line in lines) == count
    assert lines[0] == "ok exact-match"


def test_check_fails_a_case_whose_expected_value_was_altered(tmp_path: Path) -> None:
    cases = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))
    case = next(c for c in cases if c["id"] == "price-over-pct")
    case["expected"]["lines"][0]["price_variance"] = "1.00"
    altered = tmp_path / "altered.json"
    altered.write_text(json.dumps(cases), encoding="utf-8")

    result = run(str(altered), "--check")

    assert result.exit_code == 1
    fail_lines = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
    assert fail_lines == [
        'FAIL price-over-pct: lines[0].price_variance: expected "1.00", got "70.00"'
    ]
    assert result.stdout.splitlines()[-1] == f"{len(cases) - 1} passed, 1 failed"


def test_check_notes_a_different_error_path_without_failing(tmp_path: Path) -> None:
    cases = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))
    case = next(c for c in cases if c["id"] == "error-missing-invoice-number")
    case["expected"]["error"]["path"] = "invoice.vendor"
    single = tmp_path / "one-case.json"
    single.write_text(json.dumps(case), encoding="utf-8")

    result = run(str(single), "--check")

    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "ok error-missing-invoice-number",
        'note error-missing-invoice-number: error.path: expected "invoice.vendor", '
        'got "invoice.number" (reported, not a failure)',
        "1 passed, 0 failed",
    ]


def test_check_fails_a_case_without_expected(tmp_path: Path) -> None:
    cases = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps(cases[0]["input"]), encoding="utf-8")

    result = run(str(bare), "--check")

    assert result.exit_code == 1
    assert result.stdout.splitlines()[0].startswith('FAIL #0: no "expected"')
    assert result.stdout.splitlines()[-1] == "0 passed, 1 failed"


def test_a_missing_file_exits_2_with_a_message(tmp_path: Path) -> None:
    result = run(str(tmp_path / "nowhere.json"), "--check")
    assert result.exit_code == 2
    assert "cannot read" in result.stderr
    assert result.stdout == ""


def test_a_directory_exits_2(tmp_path: Path) -> None:
    result = run(str(tmp_path))
    assert result.exit_code == 2
    assert "cannot read" in result.stderr


def test_a_file_that_is_not_json_exits_2(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"input": ', encoding="utf-8")
    result = run(str(broken), "--check")
    assert result.exit_code == 2
    assert "is not JSON" in result.stderr


def test_a_bare_input_prints_its_result_as_json(tmp_path: Path) -> None:
    cases = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))
    case = next(c for c in cases if c["id"] == "exact-match")
    bare = tmp_path / "input.json"
    bare.write_text(json.dumps(case["input"]), encoding="utf-8")

    result = run(str(bare))

    assert result.exit_code == 0
    printed = json.loads(result.stdout)
    assert printed == case["expected"]


def test_a_list_of_cases_prints_one_json_result_per_line(tmp_path: Path) -> None:
    cases = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))[:3]
    listed = tmp_path / "three.json"
    listed.write_text(json.dumps(cases), encoding="utf-8")

    result = run(str(listed))

    assert result.exit_code == 0
    printed = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["computed_total"] for r in printed] == [
        c["expected"]["computed_total"] for c in cases
    ]
