"""No import cycle in browser_rt: every module is parsed with `ast` and the import graph checked.

What counts as an edge from module M to module X:
- every `import X` and `from X import name` in M, at any depth: inside functions and methods
  too, because a lazy import only hides a circle at load time, not in the design;
- `from P import X` where `P.X` is a module: an edge to that submodule;
- the packages on the way to X (`a` and `a.b` for `a.b.c`): importing a submodule runs their
  `__init__` first. Packages that contain M itself are left out: they are always loading
  already when M runs, and every module would otherwise form a circle with its own package.

What does not count: imports under `if TYPE_CHECKING:`. They are never executed, so they order
no loading and cannot leave a module half-initialized; they only let annotations name each
other's classes (a `Region` is opened from a `Cx`, and hands its children a `Cx`). Making those
acyclic too would mean protocols written only to satisfy this test.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "browser_rt"
ON_THE_SOURCE_TREE = pytest.mark.host_only(
    reason="reads browser_rt's source files, which the wheel installed in Pyodide does not carry"
)


def module_files(package: Path) -> dict[str, tuple[Path, bool]]:
    """Dotted module name -> (file, whether it is a package's `__init__`)."""
    modules: dict[str, tuple[Path, bool]] = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        modules[".".join(parts)] = (path, is_package)
    return modules


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported_names(tree: ast.AST, name: str, is_package: bool, known: set[str]) -> set[str]:
    """The modules of `known` that the module `name` imports, anywhere but under TYPE_CHECKING."""
    found: set[str] = set()
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                pending.extend(child.orelse)
                continue
            if isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = name.split(".") if is_package else name.split(".")[:-1]
                    base = base[: len(base) - (child.level - 1)]
                    source = ".".join([*base, *([child.module] if child.module else [])])
                else:
                    source = child.module or ""
                found.add(source)
                found.update(f"{source}.{alias.name}" for alias in child.names)
            pending.append(child)
    return found & known


def import_graph(package: Path) -> dict[str, set[str]]:
    """Module -> the modules it makes Python load (see the module docstring for the rules)."""
    modules = module_files(package)
    known = set(modules)
    graph: dict[str, set[str]] = {}
    for name, (path, is_package) in modules.items():
        parts = name.split(".")
        own_packages = {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
        edges: set[str] = set()
        for target in _imported_names(ast.parse(path.read_text(encoding="utf-8")), name, is_package, known):
            pieces = target.split(".")
            for i in range(1, len(pieces) + 1):
                step = ".".join(pieces[:i])
                if step in known and step not in own_packages:
                    edges.add(step)
        graph[name] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path that ends where it starts, or None when the graph has none."""
    state: dict[str, str] = {}  # "active" while on the DFS path, "done" after
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "active"
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "active":
                return [*path[path.index(target) :], target]
            if target not in state:
                cycle = visit(target)
                if cycle is not None:
                    return cycle
        path.pop()
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state:
            cycle = visit(start)
            if cycle is not None:
                return cycle
    return None


@ON_THE_SOURCE_TREE
def test_browser_rt_has_no_import_cycle() -> None:
    cycle = find_cycle(import_graph(PACKAGE))
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


@ON_THE_SOURCE_TREE
def test_the_graph_holds_the_edges_that_matter() -> None:
    """Guards the checker itself: an empty or half-built graph would pass the test above."""
    graph = import_graph(PACKAGE)
    assert len(graph) > 50
    assert "browser_rt.runtime.cx" in graph["browser_rt.cap"]
    assert "browser_rt.runtime" in graph["browser_rt.cap"]  # the package runs its __init__ first
    assert "browser_rt.runtime.cx" in graph["browser_rt.runtime.entry"]
    assert "browser_rt.fetch" in graph["browser_rt.runtime.cx"]
    assert "browser_rt.cap" not in graph["browser_rt"]  # the package takes Cx from the runtime
    runtime_modules = [name for name in graph if name.startswith("browser_rt.runtime")]
    assert not any("browser_rt.cap" in graph[name] for name in runtime_modules)


def _plant(root: Path, files: dict[str, str]) -> Path:
    package = root / "pkg"
    for relative, text in files.items():
        path = package / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return package


def test_a_planted_cycle_is_found_and_named(tmp_path: Path) -> None:
    """The circle this test was written for: cap imports the runtime, the runtime imports cap
    back lazily, inside a function, and only through the runtime package's `__init__`."""
    package = _plant(
        tmp_path,
        {
            "__init__.py": "",
            "cap.py": "from pkg.runtime.budget import Budget\n",
            "runtime/__init__.py": "from pkg.runtime.entry import run\n",
            "runtime/budget.py": "class Budget: ...\n",
            "runtime/entry.py": "def run():\n    from pkg import cap\n    return cap\n",
        },
    )
    assert find_cycle(import_graph(package)) == ["pkg.cap", "pkg.runtime", "pkg.runtime.entry", "pkg.cap"]


def test_relative_and_direct_cycles_are_found(tmp_path: Path) -> None:
    package = _plant(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "from . import b\n",
            "b.py": "import pkg.sub.c\n",
            "sub/__init__.py": "",
            "sub/c.py": "from ..a import thing\n",
        },
    )
    assert find_cycle(import_graph(package)) == ["pkg.a", "pkg.b", "pkg.sub.c", "pkg.a"]


def test_type_checking_imports_and_own_packages_are_not_edges(tmp_path: Path) -> None:
    package = _plant(
        tmp_path,
        {
            "__init__.py": "from pkg.a import A\n",
            "a.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from pkg.b import B\n"
                "class A: ...\n"
            ),
            "b.py": "from pkg.a import A\nclass B(A): ...\n",
        },
    )
    graph = import_graph(package)
    assert graph["pkg.a"] == set()
    assert graph["pkg.b"] == {"pkg.a"}  # not pkg itself, which is loading already
    assert find_cycle(graph) is None
