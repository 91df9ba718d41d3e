"""The running task's `Cx`, carried in its contextvars context and nowhere else."""

from __future__ import annotations

import contextvars
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from browser_rt.runtime.cx import Cx

CURRENT_CX: contextvars.ContextVar[Cx] = contextvars.ContextVar("browser_rt.cx")


class NoCapabilityError(RuntimeError):
    """Code asked for the current `Cx` but its task was never handed one."""


def current_cx() -> Cx:
    """The `Cx` of the running task; only tasks started by the runtime have one."""
    cx = CURRENT_CX.get(None)
    if cx is None:
        raise NoCapabilityError(
            "no browser_rt capability context here: only code started by browser_rt.run/arun "
            "(main and the tasks its regions spawn) has a Cx, and only a Cx can fetch"
        )
    return cx


def context_with(cx: Cx) -> contextvars.Context:
    """A copy of the current context in which `current_cx()` returns `cx`."""
    context = contextvars.copy_context()
    context.run(CURRENT_CX.set, cx)
    return context
