"""Errors and deny reasons shared by the policy modules, and how their messages name a value.

A message names the offending entry by its position (`origins[3]: ...`). Where it also shows a
value (a key, a method, a choice), `quoted` writes it as a JSON string, and `type_name` names a
value's JSON type. js_bridge/policy/errors.mjs has the same two functions, so both
implementations word a message the same way, character for character.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from enum import StrEnum

QUOTED_LIMIT = 40
"""`quoted` output longer than this is cut, so a huge or hostile value cannot flood a message."""


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


def quoted(text: str) -> str:
    """`text` as a JSON string, every character outside printable ASCII escaped (`\\u00e9`).

    Output longer than `QUOTED_LIMIT` keeps its first `QUOTED_LIMIT - 3` characters and ends in
    `...` (no closing quote: the cut is visible). The output is ASCII, so it is the same in
    Python and JS, and it cannot carry a control or right-to-left character into a log.
    """
    # Every character gives at least one output character: the rest would be cut anyway.
    out = json.dumps(text[: QUOTED_LIMIT + 1], ensure_ascii=True)
    return out if len(out) <= QUOTED_LIMIT else out[: QUOTED_LIMIT - 3] + "..."


def type_name(value: object) -> str:
    """The JSON type of `value` as a message says it: `a string`, `an integer`, `null`, ..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return "a value of another type"
