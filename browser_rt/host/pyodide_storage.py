"""PyodideStorageHost: hands a flush to the page's storage writer and reads its answer.

The JS object is the worker's message port to the page (worker mode) or the page's store itself
(page mode). Either way the page re-checks the whole flush, so this adapter adds no authority.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from browser_rt.storage import FlushOutcome
from browser_rt.storage.mount import FileWrite


class PyodideStorageHost:
    """A StorageHost over a JS object with `flush({writes, keep})` returning a promise."""

    def __init__(self, bridge: Any) -> None:
        import js
        from pyodide.ffi import to_js

        self._bridge = bridge
        self._to_js = to_js
        self._object_from_entries = js.Object.fromEntries

    async def flush(self, writes: Sequence[FileWrite], keep: Sequence[str]) -> FlushOutcome:
        request = self._to_js(
            {"writes": [[path, data, mtime] for path, data, mtime in writes], "keep": list(keep)},
            dict_converter=self._object_from_entries,
        )
        try:
            result = await self._bridge.flush(request)
        except Exception as exc:  # a JS exception crossing the bridge; its text is not trusted
            return FlushOutcome(
                False,
                limit="backend",
                reason="bridge",
                message=f"storage flush failed ({type(exc).__name__})",
            )
        if not result.ok:
            return FlushOutcome(
                False, limit=str(result.limit), reason=str(result.reason), message=str(result.message)
            )
        return FlushOutcome(
            True, files=int(result.files), bytes=int(result.bytes), written=int(result.written)
        )
