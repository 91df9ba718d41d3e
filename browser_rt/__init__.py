"""browser_rt: a Python runtime for the browser with a default-deny network capability."""

from __future__ import annotations

from browser_rt.cap import Cx
from browser_rt.diagnostics import Diagnostics, MemorySink
from browser_rt.policy import Decision, DenyReason, FetchAuthority, FetchRequest, PolicyError
from browser_rt.runtime import (
    Budget,
    BudgetExceeded,
    NoCapabilityError,
    Obligation,
    ObligationError,
    ObligationLeak,
    Region,
    arun,
    current_cx,
    run,
)

__version__ = "0.1.0"

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
    "run",
]
