"""The Python half of `createRuntime()`: one authority, one bridge, one diagnostics pipeline.

js_bridge/runtime.mjs (page mode) or js_bridge/worker.mjs (worker mode) builds an
`EmbeddedRuntime` once, then runs each snippet of user code as a runtime `main`, so
`current_cx()` works inside it and every fetch goes through the frozen authority.
"""

from __future__ import annotations

import asyncio
import importlib.util
import inspect
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from browser_rt import compat, storage
from browser_rt.diagnostics import CallbackSink, Diagnostics
from browser_rt.fetch import FetchHost
from browser_rt.host.runs import (
    bound_names,
    describe_error,
    parse_globals,
    resolve_call_target,
    result_as_json,
)
from browser_rt.policy import FetchAuthority
from browser_rt.runtime import Runtime
from browser_rt.tools import ToolGrant, ToolHost

NOTABLE_DOORS = (
    "js.fetch",
    "js.XMLHttpRequest",
    "js.WebSocket",
    "js.EventSource",
    "js.WebTransport",
    "js.importScripts",
    "js.Worker",
    "js.SharedWorker",
    "js.navigator.storage",
    "js.navigator.storageBuckets",
    "js.navigator.locks",
    "js.navigator.serviceWorker",
    "js.navigator.sendBeacon",
    "js.indexedDB",
    "js.caches",
    "js.localStorage",
    "js.sessionStorage",
    "js.cookieStore",
    "js.document",
    "js.BroadcastChannel",
    "js.FontFace",
    "js.fonts",
    "js.Notification",
)
"""Where they are open, these lead the report: its list shows at most 64 paths of hundreds."""


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
        tools_json: str | None = None,
        tool_host: ToolHost | None = None,
        storage_json: str | None = None,
        storage_host: Any = None,
    ) -> None:
        self.authority = FetchAuthority.from_json(policy_json)
        self.tools = ToolGrant.from_json(tools_json) if tools_json else ToolGrant.none()
        sinks = [] if host_event is None else [CallbackSink(host_event)]
        self.diagnostics = Diagnostics(diagnostics_mode, sinks, ci=ci, allow_unredacted=allow_unredacted)
        self.isolation = isolation
        self._runtime = Runtime(
            authority=self.authority,
            fetch_host=fetch_host,
            diagnostics=self.diagnostics,
            tools=self.tools,
            tool_host=tool_host,
        )
        self._globals: dict[str, Any] = {"__name__": "__main__"}
        self._runs: dict[int, asyncio.Future[Any]] = {}
        self._errors: dict[int, dict[str, Any]] = {}
        self.diagnostics.emit("authority.loaded", severity="info", policy=self.authority.summary())
        # pyfetch, pyxhr, open_url, requests, urllib3 and httpx go through the running task's Cx
        # from here on; `self.compat.uninstall()` restores them (browser_rt.compat).
        self.compat = compat.install()
        # The page restored the namespace into /data already; without a grant there is no mount.
        self.storage = None if storage_json is None else _mount(storage_json, storage_host)
        storage.install(self.storage)

    def report_ambient_paths(self, paths: list[str]) -> None:
        """Page mode: say plainly what Python can still reach around the policy."""
        self.diagnostics.emit("runtime.ambient_paths", severity="warn", paths=paths, path_count=len(paths))

    async def run_code(
        self, code: str, globals_json: str | None = None, filename: str = "<exec>", run_id: int = 0
    ) -> Any:
        """Run `code` (top-level await allowed) as the main task of a runtime run.

        `globals_json` binds names for this run only; `filename` names the code in tracebacks.
        If the code fails, `take_error(run_id)` describes the failure for the embedder.
        """
        from pyodide.code import eval_code_async

        bound = parse_globals(globals_json)

        async def main(_cx: object) -> Any:
            with bound_names(self._globals, bound):
                return await eval_code_async(code, self._globals, filename=filename)

        return await self._run(main, filename, run_id)

    async def call(self, spec: str, args_json: str, run_id: int = 0) -> str:
        """`rt.call("module:function", ...args)`: JSON in, JSON out, as a runtime main task."""
        args = json.loads(args_json)
        if not isinstance(args, list):
            raise TypeError("call: arguments must be a list")

        async def main(_cx: object) -> str:
            function = resolve_call_target(spec, self._globals)
            result = function(*args)
            if inspect.isawaitable(result):
                result = await result
            return result_as_json(result, spec)

        return str(await self._run(main, "<call>", run_id))

    def cancel_run(self, run_id: int) -> bool:
        """Cancel one run at its next await (a timeout or an abort signal); False if none runs."""
        task = self._runs.get(run_id)
        if task is None or task.done():
            return False
        task.cancel()
        return True

    def take_error(self, run_id: int) -> dict[str, Any] | None:
        """The described failure of a run that raised, once."""
        return self._errors.pop(run_id, None)

    async def _run(self, main: Callable[[Any], Any], filename: str, run_id: int) -> Any:
        task = asyncio.ensure_future(self._runtime.run(main))
        self._runs[run_id] = task
        try:
            try:
                result = await task
            except BaseException:
                await self._persist(quiet=True)
                raise
            await self._persist(quiet=False)
            return result
        except BaseException as error:
            self._errors[run_id] = describe_error(error, filename)
            raise
        finally:
            self._runs.pop(run_id, None)
            self.diagnostics.flush()

    async def _persist(self, *, quiet: bool) -> None:
        """The end of every run is a flush point. After a run that failed, a refused flush is
        left to the page's record, so the run's own error is the one the app sees."""
        if self.storage is None:
            return
        try:
            await self.storage.flush()
        except storage.StorageRefused:
            if not quiet:
                raise


def _mount(storage_json: str, storage_host: Any) -> storage.StorageMount:
    from browser_rt.host.pyodide_storage import PyodideStorageHost

    grant = storage.StorageGrant.from_json(storage_json)
    return storage.StorageMount(grant, PyodideStorageHost(storage_host))


def ambient_paths(open_members: Iterable[str] = ()) -> list[str]:
    """What page mode leaves open: Python's own roads to JavaScript, then `open_members`.

    `open_members` is what js_bridge/realm_allowlist.mjs's `openMembers` finds on the page's
    global and `navigator`: every member the worker's allowlist would remove. Notable doors
    come first, then the rest in order.
    """
    found: list[str] = []
    # Found, not imported: importing pyodide.http costs tens of milliseconds at start-up.
    if _importable("pyodide.http"):
        governed = compat.governed_paths()  # browser_rt.compat sends these through the Cx now
        paths = ("pyodide.http.pyfetch", "pyodide.http.pyxhr", "pyodide.http.open_url")
        found.extend(path for path in paths if path not in governed)
    # Always there in page mode: the Function constructor (any JsProxy's constructor.constructor)
    # and run_js both evaluate JS, including dynamic import().
    found.extend(["pyodide.code.run_js", "js.Function", "js.import"])
    members = [str(name) for name in open_members]
    open_set = set(members)
    ordered = [name for name in NOTABLE_DOORS if name in open_set] + members
    seen = set(found)
    for name in ordered:
        if name not in seen:
            seen.add(name)
            found.append(name)
    return found


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False
