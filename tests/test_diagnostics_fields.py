"""Each field's reduction: what it keeps, what it refuses, and that no input makes emit raise."""

from __future__ import annotations

import math
import sys
from typing import Any

import pytest

from browser_rt.diagnostics import Diagnostics, DiagnosticsConfigError, MemorySink


def emit_one(
    mode: str = "metadata_only", event_type: Any = "fetch.decision", **fields: Any
) -> dict[str, Any]:
    sink = MemorySink()
    Diagnostics(mode=mode, sinks=[sink]).emit(event_type, **fields)
    (record,) = sink.events
    return record


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("https://api.example.com", "https://api.example.com"),
        ("HTTPS://API.Example.COM", "https://api.example.com"),
        ("http://localhost:8080", "http://localhost:8080"),
        ("https://[::1]:8443", "https://[::1]:8443"),
        ("https://*.example.com", "https://*.example.com"),
        ("https://xn--bcher-kva.example.", "https://xn--bcher-kva.example."),
    ],
)
def test_canonical_origins_are_kept(given: str, kept: str) -> None:
    assert emit_one(origin=given)["origin"] == kept


@pytest.mark.parametrize(
    "given",
    [
        "https://user:pw@api.example.com",
        "https://api.example.com/path",
        "https://api.example.com?q=1",
        "https://api.example.com:99999",
        "https://api.example.com:0443",
        "ftp://api.example.com",
        "https://bad host",
        "https://" + "a" * 400,
        "",
        b"https://api.example.com",
        42,
    ],
)
def test_non_canonical_origins_are_dropped(given: object) -> None:
    record = emit_one(origin=given)
    assert "origin" not in record
    assert record["invalid_fields"] == ["origin"]


@pytest.mark.parametrize(
    ("given", "kept"),
    [("GET", "GET"), ("patch", "patch"), ("TRACE", "TRACE"), ("FOO", "<other>"), ("Bearer-xyz", "<other>")],
)
def test_methods_are_named_only_when_standard(given: str, kept: str) -> None:
    assert emit_one(method=given)["method"] == kept


@pytest.mark.parametrize(
    "detail",
    [
        "headers[3]: name is not an RFC 9110 token",
        "headers[0]: value contains CR, LF, NUL or a code point above U+00FF",
        "credentials: only 'omit' is granted",
        "url: port is out of range",
        "url: IPv6 address has more than one '::'",
        "origins[2]: path not allowed in an origin",
        "methods[1]: must be a string, got int",
    ],
)
def test_policy_details_are_kept(detail: str) -> None:
    assert emit_one(detail=detail)["detail"] == detail


@pytest.mark.parametrize(
    "detail",
    [
        "headers[0]: value Bearer 4f9a1c2b7d3e",
        "token sk_live_51HcW9a",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig",
        "password is hUnTeR",
        "pin 12345678901",
        'value: "quoted"',
        "line\nbreak",
        "x" * 161,
        "",
    ],
)
def test_details_that_could_carry_a_secret_are_dropped(detail: str) -> None:
    record = emit_one(detail=detail)
    assert "detail" not in record
    assert record["invalid_fields"] == ["detail"]


