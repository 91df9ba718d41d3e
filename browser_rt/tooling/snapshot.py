"""The bundle's memory snapshot: an interpreter with browser_rt already imported.

`createRuntime()` restores it instead of booting Pyodide and importing browser_rt, which is most
of a cold start (js_bridge/snapshot.mjs). Node runs the bundle's own Pyodide to take it
(`snapshot_node.mjs`), from an empty environment, so that nothing of the builder's machine is in
the heap. The options that take and restore snapshots are private to Pyodide: the bundle pins
one exact Pyodide build, and `check_snapshot_api` refuses any other, so a Pyodide update stops
the build here instead of shipping a snapshot that no longer restores.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from browser_rt.tooling.hashing import sha256_file
from browser_rt.tooling.package_data import PYODIDE_NPM_VERSION
from browser_rt.tooling.requirements import wheel_distribution

CONTAINER_NAME = "browser_rt.snapshot"
"""The container as Pyodide's builder writes it (format: snapshot_node.mjs), in the build cache."""
SNAPSHOT_NAME = f"{CONTAINER_NAME}.gz"
"""The one snapshot file in the bundle's pyodide/ folder: the container gzip-compressed. A plain
static host sends a file as it is, and the container is 33 MB against about 7 MB compressed, so
every page reads this copy and unpacks it itself (js_bridge/snapshot.mjs)."""
SNAPSHOT_INFO_NAME = "browser_rt-snapshot.json"
"""What the runtime checks the container against before it restores it."""
RUNTIME_IMPORTS = (
    "browser_rt",
    "browser_rt.host.embed",
    "browser_rt.host.pyodide_bridge",
    "browser_rt.host.revocation",
)
"""What every runtime imports before user code; the snapshot holds them imported."""
PRIVATE_API = (
    "_makeSnapshot",
    "_loadSnapshot",
    "makeMemorySnapshot",
    "BUILD_ID",
    "createPyodideModule",
    "__PyEM_EMSCRIPTEN_TRAMPOLINE_OFFSET",
    "__PyRuntime",
)
"""The private (or experimental) Pyodide names the snapshot relies on, looked for in pyodide.mjs
and pyodide.asm.mjs: the last three let js_bridge/snapshot.mjs put the engine's own call
trampoline back after a restore."""

_RUNNER = Path(__file__).parent / "snapshot_node.mjs"
_CORE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "package.json")
_NODE_TIMEOUT_S = 300
_BUILD_ID = re.compile(r'BUILD_ID:"([0-9a-f]{64})"')


class SnapshotError(RuntimeError):
    """The snapshot cannot be taken; the message says why and how to build without it."""


@dataclass(frozen=True)
class SnapshotWheel:
    """A wheel the snapshot holds, unpacked, with the modules to import from it."""

    path: Path
    imports: tuple[str, ...]


def check_snapshot_api(pyodide_dir: Path, version: str) -> str:
    """The Pyodide build id, after checking that this is the one build snapshots are made for.

    Fails on any other version, and on a pinned version whose files lack a private name the
    snapshot uses: that is the day the private API changed.
    """
    if version != PYODIDE_NPM_VERSION:
        raise SnapshotError(
            f"memory snapshots use private Pyodide options and are made only for Pyodide "
            f"{PYODIDE_NPM_VERSION}, not {version} (build with --no-snapshot)"
        )
    text = "".join(
        (pyodide_dir / name).read_text(encoding="utf-8", errors="replace")
        for name in ("pyodide.mjs", "pyodide.asm.mjs")
    )
    missing = [name for name in PRIVATE_API if name not in text]
    if missing:
        raise SnapshotError(
            f"{pyodide_dir}: Pyodide {version} lacks {', '.join(missing)}; the snapshot API changed "
            "(build with --no-snapshot)"
        )
    found = _BUILD_ID.search((pyodide_dir / "pyodide.mjs").read_text(encoding="utf-8", errors="replace"))
    if found is None:
        raise SnapshotError(f"{pyodide_dir}/pyodide.mjs: no BUILD_ID; the snapshot API changed")
    return found.group(1)


