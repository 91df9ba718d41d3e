"""A cached memory snapshot of an interpreter with pytest imported, for Node's and Chromium's
test sessions.

Booting Pyodide, loading pytest and importing it with its plugins is most of a session's start
(about 3 s of 3.5 s in Node on a quiet machine, 4 of 5.4 s in a Chromium page); restoring a
snapshot of that interpreter takes a few hundred milliseconds. The snapshot is taken by the
bundle's own builder (`browser_rt.tooling.snapshot`, which runs Pyodide in Node from an empty
environment), with the wheels unpacked rather than loaded by `loadPackage` (a snapshot cannot
hold JS references).

It lives in the user's cache (`$XDG_CACHE_HOME/browser-rt/node-sessions`, else
`~/.cache/browser-rt/node-sessions`), one folder per key. The key covers everything the heap
depends on: the Pyodide build id, its standard library and lock file, each wheel's bytes, the
modules imported, the builder itself and the Node binary. A changed input gives a new key, so a
stale snapshot is never found; older folders are removed once a new one is written. The
description (sha256, size, build id, packages) is written last, after the container, so a
folder without one is an unfinished build. `node_session.mjs` hashes the container again before
it restores it and boots the normal way on any mismatch, so a corrupt cache costs one slow start,
never a run; the host then removes the entry and builds it again in the background.

Chromium pages restore the same container (`chrome_boot.mjs`, served by the session's own
loopback server): the snapshot is taken in Node, as the bundle's own is, and restores in the
browsers too, since the restore puts back the engine's own call trampoline
(js_bridge/snapshot.mjs). The page hashes the bytes itself (SubtleCrypto) before it restores them.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from browser_rt.tooling.hashing import sha256_file
from browser_rt.tooling.snapshot import (
    SnapshotError,
    SnapshotWheel,
    check_snapshot_api,
    pyodide_part_bytes,
    take_snapshot,
)

CONTAINER = "session.snapshot"
INFO = "session-snapshot.json"
EXTRA_IMPORTS = ("unittest",)
"""Standard-library modules a session imports later anyway (unittest-style suites, pytest's own
unittest support), imported in the snapshot so that each session does not pay for them."""
_BUILDER = Path(__file__).parents[1] / "tooling" / "snapshot_node.mjs"
_KEY_FORMAT = "2"
"""Changed whenever an entry holds something new (2: `pyodide_bytes` in the description)."""


@dataclass(frozen=True)
class Entry:
    """Where one key's snapshot lives, and what it must hold."""

    folder: Path
    pyodide_dir: Path
    packages: tuple[str, ...]
    wheels: tuple[Path, ...]
    version: str

    @property
    def container(self) -> Path:
        return self.folder / CONTAINER

    @property
    def info(self) -> Path:
        return self.folder / INFO


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "browser-rt" / "node-sessions"


def locate(pyodide_dir: Path, preload: tuple[str, ...], node: str) -> Entry | None:
    """The cache entry for this Pyodide, these packages and this Node; None when this Pyodide
    cannot make snapshots (another version than the pinned one, or a lock without the packages)."""
    try:
        version = json.loads((pyodide_dir / "package.json").read_text(encoding="utf-8"))["version"]
        build_id = check_snapshot_api(pyodide_dir, str(version))
        lock = json.loads((pyodide_dir / "pyodide-lock.json").read_text(encoding="utf-8"))["packages"]
        names = _closure(lock, preload)
        wheels = tuple(pyodide_dir / str(lock[name]["file_name"]) for name in names)
        node_stat = Path(node).resolve().stat()
        parts = [
            _KEY_FORMAT,
            build_id,
            sha256_file(pyodide_dir / "python_stdlib.zip"),
            sha256_file(pyodide_dir / "pyodide-lock.json"),
            sha256_file(_BUILDER),
            *(f"{wheel.name}={sha256_file(wheel)}" for wheel in wheels),
            *EXTRA_IMPORTS,
            f"{Path(node).resolve()}:{node_stat.st_size}:{node_stat.st_mtime_ns}",
        ]
    except (OSError, KeyError, TypeError, ValueError, SnapshotError):
        return None
    key = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]
    return Entry(cache_root() / key, pyodide_dir, tuple(names), wheels, str(version))


