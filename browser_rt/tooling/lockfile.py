"""The bundle's `pyodide-lock.json`, written with the standard library (and pip's `packaging`).

An embedder installs browser_rt and nothing else (its one dependency is idna), so the bundle
builder cannot lean on `pyodide-lock` (attrs, cattrs, packaging, pkginfo). This module makes the
same entries `pyodide lockfile add-wheels` makes (pyodide-lock 0.2.1: name normalized, imports
from the wheel's top-level packages, `depends` from `Requires-Dist` under Pyodide's marker
environment, extras followed), and a test checks it against pyodide-lock on the real wheels.

Markers need a PEP 508 evaluator. `packaging` is used when installed; otherwise the copy that
every pip vendors, since the builder runs pip anyway to download wheels.
"""

from __future__ import annotations

import importlib
import json
import re
import zipfile
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path
from typing import Any

from browser_rt.tooling.hashing import sha256_file
from browser_rt.tooling.requirements import normalize_name


class LockError(RuntimeError):
    """A wheel cannot be registered; the message names it and says what is missing."""


_BASE_MARKER_ENV = {
    "implementation_name": "cpython",
    "os_name": "posix",
    "platform_system": "Emscripten",
    "platform_version": "#1",
    "platform_python_implementation": "CPython",
}
"""Pyodide's own `packaging.markers.default_environment()`, less what the lock's info decides."""


@dataclass(frozen=True)
class WheelInfo:
    """What a lock entry needs from one wheel file."""

    name: str
    """Normalized (PEP 503), as Pyodide's `loadPackage` looks names up."""
    version: str
    requires: tuple[str, ...]
    imports: tuple[str, ...]


