"""`StorageView`: a narrower storage capability to hand a child task.

`view()` is the whole granted folder; `narrow(subfolder=..., read_only=True)` makes a view of
one subfolder, or one that may only read, and a view never widens again. Like `Cx.narrow` for
fetch, this bounds what code does through the view it was handed; it is not a wall inside one
interpreter (code there can still call `open("/data/...")`). The page's own check of the grant
is the wall.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

from browser_rt.storage.errors import StorageRefused
from browser_rt.storage.mount import FlushReport, StorageMount
from browser_rt.storage.paths import path_problem

_WRITE_MODES = frozenset("wax+")


class StorageView:
    """The granted folder, or a part of it, as one task may use it."""

    __slots__ = ("_mount", "_read_only", "_subfolder")

    def __init__(self, mount: StorageMount, subfolder: str = "", *, read_only: bool = False) -> None:
        self._mount = mount
        self._subfolder = subfolder
        self._read_only = read_only or mount.grant.read_only

    @property
    def root(self) -> Path:
        """The folder this view covers."""
        return self._mount.root / self._subfolder if self._subfolder else self._mount.root

    @property
    def read_only(self) -> bool:
        return self._read_only

    def narrow(self, *, subfolder: str | None = None, read_only: bool = False) -> StorageView:
        """A view of `subfolder` (relative to this view), read-only if asked or if this one is."""
        inner = self._subfolder
        if subfolder is not None:
            _check(subfolder, "narrow: subfolder")
            inner = f"{inner}/{subfolder}" if inner else subfolder
        return StorageView(self._mount, inner, read_only=self._read_only or read_only)

    def path(self, relative: str) -> Path:
        """The full path of `relative`, which must stay inside this view (the stored-path rules)."""
        _check(relative, "path")
        return self.root / relative

    def open(self, relative: str, mode: str = "r", **kwargs: Any) -> IO[Any]:
        """`open()` inside this view; a read-only view refuses every mode that writes."""
        if self._read_only and _WRITE_MODES & set(mode):
            raise PermissionError(f"storage view is read-only: cannot open {relative!r} with mode {mode!r}")
        target = self.path(relative)
        if _WRITE_MODES & set(mode):
            target.parent.mkdir(parents=True, exist_ok=True)
        return target.open(mode, **kwargs)

    async def flush(self) -> FlushReport | None:
        """Persist the whole namespace now; a read-only view may not."""
        if self._read_only:
            raise StorageRefused(
                "read_only", "read_only", "storage: this view is read-only and may not flush"
            )
        return await self._mount.flush()

    def __repr__(self) -> str:
        return f"<StorageView /{self._subfolder} read_only={self._read_only}>"


def _check(relative: str, what: str) -> None:
    problem = path_problem(relative)
    if problem is not None:
        raise ValueError(f"storage view {what}: {relative!r}: {problem.replace('_', ' ')}")
