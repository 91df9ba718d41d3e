"""Property: no 8-character piece of a secret-classified input appears in a redacted record.

Secret places: header values, bodies, URL userinfo, query values and fragments, exception and
error text, messages, and the names of undeclared fields. A piece may only appear when the same
text was also given as a non-secret input (an origin, a header name, a detail) or is part of the
record's fixed vocabulary (its keys, enum values, exception type names).
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from browser_rt.diagnostics import (
    EVENT_TYPES,
    FIELDS,
    SEVERITIES,
    Diagnostics,
    MemorySink,
    RateLimit,
    event_schema,
)
from browser_rt.diagnostics.redactor import ENVELOPE

WINDOW = 8


def _schema_vocabulary(node: Any) -> Iterator[str]:
    """Property names, enum and const values of the schema: the words a record is built from."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties":
                yield from value
            if key == "enum":
                yield from (item for item in value if isinstance(item, str))
            if key == "const" and isinstance(value, str):
                yield value
            yield from _schema_vocabulary(value)
    elif isinstance(node, list):
        for item in node:
            yield from _schema_vocabulary(item)


VOCABULARY = [
    *_schema_vocabulary(event_schema()),
    *EVENT_TYPES,
    "invalid.type",
    "<other>",
    "<invalid>",
    "<redacted>",
    *(
        name
        for name, obj in vars(builtins).items()
        if isinstance(obj, type) and issubclass(obj, BaseException)
    ),
]


class UserError(Exception):
    pass


ORIGINS = [
    "https://api.example.com",
    "http://localhost:8080",
    "https://[::1]",
    "https://xn--bcher-kva.example",
]
HEADER_NAMES = ["Authorization", "Cookie", "X-API-Key", "Content-Type", "x-trace"]
QUERY_KEYS = ["token", "page", "api_key", "q"]

secret = st.text(min_size=WINDOW, max_size=40)
userinfo_secret = st.text(st.characters(exclude_characters="/\\?#"), min_size=WINDOW, max_size=40)
query_secret = st.text(st.characters(exclude_characters="&#"), min_size=WINDOW, max_size=40)
path_text = st.text(st.characters(exclude_characters="?#"), max_size=30)
undeclared_name = secret.filter(lambda name: name not in FIELDS and name not in ENVELOPE)
exception_types = st.sampled_from([ValueError, RuntimeError, OSError, TimeoutError, KeyError, UserError])


@st.composite
def events(draw: st.DrawFn) -> tuple[str, str, dict[str, object], list[str], list[str]]:
    """An event as the runtime (or a careless caller) would emit it, with its secret inputs."""
    secrets: list[str] = []
    public: list[str] = []
    fields: dict[str, object] = {}

    def take(strategy: st.SearchStrategy[str], bucket: list[str]) -> str:
        value = draw(strategy)
        bucket.append(value)
        return value

    if draw(st.booleans()):
        origin = draw(st.sampled_from(ORIGINS))
        fields["origin"] = origin
        public.append(origin)
    if draw(st.booleans()):
        origin = draw(st.sampled_from(ORIGINS))
        userinfo = f"{take(userinfo_secret, secrets)}@" if draw(st.booleans()) else ""
        path = take(path_text, public)
        pairs = [
            f"{take(st.sampled_from(QUERY_KEYS), public)}={take(query_secret, secrets)}"
            for _ in range(draw(st.integers(0, 3)))
        ]
        fragment = f"#{take(secret, secrets)}" if draw(st.booleans()) else ""
        scheme, rest = origin.split("://")
        fields["url"] = f"{scheme}://{userinfo}{rest}/{path}{'?' if pairs else ''}{'&'.join(pairs)}{fragment}"
    if draw(st.booleans()):
        fields["headers"] = [
            (take(st.sampled_from(HEADER_NAMES), public), take(secret, secrets))
            for _ in range(draw(st.integers(0, 4)))
        ]
    if draw(st.booleans()):
        body = take(secret, secrets)
        fields["body"] = body.encode("utf-8") if draw(st.booleans()) else body
    if draw(st.booleans()):
        text = take(secret, secrets)
        fields["error"] = draw(exception_types)(text) if draw(st.booleans()) else text
    if draw(st.booleans()):
        fields["message"] = take(secret, secrets)
    for name in draw(st.lists(st.sampled_from(["reason", "detail", "task", "replay", "code"]), unique=True)):
        fields[name] = take(st.text(max_size=40), public)
    if draw(st.booleans()):
        fields[take(undeclared_name, secrets)] = take(secret, secrets)
    event_type = draw(st.sampled_from(sorted(EVENT_TYPES)))
    severity = draw(st.sampled_from(SEVERITIES))
    return event_type, severity, fields, secrets, public


def _strings(node: object) -> Iterator[str]:
    """Every key and text value in a record (numbers cannot carry text)."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def _leaks(record: dict[str, object], secrets: list[str], public: list[str]) -> list[str]:
    texts = list(_strings(record))
    allowed = [*public, *VOCABULARY]
    return [
        piece
        for value in secrets
        for piece in (value[i : i + WINDOW] for i in range(len(value) - WINDOW + 1))
        if any(piece in text for text in texts) and not any(piece in text for text in allowed)
    ]


@given(events(), st.sampled_from(["metadata_only", "strict"]))
def test_no_secret_piece_in_any_record(event: tuple[Any, ...], mode: str) -> None:
    event_type, severity, fields, secrets, public = event
    sink = MemorySink()
    diag = Diagnostics(mode=mode, sinks=[sink], rate_limit=RateLimit(burst=10))
    diag.emit(event_type, severity=severity, **fields)
    (record,) = sink.events
    assert _leaks(record, secrets, public) == []


def test_the_leak_check_sees_a_secret_that_was_kept() -> None:
    record = {"type": "fetch.decision", "headers": {"names": ["x", "Bearer 0123456789"]}}
    assert _leaks(record, ["Bearer 0123456789"], []) != []
    assert _leaks(record, ["Bearer 0123456789"], ["Bearer 0123456789"]) == []
