"""What a project needs inside Pyodide to run its tests as it does on the host: a plan.

pytest-pyodide copies only the folder of each test file and installs `./dist/*.whl`. The plan
adds what pytest on the host also reads or imports: the pytest config file, `conftest.py` and
`__init__.py` files between the root and the tests, the `pythonpath` entries, `src/`, and the
project itself as a wheel (from `dist/`, or built from its `pyproject.toml`). It is computed on
the host before the first forwarded test; the forwarder then checks inside Pyodide that the
project's package can be found, and an error names whatever cannot be.
"""

from __future__ import annotations

import ast
import fnmatch
import json
import os
import re
import tomllib
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from browser_rt.testing.wheel import ProjectBuildError, build_project_wheel

MAX_COPY_BYTES = 64 * 1024 * 1024
"""More than this is almost always a virtualenv or build output under a copied folder."""

ALWAYS_PRUNED = ("__pycache__", ".browser-rt", ".git", ".hypothesis", ".pytest_cache", ".venv")
OUTSIDE = "_outside_root"
"""Where files from outside the project root go in the copy (an ini file given with -c, a
pythonpath entry like ../lib); relative to the copy's root."""


class ProjectError(RuntimeError):
    """Something the tests need cannot be made available inside Pyodide; the message names it."""


@dataclass(frozen=True)
class ProjectInfo:
    """The project at the root, if it declares one (pyproject.toml [project] or setup.py)."""

    name: str | None
    source: Path


@dataclass
class ProjectPlan:
    """Files to copy (archive name -> host file), sys.path additions, wheels and packages."""

    root: Path
    files: dict[str, Path] = field(default_factory=dict)
    sys_path: list[str] = field(default_factory=list)
    inifile: str | None = None
    wheels: list[Path] = field(default_factory=list)
    packages: list[str] = field(default_factory=list)
    import_names: list[str] = field(default_factory=list)
    project: ProjectInfo | None = None
    unavailable: str = ""
    """Why the project has no wheel, if it has none; quoted when its package is then missing."""
    notes: list[str] = field(default_factory=list)

    @property
    def copied_bytes(self) -> int:
        return sum(path.stat().st_size for path in self.files.values())


@dataclass(frozen=True)
class PlanInputs:
    """What the plan is made from; read from the pytest config by the plugin."""

    root: Path
    test_paths: tuple[Path, ...]
    inifile: Path | None
    pythonpath: tuple[Path, ...]
    norecursedirs: tuple[str, ...]
    dist_dirs: tuple[Path, ...]
    pyodide_dir: Path
    cache_dir: Path
    build_project: bool = True


def make_plan(inputs: PlanInputs, *, load_imports: bool = True) -> ProjectPlan:
    """The plan for `inputs`; raises ProjectError when the project cannot be made importable."""
    root = inputs.root.resolve()
    plan = ProjectPlan(root)
    excluded = (inputs.pyodide_dir.resolve(), *(d.resolve() for d in inputs.dist_dirs))
    prune = _Pruner((*inputs.norecursedirs, "node_modules"), excluded)
    test_dirs = _outermost({path.resolve().parent for path in inputs.test_paths})
    for directory in test_dirs:
        if not directory.is_relative_to(root):
            raise ProjectError(f"{directory}: the tests are outside the project root {root}")
        _add_tree(plan, directory, root, prune)
        for parent in [directory, *directory.parents]:
            if not parent.is_relative_to(root):
                break
            for name in ("conftest.py", "__init__.py"):
                if (parent / name).is_file() and parent != directory:
                    plan.files[(parent / name).relative_to(root).as_posix()] = parent / name
    if inputs.inifile is not None:
        ini = inputs.inifile.resolve()
        if ini.is_relative_to(root):
            plan.files[ini.relative_to(root).as_posix()] = ini
        else:
            plan.inifile = f"{OUTSIDE}/ini/{ini.name}"
            plan.files[plan.inifile] = ini
    source_dirs: list[Path] = []
    for number, entry in enumerate(inputs.pythonpath):
        entry = entry.resolve()
        if not entry.is_dir():
            plan.notes.append(f"pythonpath entry {entry} is not a folder; not copied")
            continue
        if entry.is_relative_to(root):
            _add_tree(plan, entry, root, prune)
        else:
            target = f"{OUTSIDE}/pythonpath{number}"
            _add_tree(plan, entry, entry, prune, prefix=target)
            plan.sys_path.append(target)
        source_dirs.append(entry)
    src = root / "src"
    if src.is_dir() and src.resolve() not in source_dirs:
        _add_tree(plan, src, root, prune)
        plan.sys_path.append("src")
        source_dirs.append(src.resolve())
        plan.notes.append("src/ is on sys.path, as an editable install puts it on the host")
    _check_size(plan)

    plan.project = read_project(root)
    _choose_wheels(plan, inputs)
    if plan.project is not None:
        _project_imports(plan, inputs)
    if load_imports:
        plan.packages = packages_to_load(plan, inputs.pyodide_dir / "pyodide-lock.json")
    else:
        plan.packages = ["pytest"]
    return plan


