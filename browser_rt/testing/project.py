"""What one pytest session inside Pyodide needs to see the project as the host does: a plan.

The project is not copied piecemeal: the folders pytest reads on the host (the rootdir, an ini
file or `pythonpath` entry outside it, the source folder of an editable install) are given to
Pyodide whole, at the same absolute paths, so the rootdir, the node ids and every relative path
agree. The package under test is imported from where the host imports it. A wheel is used only
when no folder provides the package (a regular install, say): one from `dist/`, or one built
with the host's build backend; a missing backend then becomes an error inside only if the
package really cannot be found there.
"""

from __future__ import annotations

import importlib.util
import json
import re
import tomllib
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from browser_rt.testing.import_scan import imported_modules
from browser_rt.testing.wheel import ProjectBuildError, build_project_wheel

TEST_DEPENDENCIES_INI = "pyodide_test_dependencies"
"""The ini key naming bundle packages the tests need that no file imports by name."""


class ProjectError(RuntimeError):
    """Something the tests need cannot be made available inside Pyodide; the message names it."""


@dataclass(frozen=True)
class ProjectInfo:
    """The project at the root, if it declares one (pyproject.toml [project] or setup.py)."""

    name: str | None
    source: Path


@dataclass
class ProjectPlan:
    """Folders to provide, sys.path additions, wheels, bundle packages and the names to check."""

    root: Path
    folders: list[Path] = field(default_factory=list)
    sys_path: list[str] = field(default_factory=list)
    wheels: list[Path] = field(default_factory=list)
    packages: list[str] = field(default_factory=list)
    import_names: list[str] = field(default_factory=list)
    project: ProjectInfo | None = None
    unavailable: str = ""
    """Why no wheel stands in for the project, if none does; quoted when its package is missing."""
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PlanInputs:
    """What the plan is made from; read from the pytest config by the plugin."""

    root: Path
    test_paths: tuple[Path, ...]
    inifile: Path | None
    pythonpath: tuple[Path, ...]
    dist_dirs: tuple[Path, ...]
    pyodide_dir: Path
    cache_dir: Path
    test_dependencies: tuple[str, ...] = ()
    whole_tree: bool = True
    """False only in the self-test: the test files' folders alone, as pytest-pyodide copies."""


def make_plan(inputs: PlanInputs, *, load_imports: bool = True) -> ProjectPlan:
    """The plan for `inputs`; raises ProjectError when a test dependency is not in the bundle."""
    root = inputs.root.resolve()
    plan = ProjectPlan(root)
    wanted = [root] if inputs.whole_tree else [p.resolve().parent for p in inputs.test_paths]
    if inputs.whole_tree:
        if inputs.inifile is not None:
            wanted.append(inputs.inifile.resolve().parent)
        wanted.extend(p.resolve() for p in inputs.pythonpath if p.is_dir())
    plan.project = read_project(root)
    source_dirs = _choose_sources(plan, inputs) if inputs.whole_tree else []
    wanted.extend(source_dirs)
    plan.folders = outermost(wanted)
    plan.sys_path = [str(d) for d in dict.fromkeys(source_dirs)]
    lock = read_lock(inputs.pyodide_dir / "pyodide-lock.json")
    scanned = [*inputs.test_paths, *_package_files(source_dirs, plan.import_names)]
    plan.packages = packages_to_load(
        lock, plan.wheels, scanned if load_imports else [], inputs.test_dependencies
    )
    if source_dirs:
        plan.notes.append("the project's own source is imported from " + ", ".join(plan.sys_path))
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


def candidate_imports(root: Path, project: ProjectInfo | None) -> list[str]:
    """The project's likely top-level import names: its declared name and the packages in src/."""
    names = []
    if project is not None and project.name:
        names.append(project.name.replace("-", "_").replace(".", "_").lower())
    src = root / "src"
    if src.is_dir():
        names.extend(sorted(p.name for p in src.iterdir() if p.is_dir() and (p / "__init__.py").is_file()))
    return list(dict.fromkeys(names))


def host_source_dir(name: str) -> Path | None:
    """The folder the host imports top-level `name` from, unless that is an installed copy.

    A folder inside a site-packages (or dist-packages) is an installed copy, not the project's
    source, and may hold the host's binary packages too: it is never given to Pyodide.
    """
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if spec.submodule_search_locations:
        where = Path(next(iter(spec.submodule_search_locations))).parent
    elif spec.origin and spec.origin not in ("built-in", "frozen"):
        where = Path(spec.origin).parent
    else:
        return None
    if any(part in ("site-packages", "dist-packages") for part in where.parts):
        return None
    return where.resolve()


def _choose_sources(plan: ProjectPlan, inputs: PlanInputs) -> list[Path]:
    """The host folders the project's packages come from; a wheel for any that has none."""
    plan.import_names = candidate_imports(plan.root, plan.project)
    sources: list[Path] = []
    unprovided: list[str] = []
    for name in plan.import_names:
        where = host_source_dir(name)
        if where is None:
            unprovided.append(name)
        else:
            sources.append(where)
    if unprovided:
        _choose_wheels(plan, inputs, unprovided)
    return list(dict.fromkeys(sources))


