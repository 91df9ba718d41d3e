"""The app's own pure-Python wheels: `browser-rt bundle --requirements FILE`.

The file is a pip requirements file in the shape `pip-compile --generate-hashes` (or
`uv pip compile --generate-hashes`) writes: one exact pin per package, each with one or more
`--hash=sha256:` options, continuation lines and comments allowed. Anything looser is refused
naming the line, since the bundle must be reproducible and every byte it ships must be pinned:
no ranges, no unhashed lines, no URLs, no nested files or options.

Wheels are downloaded the way browser_rt's own pins are (`pip download --require-hashes
--only-binary=:all: --python-version 3.14 --implementation py --platform any`) into the same
cache. Only pure-Python wheels run in Pyodide without a Pyodide build; a package that has none
on the index (compiled, or an sdist only) is refused by name.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from pathlib import Path

from browser_rt.tooling.hashing import sha256_file
from browser_rt.tooling.lockfile import is_pure_python_wheel_name
from browser_rt.tooling.requirements import PinnedWheel, normalize_name

_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_PIN = re.compile(rf"^(?P<name>{_NAME})\s*==\s*(?P<version>[A-Za-z0-9.+!_-]+)$")
_HASH = re.compile(r"--hash[=\s]\s*(?P<algorithm>[A-Za-z0-9]+):(?P<digest>\S+)")


class AppRequirementsError(ValueError):
    """The app's requirements file is not exactly pinned and hashed; names the file and line."""


@dataclass(frozen=True)
class AppPin:
    """One exactly pinned, hash-checked line of the app's requirements file."""

    name: str
    version: str
    hashes: tuple[str, ...]
    where: str
    """`file:line`, for messages."""

    @property
    def normalized_name(self) -> str:
        return normalize_name(self.name)

    def requirement_line(self) -> str:
        """The line handed to `pip download --require-hashes`."""
        return f"{self.name}=={self.version} " + " ".join(f"--hash=sha256:{h}" for h in self.hashes)


def read_app_requirements(path: Path) -> list[AppPin]:
    """Every pin of the file, or an AppRequirementsError naming the first bad line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AppRequirementsError(f"--requirements {path}: {exc.strerror or exc}") from None
    pins: list[AppPin] = []
    seen: dict[str, str] = {}
    for number, line in _logical_lines(text):
        where = f"{path}:{number}"
        pin = _parse_line(line, where)
        if pin.normalized_name in seen:
            raise AppRequirementsError(
                f"{where}: {pin.name} is pinned twice (also at {seen[pin.normalized_name]})"
            )
        seen[pin.normalized_name] = where
        pins.append(pin)
    return pins


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first physical line number, text) per requirement, with comments and `\\` joins done."""
    lines: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not pending:
            start = number
        stripped = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if stripped.endswith("\\"):
            pending.append(stripped[:-1])
            continue
        pending.append(stripped)
        joined = " ".join(part.strip() for part in pending).strip()
        pending = []
        if joined:
            lines.append((start, joined))
    if pending and (joined := " ".join(part.strip() for part in pending).strip()):
        lines.append((start, joined))
    return lines


def _parse_line(line: str, where: str) -> AppPin:
    if line.startswith("-"):
        raise AppRequirementsError(
            f"{where}: {line!r}: options and nested files are not supported here; list exact pins "
            "only (set an index with PIP_INDEX_URL or PIP_FIND_LINKS in the environment)"
        )
    requirement, *option_part = re.split(r"\s+(?=--)", line, maxsplit=1)
    options = option_part[0] if option_part else ""
    requirement = requirement.strip()
    if ";" in requirement:
        raise AppRequirementsError(
            f"{where}: {requirement!r}: environment markers are not supported; the bundle targets "
            "one platform (Pyodide), so pin exactly what it ships"
        )
    if "[" in requirement:
        raise AppRequirementsError(
            f"{where}: {requirement!r}: extras are not supported; pin each package the extra "
            "needs on its own line"
        )
    match = _PIN.match(requirement)
    if match is None or "*" in requirement:
        raise AppRequirementsError(
            f"{where}: {requirement!r} is not pinned: write 'name==version --hash=sha256:<64 hex>' "
            "(pip-compile --generate-hashes writes this form)"
        )
    hashes: list[str] = []
    rest = _HASH.sub("", options).strip()
    if rest:
        raise AppRequirementsError(
            f"{where}: unsupported option {rest!r} (only --hash=sha256:... is allowed)"
        )
    for found in _HASH.finditer(options):
        if found["algorithm"] != "sha256" or not re.fullmatch(r"[0-9a-f]{64}", found["digest"]):
            raise AppRequirementsError(
                f"{where}: {requirement}: --hash={found['algorithm']}:{found['digest'][:16]}... is not "
                "a sha256 of 64 lowercase hex digits"
            )
        hashes.append(found["digest"])
    if not hashes:
        raise AppRequirementsError(
            f"{where}: {requirement} has no --hash=sha256:...; every app wheel must be hash-pinned"
        )
    return AppPin(match["name"], match["version"], tuple(dict.fromkeys(hashes)), where)


def check_against_builtin(pins: list[AppPin], builtin: dict[str, tuple[PinnedWheel, str]]) -> list[AppPin]:
    """The app pins browser_rt does not ship already; a conflicting one is refused.

    `builtin` maps normalized names to browser_rt's own pin and the file that pins it. The same
    version with a matching hash is simply shipped once; anything else would put two versions
    of one package in one lock.
    """
    kept: list[AppPin] = []
    for pin in pins:
        own = builtin.get(pin.normalized_name)
        if own is None:
            kept.append(pin)
            continue
        theirs, source = own
        if theirs.version == pin.version and theirs.sha256 in pin.hashes:
            continue
        hint = " (or build with --production, which leaves the test wheels out)" if "test" in source else ""
        raise AppRequirementsError(
            f"{pin.where}: {pin.name}=={pin.version} conflicts with browser_rt's own pin "
            f"{theirs.name}=={theirs.version} ({source}); pin that version and hash{hint}"
        )
    return kept


def cached_app_wheel(pin: AppPin, cache_dir: Path) -> Path | None:
    """A cached pure-Python wheel with the pin's name, version and one of its hashes."""
    for path in sorted(cache_dir.glob("*.whl")):
        parts = path.name.split("-")
        if (
            len(parts) >= 5
            and normalize_name(parts[0]) == pin.normalized_name
            and same_version(parts[1], pin.version)
            and is_pure_python_wheel_name(path.name)
            and sha256_file(path) in pin.hashes
        ):
            return path
    return None


def same_version(a: str, b: str) -> bool:
    """PEP 440 equality (`1.0` is `1.0.0`), as pip applies `==`; exact text if no packaging."""
    if a == b:
        return True
    for module in ("packaging.version", "pip._vendor.packaging.version"):
        try:
            version = importlib.import_module(module).Version
        except ImportError:
            continue
        try:
            return bool(version(a) == version(b))
        except Exception:  # InvalidVersion, from either copy
            return False
    return False


def not_pure_message(pins: list[AppPin]) -> str:
    """Why these pins cannot be bundled, naming each."""
    names = ", ".join(f"{p.name}=={p.version} ({p.where})" for p in pins)
    return (
        f"no pure-Python wheel (py3-none-any) matches {names}: the package is platform-specific "
        "(compiled code) or published only as an sdist. browser-rt bundles only pure-Python "
        "wheels; a compiled package needs a Pyodide build of its own"
    )
