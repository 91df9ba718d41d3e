"""LabLoop: a pure-Python asyncio event loop with virtual time and seeded scheduling.

It runs anywhere Python runs, including synchronously inside Pyodide, where the browser's own
loop cannot block. Each iteration runs one callback:

* plain callbacks (future callbacks, timers' actions) run first, in the order they were queued;
* then one task step, chosen among the ready ones by the seeded generator; the chosen task's
  name is appended to the trace;
* when nothing is ready, virtual time jumps to the next timer.

Choosing only among task steps keeps the trace about tasks, and keeps it independent of how many
internal callbacks a given Python version's asyncio queues.
"""

from __future__ import annotations

import asyncio
import contextvars
import heapq
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Generator
from contextlib import contextmanager
from typing import Any

from browser_rt.lab.errors import LabStall
from browser_rt.lab.rng import SplitMix64
from browser_rt.lab.trace import Trace

_log = logging.getLogger("browser_rt.lab")
_MIN_PRUNE = 1024
"""Finished tasks are dropped from the loop's list once it doubles past this size."""


class LabLoop(asyncio.AbstractEventLoop):
    """A deterministic event loop: the same seed and program give the same schedule."""

    def __init__(self, seed: int, trace: Trace, *, max_steps: int) -> None:
        self._rng = SplitMix64(seed)
        self._trace = trace
        self._max_steps = max_steps
        self._now = 0.0
        self._callbacks: deque[asyncio.Handle] = deque()
        self._ready_steps: list[tuple[asyncio.Handle, asyncio.Task[Any]]] = []
        self._timers: list[tuple[float, int, asyncio.TimerHandle, asyncio.Task[Any] | None]] = []
        self._timer_seq = 0
        self._task_seq = 0
        self._tasks: list[asyncio.Task[Any]] = []
        self._prune_at = _MIN_PRUNE
        self._running = False
        self._closed = False
        self._exception_handler: Any = None
        self.steps = 0
        """Task steps run so far (the unit the seed chooses)."""
        self.loop_errors: list[str] = []
        """Messages of errors reported to the loop's exception handler (never-retrieved errors...)."""

    # -- time -------------------------------------------------------------------------------

    def time(self) -> float:
        return self._now

    # -- scheduling -------------------------------------------------------------------------

    def call_soon[*Ts](
        self, callback: Callable[[*Ts], object], *args: *Ts, context: contextvars.Context | None = None
    ) -> asyncio.Handle:
        self._check_open()
        handle = asyncio.Handle(callback, args, self, context)
        self._enqueue(handle, _task_of(callback))
        return handle

    def call_soon_threadsafe[*Ts](
        self, callback: Callable[[*Ts], object], *args: *Ts, context: contextvars.Context | None = None
    ) -> asyncio.Handle:
        return self.call_soon(callback, *args, context=context)

    def call_later[*Ts](
        self,
        delay: float,
        callback: Callable[[*Ts], object],
        *args: *Ts,
        context: contextvars.Context | None = None,
    ) -> asyncio.TimerHandle:
        return self.call_at(self._now + delay, callback, *args, context=context)

    def call_at[*Ts](
        self,
        when: float,
        callback: Callable[[*Ts], object],
        *args: *Ts,
        context: contextvars.Context | None = None,
    ) -> asyncio.TimerHandle:
        self._check_open()
        handle = asyncio.TimerHandle(when, callback, args, self, context)
        self._timer_seq += 1
        heapq.heappush(self._timers, (when, self._timer_seq, handle, _task_of(callback)))
        return handle

    def _timer_handle_cancelled(self, handle: asyncio.TimerHandle) -> None:
        """Cancelled timers are dropped lazily when they reach the front of the heap."""

    def _enqueue(self, handle: asyncio.Handle, task: asyncio.Task[Any] | None) -> None:
        if task is None:
            self._callbacks.append(handle)
        else:
            self._ready_steps.append((handle, task))

    # -- futures and tasks ------------------------------------------------------------------

    def create_future(self) -> asyncio.Future[Any]:
        return asyncio.Future(loop=self)

    def create_task[T](
        self,
        coro: Coroutine[Any, Any, T],
        *,
        name: str | None = None,
        context: contextvars.Context | None = None,
    ) -> asyncio.Task[T]:
        self._check_open()
        self._task_seq += 1
        task = asyncio.Task(coro, loop=self, name=name or f"task-{self._task_seq}", context=context)
        self._tasks.append(task)
        if len(self._tasks) >= self._prune_at:
            self.pending_tasks()
            self._prune_at = max(_MIN_PRUNE, 2 * len(self._tasks))
        return task

    def pending_tasks(self) -> list[asyncio.Task[Any]]:
        """Tasks created on this loop that have not finished, oldest first."""
        self._tasks = [task for task in self._tasks if not task.done()]
        return list(self._tasks)

    # -- running ----------------------------------------------------------------------------

    def run_until_complete[T](self, future: Awaitable[T]) -> T:
        """Run until `future` is done; `LabStall` if nothing can run or this call passes the step limit."""
        self._check_open()
        if self._running:
            raise RuntimeError("the lab loop is already running")
        task = asyncio.ensure_future(future, loop=self)
        limit = self.steps + self._max_steps
        with self._as_running_loop():
            while not task.done():
                if not self._run_once():
                    raise LabStall(self._stall_message("deadlock: no task can run and no timer is pending"))
                if self.steps > limit:
                    raise LabStall(self._stall_message(f"step limit: more than {self._max_steps} task steps"))
        return task.result()

    def run_nested[T](self, awaitable: Awaitable[T], *, name: str | None = None) -> T:
        """Run the loop from inside one of its own task steps until `awaitable` is done.

        This is the lab's counterpart of `pyodide.ffi.run_sync` (JSPI) in the browser: a
        synchronous call (requests, urllib3) blocks its task while the other tasks and the
        scripted host go on. The blocked task is set aside while they run and restored after;
        it is not scheduled meanwhile, because it is still inside its step. Same seed, same
        nested schedule, so traces stay identical on CPython and in Pyodide. A wait that only
        the blocked task could end is a deadlock (`LabStall`), as a real blocking call would be.
        """
        if not self._running:
            raise RuntimeError("run_nested: the lab loop is not running; use run_until_complete")
        if asyncio.iscoroutine(awaitable):
            task: asyncio.Future[T] = self.create_task(awaitable, name=name)
        else:
            task = asyncio.ensure_future(awaitable, loop=self)
        outer = asyncio.current_task(self)
        if outer is not None:
            asyncio.tasks._leave_task(self, outer)
        limit = self.steps + self._max_steps
        try:
            while not task.done():
                if not self._run_once():
                    raise LabStall(self._stall_message("deadlock in a synchronous wait: nothing can run"))
                if self.steps > limit:
                    raise LabStall(self._stall_message(f"step limit: more than {self._max_steps} task steps"))
        finally:
            if outer is not None:
                asyncio.tasks._enter_task(self, outer)
        return task.result()

    def _run_once(self) -> bool:
        timers = self._timers
        now = self._now
        while timers and timers[0][0] <= now:
            _, _, timer, owner = heapq.heappop(timers)
            if not timer.cancelled():
                self._enqueue(timer, owner)
        if self._callbacks:
            handle = self._callbacks.popleft()
            if not handle.cancelled():
                handle._run()
            return True
        ready = self._ready_steps
        if ready:
            count = len(ready)
            index = self._rng.below(count) if count > 1 else 0
            step, task = ready[index]
            ready[index] = ready[-1]
            ready.pop()
            if not step.cancelled():
                self.steps += 1
                self._trace.lines.append(task.get_name())
                step._run()
            return True
        while timers and timers[0][2].cancelled():
            heapq.heappop(timers)
        if timers:
            self._now = timers[0][0]
            return True
        return False

    @contextmanager
    def _as_running_loop(self) -> Generator[None]:
        """Make this the running loop, stepping aside any loop (and task) already running here.

        Inside Pyodide a synchronous test runs within a task of the browser's loop; asyncio
        allows one running task per thread, so that task is set aside and restored afterwards.
        """
        outer_loop = asyncio.events._get_running_loop()
        outer_task = asyncio.current_task(outer_loop) if outer_loop is not None else None
        if outer_loop is not None and outer_task is not None:
            asyncio.tasks._leave_task(outer_loop, outer_task)
        asyncio.events._set_running_loop(self)
        self._running = True
        try:
            yield
        finally:
            self._running = False
            asyncio.events._set_running_loop(outer_loop)
            if outer_loop is not None and outer_task is not None:
                asyncio.tasks._enter_task(outer_loop, outer_task)

    def _stall_message(self, what: str) -> str:
        waiting = ", ".join(task.get_name() for task in self.pending_tasks()) or "none"
        return f"{what} at virtual time {self._now:.6f}s; unfinished tasks: {waiting}"

    def is_running(self) -> bool:
        return self._running

    def is_closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        if self._running:
            raise RuntimeError("cannot close the lab loop while it runs")
        self._closed = True
        self._callbacks.clear()
        self._ready_steps.clear()
        self._timers.clear()

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the lab loop is closed")

    async def shutdown_asyncgens(self) -> None:
        """Async generators are finalized by the interpreter; the lab keeps no registry of them."""

    async def shutdown_default_executor(self, timeout: float | None = None) -> None:
        """The lab has no executor."""

    # -- errors and debug -------------------------------------------------------------------

    def get_exception_handler(self) -> Any:
        return self._exception_handler

    def set_exception_handler(self, handler: Any) -> None:
        self._exception_handler = handler

    def default_exception_handler(self, context: dict[str, Any]) -> None:
        message = str(context.get("message") or "unhandled error in the lab loop")
        error = context.get("exception")
        if error is not None:
            message = f"{message}: {type(error).__name__}: {error}"
        self.loop_errors.append(message)
        _log.error("%s", message)

    def call_exception_handler(self, context: dict[str, Any]) -> None:
        if self._exception_handler is None:
            self.default_exception_handler(context)
        else:
            self._exception_handler(self, context)

    def get_debug(self) -> bool:
        return False

    def set_debug(self, enabled: bool) -> None:
        if enabled:
            raise ValueError("the lab loop has no debug mode")


def _task_of(callback: object) -> asyncio.Task[Any] | None:
    """The task a callback steps or wakes (a bound method of the task), else None."""
    owner = getattr(callback, "__self__", None)
    return owner if isinstance(owner, asyncio.Task) else None
