"""`Cx`, the capability context: everything a task may do, handed to it explicitly.

A task can fetch only through its `Cx`, and only what the `Cx`'s `FetchAuthority` allows; it
can open regions, whose children get their own `Cx` derived from it; and it can open
obligations, which the runtime holds it to. There is no ambient authority: code that was not
handed a `Cx` (and was not started by the runtime, so has none in its context) cannot fetch.

`Cx` lives in the runtime package because the runtime makes every one of them (`Runtime.run`
for main, `Region.spawn` for children) and its regions hand them on. `browser_rt.cap` re-exports
it for code that imports it from there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterable, Mapping
from typing import Any

from browser_rt.fetch import Response, authorized_fetch
from browser_rt.policy import FetchAuthority
from browser_rt.runtime.budget import Budget, BudgetExceeded
from browser_rt.runtime.obligation import Obligation
from browser_rt.runtime.region import Region
from browser_rt.runtime.services import Services, check_seconds, event_id
from browser_rt.runtime.task import TaskState
from browser_rt.tools import NoToolHost, ToolGrant, authorized_tool_call


class Cx:
    """One task's capabilities. Children get their own `Cx` from the regions they run in."""

    __slots__ = ("_authority", "_event_context", "_services", "_state", "_tools", "_tools_view")

    def __init__(
        self,
        services: Services,
        state: TaskState,
        authority: FetchAuthority,
        tools: ToolGrant | None = None,
        /,
    ) -> None:
        self._services = services
        self._state = state
        self._authority = authority
        self._tools = tools if tools is not None else ToolGrant.none()
        self._tools_view: CxTools | None = None
        self._event_context: tuple[str, dict[str, object]] | None = None

    # -- what this task is --------------------------------------------------------------------

    @property
    def authority(self) -> FetchAuthority:
        """The network grant of this task; `narrow` makes a smaller one."""
        return self._authority

    @property
    def tools(self) -> CxTools:
        """The host functions this task may call: `await cx.tools.call("search", query="...")`."""
        view = self._tools_view
        if view is None:
            view = self._tools_view = CxTools(self)
        return view

    @property
    def task(self) -> str:
        """The name events and traces use for this task (`main`, `<function>-<n>`)."""
        return self._state.name

    @property
    def region_path(self) -> str:
        """The path of the region this task is in now, such as `main/fetchers`."""
        return self._state.region

    @property
    def budget(self) -> Budget:
        """What is left of the budgets around this task: the tightest of each kind."""
        meter = self._state.meter
        if meter is None:
            return Budget()
        return meter.effective(self._services.loop.time())

    # -- structure ----------------------------------------------------------------------------

    def region(self, name: str, *, budget: Budget | None = None, cleanup: float | None = None) -> Region:
        """A region nested where this task runs: `async with cx.region("name") as r:`.

        `budget` limits everything inside it (clamped by the budgets around it); `cleanup` is the
        time its cancelled children get to finish before an overrun is reported (seconds,
        default `DEFAULT_CLEANUP_SECONDS`).
        """
        if budget is not None and not isinstance(budget, Budget):
            raise TypeError(f"region {name!r}: budget must be a Budget, got {type(budget).__name__}")
        seconds = (
            self._services.cleanup if cleanup is None else check_seconds(f"region {name!r}: cleanup", cleanup)
        )
        return Region(self, name, budget=budget, cleanup=seconds)

    def obligation(self, name: str) -> Obligation:
        """Open an obligation this task must `commit` or `abort` before it ends."""
        return self._state.open_obligation(name)

    def narrow(self, *, tools: Iterable[str] | None = None, **grants: Any) -> Cx:
        """The same task with a smaller authority (`FetchAuthority.narrow` arguments) and, with
        `tools=[...]`, only those of its tools (naming one it lacks is a ValueError). Regions
        opened from the result give their children the smaller grants too."""
        authority = self._authority.narrow(**grants) if grants else self._authority
        granted = self._tools if tools is None else self._tools.narrow(tools)
        return Cx(self._services, self._state, authority, granted)

    def _child(self, state: TaskState) -> Cx:
        """The `Cx` of a new child task: same runtime, authority and tools, its own state."""
        return Cx(self._services, state, self._authority, self._tools)

    # -- checkpoints --------------------------------------------------------------------------

    async def checkpoint(self) -> None:
        """Let other tasks run, take delivery of a pending cancellation, and enforce the deadline."""
        self._check_deadline()
        await asyncio.sleep(0)

    async def sleep(self, seconds: float) -> None:
        """Sleep, bounded by the deadline budget: a sleep past it ends there with `BudgetExceeded`."""
        delay = check_seconds("sleep", seconds)
        self._check_deadline()
        meter = self._state.meter
        loop = self._services.loop
        if meter is not None and meter.deadline_at is not None and loop.time() + delay >= meter.deadline_at:
            await asyncio.sleep(max(0.0, meter.deadline_at - loop.time()))
            raise self._report(meter.deadline_error(loop.time()))
        await asyncio.sleep(delay)

    async def fetch(
        self,
        url: str,
        *,
        method: str = "GET",
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        body: bytes | bytearray | memoryview | str | None = None,
        credentials: str | None = None,
        timeout: float | None = None,
    ) -> Response:
        """Fetch through this task's authority, counted against the budgets around it.

        A checkpoint first (a pending cancellation is delivered, the deadline enforced; the
        task yields while it waits for the host anyway), then `max_fetches` (every call counts,
        allowed or denied), then the authority, then the runtime's request limiter, then the
        host; the deadline also bounds the wait for a slot and for the response. The response
        body size is charged to `max_bytes` afterwards.

        The limiter is the runtime's, shared by all its tasks and built from the root
        authority's `max_concurrent_requests`, `max_queued_requests` and
        `max_requests_per_minute`: lower values in a narrowed authority are not applied per task.
        Past a limit the request is denied at once with `FetchDenied` (reason `rate_limited`).
        """
        self._check_deadline()
        if _cancel_pending():
            await asyncio.sleep(0)  # takes delivery: nothing is sent for a cancelled task
        state = self._state
        meter = state.meter
        if meter is not None:
            try:
                meter.reserve_fetch()
            except BudgetExceeded as exceeded:
                raise self._report(exceeded) from None
        services = self._services
        call = authorized_fetch(
            self._authority,
            services.fetch_host,
            services.diagnostics,
            url,
            method=method,
            headers=headers,
            body=body,
            credentials=credentials,
            timeout=timeout,
            context={"region": event_id(state.region), "task": event_id(state.name)},
            limiter=services.request_limiter,
        )
        if meter is None:
            return await call
        if meter.deadline_at is None:
            response = await call
        else:
            try:
                async with asyncio.timeout_at(meter.deadline_at) as window:
                    response = await call
            except TimeoutError:
                if window.expired():
                    raise self._report(meter.deadline_error(services.loop.time())) from None
                raise
        try:
            meter.charge_bytes(response.body_size)
        except BudgetExceeded as exceeded:
            raise self._report(exceeded) from None
        return response

    async def _call_tool(self, name: str, args: Mapping[str, Any]) -> Any:
        """A tool call, bounded by the deadline budget like a fetch (`CxTools.call`)."""
        state = self._state
        meter = state.meter
        if meter is not None and meter.deadline_at is not None:
            self._check_deadline()
        if _cancel_pending():
            await asyncio.sleep(0)  # takes delivery: nothing is sent for a cancelled task
        services = self._services
        call = authorized_tool_call(
            self._tools,
            services.tool_host if services.tool_host is not None else NoToolHost(),
            services.diagnostics,
            name,
            args,
            context=self._tool_event_context(state),
        )
        if meter is None or meter.deadline_at is None:
            return await call
        try:
            async with asyncio.timeout_at(meter.deadline_at) as window:
                return await call
        except TimeoutError:
            if window.expired():
                raise self._report(meter.deadline_error(services.loop.time())) from None
            raise

    def _tool_event_context(self, state: TaskState) -> dict[str, object]:
        """The region and task fields of this task's tool events, made again only when the
        task has moved to another region."""
        held = self._event_context
        if held is None or held[0] is not state.region:
            held = self._event_context = (
                state.region,
                {"region": event_id(state.region), "task": event_id(state.name)},
            )
        return held[1]

    def _check_deadline(self) -> None:
        meter = self._state.meter
        if meter is None or meter.deadline_at is None:
            return
        now = self._services.loop.time()
        if now >= meter.deadline_at:
            raise self._report(meter.deadline_error(now))

    def _report(self, exceeded: BudgetExceeded) -> BudgetExceeded:
        """Emit `budget.exceeded` for an exhausted budget; returns it for the caller to raise."""
        self._services.event(
            "budget.exceeded",
            "warn",
            region=event_id(exceeded.region),
            task=event_id(self._state.name),
            budget=exceeded.kind,
        )
        return exceeded

    def __repr__(self) -> str:
        return f"<Cx task={self._state.name!r} region={self._state.region!r}>"


