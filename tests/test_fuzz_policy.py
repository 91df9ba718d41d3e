"""Fuzz targets for the policy engine: URLs and authorize, header validation, policy loading.

These build on tests/test_policy_properties.py (which checks totality and consistency on a
smaller alphabet) with richer inputs and stronger properties: metamorphic URL rewrites that
must not change the origin, an independent header oracle written from docs/policy.md, and
totality of every public loader (only `PolicyError` or `URLRejected` may come out, and each
loaded policy round-trips and stays within its documented limits).
"""

from __future__ import annotations

import json

from fuzz_support import FUZZ, confusing_urls
from hypothesis import given
from hypothesis import strategies as st

from browser_rt import Decision, FetchAuthority, FetchRequest, PolicyError
from browser_rt.policy.authority import LIMITS
from browser_rt.policy.errors import URLRejected
from browser_rt.policy.grants import parse_grant
from browser_rt.policy.headers import check_header
from browser_rt.policy.urls import parse_origin

GRANTED = [
    "https://api.example.com",
    "http://127.0.0.1:8000",
    "https://xn--bcher-kva.example",
    "https://*.cdn.example.com",
]
AUTHORITY = FetchAuthority.from_dict(
    {"origins": GRANTED, "methods": ["GET", "POST"], "credentials": "same-origin"}
)
CHECK_FAILED = "request: could not be checked"


def outcome(url: str) -> tuple[bool, str | None, str | None]:
    decision = AUTHORITY.authorize(FetchRequest(method="GET", url=url))
    assert isinstance(decision, Decision) and decision.detail != CHECK_FAILED
    return decision.allowed, decision.reason, decision.origin


# -- URL canonicalization and authorize ---------------------------------------------------------


@FUZZ
@given(confusing_urls())
def test_parsing_is_total_and_allowed_means_granted(url: str) -> None:
    try:
        parsed = parse_origin(url)
    except URLRejected:
        parsed = None
    allowed, reason, origin = outcome(url)
    if parsed is not None:
        assert origin == parsed.origin
        assert parse_origin(parsed.origin).origin == parsed.origin, "canonical origins are fixed points"
    if allowed:
        assert origin is not None and AUTHORITY._origin_granted(parse_origin(origin))
        assert reason is None


@FUZZ
@given(
    confusing_urls(),
    st.lists(st.tuples(st.integers(0, 200), st.sampled_from(["\t", "\n", "\r"])), max_size=4),
)
def test_tabs_and_newlines_anywhere_change_nothing(url: str, inserts: list[tuple[int, str]]) -> None:
    noisy = url
    for at, char in inserts:
        at %= len(noisy) + 1
        noisy = noisy[:at] + char + noisy[at:]
    assert outcome(noisy) == outcome(url)


@FUZZ
@given(confusing_urls(), st.text("\x00\x01\x1f \t\n", max_size=3), st.text("\x00\x1f \r", max_size=3))
def test_leading_and_trailing_controls_and_spaces_change_nothing(url: str, before: str, after: str) -> None:
    assert outcome(before + url + after) == outcome(url)


_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


@FUZZ
@given(confusing_urls())
def test_ascii_case_changes_nothing(url: str) -> None:
    assert outcome(url.translate(_ASCII_UPPER)) == outcome(url)


# -- header validation --------------------------------------------------------------------------

# Written from docs/policy.md, independently of browser_rt.policy.headers.
TCHAR = set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
FORBIDDEN = {
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
    "x-http-method",
    "x-http-method-override",
    "x-method-override",
}
NAME_PIECES = st.one_of(
    st.sampled_from(
        [*sorted(FORBIDDEN), "proxy-", "sec-", "x-", "Authorization", "Content-Type", "PROXY-", "Sec-"]
    ),
    st.text(
        st.sampled_from([*sorted(TCHAR), " ", ":", "\t", "\r", "\n", "\x00", "(", "@", "\u00e9", "\u212a"]),
        max_size=4,
    ),
)
VALUES = st.text(
    st.one_of(st.sampled_from(list("\r\n\x00\t \x7f\u00ff\u0100\u2028")), st.characters()), max_size=12
)