def read_wheel(path: Path) -> WheelInfo:
    """Name, version, Requires-Dist and top-level imports of a wheel, or a LockError naming it."""
    try:
        with zipfile.ZipFile(path) as archive:
            metadata_name = next(
                (n for n in archive.namelist() if re.fullmatch(r"[^/]+\.dist-info/METADATA", n)), None
            )
            if metadata_name is None:
                raise LockError(f"{path.name}: the wheel has no .dist-info/METADATA")
            headers = HeaderParser().parsestr(archive.read(metadata_name).decode("utf-8"))
        imports = _top_level_imports(path)
    except (OSError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
        raise LockError(f"{path.name}: not a readable wheel ({exc})") from None
    name, version = headers.get("Name"), headers.get("Version")
    if not name or not version:
        raise LockError(f"{path.name}: METADATA has no Name or Version")
    return WheelInfo(normalize_name(name), version, tuple(headers.get_all("Requires-Dist") or ()), imports)


def is_pure_python_wheel_name(file_name: str, python_version: str = "3.14") -> bool:
    """True for a wheel tagged for any platform with no ABI, for this Python (`py3`, `py314`,
    `py2.py3`): the only kind that runs in Pyodide without a Pyodide build."""
    parts = file_name.removesuffix(".whl").split("-")
    if not file_name.endswith(".whl") or len(parts) < 5:
        return False
    major, minor = (int(x) for x in python_version.split(".")[:2])
    interpreters, abis, platforms = (part.split(".") for part in parts[-3:])
    if "none" not in abis or "any" not in platforms:
        return False
    for interpreter in interpreters:
        match = re.fullmatch(rf"py{major}(\d*)", interpreter)
        if match and (not match.group(1) or int(match.group(1)) <= minor):
            return True
    return False


def marker_environment(info: dict[str, Any]) -> dict[str, str]:
    """PEP 508 marker values inside the Pyodide the lock's `info` describes."""
    python = str(info["python"])
    platform = str(info["platform"])
    env = dict(_BASE_MARKER_ENV)
    system, _, release = platform.partition("_")
    env["sys_platform"] = system
    env["platform_release"] = release
    env["implementation_version"] = python
    env["python_full_version"] = python
    env["python_version"] = ".".join(python.split(".")[:2])
    env["platform_machine"] = str(info.get("arch", "wasm32"))
    return env


def write_lock(
    source_lock: Path,
    pyodide_out: Path,
    shipped: dict[Path, Path],
) -> bool:
    """Write `pyodide_out/pyodide-lock.json` (see `render_lock`); True when its bytes changed."""
    text = render_lock(source_lock, shipped, has_file=lambda name: (pyodide_out / name).is_file())
    lock_path = pyodide_out / "pyodide-lock.json"
    if lock_path.is_file() and lock_path.read_text(encoding="utf-8") == text:
        return False
    lock_path.write_text(text, encoding="utf-8")
    return True


def render_lock(source_lock: Path, shipped: dict[Path, Path], *, has_file: Callable[[str], bool]) -> str:
    """The text of the bundle's lock, or a LockError naming what cannot be registered.

    The npm core lists ~350 packages whose wheels live on a CDN; keeping them would make
    `loadPackage` reach for the network, so the lock describes exactly the folder's contents:
    core entries only for files the folder has (`has_file`), and one entry per shipped wheel.
    `shipped` maps each source wheel to the file shipped for it (a bytecode twin, or itself).
    Entries are made from the source wheels (their tags are the ones pyodide-lock accepts),
    then name the shipped file and its sha256. Keys are sorted: the same inputs, the same bytes.
    """
    try:
        core = json.loads(source_lock.read_text(encoding="utf-8"))
        info: dict[str, Any] = {k: v for k, v in core["info"].items() if k != "version"}
        core_packages: dict[str, Any] = core["packages"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise LockError(f"{source_lock}: not a readable pyodide-lock.json ({exc})") from None

    python = ".".join(str(info.get("python", "")).split(".")[:2])
    wheels: dict[str, tuple[WheelInfo, Path]] = {}
    for source, target in shipped.items():
        if not is_pure_python_wheel_name(source.name, python):
            raise LockError(f"{source.name}: not a pure-Python wheel for Python {python} (py3-none-any)")
        wheel = read_wheel(source)
        wheels[wheel.name] = (wheel, target)
    packages: dict[str, Any] = {
        key: entry
        for key, entry in core_packages.items()
        if has_file(str(entry.get("file_name", "")))
        and normalize_name(str(entry.get("name", key))) not in wheels
    }
    available = set(wheels) | {normalize_name(str(e.get("name", k))) for k, e in packages.items()}
    depends = _resolve_depends({n: w for n, (w, _) in wheels.items()}, available, marker_environment(info))
    for name, (wheel, target) in wheels.items():
        packages[name] = {
            "name": name,
            "version": wheel.version,
            "file_name": target.name,
            "install_dir": "site",
            "sha256": sha256_file(target),
            "package_type": "package",
            "imports": list(wheel.imports),
            "depends": depends[name],
            "unvendored_tests": False,
            "tool": {},
        }
    lock = {"info": info, "packages": packages, "tool": core.get("tool", {})}
    return json.dumps(lock, indent=1, sort_keys=True) + "\n"


def _resolve_depends(
    wheels: dict[str, WheelInfo], available: set[str], env: dict[str, str]
) -> dict[str, list[str]]:
    """Each wheel's dependencies that apply in Pyodide, following extras as pyodide-lock does
    (the lock has no extras, so `a[x]` adds the deps of `a`'s extra `x` to `a` itself)."""
    requirement_type = _requirement_class()
    parsed: dict[str, list[Any]] = {}
    for name, wheel in wheels.items():
        try:
            parsed[name] = [requirement_type(text) for text in wheel.requires]
        except Exception as exc:  # packaging's InvalidRequirement, from either copy
            raise LockError(f"{name} {wheel.version}: unreadable Requires-Dist ({exc})") from None
    depends: dict[str, list[str]] = {}
    with_extras: list[Any] = []
    for name, requirements in parsed.items():
        found: list[str] = []
        for requirement in requirements:
            if requirement.marker is not None and not requirement.marker.evaluate({**env, "extra": ""}):
                continue
            if requirement.extras:
                with_extras.append(requirement)
            _add_dependency(found, name, wheels[name], requirement, available)
        depends[name] = found
    while with_extras:
        requirement = with_extras.pop()
        target = normalize_name(requirement.name)
        if target not in parsed:
            continue
        for extra in sorted(requirement.extras):
            for nested in parsed[target]:
                if normalize_name(nested.name) in depends[target] or nested.marker is None:
                    continue
                if nested.marker.evaluate({**env, "extra": extra}):
                    _add_dependency(depends[target], target, wheels[target], nested, available)
                    if nested.extras:
                        with_extras.append(nested)
    return depends


def _add_dependency(
    found: list[str], name: str, wheel: WheelInfo, requirement: Any, available: set[str]
) -> None:
    dependency = normalize_name(requirement.name)
    if dependency not in available:
        raise LockError(
            f"{name} {wheel.version} needs {dependency} (Requires-Dist: {requirement}), which the "
            f"bundle does not ship: add a hash-pinned line for {dependency} to the requirements file"
        )
    if dependency not in found:
        found.append(dependency)


def _requirement_class() -> Any:
    """`packaging.requirements.Requirement`, or the copy pip vendors when packaging is absent."""
    for module in ("packaging.requirements", "pip._vendor.packaging.requirements"):
        try:
            return importlib.import_module(module).Requirement
        except ImportError:
            continue
    raise LockError("reading wheel dependencies needs `packaging` or pip: pip install packaging")


def _top_level_imports(path: Path) -> tuple[str, ...]:
    """Top-level modules and packages, found the way pyodide-lock (and setuptools) finds them:
    a top-level `.py` file, or a top-level folder whose tree holds a `.py` file."""
    found: list[str] = []
    for entry in zipfile.Path(path).iterdir():
        if entry.is_file() and entry.name.endswith(".py"):
            found.append(entry.name[:-3])
        elif entry.is_dir() and _valid_package_name(entry.name) and _has_python_file(entry):
            found.append(entry.name)
    return tuple(found)


def _valid_package_name(name: str) -> bool:
    return not any(character in name for character in ".- ")


def _has_python_file(folder: zipfile.Path) -> bool:
    queue = deque([folder])
    while queue:
        for entry in queue.pop().iterdir():
            if entry.is_file() and entry.name.endswith(".py"):
                return True
            if entry.is_dir() and _valid_package_name(entry.name):
                queue.append(entry)
    return False
