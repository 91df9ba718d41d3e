"""The boundary between an allowed tool call and whatever performs it (the page, a lab script)."""

from __future__ import annotations

import itertools
from typing import NamedTuple, Protocol

from browser_rt.tools.errors import ToolBridgeError

_call_ids = itertools.count(1)


def next_call_id() -> int:
    return next(_call_ids)


class ToolCall(NamedTuple):
    """A call the grant allowed: the arguments are already JSON text within the tool's bounds.

    An immutable tuple rather than a frozen dataclass: one is made per call, and a tuple costs
    about a third of a frozen dataclass, which sets each field with `object.__setattr__`."""

    call_id: int
    tool: str
    args_json: str
    timeout_ms: int


class ToolHost(Protocol):
    """Performs allowed calls and returns the result's JSON text. Cancelling the awaiting task
    must abort the call (the page fires the tool's AbortSignal)."""

    async def call(self, request: ToolCall) -> str: ...


class NoToolHost:
    """The host of a runtime started without one: every allowed call fails."""

    async def call(self, request: ToolCall) -> str:
        raise ToolBridgeError(request.tool, "no tool host: this runtime was started without tool_host=")
