"""Bytecode wheels for the bundle: compiled once by the bundle's own Pyodide, cached by content.

A start-up of `createRuntime()` spends most of browser_rt's share compiling the sources of
browser_rt and idna; shipping their bytecode instead removes that work. The host Python cannot
make that bytecode (its version differs from Pyodide's), so Node runs the Pyodide core the bundle
ships and compiles there (`bytecode_node.mjs`, `bytecode_wheel.py`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from browser_rt.tooling.hashing import sha256_file
from browser_rt.tooling.requirements import wheel_distribution

BYTECODE_PACKAGES = frozenset({"browser-rt", "idna"})
"""What a runtime imports at start-up; the test-only wheels keep their sources."""

_HERE = Path(__file__).parent
_COMPILER = _HERE / "bytecode_wheel.py"
_NODE_RUNNER = _HERE / "bytecode_node.mjs"
_NODE_TIMEOUT_S = 300


class BytecodeError(RuntimeError):
    """Node is missing or the compile failed; the message says which and how to avoid it."""


def wants_bytecode(wheel: Path) -> bool:
    """True for the wheels a runtime imports at start-up."""
    return wheel_distribution(wheel) in BYTECODE_PACKAGES


def bytecode_wheel_name(source_name: str, python_tag: str) -> str:
    """`name-version-py3-none-any.whl` -> `name-version-cp314-none-any.whl` for tag `cp314`."""
    parts = source_name.removesuffix(".whl").split("-")
    if len(parts) < 5 or not source_name.endswith(".whl"):
        raise BytecodeError(f"{source_name}: not a wheel file name")
    return "-".join([*parts[:-3], python_tag, "none", "any"]) + ".whl"


def is_bytecode_wheel_name(name: str) -> bool:
    """True for a name `bytecode_wheel_name` makes: an interpreter tag (`cp314`) with `none-any`."""
    parts = name.removesuffix(".whl").split("-")
    return (
        name.endswith(".whl")
        and len(parts) >= 5
        and parts[-3].startswith("cp")
        and parts[-2:] == ["none", "any"]
    )


def compile_bytecode_wheels(
    wheels: list[Path],
    *,
    pyodide_dir: Path,
    python_version: str,
    cache_dir: Path,
    progress: Callable[[str], None],
) -> dict[Path, Path]:
    """The bytecode twin of each wheel, from `cache_dir` when the same inputs made it before.

    The cache key covers the source wheel, the Pyodide core that compiles it and the compiler
    itself, so a change to any of them compiles again. All missing wheels compile in one Node run.
    """
    python_tag = "cp" + python_version.replace(".", "")
    base = _toolchain_key(pyodide_dir)
    planned: dict[Path, Path] = {}
    for wheel in wheels:
        key = hashlib.sha256(f"{base}:{sha256_file(wheel)}".encode()).hexdigest()[:32]
        planned[wheel] = cache_dir / key / bytecode_wheel_name(wheel.name, python_tag)
    missing = [(source, target) for source, target in planned.items() if not target.is_file()]
    if missing:
        progress(f"[bundle] compiling bytecode with Pyodide: {', '.join(s.name for s, _ in missing)}")
        _run_compiler(pyodide_dir, missing)
        for _, target in missing:
            _check_tag(target, python_tag)
    _prune(cache_dir, set(planned.values()))
    return planned


def _prune(cache_dir: Path, keep: set[Path]) -> None:
    """Drop cached builds of the same packages made from older inputs, so the cache stays small."""
    names = {wheel_distribution(path) for path in keep}
    for entry in cache_dir.glob("*/*.whl"):
        if entry not in keep and wheel_distribution(entry) in names:
            entry.unlink()
            with contextlib.suppress(OSError):
                entry.parent.rmdir()


def _toolchain_key(pyodide_dir: Path) -> str:
    parts = [sha256_file(pyodide_dir / name) for name in ("pyodide.asm.wasm", "python_stdlib.zip")]
    parts += [sha256_file(_COMPILER), sha256_file(_NODE_RUNNER)]
    return hashlib.sha256(":".join(parts).encode()).hexdigest()


def _run_compiler(pyodide_dir: Path, jobs: list[tuple[Path, Path]]) -> None:
    node = shutil.which("node")
    if node is None:
        raise BytecodeError("node is not on PATH: it runs Pyodide to compile bytecode (or use --sources)")
    with tempfile.TemporaryDirectory(prefix="browser-rt-bytecode-") as scratch:
        outputs = []
        for index, (_, target) in enumerate(jobs):
            outputs.append(Path(scratch) / f"{index}-{target.name}")
        job = {
            "compiler": str(_COMPILER),
            "wheels": [[str(source), str(out)] for (source, _), out in zip(jobs, outputs, strict=True)],
        }
        job_path = Path(scratch) / "job.json"
        job_path.write_text(json.dumps(job), encoding="utf-8")
        try:
            result = subprocess.run(
                [node, str(_NODE_RUNNER), str(pyodide_dir), str(job_path)],
                capture_output=True,
                text=True,
                timeout=_NODE_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise BytecodeError(f"compiling bytecode took more than {_NODE_TIMEOUT_S} s") from None
        if result.returncode != 0:
            raise BytecodeError(f"compiling bytecode failed:\n{result.stderr.strip()[-2000:]}")
        for (_, target), out in zip(jobs, outputs, strict=True):
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(out, target.with_name(target.name + ".tmp"))
            target.with_name(target.name + ".tmp").replace(target)


def _check_tag(wheel: Path, python_tag: str) -> None:
    """The compiling interpreter must be the version the bundle declares, or the name would lie."""
    with zipfile.ZipFile(wheel) as archive:
        metadata = next(n for n in archive.namelist() if n.endswith(".dist-info/WHEEL"))
        tags = [
            line.split(":", 1)[1].strip()
            for line in archive.read(metadata).decode().splitlines()
            if line.startswith("Tag:")
        ]
    if tags != [f"{python_tag}-none-any"]:
        wheel.unlink()
        raise BytecodeError(f"{wheel.name}: compiled for {tags}, but the bundle is for {python_tag}")
