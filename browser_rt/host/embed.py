"""The Python half of `createRuntime()`: one authority, one bridge, one diagnostics pipeline.

js_bridge/runtime.mjs (page mode) or js_bridge/worker.mjs (worker mode) builds an
`EmbeddedRuntime` once, then runs each snippet of user code as a runtime `main`, so
`current_cx()` works inside it and every fetch goes through the frozen authority.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Mapping
from typing import Any

from browser_rt.diagnostics import CallbackSink, Diagnostics
from browser_rt.fetch import FetchHost
from browser_rt.policy import FetchAuthority
from browser_rt.runtime import Runtime

AMBIENT_CANDIDATES = (
    "fetch",
    "XMLHttpRequest",
    "WebSocket",
    "EventSource",
    "WebTransport",
    "importScripts",
    "Worker",
    "SharedWorker",
    "caches",
    "indexedDB",
    "FontFace",
    "fonts",
    "Notification",
    "navigator.sendBeacon",
    "navigator.serviceWorker",
)
"""JS globals that reach the network or load code, checked from inside Python."""


class EmbeddedRuntime:
    """Runs user code under the embedder's frozen authority; built once per `createRuntime()`."""

    def __init__(
        self,
        policy_json: str,
        *,
        fetch_host: FetchHost,
        host_event: Callable[[Mapping[str, object]], object] | None,
        diagnostics_mode: str = "metadata_only",
        allow_unredacted: bool = False,
        ci: bool | None = None,
        isolation: str = "page",
    ) -> None:
        self.authority = FetchAuthority.from_json(policy_json)
        sinks = [] if host_event is None else [CallbackSink(host_event)]
        self.diagnostics = Diagnostics(diagnostics_mode, sinks, ci=ci, allow_unredacted=allow_unredacted)
        self.isolation = isolation
        self._runtime = Runtime(authority=self.authority, fetch_host=fetch_host, diagnostics=self.diagnostics)
        self._globals: dict[str, Any] = {"__name__": "__main__"}
        self.diagnostics.emit("authority.loaded", severity="info", policy=self.authority.summary())

    def report_ambient_paths(self, paths: list[str]) -> None:
        """Page mode: say plainly which network paths Python can still reach around the policy."""
        self.diagnostics.emit("runtime.ambient_paths", severity="warn", paths=paths)

    async def run_code(self, code: str) -> Any:
        """Run `code` (top-level await allowed) as the main task of a runtime run."""
        from pyodide.code import eval_code_async

        async def main(_cx: object) -> Any:
            return await eval_code_async(code, self._globals)

        try:
            return await self._runtime.run(main)
        finally:
            self.diagnostics.flush()


def ambient_paths() -> list[str]:
    """Network and code-loading paths visible to Python through `js` and `pyodide`."""
    import js

    found = []
    for name in AMBIENT_CANDIDATES:
        target: Any = js
        for part in name.split("."):
            target = getattr(target, part, None)
            if target is None:
                break
        if target is not None:
            found.append(f"js.{name}")
    # Found, not imported: importing pyodide.http costs tens of milliseconds at start-up.
    if _importable("pyodide.http"):
        found.extend(["pyodide.http.pyfetch", "pyodide.http.pyxhr", "pyodide.http.open_url"])
    # Always there in page mode: the Function constructor (any JsProxy's constructor.constructor)
    # and run_js both evaluate JS, including dynamic import().
    found.extend(["pyodide.code.run_js", "js.Function", "js.import"])
    return found


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False
