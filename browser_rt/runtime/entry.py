"""Starting a runtime: `run` (blocking, host only), `arun` (inside a running loop) and `Runtime`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from browser_rt.diagnostics import Diagnostics
from browser_rt.fetch import BridgeError, FetchHost, HostRequest, RequestLimiter, Response
from browser_rt.policy import FetchAuthority
from browser_rt.runtime.context import context_with
from browser_rt.runtime.cx import Cx
from browser_rt.runtime.obligation import ObligationLeak
from browser_rt.runtime.services import DEFAULT_CLEANUP_SECONDS, RuntimeObserver, Services, check_seconds
from browser_rt.runtime.task import TaskState
from browser_rt.tools import NoToolHost, ToolGrant, ToolHost

type Main[T] = Callable[[Cx], Coroutine[Any, Any, T]]

ROOT_REGION = "main"
"""The region path of `main` itself; regions it opens are `main/<name>`."""


class Runtime:
    """One runtime: an authority, a fetch host, diagnostics, and what watches the run (if anything).

    `run(main)` calls `main(cx)` in a new task named `main` whose `Cx` carries the authority.
    When main ends with obligations still pending, each is reported as an `obligation.leak`
    event and the run fails with an `ExceptionGroup` holding main's own error (if any) and an
    `ObligationLeak` per leaked obligation. Otherwise main's result or error passes through.

    Every fetch of every task passes one `RequestLimiter`, built from `authority`'s request
    limits and kept across runs on the same loop (the embedder runs each snippet of user code
    as a run, and the bridge counts them all as one runtime's requests too).
    """

    def __init__(
        self,
        *,
        authority: FetchAuthority,
        fetch_host: FetchHost,
        diagnostics: Diagnostics | None = None,
        observer: RuntimeObserver | None = None,
        cleanup: float = DEFAULT_CLEANUP_SECONDS,
        tools: ToolGrant | None = None,
        tool_host: ToolHost | None = None,
    ) -> None:
        if not isinstance(authority, FetchAuthority):
            raise TypeError(
                f"authority: expected a browser_rt.FetchAuthority (FetchAuthority.deny_all() grants "
                f"nothing), got {type(authority).__name__}"
            )
        if not callable(getattr(fetch_host, "fetch", None)):
            raise TypeError(
                "fetch_host: expected an object with an async fetch(request), "
                f"got {type(fetch_host).__name__}"
            )
        if diagnostics is not None and not isinstance(diagnostics, Diagnostics):
            raise TypeError(
                "diagnostics: expected a browser_rt.diagnostics.Diagnostics, "
                f"got {type(diagnostics).__name__}"
            )
        self.authority = authority
        self.fetch_host = fetch_host
        self.diagnostics = diagnostics if diagnostics is not None else Diagnostics()
        self.observer = observer
        self.cleanup = check_seconds("cleanup", cleanup)
        if tools is not None and not isinstance(tools, ToolGrant):
            raise TypeError(f"tools: expected a browser_rt.tools.ToolGrant, got {type(tools).__name__}")
        self.tools = tools if tools is not None else ToolGrant.none()
        """The tools main may call; without a grant, none."""
        self.tool_host: ToolHost = tool_host if tool_host is not None else NoToolHost()
        self._limiter: tuple[asyncio.AbstractEventLoop, FetchAuthority, RequestLimiter] | None = None

    def request_limiter(self, loop: asyncio.AbstractEventLoop) -> RequestLimiter:
        """The limiter of this runtime's runs on `loop`, timed by `loop.time()`.

        One per loop, so that its clock and its waiters' futures belong to the loop the run is
        on (the lab's virtual time keeps it deterministic); a new one if `authority` was replaced.
        """
        held = self._limiter
        if held is None or held[0] is not loop or held[1] is not self.authority:
            held = (loop, self.authority, RequestLimiter.for_authority(self.authority, loop.time))
            self._limiter = held
        return held[2]

    async def run[T](self, main: Main[T]) -> T:
        """Run `main(cx)` to completion in a task of its own on the running loop."""
        if not callable(main):
            raise TypeError(f"main: expected an async function taking a Cx, got {type(main).__name__}")
        loop = asyncio.get_running_loop()
        services = Services(
            loop=loop,
            fetch_host=self.fetch_host,
            diagnostics=self.diagnostics,
            observer=self.observer,
            cleanup=self.cleanup,
            request_limiter=self.request_limiter(loop),
            tool_host=self.tool_host,
        )
        state = TaskState("main", ROOT_REGION, None)
        cx = Cx(services, state, self.authority, self.tools)
        coro = main(cx)
        if not asyncio.iscoroutine(coro):
            raise TypeError(
                f"main: {getattr(main, '__qualname__', repr(main))}(cx) returned {type(coro).__name__}, "
                "not a coroutine; pass an async function"
            )
        task = loop.create_task(coro, name="main", context=context_with(cx))
        try:
            result = await task
        except asyncio.CancelledError:
            await _wait_for_end(task)
            _report_leaks(services, state)
            raise
        except Exception as error:
            leaks = _report_leaks(services, state)
            if leaks:
                raise ExceptionGroup(f"unhandled errors in region {ROOT_REGION!r}", [error, *leaks]) from None
            raise
        leaks = _report_leaks(services, state)
        if leaks:
            raise ExceptionGroup(f"unhandled errors in region {ROOT_REGION!r}", leaks)
        return result


class NoFetchHost:
    """The host of a runtime started without one: every allowed request fails with `BridgeError`."""

    async def fetch(self, request: HostRequest) -> Response:
        raise BridgeError(
            f"no fetch host: {request.method} to {request.origin} was allowed, but this runtime was "
            "started without fetch_host=, so nothing can perform it"
        )


async def _wait_for_end(task: asyncio.Task[Any]) -> None:
    """The caller was cancelled, and main with it: wait until main has finished its cleanup, so
    that no task outlives the run. The caller's cancellation propagates afterwards."""
    while not task.done():
        try:
            await asyncio.wait({task})
        except asyncio.CancelledError:
            task.cancel()


def _report_leaks(services: Services, state: TaskState) -> list[ObligationLeak]:
    """Mark main's pending obligations leaked, emit an event for each, and return their errors."""
    leaks = state.leaked_obligations()
    for obligation in leaks:
        services.event(
            "obligation.leak", "error", region=ROOT_REGION, task="main", obligation=obligation.name
        )
        if services.observer is not None:
            services.observer.obligation_leaked(obligation)
    return [ObligationLeak(obligation) for obligation in leaks]


async def arun[T](
    main: Main[T],
    *,
    authority: FetchAuthority,
    diagnostics: Diagnostics | None = None,
    fetch_host: FetchHost | None = None,
) -> T:
    """Run `main(cx)` on the running event loop (Pyodide's WebLoop in the browser)."""
    host = fetch_host if fetch_host is not None else NoFetchHost()
    return await Runtime(authority=authority, fetch_host=host, diagnostics=diagnostics).run(main)


def run[T](
    main: Main[T],
    *,
    authority: FetchAuthority,
    diagnostics: Diagnostics | None = None,
    fetch_host: FetchHost | None = None,
) -> T:
    """Start an event loop, run `main(cx)` to completion and return its result (host CPython).

    The browser's event loop cannot block, so inside Pyodide (or any running loop) use
    `await arun(...)` instead.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise RuntimeError(
            "browser_rt.run() blocks until main ends, which a running event loop (always the case "
            "in the browser) cannot do; use `await browser_rt.arun(main, authority=...)`"
        )
    return asyncio.run(arun(main, authority=authority, diagnostics=diagnostics, fetch_host=fetch_host))