def read_project(root: Path) -> ProjectInfo | None:
    """The project declared at `root`: `[project].name` of pyproject.toml, or a setup.py/cfg."""
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        try:
            document = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ProjectError(f"{pyproject}: {exc}") from None
        project = document.get("project")
        if isinstance(project, dict) and isinstance(project.get("name"), str):
            return ProjectInfo(project["name"], pyproject)
        if "build-system" in document and (root / "setup.py").is_file():
            return ProjectInfo(None, root / "setup.py")
    for name in ("setup.py", "setup.cfg"):
        if (root / name).is_file():
            return ProjectInfo(None, root / name)
    return None


def normalize(name: str) -> str:
    """PEP 503 normalization, so `Foo_Bar` and `foo-bar` compare equal."""
    return re.sub(r"[-_.]+", "-", name).lower()


def wheel_name(wheel: Path) -> str:
    return normalize(wheel.name.split("-")[0])


def installable_in_pyodide(wheel: Path) -> bool:
    """Pure-Python wheels and wheels built for Pyodide/Emscripten; not the host's binary wheels."""
    parts = wheel.name[: -len(".whl")].split("-")
    return len(parts) >= 5 and (parts[-1] == "any" or "emscripten" in parts[-1] or "pyodide" in parts[-1])


def _choose_wheels(plan: ProjectPlan, inputs: PlanInputs) -> None:
    newest: dict[str, Path] = {}
    for directory in dict.fromkeys(d.resolve() for d in inputs.dist_dirs):
        for wheel in sorted(directory.glob("*.whl")):
            if not installable_in_pyodide(wheel):
                plan.notes.append(f"{wheel.name} is not a pure-Python or Pyodide wheel; not installed")
                continue
            name = wheel_name(wheel)
            if name in newest:
                older, wheel = sorted((newest[name], wheel), key=lambda w: w.stat().st_mtime)
                plan.notes.append(f"{wheel.name} installed, not the older {older.name}")
            newest[name] = wheel
    plan.wheels = list(newest.values())
    project = plan.project
    if project is None or (project.name is not None and normalize(project.name) in newest):
        return
    if not inputs.build_project:
        return
    try:
        built = build_project_wheel(plan.root, inputs.cache_dir)
    except ProjectBuildError as exc:
        plan.notes.append(f"could not build the project's wheel: {exc}")
        return
    plan.wheels.append(built)
    plan.notes.append(f"{built.name} built from {project.source.name}")


def _project_imports(plan: ProjectPlan, inputs: PlanInputs) -> None:
    """The project's top-level import names, checked inside Pyodide once everything is loaded.

    From its wheel when there is one; else the name it declares, which a pythonpath entry, src/
    or the bundle itself may still provide. Without a wheel, `unavailable` says why, for the
    error if the names are then missing.
    """
    project = plan.project
    assert project is not None
    wheel = next((w for w in plan.wheels if project.name and wheel_name(w) == normalize(project.name)), None)
    if wheel is None and project.name is None:
        built = [w for w in plan.wheels if w.parent.is_relative_to(inputs.cache_dir.resolve())]
        wheel = built[0] if built else None
    if wheel is not None:
        plan.import_names = wheel_top_level(wheel)
        return
    guess = (project.name or "").replace("-", "_").replace(".", "_").lower()
    plan.import_names = [guess] if guess else []
    plan.unavailable = next(
        (note for note in plan.notes if note.startswith("could not build")),
        "there is no wheel of it in dist/",
    )
    if not guess:
        plan.notes.append(f"{project.source.name} names no project, so its package is not checked")


def unimportable_message(plan: ProjectPlan, missing: list[str]) -> str:
    """The error for project packages Pyodide cannot find once everything is in place."""
    label = plan.project.source if plan.project else plan.root
    return (
        f"the project's package {', '.join(missing)} ({label}) cannot be imported inside Pyodide: "
        f"{plan.unavailable or 'its wheel did not provide it'}. Put its wheel in dist/, install its "
        "build backend on the host (the wheel is built with pip wheel --no-build-isolation "
        "--no-index), or add its folder to pytest's pythonpath"
    )


