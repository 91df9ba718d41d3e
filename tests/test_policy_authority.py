"""FetchAuthority: loading, the classic invariants, one test per deny reason, and narrowing."""

from __future__ import annotations

import json

import pytest

from browser_rt import Decision, DenyReason, FetchAuthority, FetchRequest, PolicyError

API = "https://api.example.com"


def grant(**overrides: object) -> FetchAuthority:
    document: dict[str, object] = {"origins": [API], "methods": ["GET", "POST"]}
    document.update(overrides)
    return FetchAuthority.from_dict(document)


def get(url: str = f"{API}/v1", **kwargs: object) -> FetchRequest:
    return FetchRequest(method=str(kwargs.pop("method", "GET")), url=url, **kwargs)  # type: ignore[arg-type]


# -- the classic invariants ------------------------------------------------------------------


def test_default_is_deny_all() -> None:
    authority = FetchAuthority.deny_all()
    decision = authority.authorize(get())
    assert decision == Decision(False, DenyReason.ORIGIN_DENIED, API, decision.detail)
    assert authority.max_header_count == 0
    assert authority.methods == frozenset()
    assert FetchAuthority.from_dict({}).authorize(get()).reason == "origin_denied"


def test_untrusted_origin_is_denied() -> None:
    decision = grant().authorize(get("https://evil.test/steal"))
    assert (decision.allowed, decision.reason, decision.origin) == (
        False,
        "origin_denied",
        "https://evil.test",
    )


def test_method_escalation_is_denied() -> None:
    decision = FetchAuthority.from_dict({"origins": [API]}).authorize(get(method="DELETE"))
    assert decision.reason == DenyReason.METHOD_DENIED


def test_credentials_are_denied_by_default() -> None:
    for mode in ("same-origin", "include"):
        assert grant().authorize(get(credentials=mode)).reason == "credentials_denied"


def test_explicit_credentials_grant() -> None:
    authority = grant(credentials="include")
    assert authority.authorize(get(credentials="include")).allowed
    assert authority.authorize(get(credentials="same-origin")).allowed


def test_header_limit() -> None:
    authority = grant(max_header_count=2)
    assert authority.authorize(get(headers=[("a", "1"), ("b", "2")])).allowed
    decision = authority.authorize(get(headers=[("a", "1"), ("a", "1"), ("a", "1")]))
    assert decision.reason == "header_count_exceeded"
    assert "3 headers" in decision.detail


def test_invalid_url() -> None:
    for url in ("not a url", "https://", "https://exa mple.com/", "//api.example.com/"):
        decision = grant().authorize(get(url))
        assert (decision.reason, decision.origin) == ("invalid_url", None), url


def test_explicitly_permitted_request() -> None:
    decision = grant().authorize(
        FetchRequest(method="POST", url=f"{API}/v1", headers=[("content-type", "text/plain")], body=b"hi")
    )
    assert decision == Decision(True, None, API)


def test_wildcard_never_grants_credentials() -> None:
    with pytest.raises(PolicyError, match=r'credentials: "include" cannot be combined with a wildcard origin \("https://\*\.example\.com"\)$'):
        FetchAuthority.from_dict({"origins": ["https://*.example.com"], "credentials": "include"})
    authority = FetchAuthority.from_dict({"origins": ["https://*.example.com"]})
    with pytest.raises(PolicyError, match="credentials"):
        authority.narrow(credentials="include")
    assert authority.authorize(get("https://a.example.com/", credentials="include")).reason == (
        "credentials_denied"
    )


# -- one test per deny reason ----------------------------------------------------------------

REASON_EXAMPLES: dict[DenyReason, FetchRequest | object] = {
    DenyReason.INVALID_REQUEST: {"method": "GET", "url": API},
    DenyReason.INVALID_URL: get("https://[::1"),
    DenyReason.SCHEME_DENIED: get("javascript:alert(1)"),
    DenyReason.USERINFO_DENIED: get("https://user:secret@api.example.com/"),
    DenyReason.ORIGIN_DENIED: get("https://api.example.com.evil.test/"),
    DenyReason.INVALID_METHOD: get(method="GE T"),
    DenyReason.METHOD_FORBIDDEN: get(method="trace"),
    DenyReason.METHOD_DENIED: get(method="PUT"),
    DenyReason.CREDENTIALS_DENIED: get(credentials="include"),
    DenyReason.HEADER_COUNT_EXCEEDED: get(headers=[("a", "b")] * 17),
    DenyReason.INVALID_HEADER: get(headers=[("x-a", "1\r\nHost: evil.test")]),
    DenyReason.FORBIDDEN_HEADER: get(headers=[("X-HTTP-Method-Override", "DELETE")]),
    DenyReason.BODY_NOT_ALLOWED: get(body=b""),
    DenyReason.BODY_TOO_LARGE: FetchRequest(method="POST", url=API, body=b"x" * (1 << 20 + 1)),
}


