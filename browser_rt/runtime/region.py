"""Regions: structured concurrency with bounded, reported cancellation.

A region is an `async with` block that owns the tasks it spawns. It follows `asyncio.TaskGroup`:
closing waits for every child (quiescence), a failing child cancels its siblings and the body,
and errors surface together as an `ExceptionGroup`. On top of that it adds:

* cancellation as request -> drain -> finalize: children are asked to cancel (asyncio delivers
  the `CancelledError` at their next await), the region waits up to its cleanup budget, then
  reports every child still running as a `cancel.overrun` event and cancels it again. It keeps
  waiting after that: a region never returns with a child still running.
* obligation accounting: a child that ends with a pending obligation fails with `ObligationLeak`.
* budgets: a region given a `Budget` meters every fetch made inside it.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable, Coroutine
from types import CoroutineType, TracebackType
from typing import TYPE_CHECKING, Any, Literal, cast

from browser_rt.runtime.budget import Budget, BudgetMeter
from browser_rt.runtime.context import context_with
from browser_rt.runtime.obligation import Obligation, ObligationLeak
from browser_rt.runtime.services import event_id
from browser_rt.runtime.task import TaskState

if TYPE_CHECKING:
    from browser_rt.runtime.cx import Cx

Phase = Literal["new", "open", "exiting", "closed"]

_NAME_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:-]{0,47}")


def check_region_name(name: object) -> str:
    """The name, if it fits in event fields and region paths; else a ValueError saying what fits."""
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise ValueError(
            f"region name {name!r}: use 1-48 letters, digits, '_', '.', ':' or '-', not starting "
            "with '.', ':' or '-' (the name appears in diagnostics events)"
        )
    return name


class Region:
    """A scope that owns tasks. Open it with `async with cx.region(name) as r:`."""

    def __init__(self, opener: Cx, name: str, *, budget: Budget | None, cleanup: float) -> None:
        self.name = check_region_name(name)
        self.path = f"{opener.region_path}/{name}"
        self._opener = opener
        self._services = opener._services
        self._requested_budget = budget
        self._cleanup = cleanup
        self._meter: BudgetMeter | None = opener._state.meter
        self._outer_scope: tuple[str, BudgetMeter | None] = (opener.region_path, self._meter)
        self._phase: Phase = "new"
        self._live: dict[asyncio.Task[Any], TaskState] = {}
        self._errors: list[BaseException] = []
        self._base_error: BaseException | None = None
        self._aborting = False
        self._host: asyncio.Task[Any] | None = None
        self._host_cancel_requested = False
        self._drained: asyncio.Future[None] | None = None
        self._finalizer: asyncio.TimerHandle | None = None
        self._cleanup_deadline = 0.0
        self._overrun: dict[asyncio.Task[Any], None] = {}
        self.obligations: list[Obligation] = []
        """Every obligation opened by this region's children, in the order they were opened."""

    # -- lifecycle --------------------------------------------------------------------------

    async def __aenter__(self) -> Region:
        if self._phase != "new":
            raise RuntimeError(f"region {self.path!r} was already entered; open a new one")
        loop = self._services.loop
        host = asyncio.current_task(loop)
        if host is None:
            raise RuntimeError(f"region {self.path!r} must be entered from a task")
        self._host = host
        if self._requested_budget is not None:
            self._meter = BudgetMeter(
                self._requested_budget, region=self.path, now=loop.time(), parent=self._meter
            )
        state = self._opener._state
        self._outer_scope = (state.region, state.meter)
        state.region, state.meter = self.path, self._meter
        self._phase = "open"
        self._services.note("region.open", self.path)
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        try:
            return await self._close(et, exc)
        finally:
            state = self._opener._state
            state.region, state.meter = self._outer_scope

    async def _close(self, et: type[BaseException] | None, exc: BaseException | None) -> bool:
        self._phase = "exiting"
        host = self._host
        assert host is not None
        if exc is not None and _is_base_error(exc) and self._base_error is None:
            self._base_error = exc
        cancelled_body = et is not None and issubclass(et, asyncio.CancelledError)
        propagate_cancel: BaseException | None = exc if cancelled_body else None
        if et is not None and not self._aborting:
            self._abort("the region body raised" if not cancelled_body else "the region was cancelled")

        while self._live:
            self._drained = self._services.loop.create_future()
            try:
                await self._drained
            except asyncio.CancelledError as cancel:
                if not self._aborting:
                    propagate_cancel = cancel
                    self._abort("the task waiting on the region was cancelled")
            self._drained = None

        if self._finalizer is not None:
            self._finalizer.cancel()
            self._finalizer = None
        self._phase = "closed"
        self._services.note("region.close", self.path)
        observer = self._services.observer
        if observer is not None:
            observer.region_closed(self)

        if self._base_error is not None:
            raise self._base_error
        if self._host_cancel_requested:
            if not cancelled_body:
                await _consume_pending_cancel()
            if host.uncancel() == 0:
                propagate_cancel = None
            elif propagate_cancel is None:
                propagate_cancel = asyncio.CancelledError()
        if et is not None and not cancelled_body and exc is not None:
            self._errors.append(exc)
        if self._errors:
            errors, self._errors = self._errors, []
            if host.cancelling():
                host.uncancel()
                host.cancel()
            raise BaseExceptionGroup(f"unhandled errors in region {self.path!r}", errors) from None
        if propagate_cancel is not None:
            raise propagate_cancel
        return cancelled_body

    # -- spawning ---------------------------------------------------------------------------

    def spawn[T](self, fn: Callable[..., Coroutine[Any, Any, T]], *args: object) -> asyncio.Task[T]:
        """Start `fn(child_cx, *args)` as a child task and return its asyncio task."""
        if self._aborting or self._phase != "open":
            self._check_accepting("spawn")
        if not callable(fn):
            raise TypeError(f"region {self.path!r}: spawn needs an async function, got {type(fn).__name__}")
        services = self._services
        state = TaskState(services.task_name(fn), self.path, self._meter)
        child = self._opener._child(state)
        coro = fn(child, *args)
        if type(coro) is not CoroutineType and not asyncio.iscoroutine(coro):
            raise TypeError(
                f"region {self.path!r}: {getattr(fn, '__qualname__', repr(fn))}(cx, ...) returned "
                f"{type(coro).__name__}, not a coroutine; spawn takes an async function"
            )
        task = services.loop.create_task(coro, name=state.name, context=context_with(child))
        self._live[task] = state
        if task.done():
            self._on_child_done(task)
        else:
            task.add_done_callback(self._on_child_done)
        if services.observer is not None:
            services.observer.task_spawned(self, task)
        return task

    def _check_accepting(self, what: str) -> None:
        if self._phase == "new":
            raise RuntimeError(f"region {self.path!r} is not open: {what} inside `async with cx.region(...)`")
        if self._phase == "closed" or (self._phase == "exiting" and not self._live):
            raise RuntimeError(f"region {self.path!r} is closed: cannot {what}")
        if self._aborting:
            raise RuntimeError(f"region {self.path!r} is cancelling its tasks: cannot {what}")

    # -- racing -----------------------------------------------------------------------------

    async def race[T](self, *fns: Callable[[Cx], Coroutine[Any, Any, T]]) -> T:
        """Run each `fn(cx)` as a child; return the first result, after cancelling and draining
        the others. A contender that raises fails the race like a failing child fails a region."""
        self._check_accepting("race")
        if asyncio.current_task(self._services.loop) is not self._host:
            raise RuntimeError(
                f"region {self.path!r}: race must be awaited by the task that opened the region"
            )
        if not fns:
            raise ValueError(f"region {self.path!r}: race needs at least one contender")
        arena: _RaceRegion[T] = _RaceRegion(self._opener, "race", cleanup=self._cleanup)
        try:
            async with arena:
                for fn in fns:
                    arena.spawn(fn)
        finally:
            observer = self._services.observer
            if observer is not None:
                observer.race_settled(arena, arena.losers())
        return arena.result()

    # -- cancellation -----------------------------------------------------------------------

    def cancel(self, reason: str = "cancelled") -> None:
        """Request cancellation of every child and of the region body. The region absorbs the
        resulting `CancelledError`, so code after the `async with` block carries on."""
        if self._phase == "new":
            raise RuntimeError(f"region {self.path!r} is not open: cannot cancel it")
        if self._phase == "closed":
            return
        if not self._aborting:
            self._abort(reason)
        self._cancel_host(reason)

    @property
    def cancelling(self) -> bool:
        """True once the region has asked its children to cancel."""
        return self._aborting

    @property
    def budget(self) -> Budget:
        """What is left for work in this region: its own limits clamped by every enclosing one."""
        if self._meter is None:
            return Budget()
        return self._meter.effective(self._services.loop.time())

    def _abort(self, reason: str) -> None:
        self._aborting = True
        loop = self._services.loop
        self._cleanup_deadline = loop.time() + self._cleanup
        for task, state in list(self._live.items()):
            if not task.done():
                self._services.note("cancel.request", f"{state.name} {reason}")
                task.cancel(reason)
        if self._live and self._finalizer is None:
            self._finalizer = loop.call_at(self._cleanup_deadline, self._finalize)

    def _cancel_host(self, reason: str) -> None:
        host = self._host
        if host is not None and self._phase == "open" and not self._host_cancel_requested:
            self._host_cancel_requested = True
            host.cancel(reason)

    def _finalize(self) -> None:
        """The cleanup budget ran out: report every child still running and cancel it again."""
        self._finalizer = None
        services = self._services
        overrun_ms = max(0.0, services.loop.time() - self._cleanup_deadline) * 1000.0
        for task, state in list(self._live.items()):
            if task.done():
                continue
            self._overrun[task] = None
            services.event(
                "cancel.overrun",
                "error",
                region=event_id(self.path),
                task=event_id(state.name),
                budget_ms=self._cleanup * 1000.0,
                overrun_ms=overrun_ms,
            )
            task.cancel(f"cleanup budget of region {self.path!r} ran out")

    # -- completion -------------------------------------------------------------------------

    def _on_child_done(self, task: asyncio.Task[Any]) -> None:
        state = self._live.pop(task)
        if self._drained is not None and not self._live and not self._drained.done():
            self._drained.set_result(None)
        services = self._services
        if task in self._overrun:
            del self._overrun[task]
            services.event(
                "cancel.overrun_finished",
                "warn",
                region=event_id(self.path),
                task=event_id(state.name),
                budget_ms=self._cleanup * 1000.0,
                overrun_ms=max(0.0, services.loop.time() - self._cleanup_deadline) * 1000.0,
            )
        failed = False
        if not task.cancelled():
            error = task.exception()
            if error is not None:
                failed = True
                self._errors.append(error)
                if _is_base_error(error) and self._base_error is None:
                    self._base_error = error
        if state.obligations is not None:
            self.obligations.extend(state.obligations)
            for obligation in state.leaked_obligations():
                failed = True
                self._report_leak(obligation)
        if failed:
            self._child_failed(task)
        elif not task.cancelled():
            self._child_returned(task)

    def _report_leak(self, obligation: Obligation) -> None:
        self._errors.append(ObligationLeak(obligation))
        services = self._services
        services.event(
            "obligation.leak",
            "error",
            region=event_id(self.path),
            task=event_id(obligation.task),
            obligation=event_id(obligation.name),
        )
        if services.observer is not None:
            services.observer.obligation_leaked(obligation)

    def _child_failed(self, task: asyncio.Task[Any]) -> None:
        host = self._host
        if host is None or host.done():
            self._services.loop.call_exception_handler(
                {"message": f"task {task.get_name()!r} failed after region {self.path!r} ended", "task": task}
            )
            return
        if not self._aborting:
            self._abort(f"sibling {task.get_name()} failed")
            self._cancel_host(f"child {task.get_name()} failed")

    def _child_returned(self, task: asyncio.Task[Any]) -> None:
        """A child finished normally; plain regions need nothing more."""

    def __repr__(self) -> str:
        return f"<Region {self.path!r} {self._phase} live={len(self._live)}>"