def _choose_wheels(plan: ProjectPlan, inputs: PlanInputs, unprovided: list[str]) -> None:
    """A wheel of the project from dist/, else one built now; the reason if neither exists."""
    project = plan.project
    if project is None:
        return
    newest: dict[str, Path] = {}
    for directory in dict.fromkeys(d.resolve() for d in inputs.dist_dirs):
        for wheel in sorted(directory.glob("*.whl")):
            if installable_in_pyodide(wheel):
                name = wheel_name(wheel)
                if name not in newest or wheel.stat().st_mtime > newest[name].stat().st_mtime:
                    newest[name] = wheel
    if project.name is not None and normalize(project.name) in newest:
        plan.wheels.append(newest[normalize(project.name)])
        plan.notes.append(
            f"{', '.join(unprovided)}: no source folder on the host; installed {plan.wheels[-1].name}"
        )
        return
    try:
        built = build_project_wheel(plan.root, inputs.cache_dir)
    except ProjectBuildError as exc:
        plan.unavailable = f"no source folder provides it and its wheel could not be built: {exc}"
        return
    plan.wheels.append(built)
    plan.notes.append(f"{', '.join(unprovided)}: no source folder on the host; built {built.name}")


def unimportable_message(plan: ProjectPlan, missing: list[str]) -> str:
    """The error for project packages Pyodide cannot find once everything is in place."""
    label = plan.project.source if plan.project else plan.root
    return (
        f"the project's package {', '.join(missing)} ({label}) cannot be imported inside Pyodide: "
        f"{plan.unavailable or 'nothing provided it'}. Install it editable on the host "
        "(pip install -e .), add its folder to pytest's pythonpath, or put its wheel in dist/"
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
        if first.endswith((".dist-info", ".data", ".pth")):
            continue
        if "/" in name:
            found.add(first)
        elif first.endswith(".py"):
            found.add(first[: -len(".py")])
    return sorted(found)


def read_lock(lock_path: Path) -> dict[str, dict[str, object]]:
    """The packages of the bundle's lock; pytest must be among them."""
    try:
        lock = json.loads(lock_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ProjectError(f"{lock_path}: {exc}; is --dist-dir a Pyodide folder?") from None
    packages = lock.get("packages", {}) if isinstance(lock, dict) else {}
    if not isinstance(packages, dict) or "pytest" not in packages:
        raise ProjectError(
            f"{lock_path} has no pytest: build the bundle with its test wheels "
            "(browser-rt bundle without --production)"
        )
    return packages


def packages_to_load(
    lock: dict[str, dict[str, object]],
    wheels: Iterable[Path],
    scanned: Iterable[Path],
    test_dependencies: Iterable[str],
) -> list[str]:
    """pytest, browser_rt, the named test dependencies, and every bundle package a file imports.

    A named dependency the lock lacks is an error naming it: nothing is ever fetched from an
    index at test time. Packages a wheel of the plan provides are left to micropip.
    """
    by_import: dict[str, str] = {}
    by_name = {normalize(name): name for name in lock}
    for name, package in lock.items():
        imports = package.get("imports") if isinstance(package, dict) else None
        for module in imports if isinstance(imports, list) else [name]:
            by_import.setdefault(str(module), name)
    named = []
    for dependency in test_dependencies:
        if normalize(dependency) not in by_name:
            raise ProjectError(
                f"{TEST_DEPENDENCIES_INI}: {dependency!r} is not in the bundle's pyodide-lock.json; "
                "add its pure-Python wheel to the bundle (nothing is downloaded at test time)"
            )
        named.append(by_name[normalize(dependency)])
    wanted = ["pytest", "browser-rt", *named]
    for path in scanned:
        if path.suffix == ".py":
            wanted.extend(by_import[m] for m in sorted(imported_modules(path)) if m in by_import)
    provided = {wheel_name(w) for w in wheels}
    return [name for name in dict.fromkeys(wanted) if name in lock and normalize(name) not in provided]


def _package_files(source_dirs: list[Path], names: list[str]) -> list[Path]:
    """The project's own modules (their imports name bundle packages too), at most a few hundred."""
    files: list[Path] = []
    for directory in source_dirs:
        for name in names:
            package = directory / name
            if package.is_dir():
                files.extend(sorted(package.rglob("*.py"))[:500])
            elif (directory / f"{name}.py").is_file():
                files.append(directory / f"{name}.py")
    return files


def outermost(directories: Iterable[Path]) -> list[Path]:
    """The folders not inside another of them, in their first order."""
    ordered = sorted(dict.fromkeys(directories), key=lambda d: len(d.parts))
    kept: list[Path] = []
    for directory in ordered:
        if not any(directory.is_relative_to(k) for k in kept):
            kept.append(directory)
    return kept
