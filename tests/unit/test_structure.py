"""The shape of the code the issue asks for, checked by reading the source (ast), not running it.

- services and read models stay under 500 lines a module; functions under 80 lines unless a
  comment at the top of the body says why ("long because ...");
- no `portal` import inside a function in services, read models or a feature blueprint (an
  import hidden in a function is how a cycle hides);
- the module-level imports among services and read models form no cycle;
- read models never import services (but the unit of work's `current_session`);
- the domain imports only the standard library and itself;
- each services and read models module imports alone, in a fresh interpreter.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PORTAL = ROOT / "portal"
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80
EXCUSE = "long because"
# Where a module or a hidden import is a rule of the issue; the app factory and the blueprint
# registry may import inside functions (they wire the app together).
LAYERED = ("services", "read_models")
IMPORT_EXEMPT = {PORTAL / "__init__.py", PORTAL / "blueprints" / "__init__.py"}


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _files(*folders: str) -> list[Path]:
    return sorted(path for folder in folders for path in (PORTAL / folder).rglob("*.py"))


def _layered_files() -> list[Path]:
    return [path for path in _files(*LAYERED) if path.name != "__init__.py"]


@cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _imported(node: ast.Import | ast.ImportFrom, path: Path) -> list[str]:
    """The absolute module names an import statement names (`from a import b`: a and a.b)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:  # relative: from . import x, from .y import z
        package = _module_name(path).split(".")
        if path.name != "__init__.py":
            package = package[:-1]
        package = package[: len(package) - node.level + 1]
        base = ".".join([*package, base] if base else package)
    return [base, *(f"{base}.{alias.name}" for alias in node.names)]


