"""Build the project's own wheel for Pyodide, once per state of its files.

The wheel is what makes the project importable inside Pyodide as an installed distribution
(with its metadata, entry points and dependencies, which micropip resolves from the bundle's
lock). It is built with the host's `pip wheel --no-build-isolation --no-index`, so nothing is
downloaded: the build backend must be installed on the host. The result is cached under
`.browser-rt/wheels/<digest>/`, keyed by the names, sizes and modification times of the
project's files, so the runs of `browser-rt test` build it once.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BUILD_TIMEOUT_S = 300
_SKIPPED_DIRS = {"venv", "node_modules", "__pycache__"}


def _skipped(directory: str) -> bool:
    """Caches, environments and build output (setuptools rewrites build/ and *.egg-info)."""
    return (
        directory in _SKIPPED_DIRS
        or directory.startswith(".")
        or directory in ("build", "dist")
        or directory.endswith(".egg-info")
    )


class ProjectBuildError(RuntimeError):
    """The wheel could not be built; the message carries pip's own words."""


def project_digest(root: Path) -> str:
    """A digest of the relative names, sizes and mtimes of the files a build could read."""
    digest = hashlib.sha256()
    for current, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not _skipped(d))
        for name in sorted(files):
            path = Path(current) / name
            try:
                info = path.stat()
            except OSError:
                continue
            digest.update(
                f"{path.relative_to(root).as_posix()}\0{info.st_size}\0{info.st_mtime_ns}\n".encode()
            )
    return digest.hexdigest()[:16]


def build_project_wheel(root: Path, cache_dir: Path) -> Path:
    """The project's wheel: cached for this state of its files, else built now."""
    key = cache_dir / project_digest(root)
    cached = sorted(key.glob("*.whl")) if key.is_dir() else []
    if len(cached) == 1:
        return cached[0]
    cache_dir.mkdir(parents=True, exist_ok=True)
    ignore = cache_dir.parent / ".gitignore"
    if cache_dir.parent.name == ".browser-rt" and not ignore.exists():
        ignore.write_text("# browser-rt test's caches\n*\n", encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="build-", dir=cache_dir) as scratch:
        command = [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--wheel-dir",
            scratch,
            str(root),
        ]
        try:
            run = subprocess.run(
                command, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False, cwd=root
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ProjectBuildError(f"{' '.join(command[:4])} failed: {exc}") from None
        wheels = sorted(Path(scratch).glob("*.whl"))
        if run.returncode != 0 or len(wheels) != 1:
            raise ProjectBuildError(
                f"pip wheel --no-build-isolation exited {run.returncode}: {_gist(run.stderr or run.stdout)}"
            )
        for stale in cache_dir.iterdir():
            if stale.is_dir() and stale != Path(scratch) and not stale.name.startswith("build-"):
                shutil.rmtree(stale, ignore_errors=True)
        key.mkdir(parents=True, exist_ok=True)
        return Path(shutil.move(str(wheels[0]), key / wheels[0].name))


def _gist(output: str) -> str:
    """pip's error lines without the traceback around them (its last lines if none stand out)."""
    lines = [line.strip() for line in output.strip().splitlines() if line.strip()]
    telling = [line for line in lines if re.search(r"Error\b|^error:|^ERROR:", line)]
    return " | ".join((telling or lines)[-3:]) or "(no output)"
