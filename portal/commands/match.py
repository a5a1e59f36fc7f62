"""``flask portal match FILE [--check]``: run the match engine on a file (match-spec.md §0)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from portal.domain.matching import compare_expected, evaluate


def _cases(document: object) -> list[tuple[str, dict | None, object]] | None:
    """(id, case or None, engine input) for each case in the file; None if it holds no case."""
    if isinstance(document, list):
        entries = document
    elif isinstance(document, dict):
        entries = [document]
    else:
        return None
    cases: list[tuple[str, dict | None, object]] = []
    for position, entry in enumerate(entries):
        if isinstance(entry, dict) and "input" in entry:
            case_id = entry.get("id")
            name = case_id if isinstance(case_id, str) and case_id else f"#{position}"
            cases.append((name, entry, entry["input"]))
        else:  # a bare input object (or something the engine will reject with its own error)
            cases.append((f"#{position}", None, entry))
    return cases


def _check(name: str, case: dict | None, result: dict) -> tuple[bool, list[str]]:
    """(passed, output lines) for one case under --check."""
    if case is None or not isinstance(case.get("expected"), dict):
        return False, [f'FAIL {name}: no "expected" object in the case, nothing to check against']
    failures, notes = compare_expected(case["expected"], result)
    lines = [f"note {name}: {note} (reported, not a failure)" for note in notes]
    if failures:
        return False, [f"FAIL {name}: {'; '.join(failures)}", *lines]
    return True, [f"ok {name}", *lines]


@click.command("match")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--check", is_flag=True, help="Compare each result with the case's expected.")
def match_command(file: Path, check: bool) -> None:
    """Run the match engine on FILE: one case, a list of cases, or a bare input object.

    A case is an object with "input" (and "expected" for --check); a bare input has "po" and
    "invoice". Without --check, prints each result as JSON: indented when the file holds a single
    case or input, one compact JSON document per line (JSON Lines, in file order) for a list.
    With --check, prints "ok ID" or "FAIL ID: field: expected X, got Y; ..." per case (a case
    without "expected" fails), a "note ID: ..." line for an error path that differs (not a
    failure), then "N passed, M failed"; exits 1 if any case failed. Exits 2 when FILE cannot be
    read, is not JSON, or holds neither an object nor a list.
    """
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        click.echo(f"error: cannot read {file}: {err}", err=True)
        raise SystemExit(2) from None
    except (json.JSONDecodeError, RecursionError) as err:  # RecursionError: absurdly deep nesting
        click.echo(f"error: {file} is not JSON: {err}", err=True)
        raise SystemExit(2) from None
    cases = _cases(document)
    if cases is None:
        click.echo(f"error: {file} must hold a case, a list of cases or an input object", err=True)
        raise SystemExit(2)

    if not check:
        single = not isinstance(document, list)
        for _name, _case, data in cases:
            result = evaluate(data)
            click.echo(json.dumps(result, indent=2 if single else None))
        return

    passed = failed = 0
    for name, case, data in cases:
        ok, lines = _check(name, case, evaluate(data))
        for line in lines:
            click.echo(line)
        if ok:
            passed += 1
        else:
            failed += 1
    click.echo(f"{passed} passed, {failed} failed")
    if failed:
        raise SystemExit(1)