class CxTools:
    """The tools of one `Cx`. The tool's name is data, as a URL is to `cx.fetch`: the grant
    decides on it, names that clash with Python attributes are fine, and type checkers see one
    method rather than attributes made up at run time."""

    __slots__ = ("_cx",)

    def __init__(self, cx: Cx) -> None:
        self._cx = cx

    @property
    def names(self) -> frozenset[str]:
        """The names this task may call."""
        return self._cx._tools.names

    def call(self, name: str, /, **args: Any) -> Coroutine[Any, Any, Any]:
        """Call tool `name` with `args` as a JSON object; await it for its JSON result.

        The order is a checkpoint (cancellation, deadline), then this task's grant and the JSON
        bounds (`ToolNotGranted`, `ToolDenied`: nothing is sent), then the page, which checks
        again and applies the tool's timeout and rate limit. Cancelling the task aborts the call
        and fires the tool's AbortSignal. A tool that raises gives `ToolFailed` with its message.
        Nothing happens until the returned coroutine is awaited (it is the call itself, with no
        wrapper around it).
        """
        return self._cx._call_tool(name, args)

    def __repr__(self) -> str:
        return f"<CxTools {sorted(self.names)}>"


def _cancel_pending() -> bool:
    """Whether the running task has a cancellation asyncio has not delivered yet.

    Every fetch suspends on its host, so yielding first only matters when a cancellation is
    waiting: then the yield delivers it before anything is sent. Where the task does not say
    (another asyncio implementation), assume one is pending and yield, as a checkpoint would.
    """
    task = asyncio.current_task()
    return task is None or bool(getattr(task, "_must_cancel", True))
