"""Errors and deny reasons shared by the policy modules."""

from __future__ import annotations

from enum import StrEnum


class PolicyError(ValueError):
    """A policy could not be loaded or narrowed; the message names the offending entry."""


class DenyReason(StrEnum):
    """Why a request was denied. Stable strings: the JS bridge and the vectors use them too."""

    INVALID_REQUEST = "invalid_request"
    INVALID_URL = "invalid_url"
    SCHEME_DENIED = "scheme_denied"
    USERINFO_DENIED = "userinfo_denied"
    ORIGIN_DENIED = "origin_denied"
    INVALID_METHOD = "invalid_method"
    METHOD_FORBIDDEN = "method_forbidden"
    METHOD_DENIED = "method_denied"
    CREDENTIALS_DENIED = "credentials_denied"
    HEADER_COUNT_EXCEEDED = "header_count_exceeded"
    INVALID_HEADER = "invalid_header"
    FORBIDDEN_HEADER = "forbidden_header"
    BODY_NOT_ALLOWED = "body_not_allowed"
    BODY_TOO_LARGE = "body_too_large"
    ORIGIN_MISMATCH = "origin_mismatch"
    """Given only by the JS bridge's re-check: Python's origin differs from the browser's."""
    RATE_LIMITED = "rate_limited"
    """Given only by the request limiters (the bridge's, and Python's mirror in
    `browser_rt.fetch.limits`), never by `authorize`: a per-runtime rate or concurrency limit is
    reached. `authorize` decides one request on its own; counting requests needs state."""


class URLRejected(Exception):
    """Internal signal from the URL parser: the reason to deny with, and where it went wrong."""

    def __init__(self, reason: DenyReason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
