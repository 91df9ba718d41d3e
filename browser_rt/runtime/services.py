"""What every task of one runtime shares: the loop, the fetch host and its request limiter,
the tool host, diagnostics, task names.

Kept apart from `Cx` so that spawning a task copies three references, not a dozen.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from browser_rt.diagnostics import Diagnostics
    from browser_rt.fetch import FetchHost, RequestLimiter
    from browser_rt.runtime.obligation import Obligation
    from browser_rt.runtime.region import Region
    from browser_rt.tools import ToolHost

DEFAULT_CLEANUP_SECONDS = 1.0
"""How long a cancelled region waits for its tasks' cleanup before it reports an overrun."""

_MAX_EVENT_ID = 64
_MAX_CACHED_NAMES = 1024
_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9_.]")


class RuntimeObserver(Protocol):
    """Hooks for a runtime that watches the structure of a run (the lab uses them for its oracles)."""

    def note(self, kind: str, detail: str) -> None:
        """An effect worth a line in a trace: a cancel request, a commit, an emitted event."""

    def task_spawned(self, region: Region, task: asyncio.Task[Any]) -> None:
        """A region started a child task."""

    def region_closed(self, region: Region) -> None:
        """A region finished draining; every task it spawned should be done."""

    def race_settled(self, region: Region, losers: Sequence[asyncio.Task[Any]]) -> None:
        """A race returned or failed; every loser should be done."""

    def obligation_leaked(self, obligation: Obligation) -> None:
        """A task ended with an obligation still pending."""


class Services:
    """One runtime's shared parts. Task names come from a counter, so a lab replay names them alike."""

    __slots__ = (
        "_safe_names",
        "_task_counter",
        "cleanup",
        "diagnostics",
        "fetch_host",
        "loop",
        "observer",
        "request_limiter",
        "tool_host",
    )

    def __init__(
        self,
        *,
        loop: asyncio.AbstractEventLoop,
        fetch_host: FetchHost,
        diagnostics: Diagnostics,
        observer: RuntimeObserver | None,
        cleanup: float,
        request_limiter: RequestLimiter | None = None,
        tool_host: ToolHost | None = None,
    ) -> None:
        self.loop = loop
        self.fetch_host = fetch_host
        self.tool_host = tool_host
        """Performs the tool calls every task's grant allows (None: the runtime has no host)."""
        self.request_limiter = request_limiter
        """The runtime's one limiter, which every task's fetch passes (None: no limits)."""
        self.diagnostics = diagnostics
        self.observer = observer
        self.cleanup = cleanup
        self._task_counter = 0
        self._safe_names: dict[str, str] = {}

    def task_name(self, fn: object) -> str:
        """`<function name>-<n>`, limited to characters every diagnostics sink accepts."""
        self._task_counter += 1
        base = getattr(fn, "__name__", None)
        if not isinstance(base, str) or not base:
            return f"task-{self._task_counter}"
        text = self._safe_names.get(base)
        if text is None:
            text = _UNSAFE_NAME_CHARS.sub("_", base)[:40]
            if len(self._safe_names) < _MAX_CACHED_NAMES:
                self._safe_names[base] = text
        return f"{text}-{self._task_counter}"

    def event(self, type_: str, severity: str, **fields: object) -> None:
        """Emit a diagnostics event and, when observed, note it in the trace."""
        self.diagnostics.emit(type_, severity=severity, **fields)
        if self.observer is not None:
            self.observer.note(type_, " ".join(f"{key}={value}" for key, value in fields.items()))

    def note(self, kind: str, detail: str) -> None:
        """A trace-only effect; free when nothing observes the run."""
        if self.observer is not None:
            self.observer.note(kind, detail)


def event_id(name: str) -> str:
    """A region or task name short enough for an event field; long paths keep their tail."""
    if len(name) <= _MAX_EVENT_ID:
        return name
    return "_" + name[-(_MAX_EVENT_ID - 1) :]


def check_seconds(what: str, value: object) -> float:
    """A finite, non-negative number of seconds, or an error naming `what`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{what}: expected seconds as a number, got {type(value).__name__}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{what}: expected finite seconds >= 0, got {value!r}")
    return float(value)
