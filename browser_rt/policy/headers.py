"""Request header rules: RFC 9110 names, safe values, and the fetch spec's forbidden names."""

from __future__ import annotations

import re
from functools import lru_cache

from browser_rt.policy.errors import DenyReason

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_BAD_VALUE = re.compile("[^\x01-\x09\x0b\x0c\x0e-\xff]")
"""NUL, CR, LF or anything above U+00FF; written as the complement, which compiles ~50x faster."""

FORBIDDEN_HEADER_NAMES = frozenset(
    {
        "accept-charset",
        "accept-encoding",
        "access-control-request-headers",
        "access-control-request-method",
        "connection",
        "content-length",
        "cookie",
        "cookie2",
        "date",
        "dnt",
        "expect",
        "host",
        "keep-alive",
        "origin",
        "referer",
        "set-cookie",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "via",
        # Method-override headers turn a granted GET into a DELETE on many servers.
        "x-http-method",
        "x-http-method-override",
        "x-method-override",
    }
)
FORBIDDEN_HEADER_PREFIXES = ("proxy-", "sec-")


def is_token(text: str) -> bool:
    """RFC 9110 `token`: what a header name or method may be made of."""
    return _TOKEN.fullmatch(text) is not None


def is_forbidden_header(name: str) -> bool:
    lowered = name.lower()
    return lowered in FORBIDDEN_HEADER_NAMES or lowered.startswith(FORBIDDEN_HEADER_PREFIXES)


def _name_problem(name: str) -> str | None:
    """Names recur, so short ones are cached; values (which may be secrets) never are."""
    return _cached_name_problem(name) if len(name) <= 64 else _uncached_name_problem(name)


def _uncached_name_problem(name: str) -> str | None:
    if not is_token(name):
        return "invalid"
    return "forbidden" if is_forbidden_header(name) else None


_cached_name_problem = lru_cache(maxsize=512)(_uncached_name_problem)


def check_header(index: int, name: str, value: str) -> tuple[DenyReason, str] | None:
    """Return why header `index` is refused, or None. The detail names it by position only."""
    name_problem = _name_problem(name)
    if name_problem == "invalid":
        return DenyReason.INVALID_HEADER, f"headers[{index}]: name is not an RFC 9110 token"
    if _BAD_VALUE.search(value):
        return DenyReason.INVALID_HEADER, (
            f"headers[{index}]: value contains CR, LF, NUL or a code point above U+00FF"
        )
    if name_problem == "forbidden":
        return DenyReason.FORBIDDEN_HEADER, f"headers[{index}]: a forbidden request header"
    return None
