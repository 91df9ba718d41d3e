"""ScriptedToolHost: the lab's stand-in for the page's tool bridge, driven by a script.

Calls reach it only through a task's grant (`cx.tools.call`), as they reach the page. It acts
like the bridge where a program can tell: answers take virtual time, the tool's `timeout_ms`
applies, a failure carries the scripted message, and cancelling the awaiting task aborts the
call, which is recorded in `aborted`. So code that calls tools replays from a seed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from browser_rt.lab.script_rules import scripted_delay, scripted_times
from browser_rt.lab.trace import Trace
from browser_rt.tools import TOOL_ERROR_TYPES, ToolCall, ToolFailed, ToolTimeout, tool_error_for

type Answer = Callable[[dict[str, Any]], Any] | Any


@dataclass
class _Rule:
    answer: Answer
    delay: float
    error: tuple[str, str] | None
    remaining: int | None

    def take(self) -> bool:
        if self.remaining is None:
            return True
        if self.remaining == 0:
            return False
        self.remaining -= 1
        return True


class ScriptedToolHost:
    """Maps a tool name to scripted outcomes, used in the order they were added.

    `respond(name, result)` answers with `result`, or with `result(args)` when it is callable;
    `fail(name, message)` raises the tool's error. `times=n` limits an outcome to the next n
    calls. A call with no outcome left fails as a tool that raised. `delay=math.inf` never
    answers: the call times out after the tool's `timeout_ms`, unless cancelled first.
    """

    def __init__(self, trace: Trace, clock: Callable[[], float]) -> None:
        self._trace = trace
        self._clock = clock
        self._rules: dict[str, list[_Rule]] = {}
        self.calls: list[ToolCall] = []
        """Every call that reached the host (so every one a grant allowed)."""
        self.aborted: list[ToolCall] = []
        """Calls whose awaiting task was cancelled before they finished."""

    def respond(
        self, name: str, result: Answer = None, *, delay: float = 0.0, times: int | None = None
    ) -> None:
        """Answer calls of `name` with `result` (or `result(args)`) after `delay` virtual seconds."""
        label = f"scripted tool {name!r}"
        self._add(name, _Rule(result, scripted_delay(label, delay), None, scripted_times(label, times)))

    def fail(
        self,
        name: str,
        message: str = "",
        *,
        code: str = "tool_error",
        delay: float = 0.0,
        times: int | None = None,
    ) -> None:
        """Fail calls of `name` with the ToolError of `code` and `message` after `delay` seconds."""
        if code not in TOOL_ERROR_TYPES:
            raise ValueError(f"fail({name!r}): code must be one of {sorted(TOOL_ERROR_TYPES)}, got {code!r}")
        label = f"scripted tool {name!r}"
        self._add(
            name,
            _Rule(None, scripted_delay(label, delay), (code, str(message)), scripted_times(label, times)),
        )

    def _add(self, name: str, rule: _Rule) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"scripted tool name must be a non-empty str, got {name!r}")
        self._rules.setdefault(name, []).append(rule)

    async def call(self, request: ToolCall) -> str:
        self.calls.append(request)
        self._note("tool.call", request.tool)
        rule = next((rule for rule in self._rules.get(request.tool, ()) if rule.take()), None)
        if rule is None:
            self._note("tool.failed", f"{request.tool} (unscripted)")
            raise ToolFailed(request.tool, f"lab: no scripted outcome left for tool {request.tool}")
        timeout = request.timeout_ms / 1000.0
        try:
            await asyncio.sleep(min(rule.delay, timeout))
        except asyncio.CancelledError:
            self.aborted.append(request)
            self._note("tool.aborted", request.tool)
            raise
        if rule.delay > timeout:
            self._note("tool.failed", f"timeout {request.tool}")
            raise ToolTimeout(request.tool, f"no result within {request.timeout_ms} ms")
        if rule.error is not None:
            self._note("tool.failed", f"{rule.error[0]} {request.tool}")
            raise tool_error_for(request.tool, *rule.error)
        answer = rule.answer(json.loads(request.args_json)) if callable(rule.answer) else rule.answer
        text = json.dumps(answer, allow_nan=False)
        self._note("tool.result", f"{request.tool} {len(text)}B")
        return text

    def _note(self, kind: str, detail: str) -> None:
        self._trace.effect(self._clock(), kind, detail)
