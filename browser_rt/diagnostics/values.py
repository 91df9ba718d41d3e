"""Checks for metadata values: each returns the value to emit or raises `Rejected`.

Metadata is kept as given, so every check pins the value to the shape its field promises. A
caller that passes a secret where an origin or a reason belongs gets the field dropped, not the
secret emitted. None of these functions calls code of the value's own type.
"""

from __future__ import annotations

import math
import re
from typing import Final

from browser_rt.diagnostics.model import OTHER

MAX_SAFE_INT: Final = 2**53 - 1
"""The largest integer a JavaScript number holds exactly; counts and sizes stay below it."""

KNOWN_METHODS: Final = frozenset(
    {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE", "TRACK"}
)

_HOST = r"(?:\*\.)?[a-z0-9](?:[a-z0-9-]{0,62})(?:\.[a-z0-9](?:[a-z0-9-]{0,62}))*\.?|\[[0-9a-f:.]{2,45}\]"
_ORIGIN_RE: Final = re.compile(rf"https?://(?:{_HOST})(?::(?P<port>[1-9][0-9]{{0,4}}))?")
_TOKEN_RE: Final = re.compile(r"[a-z][a-z0-9_]{0,47}")
_EVENT_TYPE_RE: Final = re.compile(r"[a-z][a-z0-9_]{0,31}(?:\.[a-z][a-z0-9_]{0,31}){1,3}")
_ID_RE: Final = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:/-]{0,63}")
_PATH_NAME_RE: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}(?:\.[A-Za-z_][A-Za-z0-9_]{0,63}){0,7}")
_HEADER_NAME_RE: Final = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}")
_REPLAY_RE: Final = re.compile(r"[A-Za-z0-9 _./:=,@+()\[\]-]{1,512}")
_DETAIL_CHARS_RE: Final = re.compile(r"[A-Za-z0-9 _\[\]:.,'()/<>=+-]{1,160}")
_WORD_RE: Final = re.compile(r"[A-Za-z0-9]+")

MAX_ORIGIN_CHARS: Final = 300


class Rejected(Exception):
    """A value does not have the shape its field promises; the field is dropped."""


def text(value: object) -> str:
    """The value as an exact `str` (a subclass's overrides are not called), else `Rejected`."""
    if isinstance(value, str):
        return str.__str__(value)
    raise Rejected


def integer(value: object, low: int = 0, high: int = MAX_SAFE_INT) -> int:
    """An `int` (not a bool) within [low, high]."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise Rejected
    number = int.__index__(value)
    if not low <= number <= high:
        raise Rejected
    return number


def number(value: object, high: float = 1e15) -> int | float:
    """A finite, non-negative `int` or `float` up to `high` (durations, budgets)."""
    if isinstance(value, bool):
        raise Rejected
    if isinstance(value, int):
        return integer(value, 0, int(high))
    if isinstance(value, float):
        result = float.__float__(value)
        if math.isfinite(result) and 0.0 <= result <= high:
            return result
    raise Rejected


def origin(value: object) -> str:
    """A canonical origin: `scheme://host[:port]`, lower case, nothing after the port."""
    candidate = text(value).lower()
    match = _ORIGIN_RE.fullmatch(candidate) if len(candidate) <= MAX_ORIGIN_CHARS else None
    if match is None or int(match.group("port") or 0) > 65535:
        raise Rejected
    return candidate


def method(value: object) -> str:
    """A method as written when it is a standard or forbidden one, else `<other>`."""
    candidate = text(value)
    return candidate if candidate.upper() in KNOWN_METHODS else OTHER


def token(value: object) -> str:
    """A snake_case word such as a deny reason or an error code."""
    candidate = text(value)
    if not _TOKEN_RE.fullmatch(candidate):
        raise Rejected
    return candidate


def choice(value: object, allowed: frozenset[str]) -> str:
    """One of a fixed set of words."""
    candidate = text(value)
    if candidate not in allowed:
        raise Rejected
    return candidate


def event_type(value: object) -> str:
    """A dotted lowercase name such as `fetch.decision`."""
    candidate = text(value)
    if not _EVENT_TYPE_RE.fullmatch(candidate):
        raise Rejected
    return candidate


def identifier(value: object) -> int | str:
    """A region, task, obligation or request id: a non-negative int or a short name."""
    if isinstance(value, int) and not isinstance(value, bool):
        return integer(value)
    candidate = text(value)
    if not _ID_RE.fullmatch(candidate):
        raise Rejected
    return candidate


def budget(value: object) -> int | float | str:
    """A budget: its size as a number, or its name."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return number(value)
    return identifier(value)


def seed(value: object) -> int:
    """A lab seed: an unsigned 64-bit integer."""
    return integer(value, 0, 2**64 - 1)


def replay(value: object) -> str:
    """A replay command line, in a charset without quotes, shell metacharacters or controls."""
    candidate = text(value)
    if not _REPLAY_RE.fullmatch(candidate):
        raise Rejected
    return candidate


def path_name(value: object) -> str:
    """A dotted Python or JS attribute path such as `js.fetch`."""
    candidate = text(value)
    if not _PATH_NAME_RE.fullmatch(candidate):
        raise Rejected
    return candidate


def header_name(value: object) -> str:
    """An HTTP header name (an RFC 9110 token of at most 64 chars), lower-cased."""
    candidate = text(value)
    if not _HEADER_NAME_RE.fullmatch(candidate):
        raise Rejected
    return candidate.lower()


def detail(value: object) -> str:
    """A policy detail such as `headers[3]: name is not a token`.

    A detail names the offending part by position, never by content. To keep a mistaken detail
    from carrying a token or a password, it must read like a sentence: a plain charset, at most
    160 chars, and every word a short number, a word of one letter case (or Capitalized), or a
    short mix of letters and digits (`ipv6`). Random secrets fail the last rule.
    """
    candidate = text(value)
    if not _DETAIL_CHARS_RE.fullmatch(candidate):
        raise Rejected
    for word in _WORD_RE.findall(candidate):
        if not _plain_word(word):
            raise Rejected
    return candidate


def _plain_word(word: str) -> bool:
    if word.isdigit():
        return len(word) <= 10
    if word.isalpha():
        return len(word) <= 24 and (word.islower() or word.isupper() or word[1:].islower())
    return len(word) <= 6


_QUERY_KEY_RE: Final = re.compile(r"[A-Za-z0-9_.\[\]-]{1,32}")


def query_key(value: str) -> str:
    """A query key that reads like a parameter name (`page`, `utm_source`, `ids[]`)."""
    if not _QUERY_KEY_RE.fullmatch(value) or not all(map(_plain_word, _WORD_RE.findall(value))):
        raise Rejected
    return value