@pytest.mark.parametrize(
    ("url", "reduced"),
    [
        (
            "https://api.example.com:443/a/bcd/?x=1&y&z=#frag",
            {
                "scheme": "https",
                "origin": "https://api.example.com",
                "has_userinfo": False,
                "query_count": 3,
                "has_fragment": True,
                "path_length": 7,
                "path_shape": [1, 3, 0],
                "query_keys": ["x", "<redacted>", "z"],
            },
        ),
        (
            "  HTTP://u:p@Example.COM:8080\\a\t\\b  ",
            {
                "scheme": "http",
                "origin": "http://example.com:8080",
                "has_userinfo": True,
                "query_count": 0,
                "has_fragment": False,
                "path_length": 4,
                "path_shape": [1, 1],
                "query_keys": [],
            },
        ),
        (
            "https://user:pa?ss=1@api.example.com/",
            {
                "scheme": "https",
                "origin": "<invalid>",
                "has_userinfo": False,
                "query_count": 1,
                "has_fragment": False,
                "path_length": 0,
                "path_shape": [],
            },
        ),
        (
            "/v1/items?Signature=4f9a1c2b7d3e5f60&page=2",
            {
                "query_count": 2,
                "has_fragment": False,
                "path_length": 9,
                "path_shape": [2, 5],
                "query_keys": ["Signature", "page"],
            },
        ),
        (
            "?4f9a1c2b7d3e5f60a1b2=1",
            {
                "query_count": 1,
                "has_fragment": False,
                "path_length": 0,
                "path_shape": [],
                "query_keys": ["<redacted>"],
            },
        ),
        (
            "javascript:alert(document.cookie)",
            {
                "scheme": "javascript",
                "query_count": 0,
                "has_fragment": False,
                "path_length": 22,
                "path_shape": [22],
                "query_keys": [],
            },
        ),
        (
            "chrome-extension://abc/x",
            {
                "scheme": "<other>",
                "query_count": 0,
                "has_fragment": False,
                "path_length": 7,
                "path_shape": [0, 3, 1],
                "query_keys": [],
            },
        ),
        (
            "//cdn.example.com/lib.js",
            {
                "has_userinfo": False,
                "query_count": 0,
                "has_fragment": False,
                "path_length": 7,
                "path_shape": [6],
                "query_keys": [],
            },
        ),
    ],
)
def test_urls_are_reduced_to_origin_and_shape(url: str, reduced: dict[str, object]) -> None:
    assert emit_one(url=url)["url"] == reduced


def test_strict_url_keeps_only_origin_scheme_and_counts() -> None:
    record = emit_one("strict", url="https://u:p@api.example.com/a/b?k=v#f")
    assert record["url"] == {
        "scheme": "https",
        "origin": "https://api.example.com",
        "has_userinfo": True,
        "query_count": 1,
        "has_fragment": True,
    }


def test_headers_keep_names_and_count_but_never_values() -> None:
    headers = [("Authorization", "Bearer abc"), ("X Bad", "v"), ("Cookie", "a=b"), ("only-one",)]
    assert emit_one(headers=headers)["headers"] == {
        "count": 4,
        "names": ["authorization", "<invalid>", "cookie", "<invalid>"],
    }
    assert emit_one(headers={"Accept": "x"})["headers"] == {"count": 1, "names": ["accept"]}
    assert emit_one("strict", headers=headers)["headers"] == {"count": 4}


@pytest.mark.parametrize(
    ("body", "size"),
    [(b"abc", 3), (bytearray(5), 5), (memoryview(b"abcd")[1:], 3), ("h\u00e9", 3), ("\ud800", 3), ("", 0)],
)
def test_bodies_leave_only_as_their_size(body: object, size: int) -> None:
    assert emit_one(body=body)["body"] == {"bytes": size}


class OwnRuntimeError(RuntimeError):
    pass


class Meta(type):
    @property
    def __module__(cls) -> str:  # type: ignore[override]
        raise AssertionError("the error lookup must not call class attributes")

    @property
    def __mro__(cls) -> tuple[type, ...]:  # type: ignore[override]
        raise AssertionError("the error lookup must not call class attributes")


class Sneaky(ValueError, metaclass=Meta):
    pass


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        (KeyError("secret"), {"type": "KeyError"}),
        (OwnRuntimeError("secret"), {"type": "RuntimeError"}),
        (Sneaky("secret"), {"type": "ValueError"}),
        (DiagnosticsConfigError("secret"), {"type": "DiagnosticsConfigError"}),
        (ExceptionGroup("secret", [ValueError("x")]), {"type": "ExceptionGroup"}),
        ("server said secret", {"chars": 18}),
    ],
)
def test_errors_leave_only_as_an_allowlisted_type_or_a_length(error: object, shown: object) -> None:
    assert emit_one(error=error)["error"] == shown


def test_a_type_name_cannot_be_borrowed_by_claiming_our_module() -> None:
    fake = type("SecretToken123", (ValueError,), {"__module__": "browser_rt.diagnostics"})
    assert emit_one(error=fake("x"))["error"] == {"type": "ValueError"}


