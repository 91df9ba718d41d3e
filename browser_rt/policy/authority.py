"""FetchAuthority: the default-deny capability that decides whether a request may reach fetch."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from browser_rt.policy.errors import DenyReason, PolicyError, URLRejected, quoted, type_name
from browser_rt.policy.grants import Grant, WildcardGrant, parse_grant, wildcard_keys
from browser_rt.policy.headers import check_header, is_token
from browser_rt.policy.json_text import json_depth
from browser_rt.policy.methods import NEVER_ALLOWED_METHODS, STANDARD_METHODS, normalize_method
from browser_rt.policy.request import Decision, FetchRequest
from browser_rt.policy.urls import SURROGATE as _SURROGATE
from browser_rt.policy.urls import ParsedOrigin, parse_origin

CREDENTIAL_MODES = ("omit", "same-origin", "include")
_CREDENTIAL_RANK = {mode: rank for rank, mode in enumerate(CREDENTIAL_MODES)}
REDIRECT_MODES = ("error", "follow")
MAX_POLICY_JSON_BYTES = 65_536
MAX_ORIGINS = 1_000
MAX_POLICY_JSON_DEPTH = 32
MAX_METHOD_ENTRIES = 16


@dataclass(frozen=True)
class Limit:
    """An integer setting: its default and the range a policy may choose from."""

    default: int
    low: int
    high: int


LIMITS: Mapping[str, Limit] = {
    "max_header_count": Limit(16, 0, 64),
    "max_request_body_bytes": Limit(1 << 20, 0, 16 << 20),
    "max_response_body_bytes": Limit(10 << 20, 1, 256 << 20),
    "timeout_ms": Limit(30_000, 1, 300_000),
    # Below browsers' six connections per host, so the page's own requests find one free.
    "max_concurrent_requests": Limit(4, 1, 64),
    "max_queued_requests": Limit(64, 0, 10_000),
    "max_requests_per_minute": Limit(600, 1, 60_000),
}
_KEYS = frozenset({"origins", "methods", "credentials", "redirect", "base", *LIMITS})
_BODYLESS_METHODS = frozenset({"GET", "HEAD"})
_CHECK_FAILED = "request: could not be checked"


@dataclass(frozen=True)
class FetchAuthority:
    """An immutable grant. Build it with `from_dict`/`from_json`/`deny_all`; shrink it with `narrow`."""

    origins: frozenset[str] = frozenset()
    wildcards: frozenset[WildcardGrant] = frozenset()
    methods: frozenset[str] = frozenset()
    credentials: str = "omit"
    max_header_count: int = 0
    max_request_body_bytes: int = 0
    max_response_body_bytes: int = LIMITS["max_response_body_bytes"].default
    redirect: str = "error"
    timeout_ms: int = LIMITS["timeout_ms"].default
    max_concurrent_requests: int = LIMITS["max_concurrent_requests"].low
    max_queued_requests: int = LIMITS["max_queued_requests"].low
    max_requests_per_minute: int = LIMITS["max_requests_per_minute"].low
    base: ParsedOrigin | None = None
    _wildcard_index: frozenset[tuple[str, str, int | None]] = field(
        default=frozenset(), repr=False, compare=False
    )

    def __post_init__(self) -> None:
        index = frozenset((w.scheme, w.suffix, w.port) for w in self.wildcards)
        object.__setattr__(self, "_wildcard_index", index)

    # -- loading ---------------------------------------------------------------------------

    @classmethod
    def deny_all(cls) -> FetchAuthority:
        """What an embedder gets when nothing is granted: every request is denied.

        No headers, no body, and the smallest request limits a policy may set (one in flight,
        none waiting, one a minute).
        """
        return cls()

    @classmethod
    def from_json(cls, text: str | bytes) -> FetchAuthority:
        """Load a policy document; PolicyError names what is wrong with it."""
        if isinstance(text, str):
            size = len(text.encode("utf-8", "surrogatepass"))
        elif isinstance(text, bytes):
            size = len(text)
        else:
            raise PolicyError(f"policy: expected JSON text, got {type_name(text)}")
        if size > MAX_POLICY_JSON_BYTES:
            raise PolicyError(f"policy: JSON is {size} bytes, more than {MAX_POLICY_JSON_BYTES}")
        _check_nesting(text if isinstance(text, str) else text.decode("utf-8", "replace"))
        try:
            document = json.loads(text, object_pairs_hook=_no_duplicate_keys)
        except PolicyError:
            raise
        except (ValueError, RecursionError) as exc:
            raise PolicyError(f"policy: not valid JSON ({_json_error_position(exc)})") from None
        return cls.from_dict(document)

    @classmethod
    def from_dict(cls, document: object) -> FetchAuthority:
        """Validate and canonicalize a policy mapping (the shape is in docs/policy.md)."""
        if not isinstance(document, Mapping):
            raise PolicyError(f"policy: must be an object, got {type_name(document)}")
        for key in document:
            if not isinstance(key, str):
                raise PolicyError(f"policy: keys must be strings, got {type_name(key)}")
            if key not in _KEYS:
                raise PolicyError(f"policy: unknown key {quoted(key)}")
        origins, wildcards = _load_origins(document.get("origins", []))
        default_methods: list[str] = ["GET"] if origins or wildcards else []
        methods = _load_methods(document.get("methods", default_methods))
        credentials = _load_choice(document, "credentials", CREDENTIAL_MODES)
        if credentials == "include" and wildcards:
            raise PolicyError(
                'credentials: "include" cannot be combined with a wildcard origin '
                f"({quoted(sorted(w.text for w in wildcards)[0])})"
            )
        limits = {name: _load_int(document, name, limit) for name, limit in LIMITS.items()}
        return cls(
            origins=frozenset(o.origin for o in origins),
            wildcards=frozenset(wildcards),
            methods=frozenset(methods),
            credentials=credentials,
            redirect=_load_choice(document, "redirect", REDIRECT_MODES),
            base=_load_base(document.get("base")),
            max_header_count=limits["max_header_count"],
            max_request_body_bytes=limits["max_request_body_bytes"],
            max_response_body_bytes=limits["max_response_body_bytes"],
            timeout_ms=limits["timeout_ms"],
            max_concurrent_requests=limits["max_concurrent_requests"],
            max_queued_requests=limits["max_queued_requests"],
            max_requests_per_minute=limits["max_requests_per_minute"],
        )

    def to_dict(self) -> dict[str, Any]:
        """The canonical policy document; `from_dict(a.to_dict()) == a`."""
        return {
            "origins": sorted(self.origins) + sorted(w.text for w in self.wildcards),
            "methods": [m for m in STANDARD_METHODS if m in self.methods],
            "credentials": self.credentials,
            "max_header_count": self.max_header_count,
            "max_request_body_bytes": self.max_request_body_bytes,
            "max_response_body_bytes": self.max_response_body_bytes,
            "redirect": self.redirect,
            "timeout_ms": self.timeout_ms,
            "max_concurrent_requests": self.max_concurrent_requests,
            "max_queued_requests": self.max_queued_requests,
            "max_requests_per_minute": self.max_requests_per_minute,
            "base": None if self.base is None else self.base.origin,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    def summary(self) -> dict[str, Any]:
        """What an `authority.loaded` event may say about this policy (no secrets live here)."""
        return {
            "origin_count": len(self.origins),
            "wildcard_count": len(self.wildcards),
            "methods": [m for m in STANDARD_METHODS if m in self.methods],
            "credentials": self.credentials,
            "redirect": self.redirect,
            "max_header_count": self.max_header_count,
            "max_request_body_bytes": self.max_request_body_bytes,
            "max_response_body_bytes": self.max_response_body_bytes,
            "timeout_ms": self.timeout_ms,
        }

    # -- attenuation -----------------------------------------------------------------------

    def narrow(
        self,
        *,
        origins: Iterable[str] | None = None,
        methods: Iterable[str] | None = None,
        credentials: str | None = None,
        redirect: str | None = None,
        **limits: int,
    ) -> FetchAuthority:
        """A child authority that grants a subset of this one; asking for more is a PolicyError."""
        changes: dict[str, Any] = {}
        if origins is not None:
            exact, wildcards = _load_origins(origins)
            for index, entry in enumerate(list(origins)):
                if not self._grants(parse_grant(entry, f"origins[{index}]")):
                    raise PolicyError(f"origins[{index}]: not granted by the parent authority")
            changes["origins"] = frozenset(o.origin for o in exact)
            changes["wildcards"] = frozenset(wildcards)
        if methods is not None:
            narrowed = _load_methods(methods)
            for index, method in enumerate(narrowed):
                if method not in self.methods:
                    raise PolicyError(f"methods[{index}]: {method} is not granted by the parent authority")
            changes["methods"] = frozenset(narrowed)
        if credentials is not None:
            wanted = _load_choice({"credentials": credentials}, "credentials", CREDENTIAL_MODES)
            if _CREDENTIAL_RANK[wanted] > _CREDENTIAL_RANK[self.credentials]:
                raise PolicyError(
                    f"credentials: {quoted(wanted)} is wider than the parent's {quoted(self.credentials)}"
                )
            changes["credentials"] = wanted
        if redirect is not None:
            wanted = _load_choice({"redirect": redirect}, "redirect", REDIRECT_MODES)
            if wanted == "follow" and self.redirect != "follow":
                raise PolicyError('redirect: "follow" is wider than the parent\'s "error"')
            changes["redirect"] = wanted
        for name, value in limits.items():
            if name not in LIMITS:
                raise PolicyError(f"narrow: unknown setting {quoted(name)}")
            checked = _load_int({name: value}, name, LIMITS[name])
            if checked > getattr(self, name):
                raise PolicyError(f"{name}: {checked} is wider than the parent's {getattr(self, name)}")
            changes[name] = checked
        return replace(self, **changes)

    def _grants(self, grant: Grant) -> bool:
        if isinstance(grant, WildcardGrant):
            return any(parent.covers(grant) for parent in self.wildcards)
        return self._origin_granted(grant)

    def _origin_granted(self, parsed: ParsedOrigin) -> bool:
        if parsed.origin in self.origins:
            return True
        index = self._wildcard_index
        return bool(index) and any(key in index for key in wildcard_keys(parsed))

    # -- decisions -------------------------------------------------------------------------

    def authorize(self, request: object) -> Decision:
        """Decide one request. Total: any input gives a Decision, nothing is raised."""
        try:
            return self._authorize(request)
        except Exception:
            return Decision(False, DenyReason.INVALID_REQUEST, None, _CHECK_FAILED)

    def _authorize(self, request: object) -> Decision:
        shape_problem = _shape_problem(request)
        if shape_problem is not None:
            return Decision(False, DenyReason.INVALID_REQUEST, None, shape_problem)
        assert isinstance(request, FetchRequest)
        try:
            parsed = parse_origin(request.url, self.base)
        except URLRejected as exc:
            return Decision(False, exc.reason, None, exc.detail)
        origin = parsed.origin
        if parsed.has_userinfo:
            return Decision(False, DenyReason.USERINFO_DENIED, origin, "url: userinfo is never allowed")
        if not self._origin_granted(parsed):
            return Decision(False, DenyReason.ORIGIN_DENIED, origin, "url: origin is not granted")
        method, method_problem = _classify_method(request.method)
        if method_problem is not None:
            return Decision(False, method_problem[0], origin, method_problem[1])
        if method not in self.methods:
            return Decision(False, DenyReason.METHOD_DENIED, origin, "method: not granted")
        if _CREDENTIAL_RANK[request.credentials] > _CREDENTIAL_RANK[self.credentials]:
            detail = f"credentials: only '{self.credentials}' is granted"
            return Decision(False, DenyReason.CREDENTIALS_DENIED, origin, detail)
        denial = self._headers_problem(request.headers) or self._body_problem(method, request.body)
        if denial is not None:
            return Decision(False, denial[0], origin, denial[1])
        return Decision(True, None, origin)

    def _headers_problem(self, headers: object) -> tuple[DenyReason, str] | None:
        if headers is None:
            return None
        assert isinstance(headers, list | tuple)
        if len(headers) > self.max_header_count:
            return DenyReason.HEADER_COUNT_EXCEEDED, (
                f"headers: {len(headers)} headers, more than the {self.max_header_count} granted"
            )
        for index, pair in enumerate(headers):
            if not (
                isinstance(pair, list | tuple)
                and len(pair) == 2
                and isinstance(pair[0], str)
                and isinstance(pair[1], str)
            ):
                return DenyReason.INVALID_HEADER, f"headers[{index}]: not a (name, value) pair of strings"
            problem = check_header(index, pair[0], pair[1])
            if problem is not None:
                return problem
        return None

    def _body_problem(self, method: str, body: object) -> tuple[DenyReason, str] | None:
        if body is None:
            return None
        if method in _BODYLESS_METHODS:
            return DenyReason.BODY_NOT_ALLOWED, f"body: a {method} request cannot have a body"
        size = _body_size(body, self.max_request_body_bytes)
        if size > self.max_request_body_bytes:
            return DenyReason.BODY_TOO_LARGE, (
                f"body: more than the {self.max_request_body_bytes} bytes granted"
            )
        return None


def _classify_method(method: str) -> tuple[str, tuple[DenyReason, str] | None]:
    """The fetch-normalized method, or why it can never be sent. Short ones are cached."""
    return _cached_classify_method(method) if len(method) <= 32 else _uncached_classify_method(method)


def _uncached_classify_method(method: str) -> tuple[str, tuple[DenyReason, str] | None]:
    if not is_token(method):
        return method, (DenyReason.INVALID_METHOD, "method: not an RFC 9110 token")
    if method.upper() in NEVER_ALLOWED_METHODS:
        return method, (DenyReason.METHOD_FORBIDDEN, "method: CONNECT, TRACE and TRACK are never allowed")
    return normalize_method(method), None


_cached_classify_method = lru_cache(maxsize=256)(_uncached_classify_method)


def _shape_problem(request: object) -> str | None:
    if not isinstance(request, FetchRequest):
        return f"request: expected a FetchRequest, got {type_name(request)}"
    if not isinstance(request.method, str):
        return "method: must be a string"
    if not isinstance(request.url, str):
        return "url: must be a string"
    if request.headers is not None and not isinstance(request.headers, list | tuple):
        return "headers: must be a list of (name, value) pairs"
    if not isinstance(request.credentials, str) or request.credentials not in CREDENTIAL_MODES:
        return "credentials: must be 'omit', 'same-origin' or 'include'"
    if request.body is not None and not isinstance(request.body, bytes | bytearray | memoryview | str):
        return "body: must be bytes or str"
    if isinstance(request.body, str) and not request.body.isascii() and _SURROGATE.search(request.body):
        return "body: str body contains a lone surrogate"
    return None


def _body_size(body: object, limit: int) -> int:
    """Bytes on the wire; a str is UTF-8, and huge strings are judged without encoding them."""
    if isinstance(body, memoryview):
        return body.nbytes
    if isinstance(body, bytes | bytearray):
        return len(body)
    assert isinstance(body, str)
    if len(body) > limit:
        return len(body)
    return len(body.encode("utf-8", "surrogatepass"))


def _load_origins(entries: object) -> tuple[list[ParsedOrigin], list[WildcardGrant]]:
    if isinstance(entries, str) or not isinstance(entries, list | tuple | set | frozenset):
        if isinstance(entries, Iterable) and not isinstance(entries, str | Mapping):
            entries = list(entries)
        else:
            raise PolicyError("origins: must be a list of origin strings")
    if len(entries) > MAX_ORIGINS:
        raise PolicyError(f"origins: {len(entries)} entries, more than {MAX_ORIGINS}")
    exact: dict[str, ParsedOrigin] = {}
    wildcards: dict[str, WildcardGrant] = {}
    for index, entry in enumerate(entries):
        grant = parse_grant(entry, f"origins[{index}]")
        if isinstance(grant, WildcardGrant):
            wildcards.setdefault(grant.text, grant)
        else:
            exact.setdefault(grant.origin, grant)
    return list(exact.values()), list(wildcards.values())


def _load_methods(entries: object) -> list[str]:
    if isinstance(entries, str) or not isinstance(entries, Iterable) or isinstance(entries, Mapping):
        raise PolicyError("methods: must be a list of method names")
    items = list(entries)
    if len(items) > MAX_METHOD_ENTRIES:
        raise PolicyError(f"methods: {len(items)} entries, more than {MAX_METHOD_ENTRIES}")
    methods: list[str] = []
    for index, method in enumerate(items):
        if not isinstance(method, str):
            raise PolicyError(f"methods[{index}]: must be a string, got {type_name(method)}")
        upper = method.upper()
        if upper in NEVER_ALLOWED_METHODS:
            raise PolicyError(f"methods[{index}]: {upper} is never allowed")
        if upper not in STANDARD_METHODS:
            raise PolicyError(
                f"methods[{index}]: {quoted(method)} is not a standard method ({', '.join(STANDARD_METHODS)})"
            )
        if upper not in methods:
            methods.append(upper)
    return methods


def _load_choice(document: Mapping[str, object], key: str, choices: tuple[str, ...]) -> str:
    value = document.get(key, choices[0])
    if not isinstance(value, str) or value not in choices:
        wanted = quoted(value) if isinstance(value, str) else type_name(value)
        raise PolicyError(f"{key}: must be one of {', '.join(map(quoted, choices))}, got {wanted}")
    return value


def _load_int(document: Mapping[str, object], key: str, limit: Limit) -> int:
    value = document.get(key, limit.default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise PolicyError(f"{key}: must be an integer, got {type_name(value)}")
    if not limit.low <= value <= limit.high:
        raise PolicyError(f"{key}: {value} is outside {limit.low}..{limit.high}")
    return value


def _load_base(value: object) -> ParsedOrigin | None:
    if value is None:
        return None
    grant = parse_grant(value, "base")
    if isinstance(grant, WildcardGrant):
        raise PolicyError("base: must be a single origin, not a wildcard")
    return grant


def _check_nesting(text: str) -> None:
    """Refuse deep nesting before json.loads sees it (json_text.py says why)."""
    if json_depth(text) > MAX_POLICY_JSON_DEPTH:
        raise PolicyError(f"policy: JSON nested more than {MAX_POLICY_JSON_DEPTH} levels deep")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise PolicyError(f"policy: duplicate key {quoted(key)}")
        result[key] = value
    return result


def _json_error_position(exc: BaseException) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"line {exc.lineno} column {exc.colno}: {exc.msg}"
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return "could not decode"
