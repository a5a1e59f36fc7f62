"""The match engine against every shared vector (match-spec.md: the vectors are the law)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from portal.domain.matching import compare_expected, evaluate

REPO = Path(__file__).resolve().parents[2]
VECTORS_COPY = REPO / "tests" / "data" / "match-vectors.json"
VECTORS_SHARED = REPO.parent / "shared" / "domain" / "match-vectors" / "vectors.json"
VECTORS = json.loads(VECTORS_COPY.read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", VECTORS, ids=[case["id"] for case in VECTORS])
def test_engine_gives_the_expected_result_for_each_vector(case: dict) -> None:
    result = evaluate(case["input"])
    failures, notes = compare_expected(case["expected"], result)
    assert failures == []
    assert notes == []  # error paths too: the spec says consumers should match them


def test_vector_ids_are_unique() -> None:
    ids = [case["id"] for case in VECTORS]
    assert len(ids) == len(set(ids))


def test_vector_copy_is_byte_identical_to_the_shared_file() -> None:
    if not VECTORS_SHARED.exists():
        pytest.skip(f"no shared vectors at {VECTORS_SHARED} (standalone clone): nothing to compare")
    assert VECTORS_COPY.read_bytes() == VECTORS_SHARED.read_bytes()


def test_comparison_reports_a_changed_value_with_its_field() -> None:
    case = next(c for c in VECTORS if c["id"] == "multi-line-mixed")
    expected = json.loads(json.dumps(case["expected"]))
    expected["lines"][1]["reasons"] = []
    failures, _notes = compare_expected(expected, evaluate(case["input"]))
    assert failures == ['lines[1].reasons: expected [], got ["PRICE_OVER"]']


def test_comparison_treats_decimal_strings_by_value() -> None:
    failures, _ = compare_expected(
        {"computed_total": "1250.0", "lines": [{"qty_po_uom": "100.000"}]},
        {"computed_total": "1250.00", "lines": [{"qty_po_uom": "100"}]},
    )
    assert failures == []
    failures, _ = compare_expected({"computed_total": "1250.01"}, {"computed_total": "1250.00"})
    assert failures == ['computed_total: expected "1250.01", got "1250.00"']


def test_comparison_fails_on_a_missing_field_or_a_different_list_length() -> None:
    failures, _ = compare_expected(
        {"small_difference": None, "lines": [{}, {}]}, {"lines": [{"index": 0}]}
    )
    assert failures == [
        "small_difference: expected null, got nothing (field missing)",
        "lines: expected 2 elements, got 1 elements",
    ]


def test_comparison_of_errors_fails_on_code_and_only_notes_a_different_path() -> None:
    expected = {"error": {"code": "MISSING_FIELD", "path": "invoice.number"}}
    same_code = {"error": {"code": "MISSING_FIELD", "path": "invoice.vendor"}}
    other_code = {"error": {"code": "INVALID_TYPE", "path": "invoice.number"}}
    assert compare_expected(expected, same_code) == (
        [],
        ['error.path: expected "invoice.number", got "invoice.vendor"'],
    )
    assert compare_expected(expected, other_code) == (
        ['error.code: expected "MISSING_FIELD", got "INVALID_TYPE"'],
        [],
    )
    failures, _ = compare_expected(expected, {"status": "matched", "lines": []})
    assert failures == ['error.code: expected "MISSING_FIELD", got no error (status "matched")']