def wheel_top_level(wheel: Path) -> list[str]:
    """The top-level modules and packages a wheel installs."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            names = archive.namelist()
    except (OSError, zipfile.BadZipFile) as exc:
        raise ProjectError(f"{wheel}: {exc}") from None
    found: set[str] = set()
    for name in names:
        first = name.split("/", 1)[0]
        if first.endswith((".dist-info", ".data")) or first.endswith(".pth"):
            continue
        if "/" in name:
            found.add(first)
        elif first.endswith(".py"):
            found.add(first[: -len(".py")])
    return sorted(found)


def packages_to_load(plan: ProjectPlan, lock_path: Path) -> list[str]:
    """pytest, browser_rt, and every package of the bundle's lock the copied files import.

    pytest-pyodide loads only what its own snippets import (pytest, micropip), so a test that
    imports Hypothesis failed to import. Packages a wheel of the plan provides are left out:
    micropip installs those.
    """
    try:
        lock = json.loads(lock_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ProjectError(f"{lock_path}: {exc}; is --dist-dir a Pyodide folder?") from None
    packages = lock.get("packages", {}) if isinstance(lock, dict) else {}
    by_import: dict[str, str] = {}
    for name, package in packages.items():
        for module in package.get("imports") or [name]:
            by_import.setdefault(module, name)
    provided = {wheel_name(w) for w in plan.wheels}
    wanted = ["pytest", "browser-rt"]
    for path in plan.files.values():
        if path.suffix == ".py":
            wanted.extend(by_import[m] for m in sorted(imported_modules(path)) if m in by_import)
    missing = [name for name in ("pytest",) if name not in packages]
    if missing:
        raise ProjectError(
            f"{lock_path} has no {', '.join(missing)}: build the bundle with its test wheels "
            "(browser-rt bundle without --production)"
        )
    return [name for name in dict.fromkeys(wanted) if name in packages and normalize(name) not in provided]


def imported_modules(path: Path) -> set[str]:
    """Top-level names of the absolute imports in one Python file ('' for an unparsable one)."""
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (SyntaxError, ValueError, OSError):
        return set()
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


class _Pruner:
    """Which folders a copy leaves out: pytest's `norecursedirs`, caches, the Pyodide folder."""

    def __init__(self, patterns: Iterable[str], excluded: Iterable[Path]) -> None:
        self.patterns = tuple(patterns) + ALWAYS_PRUNED
        self.excluded = tuple(excluded)

    def skip(self, directory: Path) -> bool:
        return any(fnmatch.fnmatch(directory.name, p) for p in self.patterns) or any(
            directory == e for e in self.excluded
        )


def _walk(top: Path, prune: _Pruner) -> Iterator[Path]:
    for current, dirs, files in os.walk(top):
        here = Path(current)
        dirs[:] = sorted(d for d in dirs if not prune.skip(here / d))
        for name in sorted(files):
            if not name.endswith((".pyc", ".pyo")):
                yield here / name


def _add_tree(plan: ProjectPlan, top: Path, base: Path, prune: _Pruner, prefix: str = "") -> None:
    for path in _walk(top, prune):
        relative = path.relative_to(base).as_posix()
        plan.files[f"{prefix}/{relative}" if prefix else relative] = path


def _outermost(directories: set[Path]) -> list[Path]:
    ordered = sorted(directories, key=lambda d: len(d.parts))
    kept: list[Path] = []
    for directory in ordered:
        if not any(directory.is_relative_to(k) for k in kept):
            kept.append(directory)
    return kept


def _check_size(plan: ProjectPlan) -> None:
    total = plan.copied_bytes
    if total <= MAX_COPY_BYTES:
        return
    sizes: dict[str, int] = {}
    for name, path in plan.files.items():
        top = name.split("/", 1)[0]
        sizes[top] = sizes.get(top, 0) + path.stat().st_size
    ranked = sorted(sizes.items(), key=lambda pair: -pair[1])[:5]
    biggest = ", ".join(f"{name} ({size // 1024 // 1024} MiB)" for name, size in ranked)
    raise ProjectError(
        f"the files to copy into Pyodide total {total // 1024 // 1024} MiB (limit "
        f"{MAX_COPY_BYTES // 1024 // 1024} MiB); the biggest: {biggest}. Leave folders out with "
        "pytest's norecursedirs."
    )
