"""The lab's oracles: invariants checked while the runtime runs, reported with the seed.

* quiescence: when a region closes, every task it spawned is done;
* race loser drain: when a race settles, every loser is done;
* obligation leaks: no task ends with an obligation pending (even if the program swallowed
  the `ObligationLeak`);
* no orphans (checked by `LabRuntime`): no task is still pending when the run ends.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from browser_rt.lab.trace import Trace
from browser_rt.runtime import Obligation, Region


class Oracles:
    """A `RuntimeObserver` that writes the runtime's effects to the trace and checks invariants."""

    def __init__(self, trace: Trace, clock: Callable[[], float]) -> None:
        self._trace = trace
        self._clock = clock
        self._spawned: dict[Region, list[asyncio.Task[Any]]] = {}
        self.violations: list[str] = []

    def note(self, kind: str, detail: str) -> None:
        self._trace.effect(self._clock(), kind, detail)

    def task_spawned(self, region: Region, task: asyncio.Task[Any]) -> None:
        self._spawned.setdefault(region, []).append(task)

    def region_closed(self, region: Region) -> None:
        running = _unfinished(self._spawned.pop(region, []))
        if running:
            self.violations.append(f"quiescence: region {region.path!r} closed while {running} still ran")

    def race_settled(self, region: Region, losers: Sequence[asyncio.Task[Any]]) -> None:
        running = _unfinished(losers)
        if running:
            self.violations.append(
                f"race loser drain: race in {region.path!r} settled while {running} still ran"
            )

    def obligation_leaked(self, obligation: Obligation) -> None:
        self.violations.append(
            f"obligation leak: {obligation.name!r} of task {obligation.task!r} "
            f"in region {obligation.region!r}"
        )


def _unfinished(tasks: Sequence[asyncio.Task[Any]]) -> str:
    return ", ".join(task.get_name() for task in tasks if not task.done())