def oracle(name: str, value: str) -> str | None:
    if not name or any(c not in TCHAR for c in name):
        return "invalid_header"
    if any(c in "\r\n\x00" or ord(c) > 0xFF for c in value):
        return "invalid_header"
    lowered = name.lower()
    if lowered in FORBIDDEN or lowered.startswith(("proxy-", "sec-")):
        return "forbidden_header"
    return None


@FUZZ
@given(st.lists(NAME_PIECES, min_size=1, max_size=3).map("".join), VALUES)
def test_header_checks_match_the_documented_rules(name: str, value: str) -> None:
    problem = check_header(3, name, value)
    expected = oracle(name, value)
    assert (None if problem is None else str(problem[0])) == expected
    if problem is not None:
        assert problem[1].startswith("headers[3]: ") and (len(value) < 4 or value not in problem[1])
    decision = AUTHORITY.authorize(
        FetchRequest(method="GET", url=GRANTED[0], headers=[("x-ok", "1"), (name, value)])
    )
    assert decision.reason == expected


# -- policy loading -------------------------------------------------------------------------------

POLICY_KEYS = ["origins", "methods", "credentials", "redirect", "base", *LIMITS, "origin", "Methods", ""]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.sampled_from(
        ["https://api.example.com", "https://*.example.com", "*", "GET", "include", "follow", "omit"]
    ),
    st.integers(0, 300_001),
)
JSONISH = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)
DOCUMENTS = st.dictionaries(
    st.sampled_from(POLICY_KEYS), st.one_of(JSONISH, st.lists(confusing_urls(), max_size=4)), max_size=6
)
PYTHON_OBJECTS = st.one_of(
    JSONISH, st.sets(st.text(max_size=4), max_size=3), st.tuples(st.text()), st.binary(), st.just(object())
)


def load(action) -> FetchAuthority | None:  # type: ignore[no-untyped-def]
    try:
        return action()
    except PolicyError:
        return None


@FUZZ
@given(st.one_of(DOCUMENTS, PYTHON_OBJECTS))
def test_from_dict_raises_only_policy_error_and_round_trips(document: object) -> None:
    authority = load(lambda: FetchAuthority.from_dict(document))
    if authority is None:
        return
    assert FetchAuthority.from_dict(authority.to_dict()) == authority
    assert FetchAuthority.from_json(authority.to_json()) == authority
    for name, limit in LIMITS.items():
        assert limit.low <= getattr(authority, name) <= limit.high
    granted = {parse_grant(o, "x").origin for o in document.get("origins", []) if "*" not in str(o)}  # type: ignore[union-attr]
    assert authority.origins <= granted


@FUZZ
@given(
    st.one_of(
        st.text(max_size=200),
        st.binary(max_size=200),
        DOCUMENTS.map(lambda d: _dumps(d)),
        JSONISH.map(lambda d: _dumps(d)),
    )
)
def test_from_json_raises_only_policy_error(text: str | bytes) -> None:
    authority = load(lambda: FetchAuthority.from_json(text))
    if authority is not None:
        assert FetchAuthority.from_json(authority.to_json()) == authority


@FUZZ
@given(
    st.dictionaries(
        st.sampled_from([*POLICY_KEYS, "max_retries"]),
        st.one_of(JSONISH, st.lists(confusing_urls(), max_size=3)),
        max_size=4,
    )
)
def test_narrow_raises_only_policy_error_and_never_widens(kwargs: dict[str, object]) -> None:
    kwargs.pop("base", None)
    kwargs.pop("", None)
    try:
        child = AUTHORITY.narrow(**kwargs)  # type: ignore[arg-type]
    except PolicyError:
        return
    assert child.origins <= AUTHORITY.origins and child.methods <= AUTHORITY.methods
    for name in LIMITS:
        assert getattr(child, name) <= getattr(AUTHORITY, name)


def _dumps(document: object) -> str:
    try:
        return json.dumps(document, allow_nan=True)
    except (TypeError, ValueError):
        return "{}"


def test_the_strategies_reach_every_outcome() -> None:
    """Guard against a generator that quietly stopped producing interesting inputs."""
    seen = {
        outcome(u)[1]
        for u in (
            "https://api.example.com/",
            "https://evil.test/",
            "javascript:x",
            "https://u@api.example.com/",
            "https://[::1",
        )
    }
    assert seen == {None, "origin_denied", "scheme_denied", "userinfo_denied", "invalid_url"}
