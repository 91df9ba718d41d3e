"""The dependency check: the bundle ships only allowlisted packages, each exactly as pinned.

Three sources must agree: the allowlist in security/policy.json (names and versions), the
hash-pinned requirement files (sha256 per wheel), and the bundle itself (its pyodide-lock.json
and the bytes of each wheel). Anything else in the Pyodide folder is a finding too, since a
stray wheel there is one `micropip.install` away from running.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from browser_rt.gate.bytecode_check import mismatches
from browser_rt.gate.config import AllowedPackage
from browser_rt.gate.report import CheckResult
from browser_rt.tooling.bundle import PYODIDE_CORE_FILES, cached_wheel
from browser_rt.tooling.bytecode import is_bytecode_wheel_name
from browser_rt.tooling.hashing import sha256_file
from browser_rt.tooling.requirements import PinnedWheel, RequirementsError, normalize_name, read_pins
from browser_rt.tooling.snapshot import SNAPSHOT_INFO_NAME, shipped_sha256


def check_dependencies(
    result: CheckResult,
    bundle: Path,
    allowed: tuple[AllowedPackage, ...],
    pin_files: list[Path],
    pinned_wheels: Path | None = None,
) -> None:
    """Every lock entry allowlisted, pinned and hash-true; every file in pyodide/ accounted for.

    A wheel the bundle ships as bytecode cannot match its pin's sha256; it passes when it is
    exactly the bytecode of the pinned wheel, found by that sha256 in `pinned_wheels`.
    """
    pyodide = bundle / "pyodide"
    lock_path = pyodide / "pyodide-lock.json"
    try:
        lock = json.loads(lock_path.read_text(encoding="utf-8"))
        packages: dict[str, Any] = lock["packages"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        result.fail("lock_unreadable", f"{lock_path}: {exc}")
        return
    pins: dict[str, PinnedWheel] = {}
    for pin_file in pin_files:
        try:
            pins.update({p.normalized_name: p for p in read_pins(pin_file)})
        except RequirementsError as exc:
            result.fail("pins_unreadable", str(exc))
    allow = {normalize_name(p.name): p for p in allowed}

    listed_files: set[str] = set()
    rows = []
    for key, entry in sorted(packages.items()):
        name = normalize_name(str(entry.get("name", key)))
        file_name = str(entry.get("file_name", ""))
        listed_files.add(file_name)
        rows.append({"name": name, "version": entry.get("version"), "file": file_name})
        rule = allow.get(name)
        if rule is None:
            result.fail("package_not_allowed", f"{name} {entry.get('version')} is not on the allowlist", name)
            continue
        if rule.version is not None and entry.get("version") != rule.version:
            result.fail(
                "version_not_allowed", f"lock has {entry.get('version')}, allowlist {rule.version}", name
            )
        path = pyodide / file_name
        if not file_name or "/" in file_name or not path.is_file():
            result.fail("wheel_missing", f"lock names {file_name!r}, which the bundle does not have", name)
            continue
        actual = sha256_file(path)
        if actual != entry.get("sha256"):
            result.fail(
                "hash_mismatch",
                f"{file_name}: sha256 {actual[:16]}... but the lock says {str(entry.get('sha256'))[:16]}...",
                name,
            )
        if rule.role != "project":
            pin = pins.get(name)
            if pin is None:
                result.fail("not_pinned", "no hash-pinned requirement line for it", name)
            elif pin.version != entry.get("version") or (
                pin.sha256 != actual
                and not (
                    is_bytecode_wheel_name(path.name)
                    and _bytecode_of_pin(result, path, pin, pinned_wheels, name)
                )
            ):
                result.fail(
                    "pin_mismatch",
                    f"pinned {pin.version} {pin.sha256[:16]}..., shipped "
                    f"{entry.get('version')} {actual[:16]}...",
                    name,
                )
        for dependency in entry.get("depends", []):
            if not any(
                normalize_name(str(p.get("name", k))) == normalize_name(dependency)
                for k, p in packages.items()
            ):
                result.fail("dependency_not_shipped", f"depends on {dependency}, which the lock lacks", name)

    expected_files = listed_files | set(PYODIDE_CORE_FILES) | _snapshot_files(result, bundle)
    if pyodide.is_dir():
        for path in sorted(pyodide.rglob("*")):
            relative = path.relative_to(pyodide).as_posix()
            if path.is_file() and relative not in expected_files:
                result.fail(
                    "unlisted_file", "in the Pyodide folder but neither a core file nor in the lock", relative
                )
    for rule in allowed:
        if rule.role in ("runtime", "project") and normalize_name(rule.name) not in {r["name"] for r in rows}:
            result.fail("runtime_package_missing", "needed at run time but not in the bundle", rule.name)
    result.details["packages"] = rows
    result.details["summary"] = f"{len(rows)} packages in the lock"


def _snapshot_files(result: CheckResult, bundle: Path) -> set[str]:
    """The memory snapshot (one gzip-compressed file) and its description, where the bundle's
    manifest records that snapshot with the sha256 the file has; a snapshot the manifest does
    not vouch for stays unlisted."""
    try:
        record = json.loads((bundle / "bundle-manifest.json").read_text(encoding="utf-8")).get("snapshot")
    except (OSError, ValueError, AttributeError):
        return set()
    if not isinstance(record, dict) or not isinstance(record.get("file"), str):
        return set()
    snapshot = bundle / "pyodide" / record["file"]
    if not snapshot.is_file() or sha256_file(snapshot) != shipped_sha256(record):
        result.fail(
            "snapshot_mismatch", "differs from the sha256 the bundle manifest records", record["file"]
        )
        return set()
    return {record["file"], SNAPSHOT_INFO_NAME}


def _bytecode_of_pin(
    result: CheckResult, shipped: Path, pin: PinnedWheel, pinned_wheels: Path | None, name: str
) -> bool:
    """True when `shipped` is the bytecode build of the pinned wheel; findings say why not."""
    source = None if pinned_wheels is None else cached_wheel(pin, pinned_wheels)
    if source is None:
        where = "no folder of pinned wheels was given" if pinned_wheels is None else f"not in {pinned_wheels}"
        result.fail("pinned_source_missing", f"checking {shipped.name} needs the pinned wheel: {where}", name)
        return False
    try:
        problems = mismatches(_payload(shipped), _payload(source), against=source.name)
    except (OSError, zipfile.BadZipFile) as exc:
        result.fail("wheel_unreadable", f"{shipped.name}: {exc}", name)
        return False
    for problem in problems:
        result.fail("bytecode_mismatch", f"{shipped.name}: {problem}", name)
    return not problems


def _payload(wheel: Path) -> dict[str, bytes]:
    """A wheel's files, less the two that a bytecode build rewrites (its tag and its RECORD)."""
    with zipfile.ZipFile(wheel) as archive:
        return {
            name: archive.read(name)
            for name in archive.namelist()
            if not name.endswith(("/", ".dist-info/RECORD", ".dist-info/WHEEL"))
        }