def _modules_of(node: ast.Import | ast.ImportFrom, path: Path) -> list[str]:
    """The modules an import statement loads for certain (`from a import b`: a; b may be a name)."""
    names = _imported(node, path)
    return names if isinstance(node, ast.Import) else names[:1]


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _module_level_imports(path: Path) -> Iterator[ast.Import | ast.ImportFrom]:
    """Imports run when the module is imported (under if/try too; not under TYPE_CHECKING)."""

    def walk(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
        for node in body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                yield node
            elif isinstance(node, ast.If) and not _is_type_checking(node):
                yield from walk(node.body)
                yield from walk(node.orelse)
            elif isinstance(node, ast.Try):
                for block in (node.body, node.orelse, node.finalbody):
                    yield from walk(block)
                for handler in node.handlers:
                    yield from walk(handler.body)

    yield from walk(_tree(path).body)


def _function_level_imports(path: Path) -> Iterator[tuple[str, ast.Import | ast.ImportFrom]]:
    """(function name, import) for every import inside a function or method."""
    for function in ast.walk(_tree(path)):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(function):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    yield function.name, node


def _is_portal(name: str) -> bool:
    return name == "portal" or name.startswith("portal.")


# -- (a) module size


def test_no_services_or_read_models_module_is_over_500_lines():
    long = {
        _relative(path): lines
        for path in _files(*LAYERED)
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not long, f"modules over {MAX_MODULE_LINES} lines (split by responsibility): {long}"


# -- (b) imports hidden in functions


def test_no_portal_import_inside_a_function_in_services_read_models_or_blueprints():
    folders = [*LAYERED, "blueprints"]
    hidden = sorted(
        f"{_relative(path)}:{node.lineno} in {function}()"
        for path in _files(*folders)
        if path not in IMPORT_EXEMPT
        for function, node in _function_level_imports(path)
        if any(_is_portal(name) for name in _imported(node, path))
    )
    assert not hidden, "imports of portal modules inside functions:\n" + "\n".join(hidden)


# -- (c) cycles


def _import_graph() -> dict[str, set[str]]:
    """Module-level imports among services and read models (packages included)."""
    modules = {_module_name(path): path for path in _files(*LAYERED)}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in _module_level_imports(path):
            graph[name] |= {target for target in _imported(node, path) if target in modules}
        graph[name].discard(name)
    return graph


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as [a, b, ..., a], or None (depth-first, colours)."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                return [*stack[stack.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_cycle_finder_names_a_cycle():
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) is None


def test_services_and_read_models_import_each_other_in_no_circle():
    cycle = _find_cycle(_import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


# -- (d) read models read; they do not call use cases


def test_read_models_import_no_service_but_the_unit_of_work():
    allowed = {"portal.services", "portal.services._uow"}  # `from portal.services._uow import`
    wrong = sorted(
        f"{_relative(path)}:{node.lineno} imports {name}"
        for path in _files("read_models")
        for node in ast.walk(_tree(path))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for name in _imported(node, path)
        if name.startswith("portal.services")
        and name not in allowed
        and not name.startswith("portal.services._uow.")
    )
    assert not wrong, "read models importing services:\n" + "\n".join(wrong)


# -- (e) the domain is plain Python


def test_the_domain_imports_only_the_standard_library_and_itself():
    stdlib = sys.stdlib_module_names | {"__future__"}
    wrong = sorted(
        f"{_relative(path)}:{node.lineno} imports {name}"
        for path in _files("domain")
        for node in ast.walk(_tree(path))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for name in _modules_of(node, path)
        if not (name == "portal.domain" or name.startswith("portal.domain."))
        and name.split(".")[0] not in stdlib
    )
    assert not wrong, "the domain imports beyond the standard library:\n" + "\n".join(wrong)


# -- (f) each module imports alone

# One interpreter for all: the models and the domain (which import no service, read model or
# blueprint: checked below) are loaded once; every other portal module is forgotten before
# each import, so each service or read model is imported as if first, and a cycle among them
# fails as it would in a fresh interpreter. (A fresh interpreter per module took a minute.)
_IMPORT_EACH_ALONE = """
import importlib, sys, traceback
importlib.import_module("portal.models")
base = {m for m in sys.modules if m == "portal" or m.startswith("portal.")}
print("BASE " + " ".join(sorted(base)))
failed = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m.startswith("portal.") and m not in base]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception:
        failed.append(name + ": " + traceback.format_exc(limit=-2).strip().splitlines()[-1])
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""


def test_each_services_and_read_models_module_imports_alone():
    names = [_module_name(path) for path in _layered_files()]
    run = subprocess.run(
        [sys.executable, "-c", _IMPORT_EACH_ALONE, *names],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    base_line, _, failures = run.stdout.partition("\n")
    base = base_line.removeprefix("BASE ").split()
    above = [
        m for m in base if m.startswith(("portal.services", "portal.read_models", "portal.bl"))
    ]
    assert not above, f"the models import layers above them: {above}"
    assert run.returncode == 0, "modules that do not import alone:\n" + failures + run.stderr


# -- (g) long functions


def _excused(path: Path, function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """True when a comment saying "long because" opens the body (before or after a docstring)."""
    body = function.body
    first = body[0]
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
        and len(body) > 1
    ):
        first = body[1]
    lines = path.read_text(encoding="utf-8").splitlines()[function.lineno : first.lineno - 1]
    return any(line.strip().startswith("#") and EXCUSE in line.lower() for line in lines)


def test_no_function_is_over_80_lines_unless_a_comment_says_why():
    long = sorted(
        f"{_relative(path)}:{node.lineno} {node.name}() is {length} lines"
        for path in _files(".")
        for node in ast.walk(_tree(path))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and (length := (node.end_lineno or node.lineno) - node.lineno + 1) > MAX_FUNCTION_LINES
        and not _excused(path, node)
    )
    assert not long, (
        f"functions over {MAX_FUNCTION_LINES} lines (split them, or open the body with a "
        f'comment saying why it is "{EXCUSE}"):\n' + "\n".join(long)
    )
