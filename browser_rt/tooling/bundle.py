"""Build the self-contained offline bundle: Pyodide core, wheels, lock and js_bridge.

The output folder can be copied to any static host. Everything Pyodide loads is
registered in the folder's own `pyodide-lock.json`, so nothing is fetched from a CDN.

It builds the same way from a checkout (its `js_bridge/`, `requirements/` and `dist/`) and from
an installed browser_rt (the copies in the package data, and a wheel made from the installed
package); only the Pyodide core comes from outside, from npm. The same inputs give the same
bytes: every file is copied or written deterministically, and `bundle-manifest.json` records
the sha256 of each file and the versions they came from (`browser-rt bundle --verify`).
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
from browser_rt.tooling import project_wheel as project_wheels
from browser_rt.tooling.app_requirements import (
    AppPin,
    cached_app_wheel,
    check_against_builtin,
    not_pure_message,
    read_app_requirements,
)
from browser_rt.tooling.bytecode import BytecodeError, compile_bytecode_wheels, wants_bytecode
from browser_rt.tooling.csp import page_meta_tag
from browser_rt.tooling.hashing import sha256_file
from browser_rt.tooling.lockfile import LockError, read_wheel, render_lock
from browser_rt.tooling.package_data import PYODIDE_NPM_VERSION, data_files, js_bridge_version
from browser_rt.tooling.requirements import PinnedWheel, normalize_name, read_pins, wheel_distribution
from browser_rt.tooling.snapshot import (
    CONTAINER_NAME,
    SNAPSHOT_INFO_NAME,
    SNAPSHOT_NAME,
    SnapshotError,
    SnapshotWheel,
    build_snapshot,
    check_snapshot_api,
    compressed,
    snapshot_info,
    top_level_modules,
)

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
JS_BRIDGE_SUFFIXES = (".mjs", ".d.ts", ".d.mts", ".json")
MANIFEST_NAME = "bundle-manifest.json"
MANIFEST_SCHEMA = "browser-rt-bundle-manifest-v2"
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
    """An explicit browser_rt wheel; None takes the newest in `wheel_dist_dir`, or, without
    one, makes the wheel from the installed package."""
    wheel_dist_dir: Path | None
    runtime_pins: Path
    test_pins: Path
    cache_dir: Path
    include_test_wheels: bool = True
    bytecode: bool = True
    """Ship browser_rt and idna as bytecode compiled by this Pyodide (faster start-up); False
    ships their sources, for readable tracebacks."""
    app_requirements: Path | None = None
    """The app's own hash-pinned requirements file (`--requirements`), if any."""
    snapshot: bool = True
    """Ship a memory snapshot with browser_rt imported (snapshot.py); False boots the normal way."""
    snapshot_app: bool = True
    """Also unpack and import the app's own wheels in the snapshot; False leaves them to load
    after the restore (for app modules that must not be imported at build time)."""

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

    @classmethod
    def for_installed(cls, root: Path, **overrides: Any) -> BundleInputs:
        """The inputs of an installed browser_rt, for an app project at `root`: the Pyodide core
        from `root/node_modules/pyodide`, js_bridge and the pins from the package data, the
        browser_rt wheel made from the installed package, the cache in `root/.cache`."""
        data = data_files()
        defaults = cls(
            pyodide_dir=root / "node_modules" / "pyodide",
            js_bridge_dir=data.js_bridge_dir,
            project_wheel=None,
            wheel_dist_dir=None,
            runtime_pins=data.runtime_pins,
            test_pins=data.test_pins,
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


@dataclass(frozen=True)
class PyodideCore:
    """The npm `pyodide` package the bundle is built on."""

    version: str
    info: dict[str, Any]


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
    core = _check_inputs(inputs, progress)
    pins = read_pins(inputs.runtime_pins)
    roles = {pin: "runtime" for pin in pins}
    if inputs.include_test_wheels:
        test_pins = read_pins(inputs.test_pins)
        roles.update({pin: "test" for pin in test_pins})
        pins += test_pins
    app_pins = _app_pins(inputs)

    cached = _ensure_cached(pins, inputs.cache_dir, report, progress)
    app_wheels = _ensure_app_cached(app_pins, inputs.cache_dir, report, progress)
    role_of: dict[Path, str] = {path: roles[pin] for pin, path in zip(pins, cached, strict=True)}
    role_of.update({path: "app" for path in app_wheels})

    with tempfile.TemporaryDirectory(prefix="browser-rt-project-wheel-") as scratch:
        project_wheel = _project_wheel(inputs, Path(scratch))
        role_of[project_wheel] = "project"
        progress(
            f"[bundle] {len(pins)} pinned wheels, {len(app_pins)} app wheels, "
            f"project wheel {project_wheel.name} ({_project_origin(inputs)})"
        )

        sources = [*cached, *app_wheels, project_wheel]
        shipped = _with_bytecode(sources, inputs, progress) if inputs.bytecode else {w: w for w in sources}
        # The lock first: a wheel that cannot be registered stops the build before `out` changes.
        shipped_names = {wheel.name for wheel in shipped.values()}
        try:
            lock_text = render_lock(
                inputs.pyodide_dir / "pyodide-lock.json", shipped, has_file=shipped_names.__contains__
            )
        except LockError as exc:
            raise BundleError(str(exc)) from None
        wheel_records = _wheel_records(shipped, role_of)
        # The snapshot next, for the same reason: a module that cannot be imported stops it here.
        snapshot = _take_snapshot(inputs, core, shipped, role_of, progress) if inputs.snapshot else None

        pyodide_out = out / "pyodide"
        pyodide_out.mkdir(parents=True, exist_ok=True)
        for name in PYODIDE_CORE_FILES:
            if name == "pyodide-lock.json":
                continue
            _copy_verified(inputs.pyodide_dir / name, pyodide_out / name, report)
        progress(f"[bundle] pyodide core {core.version} -> {pyodide_out}")
        for wheel in shipped.values():
            _copy_verified(wheel, pyodide_out / wheel.name, report)
        _remove_stale_wheels(pyodide_out, shipped_names, progress)
        progress(f"[bundle] {len(shipped)} wheels -> {pyodide_out}")

        _write_text_if_changed(pyodide_out / "pyodide-lock.json", lock_text, report)
        snapshot_record = _ship_snapshot(snapshot, pyodide_out, report, progress)
        report.lock_rewritten = str(pyodide_out / "pyodide-lock.json") in report.copied
        progress(f"[bundle] pyodide-lock.json {'rewritten' if report.lock_rewritten else 'unchanged'}")

    bridge_out = out / "js_bridge"
    bridge_sources = bridge_files(inputs.js_bridge_dir)
    for source in bridge_sources:
        _copy_verified(source, bridge_out / source.relative_to(inputs.js_bridge_dir), report)
    _remove_stale_files(
        bridge_out, {bridge_out / s.relative_to(inputs.js_bridge_dir) for s in bridge_sources}, progress
    )
    progress(f"[bundle] {len(bridge_sources)} js_bridge files -> {bridge_out}")

    _write_page(out, page_policy or FetchAuthority.deny_all(), report)
    project = wheel_records["browser-rt"]
    bridge_version = js_bridge_version(inputs.js_bridge_dir)
    if bridge_version != project["version"]:
        progress(
            f"[bundle] warning: js_bridge is {bridge_version}, browser_rt is {project['version']}; "
            "they are released together and should match"
        )
    _write_manifest(
        out,
        {
            "browser_rt": project["version"],
            "js_bridge": bridge_version,
            "pyodide": {
                "version": core.version,
                "python": core.info.get("python"),
                "platform": core.info.get("platform"),
                "abi_version": core.info.get("abi_version"),
            },
            "wheels": wheel_records,
            "snapshot": snapshot_record,
        },
    )
    progress(
        f"[bundle] done: {len(report.copied)} written, {len(report.unchanged)} unchanged, "
        f"{len(report.downloaded)} downloaded -> {out}"
    )
    return report


def _check_inputs(inputs: BundleInputs, progress: Progress) -> PyodideCore:
    """The Pyodide core is complete and of the Python this browser_rt is built for."""
    where = inputs.pyodide_dir
    install = f"npm install pyodide@{PYODIDE_NPM_VERSION}"
    if not where.is_dir():
        raise BundleError(
            f"no Pyodide core at {where}: run `{install}` in this folder (`npm ci` in a "
            "browser_rt checkout), or pass --pyodide-dir DIR"
        )
    missing = [n for n in PYODIDE_CORE_FILES if not (where / n).is_file()]
    if missing:
        raise BundleError(
            f"{where} is not a complete Pyodide core: {', '.join(missing)} missing "
            f"(reinstall with `{install}`)"
        )
    try:
        version = str(json.loads((where / "package.json").read_text(encoding="utf-8"))["version"])
        info = dict(json.loads((where / "pyodide-lock.json").read_text(encoding="utf-8"))["info"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BundleError(f"{where}: unreadable package.json or pyodide-lock.json ({exc})") from None
    python = str(info.get("python", ""))
    if python.split(".")[:2] != PYODIDE_PYTHON_VERSION.split("."):
        raise BundleError(
            f"{where} is Pyodide {version} with Python {python}; this browser_rt is built for "
            f"Python {PYODIDE_PYTHON_VERSION} (`{install}`)"
        )
    if version != PYODIDE_NPM_VERSION:
        progress(f"[bundle] warning: Pyodide {version}; browser_rt is tested with {PYODIDE_NPM_VERSION}")
    if not (inputs.js_bridge_dir / "index.mjs").is_file():
        raise BundleError(f"{inputs.js_bridge_dir}/index.mjs is missing: js_bridge sources not found")
    return PyodideCore(version, info)


@dataclass(frozen=True)
class _Snapshot:
    """A snapshot taken (in the cache), compressed, and what the bundle says about it."""

    packed: Path
    info_text: str


def _take_snapshot(
    inputs: BundleInputs,
    core: PyodideCore,
    shipped: dict[Path, Path],
    role_of: dict[Path, str],
    progress: Progress,
) -> _Snapshot:
    """The memory snapshot of browser_rt, its runtime wheels and (unless left out) the app's."""
    roles = ("runtime", "project", "app") if inputs.snapshot_app else ("runtime", "project")
    chosen = [
        SnapshotWheel(wheel, top_level_modules(wheel) if role_of[source] == "app" else ())
        for source, wheel in shipped.items()
        if role_of[source] in roles
    ]
    try:
        build_id = check_snapshot_api(inputs.pyodide_dir, core.version)
        container = build_snapshot(
            chosen,
            pyodide_dir=inputs.pyodide_dir,
            cache_dir=inputs.cache_dir.parent / "pyodide-snapshot",
            progress=progress,
        )
    except SnapshotError as exc:
        raise BundleError(str(exc)) from None
    packages = [wheel_distribution(w.path) for w in chosen]
    packed = compressed(container)
    info = snapshot_info(container, packed, build_id=build_id, version=core.version, packages=packages)
    return _Snapshot(packed, info)


def _ship_snapshot(
    snapshot: _Snapshot | None, pyodide_out: Path, report: BundleReport, progress: Progress
) -> dict[str, Any] | None:
    """Put the compressed snapshot and its description in `pyodide_out`, or remove a previous
    build's (--no-snapshot); returns what the manifest says about it. The uncompressed container
    an earlier build shipped beside it is removed too: no page reads it."""
    packed_out, info_out = pyodide_out / SNAPSHOT_NAME, pyodide_out / SNAPSHOT_INFO_NAME
    unpacked_out = pyodide_out / CONTAINER_NAME
    if unpacked_out.is_file():
        progress(f"[bundle] removing stale {unpacked_out.name}")
        unpacked_out.unlink()
    if snapshot is None:
        for stale in (packed_out, info_out):
            if stale.is_file():
                progress(f"[bundle] removing {stale.name} (--no-snapshot)")
                stale.unlink()
        return None
    _copy_verified(snapshot.packed, packed_out, report)
    _write_text_if_changed(info_out, snapshot.info_text, report)
    record: dict[str, Any] = json.loads(snapshot.info_text)
    progress(
        f"[bundle] memory snapshot: {record['gzip']['bytes']} bytes gzip-compressed "
        f"({record['bytes']} unpacked), {', '.join(record['packages'])}"
    )
    return record


def _project_origin(inputs: BundleInputs) -> str:
    if inputs.project_wheel is not None:
        return f"from {inputs.project_wheel}"
    if inputs.wheel_dist_dir is not None:
        return f"from {inputs.wheel_dist_dir}"
    return "made from the installed package"


def _project_wheel(inputs: BundleInputs, scratch: Path) -> Path:
    """The browser_rt wheel to ship, written into `scratch` (see project_wheel.py)."""
    try:
        if inputs.project_wheel is not None:
            if not inputs.project_wheel.is_file():
                raise BundleError(f"{inputs.project_wheel} is missing: build it with `make wheel`")
            return project_wheels.from_wheel(inputs.project_wheel, scratch)
        if inputs.wheel_dist_dir is not None:
            candidates = sorted(inputs.wheel_dist_dir.glob("browser_rt-*-py3-none-any.whl"))
            if not candidates:
                raise BundleError(
                    f"no browser_rt wheel in {inputs.wheel_dist_dir}: build it with `make wheel`"
                )
            return project_wheels.from_wheel(max(candidates, key=lambda p: p.stat().st_mtime), scratch)
        return project_wheels.from_installed(scratch)
    except project_wheels.ProjectWheelError as exc:
        raise BundleError(str(exc)) from None


def _app_pins(inputs: BundleInputs) -> list[AppPin]:
    """The app's pins, less those browser_rt already ships (a conflicting one is refused)."""
    if inputs.app_requirements is None:
        return []
    own = {p.normalized_name: (p, str(inputs.runtime_pins)) for p in read_pins(inputs.runtime_pins)}
    if inputs.include_test_wheels:
        for pin in read_pins(inputs.test_pins):
            own.setdefault(pin.normalized_name, (pin, str(inputs.test_pins)))
    return check_against_builtin(read_app_requirements(inputs.app_requirements), own)


def _ensure_app_cached(
    pins: list[AppPin], cache_dir: Path, report: BundleReport, progress: Progress
) -> list[Path]:
    """One verified pure-Python wheel per app pin, downloading only what is not cached."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    found = {pin: cached_app_wheel(pin, cache_dir) for pin in pins}
    missing = [pin for pin, path in found.items() if path is None]
    if missing:
        progress(f"[bundle] downloading {len(missing)} app wheels: {', '.join(p.name for p in missing)}")
        try:
            _pip_download([p.requirement_line() for p in missing], cache_dir)
        except PipDownloadError as exc:
            not_pure = [p for p in missing if _no_pure_wheel(p, cache_dir)]
            if not_pure:
                raise BundleError(not_pure_message(not_pure)) from None
            raise BundleError(str(exc)) from None
        report.downloaded.extend(p.name for p in missing)
        for pin in missing:
            found[pin] = cached_app_wheel(pin, cache_dir)
            if found[pin] is None:
                raise BundleError(
                    f"{pin.where}: {pin.name}=={pin.version}: no downloaded wheel matches its hashes"
                )
    return [path for pin in pins if (path := found[pin]) is not None]


_NETWORK_TROUBLE = (
    "NewConnectionError",
    "Max retries exceeded",
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "ProxyError",
    "SSLError",
)
"""pip's words for an index it could not reach: then "no matching distribution" says nothing
about the package, and pip's own error is shown instead."""


def _no_pure_wheel(pin: AppPin, cache_dir: Path) -> bool:
    """True when pip, reaching its index, finds no pure-Python wheel for this one pin."""
    try:
        _pip_download([pin.requirement_line()], cache_dir)
    except PipDownloadError as exc:
        text = str(exc)
        if any(marker in text for marker in _NETWORK_TROUBLE):
            return False
        return "No matching distribution found" in text or "Could not find a version" in text
    return False


def _wheel_records(shipped: dict[Path, Path], role_of: dict[Path, str]) -> dict[str, dict[str, Any]]:
    """What the manifest says about each wheel: version, shipped file, role, and the source
    wheel's sha256 when a bytecode twin ships in its place."""
    records: dict[str, dict[str, Any]] = {}
    for source, wheel in shipped.items():
        info = read_wheel(source)
        record: dict[str, Any] = {
            "version": info.version,
            "file": f"pyodide/{wheel.name}",
            "role": role_of[source],
        }
        if wheel != source:
            record["bytecode_of_sha256"] = sha256_file(source)
        records[info.name] = record
    return records


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
        _pip_download([f"{p.name}=={p.version} --hash=sha256:{p.sha256}" for p in missing], cache_dir)
        report.downloaded.extend(p.name for p in missing)
        for pin in missing:
            found[pin] = cached_wheel(pin, cache_dir)
            if found[pin] is None:
                raise BundleError(
                    f"{pin.name}=={pin.version}: downloaded wheel does not match the pinned sha256"
                )
    return [path for pin in pins if (path := found[pin]) is not None]


class PipDownloadError(BundleError):
    """`pip download` failed; the message carries pip's own error."""


def _pip_download(requirement_lines: Iterable[str], dest: Path) -> None:
    """Download hash-pinned wheels for Pyodide into `dest`. pip reads its usual environment
    (PIP_INDEX_URL, PIP_FIND_LINKS, PIP_NO_INDEX), so an offline wheelhouse works too."""
    req_file = dest / ".requirements.txt"
    req_file.write_text("\n".join(requirement_lines) + "\n", encoding="utf-8")
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--disable-pip-version-check",
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
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False)
    finally:
        req_file.unlink(missing_ok=True)
    if result.returncode != 0:
        raise PipDownloadError(f"pip download failed:\n{result.stderr.strip()}")


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


def _remove_stale_files(folder: Path, keep: set[Path], progress: Progress) -> None:
    """Files a previous build left that this one does not ship (a module deleted from
    js_bridge/), so a rebuild equals a fresh build."""
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*"), reverse=True):
        if path.is_file() and path not in keep:
            progress(f"[bundle] removing stale {path.relative_to(folder.parent)}")
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()


def bridge_files(js_bridge_dir: Path) -> list[Path]:
    """The files of the JS package: what `npm pack` of js_bridge/ ships (package.json, and the
    globs of its `files` list). The bundle ships the same set, so its js_bridge/ folder is that
    package too; a test compares this with `npm pack --dry-run`."""
    try:
        manifest = json.loads((js_bridge_dir / "package.json").read_text(encoding="utf-8"))
        patterns = [str(p) for p in manifest.get("files", [])]
    except (OSError, ValueError, AttributeError, TypeError):
        patterns = []
    if not patterns:
        patterns = [f"**/*{suffix}" for suffix in JS_BRIDGE_SUFFIXES]
    found = {js_bridge_dir / "package.json"} if (js_bridge_dir / "package.json").is_file() else set()
    # npm always packs these top-level files, whatever `files` says.
    for pattern in ("README*", "LICENSE*", "LICENCE*"):
        found.update(path for path in js_bridge_dir.glob(pattern) if path.is_file())
    for pattern in patterns:
        found.update(
            path
            for path in js_bridge_dir.glob(pattern)
            if path.is_file() and "node_modules" not in path.relative_to(js_bridge_dir).parts
        )
    return sorted(found)


def _write_manifest(out: Path, metadata: dict[str, Any]) -> None:
    """Record the sha256 of every shipped file and the versions they came from, for
    `browser-rt bundle --verify` after copying. No dates, no absolute paths: the same inputs
    give the same manifest."""
    files = sorted(p for p in out.rglob("*") if p.is_file() and p.name != MANIFEST_NAME)
    manifest = {
        "schema": MANIFEST_SCHEMA,
        **metadata,
        "files": {p.relative_to(out).as_posix(): sha256_file(p) for p in files},
    }
    text = json.dumps(manifest, indent=1, sort_keys=True) + "\n"
    path = out / MANIFEST_NAME
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