NOT_FROM_AUTHORIZE = {DenyReason.ORIGIN_MISMATCH, DenyReason.RATE_LIMITED}
PYTHON_REASONS = [r for r in DenyReason if r not in NOT_FROM_AUTHORIZE]


def test_every_reason_has_an_example() -> None:
    # origin_mismatch comes only from the JS bridge's re-check, rate_limited only from the
    # request limiters (browser_rt.fetch.limits and the bridge's); authorize gives neither.
    assert set(REASON_EXAMPLES) == set(PYTHON_REASONS)
    assert DenyReason.RATE_LIMITED == "rate_limited"


@pytest.mark.parametrize("reason", PYTHON_REASONS, ids=[r.value for r in PYTHON_REASONS])
def test_deny_reason(reason: DenyReason) -> None:
    decision = grant().authorize(REASON_EXAMPLES[reason])
    assert decision.allowed is False
    assert decision.reason is reason
    assert decision.reason == reason.value  # a str enum
    assert decision.detail


def test_detail_never_echoes_header_values_or_userinfo() -> None:
    secret = "Bearer-SECRET-0123456789"
    decisions = [
        grant().authorize(get(headers=[("authorization", secret + "\n")])),
        grant().authorize(get(f"https://{secret}@api.example.com/")),
        grant().authorize(get(headers=[(secret + " x", "v")])),
        grant().authorize(get(method=secret + " ")),
    ]
    for decision in decisions:
        assert not decision.allowed
        assert "SECRET" not in decision.detail and "SECRET" not in repr(decision)


# -- loading ---------------------------------------------------------------------------------


def test_grants_are_canonicalized() -> None:
    authority = FetchAuthority.from_dict(
        {"origins": ["HTTPS://API.Example.com:443/", "http://LOCALHOST:80", "https://b\u00fccher.example"]}
    )
    assert authority.to_dict()["origins"] == [
        "http://localhost",
        "https://api.example.com",
        "https://xn--bcher-kva.example",
    ]


def test_to_dict_round_trips() -> None:
    authority = FetchAuthority.from_dict(
        {
            "origins": ["https://api.example.com", "https://*.cdn.example.com:8443"],
            "methods": ["post", "GET"],
            "credentials": "same-origin",
            "max_header_count": 3,
            "redirect": "follow",
            "timeout_ms": 5000,
            "base": "https://api.example.com/",
        }
    )
    document = authority.to_dict()
    assert document["methods"] == ["GET", "POST"]
    assert document["base"] == "https://api.example.com"
    assert FetchAuthority.from_dict(document) == authority
    assert FetchAuthority.from_json(authority.to_json()) == authority


