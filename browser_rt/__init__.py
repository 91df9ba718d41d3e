"""browser_rt: a Python runtime for the browser with a default-deny network capability."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from browser_rt.diagnostics import Diagnostics, MemorySink
from browser_rt.policy import Decision, DenyReason, FetchAuthority, FetchRequest, PolicyError
from browser_rt.runtime import (
    Budget,
    BudgetExceeded,
    Cx,
    NoCapabilityError,
    Obligation,
    ObligationError,
    ObligationLeak,
    Region,
    arun,
    current_cx,
    run,
)

if TYPE_CHECKING:
    import httpx

__version__ = "0.1.0"


def httpx_transport(cx: Cx | None = None, **options: Any) -> httpx.AsyncBaseTransport:
    """`httpx.AsyncClient(transport=browser_rt.httpx_transport())`: httpx through `cx.fetch`.

    Without `cx`, each request goes through the capability of the task that sends it. httpx is
    imported only here, so it stays an optional dependency (see browser_rt.compat.httpx).
    """
    from browser_rt.compat import httpx_transport as make

    return make(cx, **options)


__all__ = [
    "Budget",
    "BudgetExceeded",
    "Cx",
    "Decision",
    "DenyReason",
    "Diagnostics",
    "FetchAuthority",
    "FetchRequest",
    "MemorySink",
    "NoCapabilityError",
    "Obligation",
    "ObligationError",
    "ObligationLeak",
    "PolicyError",
    "Region",
    "__version__",
    "arun",
    "current_cx",
    "httpx_transport",
    "run",
]
