"""Build the self-contained offline bundle: Pyodide core, wheels, lock and js_bridge.

The output folder can be copied to any static host. Everything Pyodide loads is
registered in the folder's own `pyodide-lock.json`, so nothing is fetched from a CDN.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from browser_rt.policy import FetchAuthority
from browser_rt.tooling.bytecode import BytecodeError, compile_bytecode_wheels, wants_bytecode
from browser_rt.tooling.csp import page_meta_tag
from browser_rt.tooling.hashing import sha256_file
from browser_rt.tooling.requirements import PinnedWheel, normalize_name, read_pins, wheel_distribution

PYODIDE_CORE_FILES = (
    "pyodide.mjs",
    "pyodide.js",
    "pyodide.asm.mjs",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "pyodide-lock.json",
    "package.json",
)
"""Files copied from the npm `pyodide` package; the lock is rewritten, not copied."""

_TEMPLATES = Path(__file__).parent / "templates"
JS_BRIDGE_SUFFIXES = (".mjs", ".d.ts", ".json")
MANIFEST_NAME = "bundle-manifest.json"
WHEEL_CACHE = Path(".cache") / "pyodide-wheels"
"""Where a checkout keeps the downloaded, hash-pinned wheels (relative to its root)."""
PYODIDE_PYTHON_VERSION = "3.14"


class BundleError(RuntimeError):
    """A missing or corrupt input; the message names it and says how to fix it."""


@dataclass(frozen=True)
class BundleInputs:
    """Where the bundle's ingredients come from."""

    pyodide_dir: Path
    js_bridge_dir: Path
    project_wheel: Path | None
    wheel_dist_dir: Path
    runtime_pins: Path
    test_pins: Path
    cache_dir: Path
    include_test_wheels: bool = True
    bytecode: bool = True
    """Ship browser_rt and idna as bytecode compiled by this Pyodide (faster start-up); False
    ships their sources, for readable tracebacks."""

    @classmethod
    def for_checkout(cls, root: Path, **overrides: Any) -> BundleInputs:
        """The inputs of a browser_rt checkout at `root`; a field given (and not None) wins."""
        defaults = cls(
            pyodide_dir=root / "node_modules" / "pyodide",
            js_bridge_dir=root / "js_bridge",
            project_wheel=None,
            wheel_dist_dir=root / "dist",
            runtime_pins=root / "requirements" / "pyodide-runtime.txt",
            test_pins=root / "requirements" / "pyodide-test.txt",
            cache_dir=root / WHEEL_CACHE,
        )
        return replace(defaults, **{name: value for name, value in overrides.items() if value is not None})


@dataclass
class BundleReport:
    """What a run did, so a second run can be shown to have done nothing."""

    copied: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    downloaded: list[str] = field(default_factory=list)
    lock_rewritten: bool = False


Progress = Callable[[str], None]


def build_bundle(
    inputs: BundleInputs,
    out: Path,
    progress: Progress = print,
    *,
    page_policy: FetchAuthority | None = None,
) -> BundleReport:
    """Build or refresh `out`; idempotent, and incremental on a second run.

    `page_policy` is what the bundle's own page grants (default: nothing). Its CSP goes into the
    page as a `<meta>` element, so the folder holds its boundary on a static host that sends
    no headers: the worker starts from a blob: URL and inherits that policy.
    """
    report = BundleReport()
    _check_inputs(inputs)
    project_wheel = _find_project_wheel(inputs)
    pins = read_pins(inputs.runtime_pins)
    if inputs.include_test_wheels:
        pins += read_pins(inputs.test_pins)
    progress(f"[bundle] {len(pins)} pinned wheels, project wheel {project_wheel.name}")

    cached = _ensure_cached(pins, inputs.cache_dir, report, progress)

    pyodide_out = out / "pyodide"
    pyodide_out.mkdir(parents=True, exist_ok=True)
    for name in PYODIDE_CORE_FILES:
        if name == "pyodide-lock.json":
            continue
        _copy_verified(inputs.pyodide_dir / name, pyodide_out / name, report)
    progress(f"[bundle] pyodide core -> {pyodide_out}")

    sources = [*cached, project_wheel]
    shipped = _with_bytecode(sources, inputs, progress) if inputs.bytecode else {w: w for w in sources}
    for wheel in shipped.values():
        _copy_verified(wheel, pyodide_out / wheel.name, report)
    _remove_stale_wheels(pyodide_out, {w.name for w in shipped.values()}, progress)
    progress(f"[bundle] {len(shipped)} wheels -> {pyodide_out}")

    report.lock_rewritten = _write_lock(
        inputs.pyodide_dir / "pyodide-lock.json",
        pyodide_out,
        {source: pyodide_out / wheel.name for source, wheel in shipped.items()},
    )
    progress(f"[bundle] pyodide-lock.json {'rewritten' if report.lock_rewritten else 'unchanged'}")

    bridge_out = out / "js_bridge"
    bridge_files = _bridge_files(inputs.js_bridge_dir)
    for source in bridge_files:
        _copy_verified(source, bridge_out / source.relative_to(inputs.js_bridge_dir), report)
    progress(f"[bundle] {len(bridge_files)} js_bridge files -> {bridge_out}")

    _write_page(out, page_policy or FetchAuthority.deny_all(), report)
    _write_manifest(out)
    progress(
        f"[bundle] done: {len(report.copied)} written, {len(report.unchanged)} unchanged, "
        f"{len(report.downloaded)} downloaded -> {out}"
    )
    return report


