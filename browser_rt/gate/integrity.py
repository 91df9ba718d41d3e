"""The artifact integrity check: what ships is what was reviewed, and was built from this tree.

`security/manifest.json` pins the sha256 of the shipped browser_rt wheel, every `js_bridge`
file and the bundle's `pyodide-lock.json`. It is committed, so any change to what ships shows
up as a reviewed diff; refresh it with `browser-rt gate --write-manifest`, which refuses to
write unless the bundle is consistent and built from the current sources. The gate compares the
built bundle with the manifest, and also checks provenance: the bundle's `js_bridge` equals the
repository's, the wheel holds exactly the repository's `browser_rt/` files, and every file
matches the bundle's own `bundle-manifest.json`.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from browser_rt.gate.bytecode_check import mismatches
from browser_rt.gate.report import CheckResult
from browser_rt.tooling.bundle import MANIFEST_NAME, bridge_files
from browser_rt.tooling.hashing import sha256_file

MANIFEST_SCHEMA = "browser-rt-security-manifest-v1"
_IGNORED_PARTS = {"__pycache__"}


def covered_files(bundle: Path) -> list[str]:
    """Bundle-relative paths the manifest pins: the project wheel, the lock, all of js_bridge/."""
    wheels = sorted(p.relative_to(bundle).as_posix() for p in (bundle / "pyodide").glob("browser_rt-*.whl"))
    bridge = sorted(
        p.relative_to(bundle).as_posix() for p in (bundle / "js_bridge").rglob("*") if p.is_file()
    )
    lock = ["pyodide/pyodide-lock.json"] if (bundle / "pyodide" / "pyodide-lock.json").is_file() else []
    return [*wheels, *bridge, *lock]


def current_manifest(bundle: Path) -> dict[str, object]:
    files = {name: sha256_file(bundle / name) for name in covered_files(bundle)}
    return {
        "schema": MANIFEST_SCHEMA,
        "refresh": "browser-rt gate --write-manifest (after review; see docs/security-gate.md)",
        "files": files,
    }


def check_provenance(result: CheckResult, bundle: Path, root: Path) -> None:
    """The bundle is internally consistent and built from the sources in `root`."""
    _check_bundle_manifest(result, bundle)
    _check_js_bridge(result, bundle, root)
    wheels = sorted((bundle / "pyodide").glob("browser_rt-*.whl"))
    if len(wheels) != 1:
        result.fail("wheel_count", f"expected one browser_rt wheel in the bundle, found {len(wheels)}")
    for wheel in wheels:
        _check_wheel(result, wheel, root)


def check_integrity(result: CheckResult, bundle: Path, root: Path, manifest_path: Path) -> None:
    """Provenance, then the built artifacts against the committed manifest."""
    check_provenance(result, bundle, root)
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        pinned: dict[str, str] = manifest["files"]
        if manifest.get("schema") != MANIFEST_SCHEMA or not isinstance(pinned, dict):
            raise ValueError(f"expected schema {MANIFEST_SCHEMA}")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        result.fail("manifest_unreadable", f"{manifest_path}: {exc}")
        return
    covered = covered_files(bundle)
    for name in covered:
        actual = sha256_file(bundle / name)
        if name not in pinned:
            result.fail("artifact_unlisted", f"shipped but not in {manifest_path.name}", name)
        elif pinned[name] != actual:
            result.fail("artifact_changed", f"sha256 {actual[:16]}..., manifest {pinned[name][:16]}...", name)
    for name in sorted(set(pinned) - set(covered)):
        result.fail("artifact_missing", "in the manifest but not shipped", name)
    result.details["manifest"] = str(manifest_path)
    result.details["files"] = len(covered)
    result.details["summary"] = f"{len(covered)} artifacts against {manifest_path.name}"


def _check_bundle_manifest(result: CheckResult, bundle: Path) -> None:
    path = bundle / MANIFEST_NAME
    try:
        recorded: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        result.fail("bundle_manifest_unreadable", f"{path}: {exc}")
        return
    present = sorted(
        p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file() and p.name != MANIFEST_NAME
    )
    for name in present:
        if name not in recorded:
            result.fail("bundle_file_unlisted", f"not in {MANIFEST_NAME}", name)
        elif recorded[name] != sha256_file(bundle / name):
            result.fail("bundle_file_changed", f"differs from its sha256 in {MANIFEST_NAME}", name)
    for name in sorted(set(recorded) - set(present)):
        result.fail("bundle_file_missing", f"listed in {MANIFEST_NAME} but missing", name)


def _check_js_bridge(result: CheckResult, bundle: Path, root: Path) -> None:
    source = root / "js_bridge"
    shipped = bundle / "js_bridge"
    want = {p.relative_to(source).as_posix() for p in bridge_files(source)}
    have = {p.relative_to(shipped).as_posix() for p in shipped.rglob("*") if p.is_file()}
    for name in sorted(want | have):
        if name not in have:
            result.fail("bridge_file_missing", "in js_bridge/ but not shipped", f"js_bridge/{name}")
        elif name not in want:
            result.fail("bridge_file_extra", "shipped but not in js_bridge/", f"js_bridge/{name}")
        elif sha256_file(source / name) != sha256_file(shipped / name):
            result.fail(
                "bridge_file_stale",
                "the shipped copy differs from js_bridge/ (rebuild the bundle)",
                f"js_bridge/{name}",
            )


def _check_wheel(result: CheckResult, wheel: Path, root: Path) -> None:
    """The wheel's browser_rt/ files are exactly the repository's: byte for byte, or as
    hash-based bytecode of the very same source (see `bytecode_check`)."""
    package = root / "browser_rt"
    source = {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in package.rglob("*")
        if p.is_file() and not _IGNORED_PARTS & set(p.parts) and p.suffix != ".pyc"
    }
    try:
        with zipfile.ZipFile(wheel) as archive:
            members = {
                name: archive.read(name)
                for name in archive.namelist()
                if name.startswith("browser_rt/") and not name.endswith("/")
            }
    except (OSError, zipfile.BadZipFile) as exc:
        result.fail("wheel_unreadable", f"{wheel.name}: {exc}")
        return
    for message in mismatches(members, source, against="the tree"):
        result.fail("wheel_stale", f"{message} (rebuild it)", f"pyodide/{wheel.name}")


def write_manifest(bundle: Path, root: Path, manifest_path: Path) -> CheckResult:
    """Refresh the manifest from the bundle, only if the bundle passes the provenance checks."""
    result = CheckResult("integrity", blocking=True)
    check_provenance(result, bundle, root)
    if result.passed:
        manifest_path.parent.mkdir(parents=True, exist_ok=True)
        manifest_path.write_text(
            json.dumps(current_manifest(bundle), indent=1, sort_keys=True) + "\n", "utf-8"
        )
    return result
