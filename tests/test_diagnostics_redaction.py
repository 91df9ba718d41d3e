"""Canary secrets planted in every secret place never reach any sink, on any runtime path.

The events are emitted the way the runtime emits them for an allowed request, denials, a
server error, a network exception, a timeout and a cancellation. Each canary is unique per run;
a sink's whole output is searched for every 8-character window of every canary.
"""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterable
from typing import Any

import pytest

from browser_rt.diagnostics import (
    CallbackSink,
    ConsoleSink,
    Diagnostics,
    LoggingSink,
    MemorySink,
    StreamConsole,
)

WINDOW = 8
PLACES = (
    "authorization",
    "cookie",
    "api_key",
    "userinfo",
    "query",
    "body",
    "server_error",
    "exception",
)
ORIGIN = "https://api.example.com"


def make_canaries() -> dict[str, str]:
    return {place: f"CANARY-{uuid.uuid4().hex}" for place in PLACES}


def leaked(text: str, secrets: Iterable[str]) -> list[str]:
    """Every WINDOW-long piece of a secret that occurs in `text`."""
    return sorted(
        {
            secret[i : i + WINDOW]
            for secret in secrets
            for i in range(len(secret) - WINDOW + 1)
            if secret[i : i + WINDOW] in text
        }
    )


class UserCancelled(Exception):
    """A user-defined exception type: only its allowlisted base may be named."""


class VirtualClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        self.now += 0.5
        return self.now


def drive_runtime_paths(diag: Diagnostics, canary: dict[str, str]) -> None:
    """Emit what the runtime emits on each path, with a canary in every secret place."""
    diag.emit(
        "authority.loaded",
        policy={
            "origins": [ORIGIN, "https://*.cdn.example.com"],
            "methods": ["GET", "POST"],
            "credentials": "omit",
            "max_header_count": 16,
            "timeout_ms": 30000,
            "api_key": canary["api_key"],
        },
    )
    request = diag.bind(region=1, task=2, request_id=7)
    body = f'{{"secret": "{canary["body"]}"}}'.encode()
    request.emit(
        "fetch.decision",
        origin=ORIGIN,
        method="POST",
        decision="allow",
        url=f"{ORIGIN}/v1/items?token={canary['query']}&page=2",
        headers=[
            ("Authorization", f"Bearer {canary['authorization']}"),
            ("X-API-Key", canary["api_key"]),
            ("Content-Type", "application/json"),
        ],
        header_count=3,
        body=body,
        request_bytes=len(body),
    )
    request.emit(
        "fetch.complete",
        origin=ORIGIN,
        method="POST",
        status=200,
        response_bytes=1234,
        duration_ms=12.5,
        url=f"{ORIGIN}/v1/items?token={canary['query']}&page=2",
    )
    diag.emit(
        "fetch.decision",
        severity="warn",
        origin=ORIGIN,
        method="GET",
        decision="deny",
        reason="userinfo_denied",
        detail="url: userinfo is not allowed",
        url=f"https://admin:{canary['userinfo']}@api.example.com/",
    )
    diag.emit(
        "fetch.decision",
        severity="warn",
        origin=ORIGIN,
        method="GET",
        decision="deny",
        reason="forbidden_header",
        detail="headers[0]: a forbidden request header",
        headers=[("Cookie", f"session={canary['cookie']}")],
        header_count=1,
    )
    request.emit(
        "fetch.error",
        severity="error",
        origin=ORIGIN,
        status=500,
        code="http_error",
        error=f"upstream said: {canary['server_error']}",
        message=f"500 Internal Server Error: {canary['server_error']}",
    )
    request.emit(
        "fetch.error",
        severity="error",
        origin=ORIGIN,
        code="network_error",
        error=ConnectionError(f"connect to {ORIGIN}?key={canary['exception']} failed"),
    )
    request.emit(
        "fetch.error",
        severity="error",
        origin=ORIGIN,
        reason="timeout",
        duration_ms=30000,
        error=TimeoutError(f"timed out fetching ?token={canary['query']}"),
    )
    request.emit(
        "cancel.overrun",
        severity="warn",
        budget_ms=50,
        overrun_ms=12.25,
        error=UserCancelled(canary["exception"]),
    )
    request.emit("obligation.leak", severity="error", obligation="obl-3", message=canary["exception"])
    request.emit("budget.exceeded", severity="warn", budget="fetches", budget_ms=1000)
    diag.emit("runtime.ambient_paths", severity="warn", paths=["js.fetch", "pyodide.http.pyfetch"])
    # A caller's mistakes: secrets where metadata belongs, and under undeclared names.
    diag.emit(
        "fetch.decision",
        severity="warn",
        origin=f"https://u:{canary['userinfo']}@api.example.com",
        reason=canary["exception"],
        detail=f"headers[0]: value {canary['cookie']}",
        method=canary["authorization"],
        token=canary["api_key"],
        **{f"x_{canary['body']}": 1},
    )


class CapturingHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.events: list[Any] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname} {self.format(record)}")
        self.events.append(record.browser_rt_event)  # type: ignore[attr-defined]


class RecordingConsole:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []

    def debug(self, prefix: str, event: Any) -> None:
        self.calls.append(("debug", prefix, event))

    def info(self, prefix: str, event: Any) -> None:
        self.calls.append(("info", prefix, event))

    def warn(self, prefix: str, event: Any) -> None:
        self.calls.append(("warn", prefix, event))

    def error(self, prefix: str, event: Any) -> None:
        self.calls.append(("error", prefix, event))


@pytest.fixture
def captured_logger() -> Iterable[tuple[logging.Logger, CapturingHandler]]:
    logger = logging.getLogger(f"test.diagnostics.{uuid.uuid4().hex}")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    handler = CapturingHandler()
    logger.addHandler(handler)
    yield logger, handler
    logger.removeHandler(handler)


@pytest.mark.parametrize("mode", ["metadata_only", "strict"])
def test_no_canary_reaches_any_sink(mode: str, captured_logger) -> None:
    logger, handler = captured_logger
    canary = make_canaries()
    memory = MemorySink()
    stream = io.StringIO()
    console = RecordingConsole()
    callback_events: list[dict[str, object]] = []
    diag = Diagnostics(
        mode=mode,
        sinks=[
            memory,
            LoggingSink(logger),
            ConsoleSink(StreamConsole(stream)),
            ConsoleSink(console),
            CallbackSink(callback_events.append),
        ],
        clock=VirtualClock(),
    )
    drive_runtime_paths(diag, canary)

    assert len(memory.events) == 13
    outputs = {
        "memory": json.dumps(memory.events),
        "logging": "\n".join(handler.lines) + json.dumps(handler.events),
        "stream console": stream.getvalue(),
        "console": json.dumps(console.calls),
        "callback": json.dumps(callback_events),
    }
    for sink_name, text in outputs.items():
        assert leaked(text, canary.values()) == [], sink_name
    assert diag.stats.sink_failures == (0, 0, 0, 0, 0)


def test_canary_check_detects_a_leak() -> None:
    canary = make_canaries()
    assert set(leaked(f"xx{canary['body'][5:15]}yy", canary.values())) == {
        canary["body"][5:13],
        canary["body"][6:14],
        canary["body"][7:15],
    }
    assert leaked(canary["body"][:7], canary.values()) == []


def _without_envelope(record: dict[str, object]) -> dict[str, object]:
    return {key: value for key, value in record.items() if key not in ("schema", "seq", "ts")}


