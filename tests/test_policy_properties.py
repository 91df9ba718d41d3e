"""Properties of the policy engine, and a differential check against the engine's WHATWG URL."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st
from policy_helpers import whatwg_origins

from browser_rt import Decision, FetchAuthority, FetchRequest, PolicyError
from browser_rt.policy.grants import parse_grant
from browser_rt.policy.urls import ParsedOrigin, parse_origin

AUTHORITY = FetchAuthority.from_dict(
    {
        "origins": [
            "https://api.example.com",
            "http://127.0.0.1:8000",
            "https://*.cdn.example.com",
            "https://xn--bcher-kva.example",
            "https://[::1]",
        ],
        "methods": ["GET", "POST", "PUT"],
        "credentials": "same-origin",
    }
)

URL_CHARS = st.sampled_from(
    list(
        "abcxyzAZ019.-_~:/\\@?#[]%!$&'()*+,;= \t\n\r\x00\x7f\u00df\u00fc\u3002\uff0e\u200d\ud800\u00ad\ufeff"
    )
)
URL_TOKENS = st.sampled_from(["0x", "%40", "%2e", "%00", "xn--", "https://", "//", "[::1]"])
PIECES = st.sampled_from(
    [
        "https://",
        "http://",
        "HTTPS:",
        "https:\\\\",
        "//",
        "\\\\",
        "api.example.com",
        "127.0.0.1",
        "0x7f.1",
        "[::1]",
        "[::ffff:7f00:1]",
        "evil.test",
        "@",
        ":443",
        ":8000",
        ":",
        "/",
        "\\",
        "?",
        "#",
        "%40",
        "cdn.example.com",
        "a.cdn.example.com",
        "b\u00fccher.example",
        ".",
        "\t",
        "\n",
        "user:pass",
        "javascript:",
        "data:",
        "2130706433",
        "0177.0.0.1",
        "%61",
        "\u3002",
    ]
)
URLS = st.one_of(
    st.lists(st.one_of(URL_CHARS, URL_TOKENS), max_size=40).map("".join),
    st.lists(PIECES, max_size=8).map("".join),
    st.text(max_size=30),
)
HEADERS = st.lists(st.tuples(st.text(max_size=12), st.text(max_size=12)), max_size=20)
REQUESTS = st.builds(
    FetchRequest,
    method=st.one_of(
        st.sampled_from(["GET", "get", "POST", "PUT", "DELETE", "TRACE", "patch"]), st.text(max_size=8)
    ),
    url=URLS,
    headers=st.one_of(st.none(), HEADERS),
    credentials=st.sampled_from(["omit", "same-origin", "include", "bogus"]),
    body=st.one_of(st.none(), st.binary(max_size=64), st.text(max_size=64)),
)
ANYTHING = st.one_of(
    st.none(),
    st.integers(),
    st.text(),
    st.binary(),
    st.lists(st.text(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
)


@given(REQUESTS)
def test_authorize_is_total_and_consistent(request: FetchRequest) -> None:
    decision = AUTHORITY.authorize(request)
    assert isinstance(decision, Decision)
    assert decision.detail != "request: could not be checked"
    assert (decision.reason is None) == decision.allowed
    if decision.allowed:
        assert decision.origin is not None


@given(
    st.builds(
        FetchRequest,
        method=ANYTHING,
        url=st.one_of(URLS, ANYTHING),
        headers=st.one_of(ANYTHING, st.lists(ANYTHING, max_size=3)),
        credentials=ANYTHING,
        body=ANYTHING,
    )
)
def test_authorize_is_total_for_wrong_types(request: FetchRequest) -> None:
    decision = AUTHORITY.authorize(request)
    assert isinstance(decision, Decision)
    assert decision.detail != "request: could not be checked"


@given(URLS)
def test_allowed_implies_the_canonical_origin_is_granted(url: str) -> None:
    decision = AUTHORITY.authorize(FetchRequest(method="GET", url=url))
    if decision.allowed:
        assert decision.origin is not None
        parsed = parse_origin(decision.origin)
        assert parsed.origin == decision.origin
        assert AUTHORITY._origin_granted(parsed)


@given(URLS)
def test_canonicalization_is_idempotent(url: str) -> None:
    try:
        first = parse_origin(url)
    except Exception:
        return
    again = parse_origin(first.origin)
    assert again.origin == first.origin
    assert parse_origin(again.origin + "/x?y#z").origin == first.origin


@given(st.lists(PIECES, max_size=6).map("".join))
def test_grant_loading_is_total_and_canonical(text: str) -> None:
    try:
        grant = parse_grant(text, "origins[0]")
    except PolicyError as exc:
        assert str(exc).startswith("origins[0]: ")
        return
    if isinstance(grant, ParsedOrigin):
        assert parse_grant(grant.origin, "origins[0]") == grant


NARROW_CANDIDATES = [
    "https://api.example.com",
    "https://a.cdn.example.com",
    "https://*.x.cdn.example.com",
    "http://127.0.0.1:8000",
    "https://evil.test",
    "https://*.example.com",
    "https://cdn.example.com",
]


@given(
    st.lists(st.sampled_from(NARROW_CANDIDATES), max_size=4),
    st.lists(st.sampled_from(["GET", "POST", "PUT", "DELETE"]), max_size=3),
    REQUESTS,
)
def test_narrow_never_allows_what_the_parent_denies(
    origins: list[str], methods: list[str], request: FetchRequest
) -> None:
    try:
        child = AUTHORITY.narrow(origins=origins, methods=methods)
    except PolicyError:
        return
    if child.authorize(request).allowed:
        assert AUTHORITY.authorize(request).allowed


def _generated_urls(count: int, seed: int) -> list[str]:
    """URLs mixing userinfo, backslashes, IPv4 forms, IDN, percent-encoding and control chars."""
    rng = random.Random(seed)
    schemes = ["https://", "http://", "HTTPS://", "https:", "https:\\\\", "https:/\\", "http:///"]
    userinfo = ["", "", "", "user@", "u:p@", "@", "api.example.com@", "a@b@"]
    hosts = [
        "api.example.com",
        "API.EXAMPLE.COM",
        "a.cdn.example.com",
        "127.0.0.1",
        "0x7f.1",
        "127.1",
        "2130706433",
        "0177.0.0.01",
        "[::1]",
        "[0:0::1]",
        "[::ffff:127.0.0.1]",
        "b\u00fccher.example",
        "xn--bcher-kva.example",
        "%61pi.example.com",
        "api.example.com.",
        "api\u3002example\u3002com",
        "\uff41pi.example.com",
        "evil.test",
        "ex\tample.com",
        "a\u00adb.example",
        "fa\u00df.de",
        "1.2.3.4.5",
        "256.1.1.1",
        "0x100000000",
        "api%2eexample.com",
        "a..b.example",
        "\u0430pi.example.com",
    ]
    ports = ["", "", ":443", ":80", ":8000", ":", ":0443", ":65535", ":65536", ":8x"]
    tails = ["", "/", "/v1?x=1", "\\evil.test", "?@evil.test", "#@evil.test", "/@evil.test", "\\@evil.test"]
    out = []
    for _ in range(count):
        url = (
            rng.choice(schemes)
            + rng.choice(userinfo)
            + rng.choice(hosts)
            + rng.choice(ports)
            + rng.choice(tails)
        )
        if rng.random() < 0.2:
            index = rng.randrange(len(url) + 1)
            url = url[:index] + rng.choice(["\t", "\n", "\r", " ", "\x00", "%", "\\", "@"]) + url[index:]
        out.append(url)
    return out


def test_differential_against_whatwg_url() -> None:
    """Every URL Python gives an origin for must have that same origin in the engine's URL parser."""
    urls = _generated_urls(3000, seed=20261122)
    decisions = [AUTHORITY.authorize(FetchRequest(method="GET", url=url)) for url in urls]
    with_origin = [(url, d) for url, d in zip(urls, decisions, strict=True) if d.origin is not None]
    whatwg = whatwg_origins([(url, None) for url, _ in with_origin])
    mismatches = [
        (url, d.origin, got, d.allowed)
        for (url, d), got in zip(with_origin, whatwg, strict=True)
        if got != d.origin
    ]
    assert mismatches == []
    assert sum(d.allowed for d in decisions) > 100
    assert len(with_origin) > 1000
