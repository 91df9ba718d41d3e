"""Persistent files the page grants: a folder (`/data`) that survives reloads and restarts.

Without a `storageAuthority` in `createRuntime` there is none. With one, the page restores the
namespace's files into `/data` before user code runs, and persists the folder at the end of
every run and whenever `await browser_rt.storage.flush()` is called. The page performs every
write and checks every path and limit first (docs/storage.md).
"""

from __future__ import annotations

from browser_rt.storage.errors import StorageRefused, StorageUnavailable
from browser_rt.storage.grant import StorageGrant, StorageGrantError
from browser_rt.storage.mount import FlushOutcome, FlushReport, StorageHost, StorageMount
from browser_rt.storage.paths import path_problem
from browser_rt.storage.view import StorageView

_mounted: list[StorageMount] = []


def install(mount: StorageMount | None) -> None:
    """Make `mount` the one `flush()` persists (the embedded runtime calls this once)."""
    _mounted[:] = [] if mount is None else [mount]


def current() -> StorageMount:
    """The granted mount, or `StorageUnavailable` when the page granted none."""
    if not _mounted:
        raise StorageUnavailable("no persistent storage: the page did not grant a storageAuthority")
    return _mounted[0]


def view() -> StorageView:
    """The whole granted folder as a capability; `narrow()` it before handing it to a child."""
    return StorageView(current())


async def flush() -> FlushReport | None:
    """Persist `/data` now, as the end of a run does; None when nothing changed.

    Raises `StorageRefused` naming the broken limit (nothing is written then) and
    `StorageUnavailable` when no storage was granted.
    """
    return await current().flush()


__all__ = [
    "FlushOutcome",
    "FlushReport",
    "StorageGrant",
    "StorageGrantError",
    "StorageHost",
    "StorageMount",
    "StorageRefused",
    "StorageUnavailable",
    "StorageView",
    "current",
    "flush",
    "install",
    "path_problem",
    "view",
]