def _check_inputs(inputs: BundleInputs) -> None:
    missing = [n for n in PYODIDE_CORE_FILES if not (inputs.pyodide_dir / n).is_file()]
    if missing:
        raise BundleError(f"{inputs.pyodide_dir} is missing ({', '.join(missing)}): run npm ci")
    if not (inputs.js_bridge_dir / "index.mjs").is_file():
        raise BundleError(f"{inputs.js_bridge_dir}/index.mjs is missing: js_bridge sources not found")


def _find_project_wheel(inputs: BundleInputs) -> Path:
    if inputs.project_wheel is not None:
        if not inputs.project_wheel.is_file():
            raise BundleError(f"{inputs.project_wheel} is missing: build it with `make wheel`")
        return inputs.project_wheel
    candidates = sorted(inputs.wheel_dist_dir.glob("browser_rt-*-py3-none-any.whl"))
    if not candidates:
        raise BundleError(f"no browser_rt wheel in {inputs.wheel_dist_dir}: build it with `make wheel`")
    return max(candidates, key=lambda p: p.stat().st_mtime)


def _with_bytecode(wheels: list[Path], inputs: BundleInputs, progress: Progress) -> dict[Path, Path]:
    """Each source wheel and what ships for it: its bytecode twin, or itself."""
    chosen = [w for w in wheels if wants_bytecode(w)]
    try:
        compiled = compile_bytecode_wheels(
            chosen,
            pyodide_dir=inputs.pyodide_dir,
            python_version=PYODIDE_PYTHON_VERSION,
            cache_dir=inputs.cache_dir.parent / "pyodide-bytecode",
            progress=progress,
        )
    except BytecodeError as exc:
        raise BundleError(str(exc)) from None
    return {w: compiled.get(w, w) for w in wheels}


def _wheel_filename_matches(path: Path, pin: PinnedWheel) -> bool:
    stem = path.name.split("-")
    return len(stem) >= 2 and normalize_name(stem[0]) == pin.normalized_name and stem[1] == pin.version


def cached_wheel(pin: PinnedWheel, cache_dir: Path) -> Path | None:
    """The wheel in `cache_dir` with the pin's name, version and sha256, if there is one."""
    return next(
        (
            path
            for path in sorted(cache_dir.glob("*.whl"))
            if _wheel_filename_matches(path, pin) and sha256_file(path) == pin.sha256
        ),
        None,
    )


def _ensure_cached(
    pins: list[PinnedWheel], cache_dir: Path, report: BundleReport, progress: Progress
) -> list[Path]:
    """Return one verified wheel per pin, downloading only the ones not cached yet."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    found = {pin: cached_wheel(pin, cache_dir) for pin in pins}
    missing = [pin for pin, path in found.items() if path is None]
    if missing:
        progress(f"[bundle] downloading {len(missing)} wheels: {', '.join(p.name for p in missing)}")
        _pip_download(missing, cache_dir)
        report.downloaded.extend(p.name for p in missing)
        for pin in missing:
            found[pin] = cached_wheel(pin, cache_dir)
            if found[pin] is None:
                raise BundleError(
                    f"{pin.name}=={pin.version}: downloaded wheel does not match the pinned sha256"
                )
    return [path for pin in pins if (path := found[pin]) is not None]


def _pip_download(pins: Iterable[PinnedWheel], dest: Path) -> None:
    requirement_lines = [f"{p.name}=={p.version} --hash=sha256:{p.sha256}" for p in pins]
    req_file = dest / ".requirements.txt"
    req_file.write_text("\n".join(requirement_lines) + "\n", encoding="utf-8")
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--no-deps",
        "--require-hashes",
        "--only-binary=:all:",
        "--python-version",
        PYODIDE_PYTHON_VERSION,
        "--implementation",
        "py",
        "--platform",
        "any",
        "-d",
        str(dest),
        "-r",
        str(req_file),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    req_file.unlink(missing_ok=True)
    if result.returncode != 0:
        raise BundleError(f"pip download failed:\n{result.stderr.strip()}")


def _copy_verified(source: Path, dest: Path, report: BundleReport) -> None:
    """Copy unless `dest` already has the same bytes, then re-hash what was written."""
    want = sha256_file(source)
    if dest.is_file() and sha256_file(dest) == want:
        report.unchanged.append(str(dest))
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.copyfile(source, tmp)
    if sha256_file(tmp) != want:
        tmp.unlink()
        raise BundleError(f"{dest}: sha256 of the written copy differs from {source}")
    tmp.replace(dest)
    report.copied.append(str(dest))


def _write_page(out: Path, policy: FetchAuthority, report: BundleReport) -> None:
    """The bundle's page, its script and the policy it grants, with the CSP as a `<meta>`."""
    page = (_TEMPLATES / "index.html").read_text(encoding="utf-8")
    pages = {
        "index.html": page.replace("{{CSP_META}}", page_meta_tag(policy)),
        "index.mjs": (_TEMPLATES / "index.mjs").read_text(encoding="utf-8"),
        "policy.json": policy.to_json() + "\n",
    }
    for name, text in pages.items():
        _write_text_if_changed(out / name, text, report)


