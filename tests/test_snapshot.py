"""The bundle's memory snapshot, on the build side: it holds nothing of the builder's machine,
it is recorded in the manifest and checked by --verify, and the private Pyodide API it uses is
checked against the one pinned build (js_bridge/snapshot.mjs restores it; tests/js/snapshot.test.mjs
and e2e/snapshot.spec.js show the restore)."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import time
import zipfile
from pathlib import Path

import pytest

from browser_rt.tooling import snapshot as snapshots
from browser_rt.tooling.package_data import PYODIDE_NPM_VERSION
from browser_rt.tooling.snapshot import (
    CONTAINER_NAME,
    SNAPSHOT_INFO_NAME,
    SNAPSHOT_NAME,
    SnapshotError,
    SnapshotWheel,
    build_snapshot,
    check_snapshot_api,
    compressed,
    top_level_modules,
)
from browser_rt.tooling.verify import verify_bundle

pytestmark = pytest.mark.host_only(reason="runs the npm Pyodide core in Node to take snapshots")

ROOT = Path(__file__).resolve().parent.parent
PYODIDE = ROOT / "node_modules" / "pyodide"
BUNDLE = ROOT / "build" / "bundle"


def bundle_wheels() -> list[SnapshotWheel]:
    """browser_rt and idna as the bundle ships them (`make bundle` first)."""
    found = [
        *sorted((BUNDLE / "pyodide").glob("browser_rt-*.whl")),
        *sorted((BUNDLE / "pyodide").glob("idna-*.whl")),
    ]
    if len(found) != 2:
        pytest.skip(f"{BUNDLE} has no browser_rt and idna wheels: run `make bundle`")
    return [SnapshotWheel(path, ()) for path in found]


def test_the_snapshot_holds_no_secret_of_the_machine_that_built_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Canaries everywhere a builder's secrets live: the environment, the home folder and user
    # name, the working folder, and the folders the Pyodide core, the wheels and the runner
    # are read from (an installed browser_rt sits in the user's home).
    canaries = {
        "env": "CANARYENV7f3a9c",
        "home": "canaryhome51d2e8",
        "user": "canaryuser0b9e47",
        "folder": "canaryfolder93c1aa",
    }
    home = tmp_path / canaries["home"]
    work = home / canaries["folder"]
    core, wheels_dir, runner_dir = work / "pyodide", work / "wheels", work / "site-packages"
    shutil.copytree(PYODIDE, core)
    wheels_dir.mkdir()
    wheels = [SnapshotWheel(Path(shutil.copy(w.path, wheels_dir)), ()) for w in bundle_wheels()]
    runner_dir.mkdir()
    monkeypatch.setattr(snapshots, "_RUNNER", Path(shutil.copy(snapshots._RUNNER, runner_dir)))
    monkeypatch.setenv("BROWSER_RT_SECRET_TOKEN", canaries["env"])
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("USER", canaries["user"])
    monkeypatch.setenv("LOGNAME", canaries["user"])
    monkeypatch.chdir(work)
    built_at = time.gmtime()
    container = build_snapshot(wheels, pyodide_dir=core, cache_dir=work / "cache", progress=lambda _: None)
    # The file the bundle ships, unpacked: compressed, a canary's bytes would not show.
    shipped = compressed(container).read_bytes()
    data = gzip.decompress(shipped)
    assert len(data) > 10_000_000, "not a whole interpreter"
    assert _canaries_in(data, canaries) == []
    assert str(tmp_path).encode() not in data
    # The search finds a canary that is there, in any of its encodings, once the file is unpacked.
    for encoding in _ENCODINGS:
        planted = gzip.compress(data[:4096] + canaries["home"].encode(encoding) + data[4096:])
        assert canaries["home"].encode(encoding) not in planted
        assert _canaries_in(gzip.decompress(planted), canaries) == [f"home ({encoding})"]
    # A date the shipped files already hold (browser_rt's README, in its wheel's METADATA, dates
    # its figures) cannot be told from the build time; every other form of it must be absent.
    shipped_files = b"".join(_files_of(wheel.path) for wheel in wheels)
    stamps = (
        time.strftime("%Y-%m-%d", built_at),
        time.strftime("%Y%m%d", built_at),
        time.strftime("%d %b %Y", built_at),
        str(int(time.mktime(built_at)))[:7],
    )
    checked = [stamp for stamp in stamps if stamp.encode() not in shipped_files]
    assert checked, "every form of the build date is in the shipped files: nothing left to check"
    for stamp in checked:
        assert stamp.encode() not in data, f"the build time ({stamp}) is in the snapshot"


_ENCODINGS = ("utf-8", "utf-16-le", "utf-32-le")


def _canaries_in(data: bytes, canaries: dict[str, str]) -> list[str]:
    """Which canaries `data` holds, and in which encoding."""
    return [
        f"{where} ({encoding})"
        for where, value in canaries.items()
        for encoding in _ENCODINGS
        if value.encode(encoding) in data
    ]


def _files_of(wheel: Path) -> bytes:
    """Every file a wheel holds, uncompressed, one after the other."""
    with zipfile.ZipFile(wheel) as archive:
        return b"".join(archive.read(name) for name in archive.namelist())


def test_the_private_api_is_the_pinned_build_s_or_the_build_stops(tmp_path: Path) -> None:
    build_id = check_snapshot_api(PYODIDE, PYODIDE_NPM_VERSION)
    assert len(build_id) == 64
    # Any other Pyodide version is refused before anything is taken.
    with pytest.raises(SnapshotError, match=rf"only for Pyodide {PYODIDE_NPM_VERSION}, not 314.0.8"):
        check_snapshot_api(PYODIDE, "314.0.8")
    # The pinned version whose private names changed: each one missing stops the build.
    for name in snapshots.PRIVATE_API:
        changed = tmp_path / name
        changed.mkdir()
        for file in ("pyodide.mjs", "pyodide.asm.mjs"):
            text = (PYODIDE / file).read_text(encoding="utf-8")
            (changed / file).write_text(text.replace(name, "renamedApi"), encoding="utf-8")
        with pytest.raises(SnapshotError, match="snapshot API changed"):
            check_snapshot_api(changed, PYODIDE_NPM_VERSION)


def test_the_npm_core_is_the_build_the_snapshot_is_pinned_to() -> None:
    """The day package.json moves to another Pyodide, this fails next to the reason."""
    package = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    pinned = {**package.get("dependencies", {}), **package.get("devDependencies", {})}["pyodide"]
    assert pinned.lstrip("=") == PYODIDE_NPM_VERSION
    installed = json.loads((PYODIDE / "package.json").read_text(encoding="utf-8"))["version"]
    assert installed == PYODIDE_NPM_VERSION


def test_the_bundle_ships_one_compressed_snapshot_and_verify_catches_one_changed_byte(tmp_path: Path) -> None:
    packed_path = BUNDLE / "pyodide" / SNAPSHOT_NAME
    if not packed_path.is_file():
        pytest.skip(f"{BUNDLE} has no snapshot: run `make bundle`")
    manifest = json.loads((BUNDLE / "bundle-manifest.json").read_text(encoding="utf-8"))
    info = json.loads((BUNDLE / "pyodide" / SNAPSHOT_INFO_NAME).read_text(encoding="utf-8"))
    record = manifest["snapshot"]
    assert record == info
    assert not (BUNDLE / "pyodide" / CONTAINER_NAME).exists(), "the uncompressed container is not shipped"
    packed = packed_path.read_bytes()
    container = gzip.decompress(packed)
    # The file as shipped, and the container it unpacks to (what the runtime checks).
    assert record["file"] == SNAPSHOT_NAME
    assert record["gzip"] == {"sha256": manifest["files"][f"pyodide/{SNAPSHOT_NAME}"], "bytes": len(packed)}
    assert record["sha256"] == hashlib.sha256(container).hexdigest() and record["bytes"] == len(container)
    assert len(packed) < len(container) // 3
    assert packed[4:8] == bytes(4) and not packed[3] & 0x08, "no time and no file name in the header"
    assert record["pyodide"] == PYODIDE_NPM_VERSION and record["build_id"] == check_snapshot_api(
        PYODIDE, PYODIDE_NPM_VERSION
    )
    assert {"browser-rt", "idna"} <= set(record["packages"])
    # Pyodide's own snapshot (its magic number first) fills the container's last pyodide_bytes.
    start = len(container) - record["pyodide_bytes"]
    assert start > 12 and int.from_bytes(container[start : start + 4], "little") == 1886286592
    copy = tmp_path / "bundle"
    shutil.copytree(BUNDLE, copy)
    assert verify_bundle(copy).ok
    target = copy / "pyodide" / SNAPSHOT_NAME
    for at in (5, len(packed) // 2):
        data = bytearray(packed)
        data[at] ^= 1
        target.write_bytes(bytes(data))
        assert verify_bundle(copy).changed == [f"pyodide/{SNAPSHOT_NAME}"]
    # A manifest whose snapshot record disagrees with its files entry is caught too.
    target.write_bytes(packed)
    edited = json.loads((copy / "bundle-manifest.json").read_text(encoding="utf-8"))
    edited["snapshot"]["gzip"]["sha256"] = "0" * 64
    (copy / "bundle-manifest.json").write_text(json.dumps(edited), encoding="utf-8")
    assert verify_bundle(copy).changed == [
        f"pyodide/{SNAPSHOT_NAME} (the manifest's snapshot record does not match its files entry)"
    ]


def test_the_gate_vouches_for_the_one_snapshot_file_and_catches_one_changed_byte(tmp_path: Path) -> None:
    from browser_rt.gate.deps import _snapshot_files
    from browser_rt.gate.report import CheckResult

    if not (BUNDLE / "pyodide" / SNAPSHOT_NAME).is_file():
        pytest.skip(f"{BUNDLE} has no snapshot: run `make bundle`")
    result = CheckResult("dependencies", True)
    assert _snapshot_files(result, BUNDLE) == {SNAPSHOT_NAME, SNAPSHOT_INFO_NAME}
    assert result.findings == []
    copy = tmp_path / "bundle"
    shutil.copytree(BUNDLE, copy)
    target = copy / "pyodide" / SNAPSHOT_NAME
    data = bytearray(target.read_bytes())
    data[5] ^= 1  # the gzip header's time: unpacking ignores it, the sha256 does not
    target.write_bytes(bytes(data))
    result = CheckResult("dependencies", True)
    assert _snapshot_files(result, copy) == set()
    assert [(f.code, f.subject) for f in result.findings] == [("snapshot_mismatch", SNAPSHOT_NAME)]


def test_the_app_s_top_level_modules_are_what_its_wheel_installs(tmp_path: Path) -> None:
    import zipfile

    wheel = tmp_path / "app-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name in (
            "app/__init__.py",
            "app/sub/x.py",
            "helper.py",
            "app-1.0.dist-info/METADATA",
            "not-a-name/x.py",
        ):
            archive.writestr(name, "")
    assert top_level_modules(wheel) == ("app", "helper")
