"""`browser-rt bundle --verify DIR`: is a deployed folder exactly what the build wrote?

The check is the manifest against the folder, in both directions: every listed file must be
present with its sha256, and nothing else may be there (a stray file in a deployed folder is
served like the rest). By default the manifest is the folder's own `bundle-manifest.json`,
which catches copying and storage faults; checking against the build machine's copy
(`--manifest`) also catches a folder whose manifest was rewritten along with its files, and the
printed manifest sha256 lets a deployer compare the two by eye.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from browser_rt.tooling.bundle import MANIFEST_NAME
from browser_rt.tooling.hashing import sha256_file
from browser_rt.tooling.snapshot import shipped_sha256


@dataclass
class VerifyReport:
    """What differs between a folder and its manifest."""

    folder: Path
    manifest: Path
    manifest_sha256: str | None = None
    problem: str | None = None
    """The manifest itself could not be used (then nothing else was checked)."""
    matched: int = 0
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    versions: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.problem is None and not (self.changed or self.missing or self.extra)


def verify_bundle(folder: Path, manifest: Path | None = None) -> VerifyReport:
    """Compare `folder` with `manifest` (default: the folder's own bundle-manifest.json)."""
    manifest_path = manifest if manifest is not None else folder / MANIFEST_NAME
    report = VerifyReport(folder, manifest_path)
    if not folder.is_dir():
        report.problem = f"{folder} is not a folder"
        return report
    try:
        raw = manifest_path.read_bytes()
        data = json.loads(raw)
        files = data["files"]
        if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
            raise TypeError("'files' must map paths to sha256 strings")
    except OSError as exc:
        report.problem = f"{manifest_path}: {exc.strerror or exc} (is this a browser-rt bundle?)"
        return report
    except (ValueError, KeyError, TypeError) as exc:
        report.problem = f"{manifest_path}: not a bundle manifest ({exc})"
        return report
    report.manifest_sha256 = hashlib.sha256(raw).hexdigest()
    report.versions = {
        key: data[key]
        for key in ("browser_rt", "js_bridge", "pyodide")
        if key in data and data[key] is not None
    }
    present = {
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.is_file() and path.relative_to(folder).as_posix() != MANIFEST_NAME
    }
    for name in sorted(files):
        if name not in present:
            report.missing.append(name)
        elif sha256_file(folder / name) != files[name]:
            report.changed.append(name)
        else:
            report.matched += 1
    report.extra = sorted(present - set(files))
    _check_snapshot_record(data.get("snapshot"), files, report)
    return report


def _check_snapshot_record(record: Any, files: dict[str, str], report: VerifyReport) -> None:
    """The runtime trusts the snapshot only if it unpacks to the recorded sha256, and the file
    shipped is checked by its own: the manifest's record of it must name a listed file with the
    same sha256 as its files entry."""
    if record is None:
        return
    name = f"pyodide/{record.get('file')}" if isinstance(record, dict) else "snapshot"
    digest = shipped_sha256(record)
    if digest is None or files.get(name) != digest:
        report.changed.append(f"{name} (the manifest's snapshot record does not match its files entry)")


def format_report(report: VerifyReport) -> str:
    """One line per difference, then a verdict; what `--verify` prints."""
    if report.problem is not None:
        return f"browser-rt bundle --verify: error: {report.problem}"
    lines = [f"changed: {name} (sha256 differs from {report.manifest.name})" for name in report.changed]
    lines += [f"missing: {name} (listed in {report.manifest.name})" for name in report.missing]
    lines += [f"extra: {name} (not in {report.manifest.name})" for name in report.extra]
    versions = _versions_text(report.versions)
    if report.ok:
        lines.append(f"OK: {report.matched} files match {report.manifest} ({versions})")
    else:
        problems = len(report.changed) + len(report.missing) + len(report.extra)
        lines.append(
            f"FAILED: {problems} differences in {report.folder} against {report.manifest}; "
            f"{report.matched} files match ({versions})"
        )
    lines.append(f"manifest sha256 {report.manifest_sha256}")
    return "\n".join(lines)


def _versions_text(versions: dict[str, Any]) -> str:
    parts = []
    if "browser_rt" in versions:
        parts.append(f"browser_rt {versions['browser_rt']}")
    pyodide = versions.get("pyodide")
    if isinstance(pyodide, dict) and pyodide.get("version"):
        parts.append(f"Pyodide {pyodide['version']} (Python {pyodide.get('python')})")
    return ", ".join(parts) or "no versions recorded"
