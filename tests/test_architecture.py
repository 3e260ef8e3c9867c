"""The library's shape: no import cycles between seenn_lib modules, no function-level imports of its own
modules, modules of at most 400 lines and functions of at most 50 (the house rules of the README)."""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "seenn_lib"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imported(node: ast.ImportFrom | ast.Import, current: str) -> set[str]:
    """The seenn_lib modules an import statement names (a package's `from . import x` names package.x)."""
    if isinstance(node, ast.Import):
        return {a.name for a in node.names} & set(MODULES)
    package = current.split(".") if MODULES[current].name == "__init__.py" else current.split(".")[:-1]
    base = ".".join(package[:len(package) - node.level + 1] + ([node.module] if node.module else [])) \
        if node.level else (node.module or "")
    return ({base} | {f"{base}.{a.name}" for a in node.names}) & set(MODULES) - {current}


def imports(name: str) -> tuple[set[str], set[str]]:
    """(modules imported at module level, modules imported inside functions) by one module."""
    top, inner = set(), set()

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                (inner if in_function else top).update(imported(child, name))
            visit(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)))
    visit(ast.parse(MODULES[name].read_text()), False)
    return top, inner


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state, stack = {}, []

    def walk(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := walk(nxt)):
                return cycle
        state[node] = "done"
        stack.pop()
        return None
    for node in sorted(graph):
        if node not in state and (cycle := walk(node)):
            return cycle
    return None


def test_no_import_cycles_and_no_function_level_imports_of_our_modules():
    graph = {}
    for name in MODULES:
        top, inner = imports(name)
        assert not inner, f"{name} imports {sorted(inner)} inside a function; import at module level"
        graph[name] = top
    assert find_cycle(graph) is None, f"import cycle: {' -> '.join(find_cycle(graph))}"


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_and_functions_stay_small(name):
    source = MODULES[name].read_text()
    assert len(source.splitlines()) <= 400, f"{name} has {len(source.splitlines())} lines; split it by concern"
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = node.end_lineno - node.lineno + 1
            assert length <= 50, f"{name}.{node.name} has {length} lines; split it"
