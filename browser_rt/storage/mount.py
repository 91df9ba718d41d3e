"""`StorageMount`: the folder Python sees (`/data`), and how its changes reach the page.

The page restores the namespace's files into the folder before any user code runs. A flush
walks the folder, checks every path and limit here first (an early error naming the file), and
sends the page the files that changed plus the names of those that did not; the page checks it
all again and commits it whole, or refuses it whole.

A file counts as unchanged when its size and modification time are what they were at the last
restore or flush and that time is older than the millisecond the last flush began: a write in
that same millisecond is sent again next time rather than missed.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from browser_rt.storage.errors import StorageRefused
from browser_rt.storage.grant import StorageGrant
from browser_rt.storage.paths import path_problem

DEFAULT_MOUNT = "/data"

FileWrite = tuple[str, bytes, float]
"""A changed file: stored path, content, modification time in milliseconds."""


@dataclass(frozen=True)
class FlushOutcome:
    """What the page did with a flush."""

    ok: bool
    files: int = 0
    bytes: int = 0
    written: int = 0
    limit: str = ""
    reason: str = ""
    message: str = ""


class StorageHost(Protocol):
    """The page's writer, reached through the worker's messages or directly in page mode."""

    def flush(self, writes: Sequence[FileWrite], keep: Sequence[str]) -> Awaitable[FlushOutcome]: ...


@dataclass(frozen=True)
class FlushReport:
    """A committed flush: files now stored, their bytes, and how many were sent."""

    files: int
    bytes: int
    written: int


_Signature = tuple[int, int]


class StorageMount:
    """The granted namespace as a folder; `flush()` persists it through the page."""

    def __init__(self, grant: StorageGrant, host: StorageHost, root: str = DEFAULT_MOUNT) -> None:
        self.grant = grant
        self.root = Path(root)
        self._host = host
        self.root.mkdir(parents=True, exist_ok=True)
        self._since_ns = time.time_ns()
        self._stored = {path: signature for path, signature, _ in self._walk()}

    async def flush(self) -> FlushReport | None:
        """Persist the folder as it is now; None when nothing changed since the last flush.

        Raises `StorageRefused` naming the rule a file breaks (checked here, then by the page);
        then nothing is written and the stored files stay as they were.
        """
        started = time.time_ns()
        cutoff = self._since_ns - self._since_ns % 1_000_000
        writes: list[FileWrite] = []
        keep: list[str] = []
        seen: dict[str, _Signature] = {}
        total = 0
        for path, signature, full in self._walk():
            seen[path] = signature
            total += signature[0]
            if self._stored.get(path) == signature and signature[1] < cutoff:
                keep.append(path)
            else:
                self._check_size(path, signature[0])
                writes.append((path, full.read_bytes(), signature[1] / 1_000_000))
        self._check_totals(len(seen), total, changed=bool(writes) or len(keep) != len(self._stored))
        if not writes and len(keep) == len(self._stored):
            return None
        outcome = await self._host.flush(writes, keep)
        if not outcome.ok:
            raise StorageRefused(outcome.limit, outcome.reason, outcome.message)
        self._stored = seen
        self._since_ns = started
        return FlushReport(outcome.files, outcome.bytes, outcome.written)

    def _walk(self) -> list[tuple[str, _Signature, Path]]:
        """Every file under the root: stored path, (size, mtime_ns), full path. Sorted."""
        found: list[tuple[str, _Signature, Path]] = []
        for folder, dirs, files in os.walk(self.root):
            dirs.sort()
            for name in sorted([*dirs, *files]):
                full = Path(folder, name)
                path = full.relative_to(self.root).as_posix()
                info = full.lstat()
                if stat.S_ISLNK(info.st_mode) or not (
                    stat.S_ISDIR(info.st_mode) or stat.S_ISREG(info.st_mode)
                ):
                    raise StorageRefused(
                        "path", "not_a_file", f"storage: {path!r} is not a regular file or folder"
                    )
                problem = path_problem(path)
                if problem is not None:
                    raise StorageRefused("path", problem, f"storage: {path!r}: {problem.replace('_', ' ')}")
                if stat.S_ISREG(info.st_mode):
                    found.append((path, (info.st_size, info.st_mtime_ns), full))
        return found

    def _check_size(self, path: str, size: int) -> None:
        if size > self.grant.max_file_bytes:
            raise StorageRefused(
                "max_file_bytes",
                "file_too_large",
                f"storage: {path!r} is {size} bytes, more than max_file_bytes ({self.grant.max_file_bytes})",
            )

    def _check_totals(self, files: int, total: int, *, changed: bool) -> None:
        grant = self.grant
        if files > grant.max_files:
            raise StorageRefused(
                "max_files",
                "too_many_files",
                f"storage: {files} files is more than max_files ({grant.max_files})",
            )
        if total > grant.quota_bytes:
            raise StorageRefused(
                "quota_bytes",
                "quota_exceeded",
                f"storage: {total} bytes is more than quota_bytes ({grant.quota_bytes})",
            )
        if changed and grant.read_only:
            raise StorageRefused(
                "read_only", "read_only", "storage: the grant is read-only: no file may be written or removed"
            )
