"""Fuzz targets for diagnostics redaction, building on tests/test_diagnostics_property.py.

That property plants secrets in the fields a careful caller uses. These targets add: any value
of any shape in every field (emit never raises, counts no internal error, and the record always
matches the shipped schema), secrets flowing through the real fetch pipeline rather than a hand
built event, and `strict` never showing more than `metadata_only`.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from fuzz_support import FUZZ, confusing_urls
from hypothesis import given
from hypothesis import strategies as st
from test_diagnostics_property import WINDOW
from test_diagnostics_schema import problems_with

from browser_rt import FetchAuthority
from browser_rt.diagnostics import EVENT_TYPES, FIELDS, SEVERITIES, Diagnostics, MemorySink, RateLimit
from browser_rt.fetch import FetchDenied, HostRequest, NetworkError, Response, authorized_fetch
from browser_rt.lab import LabRuntime


class Hostile:
    """A value whose every hook raises, as a hostile caller could pass."""

    def __str__(self) -> str:
        raise RuntimeError("str")

    def __repr__(self) -> str:
        raise RuntimeError("repr")

    def __len__(self) -> int:
        raise RuntimeError("len")

    def __iter__(self) -> Any:
        raise RuntimeError("iter")

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("eq")

    __hash__ = None  # type: ignore[assignment]


class LoudError(ValueError):
    def __str__(self) -> str:
        raise RuntimeError("no text for you")


HOSTILE, LOUD, CANCELLED = "<hostile>", "<loud-error>", "<cancelled>"
"""Markers that `materialize` swaps for hostile objects, so Hypothesis itself never touches one."""
ATOMS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.binary(max_size=30),
    confusing_urls(),
    st.sampled_from([HOSTILE, LOUD, CANCELLED]),
    st.builds(ValueError, st.text(max_size=10)),
)
VALUES = st.recursive(
    ATOMS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.text(max_size=8), inner, max_size=4),
    ),
    max_leaves=10,
)
NAMES = st.one_of(st.sampled_from(sorted(FIELDS)), st.text(max_size=12))


def materialize(value: Any) -> Any:
    if isinstance(value, str) and value in (HOSTILE, LOUD, CANCELLED):
        return {HOSTILE: Hostile, LOUD: LoudError, CANCELLED: asyncio.CancelledError}[value]()
    if isinstance(value, list):
        return [materialize(v) for v in value]
    if isinstance(value, tuple):
        return tuple(materialize(v) for v in value)
    if isinstance(value, dict):
        return {k: materialize(v) for k, v in value.items()}
    return value


@FUZZ
@given(
    st.one_of(st.sampled_from(sorted(EVENT_TYPES)), st.text(max_size=20)),
    st.one_of(st.sampled_from(SEVERITIES), st.text(max_size=6)),
    st.dictionaries(NAMES, VALUES, max_size=8),
    st.sampled_from(["metadata_only", "strict"]),
)
def test_any_value_in_any_field_gives_a_valid_record(
    event_type: str, severity: str, fields: dict[str, Any], mode: str
) -> None:
    fields = {
        k: materialize(v) for k, v in fields.items() if k.isidentifier() and k not in ("type", "severity")
    }
    sink = MemorySink()
    diag = Diagnostics(mode=mode, sinks=[sink], rate_limit=RateLimit(burst=10), clock=lambda: 1.0)
    diag.emit(event_type, severity=severity, **fields)
    assert diag.stats.internal_errors == 0
    (record,) = sink.events
    assert problems_with(record) == []
    assert "raw" not in record


SECRET = st.text(
    st.characters(exclude_characters="/\\?#@&=%", exclude_categories=("Cs",)), min_size=10, max_size=30
)
AUTHORITY = FetchAuthority.from_dict(
    {"origins": ["https://api.example.com"], "methods": ["GET", "POST"], "max_header_count": 6}
)


class EchoHost:
    """Answers every allowed request, or fails with a text that holds the secret."""

    def __init__(self, secret: str, fail: bool) -> None:
        self.secret, self.fail = secret, fail

    async def fetch(self, request: HostRequest) -> Response:
        if self.fail:
            raise NetworkError(f"upstream said {self.secret}")
        return Response.from_parts(
            status=200, url=request.url, headers=[("X-Echo", self.secret)], body=self.secret
        )


@FUZZ
@given(
    SECRET,
    st.sampled_from(["userinfo", "query", "fragment", "header", "body", "host-error"]),
    st.sampled_from(["https://api.example.com", "https://evil.test"]),
    st.sampled_from(["GET", "POST", "DELETE"]),
    st.sampled_from(["metadata_only", "strict"]),
)
def test_secrets_through_the_fetch_pipeline_never_reach_a_sink(
    secret: str, place: str, origin: str, method: str, mode: str
) -> None:
    def records(value: str) -> str:
        scheme, host = origin.split("://")
        url = {
            "userinfo": f"{scheme}://user:{value}@{host}/v1",
            "query": f"{origin}/v1?token={value}&page=2",
            "fragment": f"{origin}/v1#{value}",
        }.get(place, f"{origin}/v1")
        headers = [("Authorization", f"Bearer {value}")] if place == "header" else []
        body = value if place == "body" or method == "POST" else None
        sink = MemorySink()
        diag = Diagnostics(mode=mode, sinks=[sink])
        host_ = EchoHost(value, fail=place == "host-error")

        async def attempt() -> None:
            with contextlib.suppress(FetchDenied, NetworkError):
                await authorized_fetch(AUTHORITY, host_, diag, url, method=method, headers=headers, body=body)  # type: ignore[arg-type]

        LabRuntime(seed=1).run_until_complete(attempt())
        assert sink.events, "the pipeline emitted its events"
        return repr(sink.events)

    # The same request with a same-length filler in place of the secret: any piece of the
    # secret that also shows there is record structure (a detail, a key), not a leak.
    with_secret, with_filler = records(secret), records("q" * len(secret))
    pieces = {secret[i : i + WINDOW] for i in range(len(secret) - WINDOW + 1)}
    assert sorted(p for p in pieces if p in with_secret and p not in with_filler) == []


@FUZZ
@given(
    st.dictionaries(
        st.sampled_from(["url", "headers", "origin", "body", "detail", "reason", "policy"]),
        VALUES,
        max_size=5,
    )
)
def test_strict_never_shows_more_than_metadata_only(fields: dict[str, Any]) -> None:
    records = {}
    for mode in ("metadata_only", "strict"):
        sink = MemorySink()
        Diagnostics(mode=mode, sinks=[sink], clock=lambda: 1.0).emit("fetch.decision", **materialize(fields))
        (records[mode],) = sink.events
    loose, strict = records["metadata_only"], records["strict"]
    assert set(strict) <= set(loose)
    if isinstance(strict.get("url"), dict):
        assert not {"path_length", "path_shape", "query_keys"} & set(strict["url"])
        assert set(strict["url"]) <= set(loose["url"])
    if isinstance(strict.get("headers"), dict):
        assert "names" not in strict["headers"]