def usable(entry: Entry) -> dict[str, Any] | None:
    """The entry's description when it is complete and names a container of its size (the
    interpreter checks the sha256 as it reads the bytes); else None."""
    try:
        info = json.loads(entry.info.read_text(encoding="utf-8"))
        if not isinstance(info, dict) or info.get("file") != CONTAINER:
            return None
        if sorted(info.get("packages", [])) != sorted(entry.packages):
            return None
        if entry.container.stat().st_size != info.get("bytes"):
            return None
    except (OSError, ValueError):
        return None
    return info


def boot_snapshot(entry: Entry, info: dict[str, Any], js_bridge: Path) -> dict[str, Any]:
    """What `node_session.mjs` needs to restore `entry` (its boot.json `snapshot` field)."""
    return {"container": str(entry.container), "info": info, "module": str(js_bridge / "snapshot.mjs")}


def build(entry: Entry) -> None:
    """Take the snapshot for `entry` and put it in place, then remove every other key's."""
    root = entry.folder.parent
    root.mkdir(parents=True, exist_ok=True)
    imports = _pytest_imports(next(w for w in entry.wheels if w.name.startswith("pytest-")))
    with tempfile.TemporaryDirectory(prefix=".building-", dir=root) as scratch:
        made = Path(scratch) / CONTAINER
        wheels = [SnapshotWheel(wheel, ()) for wheel in entry.wheels]
        take_snapshot(entry.pyodide_dir, wheels, made, (*imports, *EXTRA_IMPORTS))
        info = {
            "file": CONTAINER,
            "sha256": sha256_file(made),
            "bytes": made.stat().st_size,
            "pyodide": entry.version,
            "build_id": _build_id(made),
            # A page starts Pyodide's Wasm module while it is still reading the container.
            "pyodide_bytes": pyodide_part_bytes(made),
            "packages": sorted(entry.packages),
        }
        entry.folder.mkdir(exist_ok=True)
        entry.info.unlink(missing_ok=True)  # the description goes last: none means unfinished
        made.replace(entry.container)
        partial = Path(scratch) / INFO
        partial.write_text(json.dumps(info, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        partial.replace(entry.info)
    for other in root.iterdir():
        if other.is_dir() and other != entry.folder and not other.name.startswith(".building-"):
            shutil.rmtree(other, ignore_errors=True)


def discard(entry: Entry) -> None:
    """Forget a snapshot that did not verify (it is built again)."""
    with contextlib.suppress(OSError):
        entry.info.unlink(missing_ok=True)
    shutil.rmtree(entry.folder, ignore_errors=True)


class Builder:
    """Builds a missing snapshot beside the run (once per entry), for the runs after it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._threads: dict[Path, threading.Thread] = {}
        self.errors: list[str] = []

    def start(self, entry: Entry) -> None:
        with self._lock:
            if entry.folder in self._threads:
                return
            thread = threading.Thread(target=self._build, args=(entry,), daemon=True)
            self._threads[entry.folder] = thread
        thread.start()

    def _build(self, entry: Entry) -> None:
        try:
            build(entry)
        except (OSError, SnapshotError, StopIteration) as exc:
            self.errors.append(f"{type(exc).__name__}: {exc}"[:500])

    def wait(self, timeout: float) -> None:
        """Let a build that is under way finish (it is a Node process this run started)."""
        with self._lock:
            threads = list(self._threads.values())
        for thread in threads:
            thread.join(timeout)


def _closure(lock: dict[str, Any], names: tuple[str, ...]) -> list[str]:
    found: list[str] = []
    todo = list(names)
    while todo:
        name = todo.pop(0)
        if name in found:
            continue
        found.append(name)
        todo.extend(str(d) for d in lock[name]["depends"])
    return sorted(found)


def _pytest_imports(wheel: Path) -> tuple[str, ...]:
    """pytest and the plugins every session loads (its own `essential_plugins` and
    `default_plugins`), read from the wheel itself so that its version decides."""
    with zipfile.ZipFile(wheel) as archive:
        source = archive.read("_pytest/config/__init__.py").decode("utf-8")
    plugins: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id in ("essential_plugins", "default_plugins") for t in node.targets
        ):
            # `default_plugins = (*essential_plugins, "python", ...)`: its strings are the names.
            plugins += [
                part.value
                for part in ast.walk(node.value)
                if isinstance(part, ast.Constant) and isinstance(part.value, str)
            ]
    return ("pytest", *dict.fromkeys(f"_pytest.{name}" for name in plugins))


def _build_id(container: Path) -> str:
    """The build id in the container's header (snapshot_node.mjs writes it there)."""
    with container.open("rb") as handle:
        prefix = handle.read(12)
        length = int.from_bytes(prefix[8:12], "little")
        header = json.loads(handle.read(length))
    return str(header["build_id"])


class SessionSnapshots:
    """The plugin's use of the cache: which snapshot a booting interpreter restores, how each one
    started (for the run's summary, per runtime), and the builds this run started (a missing or
    rejected snapshot is built for the next run). Node and Chromium share one entry per key."""

    def __init__(self) -> None:
        self.enabled = True
        self.builder = Builder()
        self._restored: dict[str, int] = {}
        self._full: dict[tuple[str, str], int] = {}
        self._rejected: list[tuple[str, str]] = []
        self._entries: dict[str, Entry | None] = {}
        self._lock = threading.Lock()

    def for_boot(
        self, pyodide_dir: str, preload: tuple[str, ...], runtime: str = "node"
    ) -> dict[str, Any] | None:
        """What a `runtime` interpreter of `pyodide_dir` restores (`boot_snapshot`), or None to
        boot normally (the reason is kept for the summary)."""
        offer = self._offer(pyodide_dir, preload)
        if isinstance(offer, dict):
            return offer
        with self._lock:
            self._full[runtime, offer] = self._full.get((runtime, offer), 0) + 1
        return None

    def _offer(self, pyodide_dir: str, preload: tuple[str, ...]) -> dict[str, Any] | str:
        """`boot_snapshot`'s answer, or why the interpreter boots in full."""
        node = shutil.which("node")
        if not self.enabled:
            return "--pyodide-no-snapshot"
        if node is None:
            return "no snapshot: node, which builds it, is not on PATH"
        with self._lock:
            if pyodide_dir not in self._entries:
                self._entries[pyodide_dir] = locate(Path(pyodide_dir), preload, node)
            entry = self._entries[pyodide_dir]
        if entry is None:
            return "no snapshot: this Pyodide cannot make one"
        info = usable(entry)
        if info is None:
            self.builder.start(entry)
            return "no cached snapshot yet: one is built for the next run"
        try:
            from browser_rt.tooling.package_data import PackageDataError, data_files

            js_bridge = data_files().js_bridge_dir
        except PackageDataError:
            return "no snapshot: js_bridge is not installed"
        return boot_snapshot(entry, info, js_bridge)

    def outcome(self, pyodide_dir: str, message: dict[str, Any], runtime: str = "node") -> None:
        """What the interpreter said of its snapshot: a rejected one is removed and rebuilt."""
        with self._lock:
            if message.get("used") is True:
                self._restored[runtime] = self._restored.get(runtime, 0) + 1
                return
            self._rejected.append((runtime, str(message.get("reason", ""))[:500]))
            entry = self._entries.get(pyodide_dir)
        if entry is not None:
            discard(entry)
            self.builder.start(entry)

    def summary(self) -> list[str]:
        """Lines for the run's summary: how the interpreters of each runtime started, and any
        build error."""
        with self._lock:
            restored, full, rejected = dict(self._restored), dict(self._full), list(self._rejected)
        where = cache_root()
        lines = [f"{rt}: {count} interpreter(s) restored from {where}" for rt, count in restored.items()]
        lines += [f"{rt}: {count} interpreter(s) booted in full ({why})" for (rt, why), count in full.items()]
        lines += [f"{rt}: the cached snapshot was not used ({why}); built again" for rt, why in rejected]
        lines += [f"node: the pytest snapshot could not be built: {error}" for error in self.builder.errors]
        return lines


SNAPSHOTS = SessionSnapshots()
"""The run's one use of the cache, shared by Node's sessions and Chromium's pages."""