STAR_ONLY_LEADING = r'^origins\[0\]: "\*" is only allowed as a leading "\*\." label$'


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {"origins": [API, API, API, "https://api.example.com/v1"]},
            r"^origins\[3\]: path not allowed in an origin$",
        ),
        ({"origins": ["https://api.example.com?x=1"]}, r"^origins\[0\]: query not allowed"),
        ({"origins": ["https://api.example.com#x"]}, r"^origins\[0\]: fragment not allowed"),
        ({"origins": ["https://user@api.example.com"]}, r"^origins\[0\]: userinfo not allowed"),
        ({"origins": ["*"]}, r'^origins\[0\]: a bare "\*" is not allowed'),
        ({"origins": ["https://*"]}, STAR_ONLY_LEADING),
        ({"origins": ["https://*.com"]}, r"^origins\[0\]: a wildcard needs at least two labels"),
        ({"origins": ["https://*.127.0.0.1"]}, r"^origins\[0\]: a wildcard needs a domain"),
        ({"origins": ["https://a.*.example.com"]}, STAR_ONLY_LEADING),
        ({"origins": ["https://**.example.com"]}, STAR_ONLY_LEADING),
        ({"origins": ["ftp://api.example.com"]}, r"^origins\[0\]: only http and https"),
        ({"origins": ["api.example.com"]}, r"^origins\[0\]: not an origin of the form"),
        ({"origins": [" https://api.example.com"]}, r"^origins\[0\]: contains whitespace"),
        ({"origins": ["https://api.example.com:99999"]}, r"^origins\[0\]: port is out of range"),
        ({"origins": ["https://exa mple.com"]}, r"^origins\[0\]: contains whitespace"),
        ({"origins": [42]}, r"^origins\[0\]: must be a string, got an integer$"),
        ({"origins": "https://api.example.com"}, r"^origins: must be a list"),
        ({"origins": [f"https://h{i}.example.com" for i in range(1001)]}, r"^origins: 1001 entries"),
        ({"methods": ["CONNECT"]}, r"^methods\[0\]: CONNECT is never allowed"),
        ({"methods": ["GET", "track"]}, r"^methods\[1\]: TRACK is never allowed"),
        ({"methods": ["PURGE"]}, r'^methods\[0\]: "PURGE" is not a standard method'),
        ({"methods": "GET"}, r"^methods: must be a list"),
        ({"credentials": "yes"}, r'^credentials: must be one of "omit", "same-origin", "include", got "yes"'),
        ({"redirect": "manual"}, r'^redirect: must be one of "error", "follow", got "manual"$'),
        ({"max_header_count": -1}, r"^max_header_count: -1 is outside 0\.\.64$"),
        ({"max_header_count": 65}, r"^max_header_count: 65 is outside"),
        ({"max_header_count": True}, r"^max_header_count: must be an integer, got a boolean$"),
        ({"timeout_ms": 1.5}, r"^timeout_ms: must be an integer, got a float$"),
        ({"max_response_body_bytes": 0}, r"^max_response_body_bytes: 0 is outside"),
        ({"max_concurrent_requests": 0}, r"^max_concurrent_requests: 0 is outside 1\.\.64$"),
        ({"max_concurrent_requests": 65}, r"^max_concurrent_requests: 65 is outside 1\.\.64$"),
        ({"max_concurrent_requests": True}, r"^max_concurrent_requests: must be an integer, got a boolean$"),
        ({"max_queued_requests": -1}, r"^max_queued_requests: -1 is outside 0\.\.10000$"),
        ({"max_queued_requests": 10_001}, r"^max_queued_requests: 10001 is outside 0\.\.10000$"),
        ({"max_queued_requests": False}, r"^max_queued_requests: must be an integer, got a boolean$"),
        ({"max_requests_per_minute": 0}, r"^max_requests_per_minute: 0 is outside 1\.\.60000$"),
        ({"max_requests_per_minute": 60_001}, r"^max_requests_per_minute: 60001 is outside 1\.\.60000$"),
        ({"max_requests_per_minute": 1.5}, r"^max_requests_per_minute: must be an integer, got a float$"),
        ({"max_requests_per_minute": None}, r"^max_requests_per_minute: must be an integer, got null$"),
        ({"base": "https://api.example.com/v1/"}, r"^base: path not allowed"),
        ({"base": "https://*.example.com"}, r"^base: must be a single origin"),
        ({"origin": [API]}, r'^policy: unknown key "origin"$'),
    ],
)
def test_bad_policies_name_the_offending_entry(document: dict, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        FetchAuthority.from_dict(document)


def test_policy_json_errors() -> None:
    with pytest.raises(PolicyError, match=r"^policy: not valid JSON \(line 1 column"):
        FetchAuthority.from_json("{nope")
    with pytest.raises(PolicyError, match=r"^policy: must be an object, got a list$"):
        FetchAuthority.from_json("[]")
    with pytest.raises(PolicyError, match=r'^policy: duplicate key "origins"$'):
        FetchAuthority.from_json('{"origins": [], "origins": ["https://evil.test"]}')
    with pytest.raises(PolicyError, match=r"more than 65536"):
        FetchAuthority.from_json(json.dumps({"origins": [API] * 3000}))
    with pytest.raises(PolicyError, match=r"^policy: JSON nested more than 32 levels deep$"):
        FetchAuthority.from_json("[" * 20_000 + "]" * 20_000)
    with pytest.raises(PolicyError, match="expected JSON text"):
        FetchAuthority.from_json(42)  # type: ignore[arg-type]


def test_deny_all_round_trips() -> None:
    denied = FetchAuthority.deny_all()
    assert FetchAuthority.from_dict(denied.to_dict()) == denied
    assert FetchAuthority.from_json(denied.to_json()).max_header_count == 0


# -- request rate and concurrency limits -----------------------------------------------------

RATE_KEYS = ("max_concurrent_requests", "max_queued_requests", "max_requests_per_minute")


def _rate_limits(authority: FetchAuthority) -> tuple[int, ...]:
    return tuple(getattr(authority, key) for key in RATE_KEYS)


def test_rate_limits_default_and_deny_all_uses_the_smallest() -> None:
    assert _rate_limits(FetchAuthority.from_dict({})) == (4, 64, 600)
    assert _rate_limits(grant()) == (4, 64, 600)
    assert _rate_limits(FetchAuthority.deny_all()) == (1, 0, 1)
    document = FetchAuthority.deny_all().to_dict()
    assert tuple(document[key] for key in RATE_KEYS) == (1, 0, 1)


@pytest.mark.parametrize(
    ("key", "low", "high"),
    [
        ("max_concurrent_requests", 1, 64),
        ("max_queued_requests", 0, 10_000),
        ("max_requests_per_minute", 1, 60_000),
    ],
)
def test_rate_limits_load_at_their_bounds_and_not_beyond(key: str, low: int, high: int) -> None:
    for value in (low, high):
        assert getattr(FetchAuthority.from_dict({key: value}), key) == value
        assert getattr(FetchAuthority.from_json(json.dumps({key: value})), key) == value
    for value in (low - 1, high + 1):
        with pytest.raises(PolicyError, match=rf"^{key}: {value} is outside {low}\.\.{high}$"):
            FetchAuthority.from_dict({key: value})
    for value, name in ((True, "a boolean"), (2.0, "a float"), ("5", "a string"), ([1], "a list")):
        with pytest.raises(PolicyError, match=rf"^{key}: must be an integer, got {name}$"):
            FetchAuthority.from_dict({key: value})
    with pytest.raises(PolicyError, match=rf"^{key}: must be an integer, got a float$"):
        FetchAuthority.from_json(f'{{"{key}": {low}.0}}')


def test_rate_limits_are_serialized_and_round_trip() -> None:
    authority = grant(max_concurrent_requests=2, max_queued_requests=0, max_requests_per_minute=60_000)
    document = authority.to_dict()
    assert {key: document[key] for key in RATE_KEYS} == {
        "max_concurrent_requests": 2,
        "max_queued_requests": 0,
        "max_requests_per_minute": 60_000,
    }
    assert FetchAuthority.from_dict(document) == authority
    assert FetchAuthority.from_json(authority.to_json()) == authority
    assert json.loads(authority.to_json())["max_requests_per_minute"] == 60_000
    assert authority != grant()  # the limits are part of the grant's identity


def test_rate_limits_narrow_only_downwards() -> None:
    parent = grant(max_concurrent_requests=8, max_queued_requests=10, max_requests_per_minute=100)
    child = parent.narrow(max_concurrent_requests=1, max_queued_requests=0, max_requests_per_minute=99)
    assert _rate_limits(child) == (1, 0, 99)
    assert _rate_limits(parent.narrow(methods=["GET"])) == (8, 10, 100)
    assert _rate_limits(parent.narrow(max_queued_requests=10)) == (8, 10, 100)
    wider = [
        ({"max_concurrent_requests": 9}, r"^max_concurrent_requests: 9 is wider than the parent's 8$"),
        ({"max_queued_requests": 11}, r"^max_queued_requests: 11 is wider than the parent's 10$"),
        ({"max_requests_per_minute": 101}, r"^max_requests_per_minute: 101 is wider than the parent's 100$"),
        ({"max_concurrent_requests": 0}, r"^max_concurrent_requests: 0 is outside 1\.\.64$"),
        ({"max_queued_requests": True}, r"^max_queued_requests: must be an integer, got a boolean$"),
    ]
    for kwargs, message in wider:
        with pytest.raises(PolicyError, match=message):
            parent.narrow(**kwargs)
    with pytest.raises(PolicyError, match=r"^max_concurrent_requests: 2 is wider than the parent's 1$"):
        FetchAuthority.deny_all().narrow(max_concurrent_requests=2)


def test_authorize_never_rate_limits() -> None:
    """authorize() is stateless: the tightest limits change no decision, however many are made."""
    tight = grant(max_concurrent_requests=1, max_queued_requests=0, max_requests_per_minute=1)
    decisions = {tight.authorize(get(f"{API}/{i}")) for i in range(50)}
    assert decisions == {Decision(True, None, API)}


def test_methods_default_to_get_only_when_origins_are_granted() -> None:
    assert FetchAuthority.from_dict({"origins": [API]}).methods == frozenset({"GET"})
    assert FetchAuthority.from_dict({}).methods == frozenset()


def test_relative_urls_need_a_declared_base() -> None:
    assert grant().authorize(get("/v1")).reason == "invalid_url"
    based = grant(base=API)
    assert based.authorize(get("/v1")) == Decision(True, None, API)
    assert based.authorize(get("//evil.test/")).reason == "origin_denied"


def test_authority_is_immutable() -> None:
    authority = grant()
    with pytest.raises(AttributeError):
        authority.methods = frozenset({"DELETE"})  # type: ignore[misc]
    assert isinstance(authority.origins, frozenset)


# -- narrowing -------------------------------------------------------------------------------


def test_narrow_only_shrinks() -> None:
    parent = FetchAuthority.from_dict(
        {"origins": [API, "https://*.example.org"], "methods": ["GET", "POST"], "credentials": "same-origin"}
    )
    child = parent.narrow(origins=["https://a.example.org", "https://*.b.example.org"], methods=["get"])
    assert child.authorize(get("https://a.example.org/")).allowed
    assert child.authorize(get("https://x.b.example.org/")).allowed
    assert child.authorize(get()).reason == "origin_denied"
    assert child.authorize(get("https://a.example.org/", method="POST", body=b"")).reason == "method_denied"
    assert child.credentials == "same-origin"
    assert parent.narrow(credentials="omit").authorize(get(credentials="same-origin")).reason == (
        "credentials_denied"
    )
    assert parent.narrow(max_header_count=1).max_header_count == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"origins": ["https://evil.test"]}, r"^origins\[0\]: not granted by the parent"),
        ({"origins": [API, "https://*.api.example.com"]}, r"^origins\[1\]: not granted by the parent"),
        ({"methods": ["DELETE"]}, r"^methods\[0\]: DELETE is not granted by the parent"),
        ({"credentials": "include"}, r'^credentials: "include" is wider than the parent\'s "omit"$'),
        ({"redirect": "follow"}, r'^redirect: "follow" is wider than the parent\'s "error"$'),
        ({"max_header_count": 17}, r"^max_header_count: 17 is wider"),
        ({"timeout_ms": 0}, r"^timeout_ms: 0 is outside"),
        ({"max_retries": 1}, r'^narrow: unknown setting "max_retries"$'),
    ],
)
def test_narrow_refuses_to_widen(kwargs: dict, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        grant().narrow(**kwargs)


def test_narrow_wildcard_to_exact_and_deeper_wildcard() -> None:
    parent = FetchAuthority.from_dict({"origins": ["https://*.example.com"]})
    assert (
        parent.narrow(origins=["https://a.b.example.com"]).authorize(get("https://a.b.example.com/")).allowed
    )
    with pytest.raises(PolicyError):
        parent.narrow(origins=["https://example.com"])
    with pytest.raises(PolicyError):
        parent.narrow(origins=["https://*.example.com:8443"])


# -- totality --------------------------------------------------------------------------------

HOSTILE_REQUESTS: list[object] = [
    None,
    42,
    "GET https://api.example.com",
    FetchRequest(method=None, url=API),  # type: ignore[arg-type]
    FetchRequest(method="GET", url=b"https://api.example.com"),  # type: ignore[arg-type]
    FetchRequest(method="GET", url=API, headers="accept: x"),  # type: ignore[arg-type]
    FetchRequest(method="GET", url=API, headers=[("a",)]),  # type: ignore[list-item]
    FetchRequest(method="GET", url=API, headers=[(1, 2)]),  # type: ignore[list-item]
    FetchRequest(method="GET", url=API, headers=[None]),  # type: ignore[list-item]
    FetchRequest(method="GET", url=API, credentials=None),  # type: ignore[arg-type]
    FetchRequest(method="POST", url=API, body=object()),  # type: ignore[arg-type]
    FetchRequest(method="GET", url="https://" + "a" * 10_000_000),
    FetchRequest(method="GET" * 1_000_000, url=API),
    FetchRequest(method="GET", url=API, headers=[("a", "b")] * 1_000_000),
    FetchRequest(method="POST", url=API, body="\ud800" * 10),
    FetchRequest(method="GET", url="https://\ud800.example.com/"),
    FetchRequest(method="GET", url="https://api.example.com\x00.evil.test/"),
    FetchRequest(method="GET", url="https://" + "\u00e9." * 3000 + "com/"),
    FetchRequest(method="GET", url="https://[" + "1:" * 5000 + "]/"),
    FetchRequest(method="GET", url="http://" + "0x" + "f" * 5000 + "/"),
]


@pytest.mark.parametrize("request_", HOSTILE_REQUESTS, ids=lambda r: repr(r)[:40])
def test_authorize_is_total(request_: object) -> None:
    decision = grant().authorize(request_)
    assert isinstance(decision, Decision)
    assert decision.allowed is False
    assert decision.detail != "request: could not be checked"
