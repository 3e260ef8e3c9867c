"""The library's shape (the house rules of the README): three floors, each module importing only from its own
floor or those below; notebooks import no training (first-floor) module; no import cycles, no function-level
imports of the library's own modules; modules of at most 400 lines and functions of at most 50."""
import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "seenn_lib"
NOTEBOOKS = PACKAGE.parent / "notebooks"

# The README's three floors, listed once: a name covers a package's submodules too; seenn_lib.__init__ stands
# for the (empty) top package.
FLOORS = {
    0: ("seenn_lib.neurons", "seenn_lib.qcfs", "seenn_lib.layers", "seenn_lib.readout", "seenn_lib.conversion",
        "seenn_lib.models", "seenn_lib.data", "seenn_lib.config", "seenn_lib.artifacts", "seenn_lib.devices",
        "seenn_lib.provenance", "seenn_lib.exits", "seenn_lib.calibration", "seenn_lib.certified",
        "seenn_lib.inference", "seenn_lib.metrics", "seenn_lib.energy", "seenn_lib.claims", "seenn_lib.resampling",
        "seenn_lib.logits", "seenn_lib.checkpoints", "seenn_lib.seenn2", "seenn_lib.adapters", "seenn_lib.__init__"),
    1: ("seenn_lib.train", "seenn_lib.distributed", "seenn_lib.policy", "seenn_lib.teas"),
    2: ("seenn_lib.pipelines", "seenn_lib.analysis", "seenn_lib.bench", "seenn_lib.results", "seenn_lib.plots",
        "seenn_lib.widgets", "seenn_lib.explorer_state", "seenn_lib.notebooks", "seenn_lib.dry_run",
        "seenn_lib.commands", "seenn_lib.cli", "seenn_lib.evaluate", "seenn_lib.trends", "seenn_lib.__main__"),
}
FLOOR_NAMES = {0: "the ground floor", 1: "the first floor (training)", 2: "the second floor"}


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


def floor(module: str) -> int:
    """The floor of a module: that of the longest FLOORS name it equals or lies under."""
    module = "seenn_lib.__init__" if module == "seenn_lib" else module
    matches = [(len(name), level) for level, names in FLOORS.items() for name in names
               if module == name or module.startswith(name + ".")]
    assert matches, f"{module} is on no floor: add it to FLOORS in tests/test_architecture.py (and the README)"
    return max(matches)[1]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_a_module_imports_only_from_its_own_floor_or_below(name):
    top, inner = imports(name)
    upward = sorted(m for m in top | inner if floor(m) > floor(name))
    assert not upward, (f"{name} ({FLOOR_NAMES[floor(name)]}) imports {upward} from a floor above; move what it "
                        "needs down a floor, or the module up")


def notebook_imports(path: Path) -> set[str]:
    """The seenn_lib modules a notebook source imports (module names only: `from seenn_lib.x import y` names x,
    and y too where y is itself a module)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("seenn_lib"):
            found |= {node.module} | ({f"{node.module}.{a.name}" for a in node.names} & set(MODULES))
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("seenn_lib")}
    return found


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py")), ids=lambda p: p.name[:2])
def test_notebooks_get_trained_models_from_the_pipelines_not_from_training(path):
    training = sorted(m for m in notebook_imports(path) if floor(m) == 1)
    assert not training, (f"{path.name} imports {training} (the training floor); a notebook gets trained models "
                          "and their outputs from seenn_lib.pipelines and seenn_lib.analysis")
    assert not re.search(r"\b(fit|train|train_seenn2)\(|\w*Job\(", path.read_text()), \
        f"{path.name} calls a training job; a notebook narrates and calls the pipelines"


def test_the_floor_rule_catches_an_upward_import():
    assert floor("seenn_lib.teas.training") == 1 and floor("seenn_lib.analysis.teas") == 2
    assert floor("seenn_lib.exits") < floor("seenn_lib.train") < floor("seenn_lib.pipelines")


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
