"""The default-deny fetch policy: pure Python, the same on the host and inside Pyodide."""

from browser_rt.policy.authority import FetchAuthority
from browser_rt.policy.errors import DenyReason, PolicyError
from browser_rt.policy.request import Decision, FetchRequest

__all__ = ["Decision", "DenyReason", "FetchAuthority", "FetchRequest", "PolicyError"]
