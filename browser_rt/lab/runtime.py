"""LabRuntime: run browser_rt programs deterministically, check the oracles, explain replays."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from browser_rt.cap import Cx
from browser_rt.diagnostics import Diagnostics, MemorySink
from browser_rt.lab.errors import LabOracleError, LabStall
from browser_rt.lab.host import ScriptedFetchHost
from browser_rt.lab.loop import LabLoop
from browser_rt.lab.oracles import Oracles
from browser_rt.lab.rng import MAX_SEED
from browser_rt.lab.tools import ScriptedToolHost
from browser_rt.lab.trace import Trace
from browser_rt.policy import FetchAuthority
from browser_rt.runtime import DEFAULT_CLEANUP_SECONDS, Runtime
from browser_rt.tools import ToolGrant

DEFAULT_MAX_STEPS = 1_000_000
"""Task steps one run may take before it counts as a livelock."""

EVENT_CAPACITY = 100_000


class LabRuntime:
    """A deterministic runtime for tests: virtual time, a seeded schedule, a scripted network.

        lab = LabRuntime(seed=3)
        lab.fetch_host.respond("https://api.example.com/x", body=b"{}", delay=0.05)
        lab.tool_host.respond("search", lambda args: [args["query"]], delay=0.01)
        result = lab.run(main, authority=FetchAuthority.from_dict({"origins": [...]}))
        lab.fingerprint      # the same for seed 3 on every runtime

    `run` fails with `LabOracleError` when an oracle fails (the message says how to replay);
    any other error from the program passes through with a replay note added.
    """

    def __init__(
        self, seed: int = 0, *, max_steps: int = DEFAULT_MAX_STEPS, replay: str | None = None
    ) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
            raise ValueError(f"lab seed must be an int from 0 to 2**64-1, got {seed!r}")
        if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 1:
            raise ValueError(f"max_steps must be a positive int, got {max_steps!r}")
        self.seed = seed
        self.replay = replay if replay is not None else f"LabRuntime(seed={seed})"
        """How to rerun this exact schedule; the pytest plugin sets it to a command line."""
        self.trace = Trace()
        self.loop = LabLoop(seed, self.trace, max_steps=max_steps)  # type: ignore[abstract]
        self.fetch_host = ScriptedFetchHost(self.trace, self.loop.time)
        self.tool_host = ScriptedToolHost(self.trace, self.loop.time)
        self.events = MemorySink(capacity=EVENT_CAPACITY)
        """Redacted diagnostics records of runs that used the lab's own `diagnostics`."""
        context: dict[str, object] = {"seed": seed} if replay is None else {"seed": seed, "replay": replay}
        self.diagnostics = Diagnostics(sinks=[self.events], clock=self.loop.time).bind(**context)
        self._oracles = Oracles(self.trace, self.loop.time)

    @property
    def now(self) -> float:
        """Virtual time in seconds since the lab started."""
        return self.loop.time()

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the trace: equal fingerprints mean the same schedule and effects."""
        return self.trace.fingerprint()

    def run[T](
        self,
        main: Callable[[Cx], Coroutine[Any, Any, T]],
        *,
        authority: FetchAuthority,
        diagnostics: Diagnostics | None = None,
        cleanup: float = DEFAULT_CLEANUP_SECONDS,
        tools: ToolGrant | None = None,
    ) -> T:
        """Run `main(cx)` under browser_rt's runtime with the scripted hosts, then check oracles.

        `tools` is the grant main's `Cx` gets (none by default); its calls reach `tool_host`.
        """
        runtime = Runtime(
            authority=authority,
            fetch_host=self.fetch_host,
            tools=tools,
            tool_host=self.tool_host,
            diagnostics=diagnostics if diagnostics is not None else self.diagnostics,
            observer=self._oracles,
            cleanup=cleanup,
        )
        return self.run_until_complete(runtime.run(main))

    def run_until_complete[T](self, awaitable: Awaitable[T]) -> T:
        """Run any awaitable on the lab loop (plain asyncio code too), then check oracles."""
        failure: BaseException | None = None
        try:
            result = self.loop.run_until_complete(awaitable)
        except LabStall as stall:
            failure = stall
            self._oracles.violations.append(str(stall))
        except BaseException as error:
            failure = error
        self._check_orphans()
        violations = [*self._oracles.violations, *(f"loop error: {m}" for m in self.loop.loop_errors)]
        self._oracles.violations.clear()
        self.loop.loop_errors.clear()
        if violations:
            raise LabOracleError(violations, seed=self.seed, replay=self.replay) from failure
        if failure is not None:
            failure.add_note(f"lab seed {self.seed}; replay: {self.replay}")
            raise failure
        return result

    def _check_orphans(self) -> None:
        """Tasks still pending after a run are orphans: report them, then cancel and drain them."""
        orphans = self.loop.pending_tasks()
        if not orphans:
            return
        names = ", ".join(task.get_name() for task in orphans)
        self._oracles.violations.append(f"orphans: tasks still pending when the run ended: {names}")
        for task in orphans:
            task.cancel("orphaned by the end of a lab run")
        try:
            self.loop.run_until_complete(_settle(orphans))
        except LabStall as stall:
            self._oracles.violations.append(f"orphans would not finish after cancellation: {stall}")

    def close(self) -> None:
        self.loop.close()


async def _settle(tasks: list[asyncio.Task[Any]]) -> None:
    """Wait for tasks whatever their outcome; a coroutine so `gather` binds to the lab's loop."""
    await asyncio.gather(*tasks, return_exceptions=True)
