"""browser_rt: a Python runtime for the browser with a default-deny network capability."""

from __future__ import annotations

from browser_rt.policy import Decision, DenyReason, FetchAuthority, FetchRequest, PolicyError

__version__ = "0.1.0"

__all__ = [
    "Decision",
    "DenyReason",
    "FetchAuthority",
    "FetchRequest",
    "PolicyError",
    "__version__",
]
