"""Reduce a URL to what a record may say about it: origin, scheme, and the shape of the rest.

This is not the policy's URL parser and decides nothing: it only has to find the parts that
hold secrets (userinfo, query values, fragment) and never emit them. Where the URL is odd, the
origin becomes `<invalid>` and no query keys are listed (a password holding `?` would otherwise
turn into a query key); path segments only ever leave as lengths.
"""

from __future__ import annotations

import re
from typing import Final

from browser_rt.diagnostics import values
from browser_rt.diagnostics.model import INVALID, OTHER, REDACTED, Mode

MAX_LISTED: Final = 32
"""At most this many path segment lengths and query keys are listed; counts cover the rest."""

_SCHEME_RE: Final = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_NAMED_SCHEMES: Final = frozenset(
    {"http", "https", "ws", "wss", "ftp", "file", "data", "blob", "javascript", "about"}
)
_SPECIAL_SCHEMES: Final = frozenset({"http", "https", "ws", "wss", "ftp", "file"})
_DEFAULT_PORTS: Final = {"http": "80", "https": "443", "ws": "80", "wss": "443", "ftp": "21"}
_AUTHORITY_END_RE: Final = re.compile(r"[/\\?#]")
_HOST_PORT_RE: Final = re.compile(r"(\[[^\]]*\]|[^:\[\]]*)(?::([0-9]*))?")
_STRIP: Final = "".join(chr(c) for c in range(0x21))


def reduce_url(value: object, mode: Mode) -> dict[str, object]:
    """The record's `url` object; `strict` keeps only origin, scheme and counts."""
    url = values.text(value).strip(_STRIP).replace("\t", "").replace("\n", "").replace("\r", "")
    rest, hash_mark, _ = url.partition("#")
    rest, has_query, query = rest.partition("?")
    reduced: dict[str, object] = {}
    path = rest
    scheme_match = _SCHEME_RE.match(rest)
    if scheme_match:
        scheme = scheme_match.group(1).lower()
        reduced["scheme"] = scheme if scheme in _NAMED_SCHEMES else OTHER
        path = rest[scheme_match.end() :]
        if scheme in _SPECIAL_SCHEMES:
            path = _take_authority(scheme, path.lstrip("/\\"), reduced)
    elif rest[:2] in ("//", "\\\\", "/\\", "\\/"):
        path = _take_authority(None, rest.lstrip("/\\"), reduced)
    pairs = [pair for pair in query.split("&") if pair] if has_query else []
    reduced["query_count"] = len(pairs)
    reduced["has_fragment"] = bool(hash_mark)
    if mode == "strict":
        return reduced
    segments = re.split(r"[/\\]", path)[1:] if path[:1] in ("/", "\\") else [path] if path else []
    reduced["path_length"] = len(path)
    reduced["path_shape"] = [len(segment) for segment in segments[:MAX_LISTED]]
    if reduced.get("origin") != INVALID:
        reduced["query_keys"] = [_listed_key(pair) for pair in pairs[:MAX_LISTED]]
    return reduced


def _take_authority(scheme: str | None, after_slashes: str, reduced: dict[str, object]) -> str:
    """Record origin and userinfo flag from the authority; return the path that follows it."""
    end = _AUTHORITY_END_RE.search(after_slashes)
    authority = after_slashes[: end.start()] if end else after_slashes
    _, at, host_port = authority.rpartition("@")
    if scheme is not None:
        reduced["origin"] = _origin(scheme, host_port)
    reduced["has_userinfo"] = bool(at)
    return after_slashes[len(authority) :]


def _origin(scheme: str, host_port: str) -> str:
    """The canonical origin of `scheme://host_port`, or `<invalid>` when it is not a plain one."""
    match = _HOST_PORT_RE.fullmatch(host_port)
    if match is None:
        return INVALID
    host, port = match.group(1), (match.group(2) or "").lstrip("0")
    if len(port) > 5:
        return INVALID
    suffix = "" if not match.group(2) or port == _DEFAULT_PORTS.get(scheme) else ":" + (port or "0")
    try:
        return values.origin(f"{scheme}://{host}{suffix}")
    except values.Rejected:
        return INVALID


def _listed_key(pair: str) -> str:
    """A pair's key when written as `key=value` and plain; a bare `?token` may be the secret."""
    key, equals, _ = pair.partition("=")
    if not equals:
        return REDACTED
    try:
        return values.query_key(key)
    except values.Rejected:
        return REDACTED
