"""Parse and match origin grants: exact origins and explicit `*.` subdomain wildcards."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from browser_rt.policy.errors import PolicyError, URLRejected, type_name
from browser_rt.policy.urls import C0_AND_SPACE, SPECIAL_SCHEMES, ParsedOrigin, parse_origin

_GRANT = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://(?P<authority>[^/?#\\]*)(?P<rest>.*)", re.DOTALL)
_UNSAFE = re.compile(r"[\x00-\x20\x7f]")
_IPV4_LIKE = re.compile(r"[0-9.]+|.*\.(0[xX][0-9a-fA-F]*|[0-9]+)\.?")


@dataclass(frozen=True, slots=True)
class WildcardGrant:
    """`scheme://*.suffix[:port]`: any host with at least one label before `.suffix`."""

    scheme: str
    suffix: str
    port: int | None

    @property
    def text(self) -> str:
        port = "" if self.port is None else f":{self.port}"
        return f"{self.scheme}://*.{self.suffix}{port}"

    def covers(self, other: WildcardGrant) -> bool:
        """True when every host `other` matches is matched by this grant too."""
        return (
            self.scheme == other.scheme
            and self.port == other.port
            and (other.suffix == self.suffix or other.suffix.endswith("." + self.suffix))
        )


Grant = ParsedOrigin | WildcardGrant


def parse_grant(entry: object, where: str) -> Grant:
    """Canonicalize one `origins` entry; PolicyError messages start with `where`."""
    if not isinstance(entry, str):
        raise PolicyError(f"{where}: must be a string, got {type_name(entry)}")
    if entry.strip(C0_AND_SPACE) == "*":
        raise PolicyError(f'{where}: a bare "*" is not allowed; list origins or use https://*.example.com')
    if _UNSAFE.search(entry):
        raise PolicyError(f"{where}: contains whitespace or control characters")
    match = _GRANT.fullmatch(entry)
    if match is None:
        raise PolicyError(f"{where}: not an origin of the form scheme://host[:port]")
    scheme = match["scheme"].lower()
    if scheme not in SPECIAL_SCHEMES:
        raise PolicyError(f"{where}: only http and https origins can be granted")
    _check_rest(match["rest"], where)
    authority = match["authority"]
    if "@" in authority:
        raise PolicyError(f"{where}: userinfo not allowed in an origin")
    if authority.startswith("*."):
        return _parse_wildcard(scheme, authority[2:], where)
    if "*" in authority:
        raise PolicyError(f'{where}: "*" is only allowed as a leading "*." label')
    return _parse_exact(f"{scheme}://{authority}", where)


def _check_rest(rest: str, where: str) -> None:
    if rest.startswith("\\"):
        raise PolicyError(f"{where}: backslash not allowed in an origin")
    path, _, _ = rest.partition("?")
    path = path.partition("#")[0]
    if path not in ("", "/"):
        raise PolicyError(f"{where}: path not allowed in an origin")
    if "?" in rest.partition("#")[0]:
        raise PolicyError(f"{where}: query not allowed in an origin")
    if "#" in rest:
        raise PolicyError(f"{where}: fragment not allowed in an origin")


def _parse_exact(text: str, where: str) -> ParsedOrigin:
    try:
        return parse_origin(text)
    except URLRejected as exc:
        raise PolicyError(f"{where}: {exc.detail.removeprefix('url: ')}") from None


def _parse_wildcard(scheme: str, rest: str, where: str) -> WildcardGrant:
    if "*" in rest:
        raise PolicyError(f'{where}: "*" is only allowed as a leading "*." label')
    parsed = _parse_exact(f"{scheme}://{rest}", where)
    host = parsed.host
    if host.startswith("[") or _IPV4_LIKE.fullmatch(host):
        raise PolicyError(f"{where}: a wildcard needs a domain, not an IP address")
    labels = host.rstrip(".").split(".")
    if len(labels) < 2 or not all(labels):
        raise PolicyError(f'{where}: a wildcard needs at least two labels after "*."')
    return WildcardGrant(parsed.scheme, host, parsed.port)


def wildcard_keys(parsed: ParsedOrigin) -> tuple[tuple[str, str, int | None], ...]:
    """Every (scheme, suffix, port) a wildcard would need to match this origin.

    Costs one entry per host label, so matching does not depend on how many grants exist; the
    same few hosts recur, so the answer for a host of at most 255 characters is cached.
    """
    if len(parsed.host) <= 255:
        return _cached_wildcard_keys(parsed.scheme, parsed.host, parsed.port)
    return _wildcard_keys(parsed.scheme, parsed.host, parsed.port)


def _wildcard_keys(scheme: str, host: str, port: int | None) -> tuple[tuple[str, str, int | None], ...]:
    if host.startswith("["):
        return ()
    labels = host.split(".")
    keys = []
    for index in range(1, len(labels) - 1):
        if not labels[index - 1]:
            break
        keys.append((scheme, ".".join(labels[index:]), port))
    return tuple(keys)


_cached_wildcard_keys = lru_cache(maxsize=2048)(_wildcard_keys)