def test_policy_summary_keeps_counts_and_origins_only() -> None:
    record = emit_one(
        "metadata_only",
        "authority.loaded",
        policy={
            "origins": ["HTTPS://A.example.com:443", "https://u:p@b.example.com"],
            "methods": ["GET", "SPECIAL"],
            "credentials": "include",
            "redirect": "follow",
            "max_request_body_bytes": 1024,
            "max_response_body_bytes": -1,
            "base": "https://api.example.com",
            "secret_token": "abc",
            7: "x",
        },
    )
    assert record["policy"] == {
        "origins": ["https://a.example.com:443", "<invalid>"],
        "origin_count": 2,
        "methods": ["GET", "<other>"],
        "credentials": "include",
        "redirect": "follow",
        "max_request_body_bytes": 1024,
        "base": "https://api.example.com",
        "invalid_keys": ["max_response_body_bytes"],
        "unknown_keys": 2,
    }


def test_the_authority_summary_passes_whole() -> None:
    summary = {
        "origin_count": 2,
        "wildcard_count": 1,
        "methods": ["GET", "HEAD"],
        "credentials": "omit",
        "redirect": "error",
        "max_header_count": 16,
        "max_request_body_bytes": 1048576,
        "max_response_body_bytes": 10485760,
        "timeout_ms": 30000,
    }
    assert emit_one(event_type="authority.loaded", policy=summary)["policy"] == summary


def test_lists_are_capped() -> None:
    record = emit_one(paths=[f"js.p{i}" for i in range(100)], headers=[("a", "b")] * 100)
    assert len(record["paths"]) == 64
    assert record["headers"]["count"] == 100
    assert len(record["headers"]["names"]) == 64


@pytest.mark.parametrize(
    ("name", "value", "kept"),
    [
        ("status", 404, 404),
        ("status", 1000, None),
        ("status", True, None),
        ("header_count", 3, 3),
        ("header_count", -1, None),
        ("request_bytes", 2**60, None),
        ("duration_ms", 1.5, 1.5),
        ("duration_ms", math.nan, None),
        ("duration_ms", math.inf, None),
        ("duration_ms", -0.5, None),
        ("region", 3, 3),
        ("task", "fetch-worker/2", "fetch-worker/2"),
        ("task", "has space", None),
        ("budget", "fetches", "fetches"),
        ("budget", 2.5, 2.5),
        ("seed", 2**64 - 1, 2**64 - 1),
        ("seed", -1, None),
        (
            "replay",
            "browser-rt lab replay --seed 7 tests/t.py::test_x[a]",
            "browser-rt lab replay --seed 7 tests/t.py::test_x[a]",
        ),
        ("replay", "LabRuntime(seed=7)", "LabRuntime(seed=7)"),
        ("replay", "browser-rt lab replay --seed 7 'quoted'", None),
        ("replay", "browser-rt lab replay; rm -rf /", None),
        ("decision", "allow", "allow"),
        ("decision", "maybe", None),
        ("reason", "origin_denied", "origin_denied"),
        ("reason", "Origin Denied", None),
        ("code", "network_error", "network_error"),
        ("paths", ["js.fetch", "bad path", 3], ["js.fetch", "<invalid>", "<invalid>"]),
        ("paths", "js.fetch", None),
    ],
)
def test_metadata_values_must_have_their_promised_shape(name: str, value: object, kept: object) -> None:
    record = emit_one(**{name: value})
    if kept is None:
        assert name not in record
        assert record["invalid_fields"] == [name]
    else:
        assert record[name] == kept
        assert "invalid_fields" not in record


def test_none_means_absent() -> None:
    record = emit_one(origin=None, body=None, error=None)
    assert set(record) == {"schema", "seq", "ts", "type", "severity", "redaction"}


@pytest.mark.parametrize(
    "event_type",
    ["Fetch.Decision", "fetch", "fetch.decision\n", "a." + "b" * 40, "fetch decision", 42, None],
)
def test_an_event_type_that_is_not_a_dotted_name_is_replaced(event_type: object) -> None:
    record = emit_one(event_type=event_type)
    assert record["type"] == "invalid.type"
    assert record["invalid_fields"] == ["type"]