def _write_text_if_changed(dest: Path, text: str, report: BundleReport) -> None:
    if dest.is_file() and dest.read_text(encoding="utf-8") == text:
        report.unchanged.append(str(dest))
        return
    dest.write_text(text, encoding="utf-8")
    report.copied.append(str(dest))


def _remove_stale_wheels(pyodide_out: Path, keep: set[str], progress: Progress) -> None:
    for wheel in pyodide_out.glob("*.whl"):
        if wheel.name not in keep:
            progress(f"[bundle] removing stale {wheel.name}")
            wheel.unlink()


def _write_lock(source_lock: Path, pyodide_out: Path, shipped: dict[Path, Path]) -> bool:
    """Keep only lock entries whose files the bundle ships, then add ours with their hashes.

    The npm core lists ~350 packages whose wheels live on a CDN; leaving them in would make
    `loadPackage` reach for the network, so the bundle's lock describes exactly its contents.
    `shipped` maps each source wheel to the file the bundle ships for it. The entries are made
    from the source wheels (pyodide-lock accepts no `cp314-none-any` tag), then point at the
    shipped files by name and sha256.
    """
    try:
        from pyodide_lock import PyodideLockSpec
        from pyodide_lock.utils import add_wheels_to_spec
    except ImportError as exc:  # pragma: no cover - depends on the host environment
        raise BundleError("pyodide-lock is not installed: pip install 'browser_rt[bundle]'") from exc

    spec = PyodideLockSpec.from_json(source_lock)
    spec.packages = {
        name: pkg for name, pkg in spec.packages.items() if (pyodide_out / pkg.file_name).is_file()
    }
    ours = {wheel_distribution(w): w for w in shipped.values()}
    spec.packages = {n: p for n, p in spec.packages.items() if normalize_name(n) not in ours}
    with tempfile.TemporaryDirectory(prefix="browser-rt-lock-") as scratch:
        staged = []
        for source in shipped:
            staged.append(Path(scratch) / source.name)
            shutil.copyfile(source, staged[-1])
        spec = add_wheels_to_spec(spec, staged, base_path=Path(scratch))
    for name, package in spec.packages.items():
        wheel = ours.get(normalize_name(name))
        if wheel is not None:
            package.file_name = wheel.name
            package.sha256 = sha256_file(wheel)
    text = json.dumps(spec.to_dict(), indent=1, sort_keys=True) + "\n"
    lock_path = pyodide_out / "pyodide-lock.json"
    if lock_path.is_file() and lock_path.read_text(encoding="utf-8") == text:
        return False
    lock_path.write_text(text, encoding="utf-8")
    return True


def _bridge_files(js_bridge_dir: Path) -> list[Path]:
    return sorted(
        p
        for p in js_bridge_dir.rglob("*")
        if p.is_file() and p.name.endswith(JS_BRIDGE_SUFFIXES) and "node_modules" not in p.parts
    )


def _write_manifest(out: Path) -> None:
    """Record the sha256 of every shipped file, for integrity checks after copying."""
    files = sorted(p for p in out.rglob("*") if p.is_file() and p.name != MANIFEST_NAME)
    manifest = {
        "schema": "browser-rt-bundle-manifest-v1",
        "files": {str(p.relative_to(out)): sha256_file(p) for p in files},
    }
    text = json.dumps(manifest, indent=1, sort_keys=True) + "\n"
    path = out / MANIFEST_NAME
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
