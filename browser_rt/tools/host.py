"""The boundary between an allowed tool call and whatever performs it (the page, a lab script)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Protocol

from browser_rt.tools.errors import ToolBridgeError

_call_ids = itertools.count(1)


def next_call_id() -> int:
    return next(_call_ids)


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A call the grant allowed: the arguments are already JSON text within the tool's bounds."""

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