def test_callers_cannot_emit_internal_types_or_fields() -> None:
    record = emit_one(event_type="diagnostics.dropped", dropped={"total": 99}, sink="x", failures=3)
    assert record["type"] == "invalid.type"
    assert record["invalid_fields"] == ["dropped", "failures", "sink", "type"]
    assert "dropped" not in record


def test_envelope_names_cannot_be_overridden() -> None:
    record = emit_one(seq=99, ts=0, schema="evil", redaction="none", raw={"x": 1})
    assert record["seq"] == 1
    assert record["schema"] == "browser-rt-event-v1"
    assert record["redaction"] == "metadata_only"
    assert "raw" not in record
    assert record["invalid_fields"] == ["raw", "redaction", "schema", "seq", "ts"]


def test_an_unknown_severity_becomes_info_and_is_marked() -> None:
    record = emit_one(severity="fatal")
    assert record["severity"] == "info"
    assert record["invalid_fields"] == ["severity"]


class Hostile:
    """Every dunder a careless redactor might call raises."""

    def __str__(self) -> str:
        raise RuntimeError("str")

    def __repr__(self) -> str:
        raise RuntimeError("repr")

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("eq")

    def __hash__(self) -> int:
        raise RuntimeError("hash")

    def __len__(self) -> int:
        raise RuntimeError("len")

    def __iter__(self) -> Any:
        raise RuntimeError("iter")


class TrickStr(str):
    def __str__(self) -> str:
        raise RuntimeError("str")

    def lower(self) -> str:  # type: ignore[override]
        raise RuntimeError("lower")


class TrickList(list[object]):
    def __iter__(self) -> Any:
        raise RuntimeError("iter")

    def __len__(self) -> int:
        raise RuntimeError("len")


class TrickBytes(bytes):
    def __len__(self) -> int:
        raise RuntimeError("len")


def test_hostile_values_never_make_emit_raise() -> None:
    sink = MemorySink()
    diag = Diagnostics(sinks=[sink])
    hostile = Hostile()
    for name in ("origin", "url", "headers", "body", "error", "message", "policy", "paths", "status", "x"):
        diag.emit("fetch.decision", **{name: hostile})
    diag.emit(hostile, severity=hostile, origin=hostile)  # type: ignore[arg-type]
    diag.emit(
        "fetch.decision",
        origin=TrickStr("https://api.example.com"),
        reason=TrickStr("origin_denied"),
        headers=TrickList([("a", "b")]),
        paths=TrickList(["js.fetch"]),
        body=TrickBytes(b"abc"),
        **{TrickStr("unknown"): 1},
    )
    records = sink.events
    assert len(records) == 12
    assert [record.get("invalid_fields") for record in records[:9]] == [
        [name]
        for name in ("origin", "url", "headers", "body", "error", "message", "policy", "paths", "status")
    ]
    assert records[9]["unknown_fields"] == 1
    assert records[10]["type"] == "invalid.type"
    assert records[10]["invalid_fields"] == ["origin", "severity", "type"]
    last = records[11]
    assert last["origin"] == "https://api.example.com"
    assert last["reason"] == "origin_denied"
    assert last["headers"] == {"count": 1, "names": ["a"]}
    assert last["paths"] == ["js.fetch"]
    assert last["body"] == {"bytes": 3}
    assert last["unknown_fields"] == 1
    assert diag.stats.internal_errors == 0


# Pyodide's stack is far smaller than CPython's: freeing a list nested 10,000 deep overflows it
# in the interpreter itself, whatever the code under test does.
NESTING = 1_000 if sys.platform == "emscripten" else 10_000


def test_deeply_nested_and_huge_values_are_handled() -> None:
    nested: list[object] = []
    for _ in range(NESTING):
        nested = [nested]
    record = emit_one(headers=nested, policy={"origins": nested}, url="https://a.example/" + "x/" * 100_000)
    assert record["headers"] == {"count": 1, "names": ["<invalid>"]}
    assert record["policy"] == {"origins": ["<invalid>"], "origin_count": 1}
    assert record["url"]["path_length"] == 200_001
    assert len(record["url"]["path_shape"]) == 32
