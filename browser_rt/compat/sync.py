"""Waiting for `cx.fetch` from synchronous code (requests, urllib3, pyxhr, httpx.Client).

The fetch bridge answers through the event loop, and a synchronous call cannot return until
it has; so something must let the loop run while the caller's stack stays blocked. Which
thing depends on where the code runs:

* the lab's loop: `LabLoop.run_nested`, deterministic, on CPython and in Pyodide alike;
* Pyodide where the engine has JS Promise Integration: `pyodide.ffi.run_sync`, which suspends
  the WebAssembly stack while the browser's loop goes on (worker and page mode in Chromium);
* CPython, called from a thread other than the loop's (`await asyncio.to_thread(requests.get,
  url)`): hand the coroutine to the loop's thread and block this one.

Anywhere else the wait is impossible, and `SyncWaitUnavailable` says what is missing and what
to use instead. `Atomics.wait` on a SharedArrayBuffer (cross-origin isolated pages) would be a
second road in the browser; browser_rt does not implement it, and the error says so.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from browser_rt.runtime import Cx

ASYNC_ALTERNATIVES = (
    "await pyodide.http.pyfetch(...), httpx.AsyncClient(transport=browser_rt.httpx_transport()), "
    "or await browser_rt.current_cx().fetch(...)"
)


class SyncWaitUnavailable(RuntimeError):
    """A synchronous HTTP call has no way to wait for the bridge here; the message says why."""


def wait_for[T](coroutine: Coroutine[Any, Any, T], *, cx: Cx | None = None, name: str = "sync-fetch") -> T:
    """Run `coroutine` to completion from synchronous code and return its result.

    `cx` is the capability the coroutine uses; its loop is the one to hand the work to when
    the caller is on another thread. `name` names the task in lab traces. The coroutine is
    closed unstarted when no wait is possible, so nothing is sent.
    """
    try:
        loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    if loop is not None:
        from browser_rt.lab.loop import LabLoop

        if isinstance(loop, LabLoop):
            return loop.run_nested(coroutine, name=name)
        if sys.platform == "emscripten":
            return _run_sync_in_pyodide(coroutine)
        coroutine.close()
        raise SyncWaitUnavailable(
            "a synchronous HTTP call cannot wait for cx.fetch on the thread whose event loop it "
            "would block; call it in a thread (await asyncio.to_thread(requests.get, url)) or use "
            f"the async APIs: {ASYNC_ALTERNATIVES}"
        )
    target = None if cx is None else _loop_of(cx)
    if target is not None and target.is_running() and not target.is_closed():
        return asyncio.run_coroutine_threadsafe(coroutine, target).result()
    coroutine.close()
    raise SyncWaitUnavailable(
        "a synchronous HTTP call needs the event loop of the browser_rt run it belongs to, and "
        "none is running: call it from inside the run (main or a task its regions spawn)"
    )


def sync_wait_support() -> dict[str, bool]:
    """What this engine offers for synchronous waits: `jspi` and `cross_origin_isolated`."""
    if sys.platform != "emscripten":
        return {"jspi": False, "cross_origin_isolated": False}
    import js
    from pyodide.ffi import can_run_sync

    return {
        "jspi": bool(can_run_sync()),
        "cross_origin_isolated": bool(getattr(js, "crossOriginIsolated", False)),
    }


def _run_sync_in_pyodide[T](coroutine: Coroutine[Any, Any, T]) -> T:
    support = sync_wait_support()
    if not support["jspi"]:
        coroutine.close()
        isolated = "is" if support["cross_origin_isolated"] else "is not"
        raise SyncWaitUnavailable(
            "a synchronous HTTP call (requests, urllib3, pyxhr, httpx.Client) must block until "
            "the page's fetch bridge answers, and this engine cannot: JavaScript Promise "
            "Integration (JSPI, pyodide.ffi.can_run_sync()) is missing, either because the engine "
            "lacks it (Chromium 137+ has it on by default) or because this Python stack was not "
            "entered through an async call (browser_rt's runPythonAsync is). The other road, "
            f"Atomics.wait on a SharedArrayBuffer, needs a cross-origin isolated page (this page "
            f"{isolated}; serve it with COOP same-origin and COEP require-corp) and is not "
            f"implemented by browser_rt yet. Use the async APIs instead: {ASYNC_ALTERNATIVES}"
        )
    from pyodide.ffi import run_sync

    return run_sync(coroutine)  # type: ignore[no-any-return]


def _loop_of(cx: Cx) -> asyncio.AbstractEventLoop | None:
    """The loop `cx`'s run is on. `Cx` keeps it in its services and has no public accessor."""
    services = getattr(cx, "_services", None)
    loop = getattr(services, "loop", None)
    return loop if isinstance(loop, asyncio.AbstractEventLoop) else None
