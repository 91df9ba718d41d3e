"""Compute the origin `fetch` would contact for a URL, following the WHATWG URL Standard.

Only what decides the origin is parsed: scheme, authority, userinfo, host and port. Paths,
queries and fragments never change the origin, so they are left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from browser_rt.policy.errors import DenyReason, URLRejected
from browser_rt.policy.hosts import HostError, parse_host

MAX_URL_LENGTH = 8192
"""Requests with longer URLs (in code points) are denied as invalid_url."""

SPECIAL_SCHEMES = {"http": 80, "https": 443}
C0_AND_SPACE = "".join(chr(c) for c in range(0x21))
"""What the URL parser strips from both ends of its input (WHATWG step 1), and grants too."""
_TAB_OR_NEWLINE = str.maketrans("", "", "\t\n\r")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_AUTHORITY_END = re.compile(r"[/\\?#]")
SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class ParsedOrigin:
    """The parts of a URL that make up its origin, plus whether userinfo was present."""

    scheme: str
    host: str
    port: int | None
    has_userinfo: bool = False
    origin: str = field(init=False, compare=False)
    """ASCII serialization, as `new URL(u).origin` gives it."""

    def __post_init__(self) -> None:
        port = "" if self.port is None else f":{self.port}"
        object.__setattr__(self, "origin", f"{self.scheme}://{self.host}{port}")


def parse_origin(url: str, base: ParsedOrigin | None = None) -> ParsedOrigin:
    """Return the origin of `url` (resolved against `base` if relative) or raise URLRejected."""
    if len(url) > MAX_URL_LENGTH:
        raise URLRejected(DenyReason.INVALID_URL, f"url: longer than {MAX_URL_LENGTH} code points")
    if not url.isascii() and SURROGATE.search(url):
        raise URLRejected(DenyReason.INVALID_URL, "url: contains a lone surrogate")
    text = url.strip(C0_AND_SPACE)
    if "\t" in text or "\n" in text or "\r" in text:
        text = text.translate(_TAB_OR_NEWLINE)
    scheme_match = _SCHEME.match(text)
    if scheme_match is None:
        if base is None:
            raise URLRejected(DenyReason.INVALID_URL, "url: relative URL and the authority declares no base")
        if _starts_with_two_slashes(text):
            return _parse_authority(base.scheme, text.lstrip("/\\"))
        return ParsedOrigin(base.scheme, base.host, base.port)
    scheme = scheme_match.group()[:-1].lower()
    if scheme not in SPECIAL_SCHEMES:
        raise URLRejected(DenyReason.SCHEME_DENIED, "url: only http and https URLs may be fetched")
    rest = text[scheme_match.end() :]
    if base is not None and base.scheme == scheme and not _starts_with_two_slashes(rest):
        return ParsedOrigin(base.scheme, base.host, base.port)
    return _parse_authority(scheme, rest.lstrip("/\\"))


def _starts_with_two_slashes(text: str) -> bool:
    return len(text) >= 2 and text[0] in "/\\" and text[1] in "/\\"


def _parse_authority(scheme: str, rest: str) -> ParsedOrigin:
    end = _AUTHORITY_END.search(rest)
    authority = rest if end is None else rest[: end.start()]
    if len(authority) <= 255:
        return _cached_authority(scheme, authority)
    return _parse_authority_text(scheme, authority)


def _parse_authority_text(scheme: str, authority: str) -> ParsedOrigin:
    has_userinfo = "@" in authority
    host_and_port = authority.rpartition("@")[2]
    host_text, port_text = _split_port(host_and_port)
    if host_text == "":
        raise URLRejected(DenyReason.INVALID_URL, "url: missing host")
    try:
        host = parse_host(host_text)
    except HostError as exc:
        raise URLRejected(DenyReason.INVALID_URL, f"url: {exc}") from None
    port = _parse_port(port_text)
    if port == SPECIAL_SCHEMES[scheme]:
        port = None
    return ParsedOrigin(scheme, host, port, has_userinfo)


_cached_authority = lru_cache(maxsize=2048)(_parse_authority_text)
"""The same few authorities recur, and their parse does not depend on the path."""


def _split_port(host_and_port: str) -> tuple[str, str | None]:
    inside_brackets = False
    for index, ch in enumerate(host_and_port):
        if ch == "[":
            inside_brackets = True
        elif ch == "]":
            inside_brackets = False
        elif ch == ":" and not inside_brackets:
            return host_and_port[:index], host_and_port[index + 1 :]
    return host_and_port, None


def _parse_port(port_text: str | None) -> int | None:
    if not port_text:
        return None
    if not port_text.isascii() or not port_text.isdigit():
        raise URLRejected(DenyReason.INVALID_URL, "url: port is not a number")
    significant = port_text.lstrip("0") or "0"
    if len(significant) > 5:
        raise URLRejected(DenyReason.INVALID_URL, "url: port is out of range")
    port = int(significant)
    if port > 65535:
        raise URLRejected(DenyReason.INVALID_URL, "url: port is out of range")
    return port