def top_level_modules(wheel: Path) -> tuple[str, ...]:
    """The importable names a wheel puts at the top of site-packages (packages and modules)."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    found: set[str] = set()
    for name in names:
        first, _, rest = name.partition("/")
        if rest and first.isidentifier():
            found.add(first)
        elif not rest and first.endswith(".py") and first[:-3].isidentifier():
            found.add(first[:-3])
    return tuple(sorted(found))


def build_snapshot(
    wheels: list[SnapshotWheel],
    *,
    pyodide_dir: Path,
    cache_dir: Path,
    progress: Callable[[str], None],
) -> Path:
    """The snapshot container for these wheels, from `cache_dir` when the same inputs made it.

    The cache key covers the Pyodide core, each wheel and what is imported from it, and the
    runner, so a second `browser-rt bundle` with the same inputs writes nothing new.
    """
    parts = [sha256_file(pyodide_dir / name) for name in _CORE_FILES] + [sha256_file(_RUNNER)]
    parts += [f"{sha256_file(w.path)}={','.join(w.imports)}" for w in wheels]
    key = hashlib.sha256(":".join(parts).encode()).hexdigest()[:32]
    target = cache_dir / key / CONTAINER_NAME
    if target.is_file():
        return target
    names = ", ".join(wheel_distribution(w.path) for w in wheels)
    progress(f"[bundle] taking the memory snapshot with Pyodide ({names})")
    take_snapshot(pyodide_dir, wheels, target)
    for stale in cache_dir.glob(f"*/{CONTAINER_NAME}"):
        if stale != target:
            shutil.rmtree(stale.parent, ignore_errors=True)
    return target


def compressed(container: Path) -> Path:
    """The container gzip-compressed beside it in the cache, made once. The header holds no file
    name and no time, so the same container always gives the same bytes."""
    target = container.with_name(SNAPSHOT_NAME)
    if not target.is_file():
        partial = target.with_name(f"{target.name}.partial")
        partial.write_bytes(gzip.compress(container.read_bytes(), compresslevel=9, mtime=0))
        partial.replace(target)
    return target


def snapshot_info(
    container: Path, packed: Path, *, build_id: str, version: str, packages: list[str]
) -> str:
    """The JSON the runtime reads before it fetches the snapshot (js_bridge/snapshot.mjs).

    `file` is the one file shipped, `packed`; `gzip` gives its own sha256 and size, and `sha256`
    and `bytes` are those of the container it unpacks to: what the runtime checks before a byte
    of it reaches Pyodide's heap, whether the page unpacked it or the host sent it unpacked.
    """
    info = {
        "file": SNAPSHOT_NAME,
        "sha256": sha256_file(container),
        "bytes": container.stat().st_size,
        "gzip": {"sha256": sha256_file(packed), "bytes": packed.stat().st_size},
        "pyodide_bytes": pyodide_part_bytes(container),
        "pyodide": version,
        "build_id": build_id,
        "packages": sorted(packages),
    }
    return json.dumps(info, indent=1, sort_keys=True) + "\n"


def shipped_sha256(record: object) -> str | None:
    """The sha256 of the snapshot file as the bundle ships it (the compressed container), from
    its description or the manifest's copy of it; None when the record is not one."""
    if not isinstance(record, dict) or not isinstance(record.get("file"), str):
        return None
    packed = record.get("gzip")
    digest = packed.get("sha256") if isinstance(packed, dict) else None
    return digest if isinstance(digest, str) else None


def pyodide_part_bytes(container: Path) -> int:
    """The size of Pyodide's own snapshot, at the container's end (format: snapshot_node.mjs).

    The description records it so that a page can start Pyodide's Wasm module while the snapshot
    is still on its way: the module is handed a buffer of this size, filled once the bytes have
    been verified (js_bridge/snapshot.mjs)."""
    with container.open("rb") as stream:
        prefix = stream.read(12)
        if len(prefix) != 12 or prefix[:8] != b"BRTSNAP1":
            raise SnapshotError(f"{container.name}: not a browser_rt snapshot")
        header_length = int.from_bytes(prefix[8:12], "little")
        header = json.loads(stream.read(header_length))
    offset = 12 + header_length + sum(int(size) for _path, size in header["files"])
    size = container.stat().st_size
    if not 0 < offset < size:
        raise SnapshotError(f"{container.name}: its header claims more than the file holds")
    return size - offset


def take_snapshot(
    pyodide_dir: Path,
    wheels: list[SnapshotWheel],
    target: Path,
    runtime_imports: tuple[str, ...] = RUNTIME_IMPORTS,
) -> None:
    """Run Pyodide in Node to write the container for `wheels` to `target` (made whole, then
    renamed into place); `runtime_imports` are imported before each wheel's own."""
    node = shutil.which("node")
    if node is None:
        raise SnapshotError(
            "node is not on PATH: it runs Pyodide to take the snapshot (or use --no-snapshot)"
        )
    flags = _jspi_flags(node)
    imports = [*runtime_imports, *(name for w in wheels for name in w.imports)]
    with tempfile.TemporaryDirectory(prefix="browser-rt-snapshot-") as scratch:
        out = Path(scratch) / CONTAINER_NAME
        job = {
            "pyodide": str(pyodide_dir.resolve()),
            "wheels": [str(w.path.resolve()) for w in wheels],
            "imports": list(dict.fromkeys(imports)),
            "output": str(out),
        }
        job_path = Path(scratch) / "job.json"
        job_path.write_text(json.dumps(job), encoding="utf-8")
        try:
            # An empty environment and a neutral folder: nothing of the builder's reaches Node.
            result = subprocess.run(
                [node, *flags, str(_RUNNER), str(job_path)],
                capture_output=True,
                text=True,
                timeout=_NODE_TIMEOUT_S,
                check=False,
                env={},
                cwd=scratch,
            )
        except subprocess.TimeoutExpired:
            raise SnapshotError(f"taking the snapshot took more than {_NODE_TIMEOUT_S} s") from None
        if result.returncode != 0:
            raise SnapshotError(
                f"taking the snapshot failed (use --snapshot-without-app if an app module cannot be "
                f"imported at build time, or --no-snapshot):\n{result.stderr.strip()[-2000:]}"
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(out, target.with_name(target.name + ".tmp"))
        target.with_name(target.name + ".tmp").replace(target)


_JSPI_FLAGS = ((), ("--experimental-wasm-stack-switching",), ("--experimental-wasm-jspi",))
"""How each Node release turns on WebAssembly stack switching (JSPI), newest default first."""


def _jspi_flags(node: str) -> tuple[str, ...]:
    """The Node flags that give Pyodide JSPI while it takes the snapshot.

    Pyodide records at start-up, in the heap, whether it may switch stacks; a snapshot taken
    without JSPI would leave `run_sync` (requests, urllib3) broken in every browser that has it.
    Taken with JSPI, it restores correctly both where JSPI is and where it is not.
    """
    probe = "process.exit('Suspending' in WebAssembly || 'Suspender' in WebAssembly ? 0 : 1)"
    for flags in _JSPI_FLAGS:
        result = subprocess.run([node, *flags, "-e", probe], capture_output=True, check=False, env={})
        if result.returncode == 0:
            return flags
    raise SnapshotError(
        f"{node} has no WebAssembly stack switching (JSPI) under any known flag; the snapshot "
        "needs it (use a newer Node, or --no-snapshot)"
    )