def test_metadata_survives_in_metadata_only() -> None:
    memory = MemorySink()
    drive_runtime_paths(Diagnostics(sinks=[memory], clock=VirtualClock()), make_canaries())
    records = memory.events
    assert [record["type"] for record in records] == [
        "authority.loaded",
        "fetch.decision",
        "fetch.complete",
        "fetch.decision",
        "fetch.decision",
        "fetch.error",
        "fetch.error",
        "fetch.error",
        "cancel.overrun",
        "obligation.leak",
        "budget.exceeded",
        "runtime.ambient_paths",
        "fetch.decision",
    ]
    assert [record["seq"] for record in records] == list(range(1, 14))
    assert [record["ts"] for record in records] == [100.5 + 0.5 * i for i in range(13)]
    assert all(record["schema"] == "browser-rt-event-v1" for record in records)
    (
        loaded,
        allowed,
        complete,
        userinfo,
        cookie,
        server,
        network,
        timeout,
        cancel,
        leak,
        budget,
        paths,
        bad,
    ) = (_without_envelope(record) for record in records)
    assert loaded == {
        "type": "authority.loaded",
        "severity": "info",
        "redaction": "metadata_only",
        "policy": {
            "origins": [ORIGIN, "https://*.cdn.example.com"],
            "origin_count": 2,
            "methods": ["GET", "POST"],
            "credentials": "omit",
            "max_header_count": 16,
            "timeout_ms": 30000,
            "unknown_keys": 1,
        },
    }
    assert allowed == {
        "type": "fetch.decision",
        "severity": "info",
        "redaction": "metadata_only",
        "decision": "allow",
        "origin": ORIGIN,
        "method": "POST",
        "header_count": 3,
        "request_bytes": 53,
        "region": 1,
        "task": 2,
        "request_id": 7,
        "url": {
            "scheme": "https",
            "origin": ORIGIN,
            "has_userinfo": False,
            "query_count": 2,
            "has_fragment": False,
            "path_length": 9,
            "path_shape": [2, 5],
            "query_keys": ["token", "page"],
        },
        "headers": {"count": 3, "names": ["authorization", "x-api-key", "content-type"]},
        "body": {"bytes": 53},
    }
    assert complete["status"] == 200
    assert complete["response_bytes"] == 1234
    assert complete["duration_ms"] == 12.5
    assert userinfo["reason"] == "userinfo_denied"
    assert userinfo["detail"] == "url: userinfo is not allowed"
    assert userinfo["url"] == {
        "scheme": "https",
        "origin": ORIGIN,
        "has_userinfo": True,
        "query_count": 0,
        "has_fragment": False,
        "path_length": 1,
        "path_shape": [0],
        "query_keys": [],
    }
    assert cookie["headers"] == {"count": 1, "names": ["cookie"]}
    assert (cookie["decision"], cookie["severity"]) == ("deny", "warn")
    assert server["error"] == {"chars": 15 + 39}
    assert server["message"] == {"chars": 27 + 39}
    assert (server["status"], server["code"]) == (500, "http_error")
    assert network["error"] == {"type": "ConnectionError"}
    assert (timeout["reason"], timeout["error"]) == ("timeout", {"type": "TimeoutError"})
    assert cancel["error"] == {"type": "Exception"}
    assert (cancel["overrun_ms"], cancel["budget_ms"], cancel["region"], cancel["task"]) == (12.25, 50, 1, 2)
    assert (leak["obligation"], leak["message"]) == ("obl-3", {"chars": 39})
    assert (budget["budget"], budget["budget_ms"]) == ("fetches", 1000)
    assert paths["paths"] == ["js.fetch", "pyodide.http.pyfetch"]
    assert bad == {
        "type": "fetch.decision",
        "severity": "warn",
        "redaction": "metadata_only",
        "method": "<other>",
        "invalid_fields": ["detail", "origin", "reason"],
        "unknown_fields": 2,
    }


def test_strict_drops_paths_query_keys_and_header_names() -> None:
    memory = MemorySink()
    drive_runtime_paths(Diagnostics(mode="strict", sinks=[memory], clock=VirtualClock()), make_canaries())
    allowed = memory.events[1]
    assert allowed["redaction"] == "strict"
    assert allowed["url"] == {
        "scheme": "https",
        "origin": ORIGIN,
        "has_userinfo": False,
        "query_count": 2,
        "has_fragment": False,
    }
    assert allowed["headers"] == {"count": 3}
    assert allowed["body"] == {"bytes": 53}
    assert (allowed["origin"], allowed["method"], allowed["decision"]) == (ORIGIN, "POST", "allow")
