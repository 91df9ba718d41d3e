"""HTTP method rules shared by policy loading and request checks."""

from __future__ import annotations

STANDARD_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")
NEVER_ALLOWED_METHODS = frozenset({"CONNECT", "TRACE", "TRACK"})
_FETCH_NORMALIZED = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"})


def normalize_method(method: str) -> str:
    """Upper-case the six methods fetch normalizes; keep every other method as written."""
    upper = method.upper()
    return upper if upper in _FETCH_NORMALIZED else method
