"""Waiting for `cx.fetch` from synchronous code (requests, urllib3, pyxhr, httpx.Client).

The fetch bridge answers through the event loop, and a synchronous call cannot return until
it has; so something must let the loop run while the caller's stack stays blocked. Which
thing depends on where the code runs:

* the lab's loop: `LabLoop.run_nested`, deterministic, on CPython and in Pyodide alike;
* Pyodide where the engine has JS Promise Integration: `pyodide.ffi.run_sync`, which suspends
  the WebAssembly stack while the browser's loop goes on (worker and page mode in Chromium and
  Firefox);
* a worker of a cross-origin isolated page (COOP/COEP), where the engine has no JSPI: the
  fetch is driven on the caller's own stack, and the bridge call blocks the worker with
  `Atomics.wait` until the page has written its answer into a SharedArrayBuffer
  (js_bridge/blocking_reply.mjs). Only the bridge can be waited for this way: a fetch that must
  first wait for something else (a request slot other tasks hold) is refused, not deadlocked;
* CPython, called from a thread other than the loop's (`await asyncio.to_thread(requests.get,
  url)`): hand the coroutine to the loop's thread and block this one.

Anywhere else the wait is impossible, and `SyncWaitUnavailable` says what is missing and what
to use instead. `BROWSER_ROADS` orders the two browser roads.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from browser_rt.fetch.host import blocking_fetch

if TYPE_CHECKING:
    from browser_rt.runtime import Cx

BROWSER_ROADS: tuple[str, ...] = ("jspi", "atomics")
"""The roads tried in Pyodide, in order: "jspi" (`run_sync`), "atomics" (a blocking bridge call).
An app may narrow it, for example to ("atomics",) to keep stack switching out of the way."""

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
            return _run_sync_in_pyodide(coroutine, cx)
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


def sync_wait_support(cx: Cx | None = None) -> dict[str, bool]:
    """What this engine offers for synchronous waits: `jspi`, `cross_origin_isolated`, and
    `blocking_bridge` (`cx`'s fetch host can block the worker; the current task's by default)."""
    if sys.platform != "emscripten":
        return {"jspi": False, "cross_origin_isolated": False, "blocking_bridge": False}
    import js
    from pyodide.ffi import can_run_sync

    return {
        "jspi": bool(can_run_sync()),
        "cross_origin_isolated": bool(getattr(js, "crossOriginIsolated", False)),
        "blocking_bridge": _host_can_block(cx),
    }


def _run_sync_in_pyodide[T](coroutine: Coroutine[Any, Any, T], cx: Cx | None) -> T:
    support = sync_wait_support(cx)
    for road in BROWSER_ROADS:
        if road == "jspi" and support["jspi"]:
            from pyodide.ffi import run_sync

            return run_sync(coroutine)  # type: ignore[no-any-return]
        if road == "atomics" and support["blocking_bridge"]:
            return run_blocking(coroutine)
    coroutine.close()
    isolated = "is" if support["cross_origin_isolated"] else "is not"
    raise SyncWaitUnavailable(
        "a synchronous HTTP call (requests, urllib3, pyxhr, httpx.Client) must block until "
        "the page's fetch bridge answers, and this engine cannot: JavaScript Promise "
        "Integration (JSPI, pyodide.ffi.can_run_sync()) is missing, either because the engine "
        "lacks it (Chromium 137+ and Firefox have it) or because this Python stack was not "
        "entered through an async call (browser_rt's runPythonAsync is); and the other road, "
        "Atomics.wait on a SharedArrayBuffer, needs worker mode in a cross-origin isolated page "
        f"(this page {isolated}; serve it with COOP same-origin and COEP require-corp) in an "
        f"engine that offers SharedArrayBuffer there. Roads tried: {', '.join(BROWSER_ROADS)}. "
        f"Use the async APIs instead: {ASYNC_ALTERNATIVES}"
    )


def run_blocking[T](coroutine: Coroutine[Any, Any, T]) -> T:
    """Run `coroutine` to its end on this stack, its fetches answered by blocking bridge calls.

    A bare yield (`asyncio.sleep(0)`) is resumed at once; a wait for a future (a request slot,
    a timer) cannot be: nothing else runs while this stack blocks. It gets `SyncWaitUnavailable`
    thrown in at that point, so the coroutine's own cleanup (releasing its slot) runs.
    """
    token = blocking_fetch.set(True)
    try:
        while True:
            try:
                waiting_on = coroutine.send(None)
            except StopIteration as finished:
                return finished.value  # type: ignore[no-any-return]
            if waiting_on is not None:
                refusal = SyncWaitUnavailable(
                    "a synchronous HTTP call that blocks the worker (Atomics.wait) can wait only "
                    f"for the page's bridge, and this one had to wait for {waiting_on!r} first "
                    "(such as a request slot other tasks hold); use the async APIs for "
                    f"concurrent work: {ASYNC_ALTERNATIVES}"
                )
                try:
                    coroutine.throw(refusal)
                finally:
                    coroutine.close()
                raise refusal
    finally:
        blocking_fetch.reset(token)


def _host_can_block(cx: Cx | None) -> bool:
    if cx is None:
        from browser_rt.runtime.context import CURRENT_CX

        cx = CURRENT_CX.get(None)
    services = getattr(cx, "_services", None)
    return bool(getattr(getattr(services, "fetch_host", None), "can_block", False))


def _loop_of(cx: Cx) -> asyncio.AbstractEventLoop | None:
    """The loop `cx`'s run is on. `Cx` keeps it in its services and has no public accessor."""
    services = getattr(cx, "_services", None)
    loop = getattr(services, "loop", None)
    return loop if isinstance(loop, asyncio.AbstractEventLoop) else None
