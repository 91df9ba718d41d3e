"""Every record the runtime can produce matches the shipped browser-rt-event-v1 JSON Schema.

`jsonschema` is not available inside Pyodide, so a small validator for the keywords the schema
uses runs here on every runtime; it refuses any keyword it does not know, so the schema cannot
silently outgrow it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from test_diagnostics_redaction import VirtualClock, drive_runtime_paths, make_canaries

from browser_rt.diagnostics import (
    SCHEMA_ID,
    Diagnostics,
    MemorySink,
    RateLimit,
    event_schema,
)

ANNOTATIONS = {"$schema", "$id", "title", "description"}


def check(instance: Any, schema: Any, root: dict[str, Any], at: str = "$") -> list[str]:
    """Problems with `instance` against a draft 2020-12 subset; empty when it is valid."""
    if schema is True:
        return []
    if schema is False:
        return [f"{at}: no value is allowed here"]
    problems: list[str] = []
    for keyword, value in schema.items():
        if keyword in ANNOTATIONS or keyword in ("$defs", "then", "else"):
            continue
        checker = KEYWORDS.get(keyword)
        if checker is None:
            raise AssertionError(f"the test validator does not know the keyword {keyword!r}")
        problems += checker(instance, value, schema, root, at)
    return problems


def _type(instance: Any, expected: str, at: str) -> list[str]:
    ok = {
        "object": isinstance(instance, dict),
        "array": isinstance(instance, list),
        "string": isinstance(instance, str),
        "integer": isinstance(instance, int) and not isinstance(instance, bool),
        "number": isinstance(instance, (int, float)) and not isinstance(instance, bool),
        "boolean": isinstance(instance, bool),
        "null": instance is None,
    }[expected]
    return [] if ok else [f"{at}: {instance!r} is not of type {expected}"]


def _properties(instance: Any, properties: dict[str, Any], schema: Any, root: Any, at: str) -> list[str]:
    if not isinstance(instance, dict):
        return []
    problems = []
    for name, value in instance.items():
        if name in properties:
            problems += check(value, properties[name], root, f"{at}.{name}")
        elif schema.get("additionalProperties", True) is False:
            problems.append(f"{at}: unexpected property {name!r}")
    return problems


def _required(instance: Any, names: list[str], schema: Any, root: Any, at: str) -> list[str]:
    if not isinstance(instance, dict):
        return []
    return [f"{at}: missing {name!r}" for name in names if name not in instance]


def _items(instance: Any, items: Any, schema: Any, root: Any, at: str) -> list[str]:
    if not isinstance(instance, list):
        return []
    return [problem for i, item in enumerate(instance) for problem in check(item, items, root, f"{at}[{i}]")]


def _ref(instance: Any, ref: str, schema: Any, root: Any, at: str) -> list[str]:
    assert ref.startswith("#/$defs/"), ref
    return check(instance, root["$defs"][ref.removeprefix("#/$defs/")], root, at)


def _any_of(instance: Any, options: list[Any], schema: Any, root: Any, at: str) -> list[str]:
    if any(not check(instance, option, root, at) for option in options):
        return []
    return [f"{at}: {instance!r} matches none of anyOf"]


def _if(instance: Any, condition: Any, schema: Any, root: Any, at: str) -> list[str]:
    branch = "then" if not check(instance, condition, root, at) else "else"
    return check(instance, schema.get(branch, True), root, at)


def _not(instance: Any, forbidden: Any, schema: Any, root: Any, at: str) -> list[str]:
    return [f"{at}: matches a forbidden schema"] if not check(instance, forbidden, root, at) else []


def _bound(test: Any, text: str) -> Any:
    def checker(instance: Any, limit: Any, schema: Any, root: Any, at: str) -> list[str]:
        if test(instance, limit) is False:
            return [f"{at}: {instance!r} {text} {limit!r}"]
        return []

    return checker


def _numeric(op: Any) -> Any:
    return lambda value, limit: (
        op(value, limit) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    )


def _sized(kind: type, op: Any) -> Any:
    return lambda value, limit: op(len(value), limit) if isinstance(value, kind) else None


KEYWORDS = {
    "type": lambda instance, expected, schema, root, at: _type(instance, expected, at),
    "properties": _properties,
    "additionalProperties": lambda *args: [],
    "required": _required,
    "items": _items,
    "$ref": _ref,
    "anyOf": _any_of,
    "if": _if,
    "not": _not,
    "enum": _bound(lambda value, options: value in options, "is not one of"),
    "const": _bound(lambda value, const: value == const and type(value) is type(const), "is not"),
    "pattern": _bound(
        lambda value, pattern: bool(re.search(pattern, value)) if isinstance(value, str) else None,
        "does not match",
    ),
    "minimum": _bound(_numeric(lambda value, limit: value >= limit), "is below"),
    "maximum": _bound(_numeric(lambda value, limit: value <= limit), "is above"),
    "minLength": _bound(_sized(str, lambda size, limit: size >= limit), "is shorter than"),
    "maxLength": _bound(_sized(str, lambda size, limit: size <= limit), "is longer than"),
    "maxItems": _bound(_sized(list, lambda size, limit: size <= limit), "has more items than"),
    "minProperties": _bound(_sized(dict, lambda size, limit: size >= limit), "has fewer properties than"),
    "maxProperties": _bound(_sized(dict, lambda size, limit: size <= limit), "has more properties than"),
}

SCHEMA = event_schema()


def problems_with(record: dict[str, Any]) -> list[str]:
    return check(record, SCHEMA, SCHEMA)


def every_kind_of_record() -> list[dict[str, Any]]:
    """Runtime paths in both redacting modes, mode none, and every internal record type."""
    records: list[dict[str, Any]] = []
    for mode in ("metadata_only", "strict"):
        sink = MemorySink()
        drive_runtime_paths(Diagnostics(mode=mode, sinks=[sink], clock=VirtualClock()), make_canaries())
        records += sink.events
    sink = MemorySink()
    unredacted = Diagnostics(mode="none", sinks=[sink], ci=False, allow_unredacted=True)
    drive_runtime_paths(unredacted, make_canaries())
    records += sink.events

    class Broken:
        def write(self, event: dict[str, object]) -> None:
            raise OSError("disk full")

    sink = MemorySink()
    limited = Diagnostics(sinks=[Broken(), sink], rate_limit=RateLimit(burst=1), clock=lambda: 1.0)
    for _ in range(3):
        limited.emit("fetch.decision", decision="deny", reason="origin_denied", origin="https://x.example")
    limited.emit("Not A Type", severity="loud", url="mailto:someone", headers=[("bad name", "v")])
    limited.flush()
    records += sink.events
    return records


def test_every_kind_of_record_matches_the_schema() -> None:
    records = every_kind_of_record()
    types = {record["type"] for record in records}
    assert {
        "authority.loaded",
        "fetch.decision",
        "fetch.complete",
        "fetch.error",
        "runtime.ambient_paths",
        "cancel.overrun",
        "obligation.leak",
        "budget.exceeded",
        "diagnostics.dropped",
        "diagnostics.sink_failed",
        "diagnostics.unredacted",
        "invalid.type",
    } <= types
    for record in records:
        assert problems_with(record) == [], record


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"schema": "browser-rt-event-v2"}, "$.schema: 'browser-rt-event-v2' is not 'browser-rt-event-v1'"),
        ({"severity": "fatal"}, "$.severity: 'fatal' is not one of"),
        ({"type": "Fetch"}, "$.type: 'Fetch' does not match"),
        ({"seq": 0}, "$.seq: 0 is below 1"),
        ({"seq": "1"}, "$.seq: '1' is not of type integer"),
        ({"status": True}, "$.status: True is not of type integer"),
        ({"origin": "https://u:p@x.example"}, "$.origin: 'https://u:p@x.example' does not match"),
        ({"headers": {"count": 1, "values": ["Bearer x"]}}, "$.headers: unexpected property 'values'"),
        (
            {"url": {"query_count": 1, "has_fragment": False, "query": "a=b"}},
            "$.url: unexpected property 'query'",
        ),
        (
            {"error": {"type": "ValueError", "chars": 3}},
            "$.error: {'type': 'ValueError', 'chars': 3} has more properties than 1",
        ),
        ({"raw": {"body": "x"}}, "$: matches a forbidden schema"),
        ({"secret": "x"}, "$: unexpected property 'secret'"),
    ],
)
def test_the_schema_refuses_what_a_record_must_not_hold(change: dict[str, Any], problem: str) -> None:
    record = {
        "schema": SCHEMA_ID,
        "seq": 1,
        "ts": 0.0,
        "type": "fetch.decision",
        "severity": "info",
        "redaction": "metadata_only",
    }
    assert problems_with(record) == []
    found = problems_with({**record, **change})
    assert any(line.startswith(problem) for line in found), found


def test_missing_envelope_fields_are_problems() -> None:
    assert problems_with({}) == [f"$: missing {name!r}" for name in SCHEMA["required"]]


@pytest.mark.host_only(reason="the repository's schemas/ folder is not copied into Pyodide")
def test_the_repository_copy_is_identical_to_the_packaged_schema() -> None:
    root = Path(__file__).resolve().parents[1]
    repository_copy = root / "schemas" / "browser-rt-event-v1.schema.json"
    packaged = root / "browser_rt" / "diagnostics" / "browser-rt-event-v1.schema.json"
    assert repository_copy.read_bytes() == packaged.read_bytes()