class _RaceRegion[T](Region):
    """The hidden region of one `race`: the first child to return wins and the rest are cancelled."""

    def __init__(self, opener: Cx, name: str, *, cleanup: float) -> None:
        super().__init__(opener, name, budget=None, cleanup=cleanup)
        self._contenders: list[asyncio.Task[Any]] = []
        self._winner: asyncio.Task[Any] | None = None

    def spawn(self, fn: Callable[..., Coroutine[Any, Any, Any]], *args: object) -> asyncio.Task[Any]:
        task = super().spawn(fn, *args)
        self._contenders.append(task)
        return task

    def _child_returned(self, task: asyncio.Task[Any]) -> None:
        if self._winner is None:
            self._winner = task
            if not self._aborting:
                self._abort(f"{task.get_name()} won the race")

    def losers(self) -> list[asyncio.Task[Any]]:
        return [task for task in self._contenders if task is not self._winner]

    def result(self) -> T:
        if self._winner is None:
            raise RuntimeError(f"race in {self.path!r} ended without a winner: every contender was cancelled")
        return cast(T, self._winner.result())


def _is_base_error(error: BaseException) -> bool:
    return isinstance(error, (SystemExit, KeyboardInterrupt))


async def _consume_pending_cancel() -> None:
    """Take delivery of a cancellation the region requested but the body never awaited."""
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.sleep(0)
