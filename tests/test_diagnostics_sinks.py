"""Sinks: the memory ring, logging, callbacks and the console; failing sinks; bind; the clock."""

from __future__ import annotations

import io
import json
import logging
import sys
from typing import Any

import pytest

from browser_rt.diagnostics import (
    CallbackSink,
    ConsoleSink,
    Diagnostics,
    DiagnosticsConfigError,
    LoggingSink,
    MemorySink,
    RateLimit,
    StreamConsole,
)
from browser_rt.diagnostics.jsobject import js_safe

ORIGIN = "https://api.example.com"


class FailingSink:
    def __init__(self, message: str = "sink broke") -> None:
        self.message = message
        self.calls = 0

    def write(self, event: dict[str, object]) -> None:
        self.calls += 1
        raise RuntimeError(self.message)


def test_memory_sink_keeps_the_newest_records_oldest_first() -> None:
    sink = MemorySink(capacity=3)
    diag = Diagnostics(sinks=[sink])
    for status in range(200, 205):
        diag.emit("fetch.complete", status=status)
    assert [record["status"] for record in sink.events] == [202, 203, 204]
    assert sink.evicted == 2
    assert len(sink) == 3
    sink.clear()
    assert (sink.events, sink.evicted) == ([], 0)


def test_memory_sink_hands_out_copies() -> None:
    sink = MemorySink()
    Diagnostics(sinks=[sink]).emit("fetch.complete", url="https://a.example/x")
    sink.events[0]["url"]["origin"] = "changed"
    assert sink.events[0]["url"]["origin"] == "https://a.example"


@pytest.mark.parametrize("capacity", [0, -1, True, 2.0, "10", 10_000_001])
def test_memory_sink_refuses_a_bad_capacity(capacity: object) -> None:
    with pytest.raises(DiagnosticsConfigError, match=r"MemorySink capacity must be an int from 1 to"):
        MemorySink(capacity=capacity)  # type: ignore[arg-type]


def test_a_failing_sink_never_breaks_emit_and_is_reported_to_the_others() -> None:
    failing, memory = FailingSink("token=supersecretvalue"), MemorySink()
    diag = Diagnostics(sinks=[failing, memory])
    diag.emit("fetch.complete", status=200)
    diag.emit("fetch.complete", status=201)
    types = [record["type"] for record in memory.events]
    assert types == ["fetch.complete", "diagnostics.sink_failed", "fetch.complete", "diagnostics.sink_failed"]
    report = memory.events[1]
    assert {key: report[key] for key in ("severity", "sink", "sink_index", "failures", "error")} == {
        "severity": "error",
        "sink": "FailingSink",
        "sink_index": 0,
        "failures": 1,
        "error": {"type": "RuntimeError"},
    }
    assert memory.events[3]["failures"] == 2
    assert failing.calls == 2, "the failing sink is not sent its own failure reports"
    assert "supersecretvalue" not in json.dumps(memory.events)
    assert diag.stats.sink_failures == (2, 0)


def test_failure_reports_are_rate_limited_and_do_not_ping_pong() -> None:
    first, second, memory = FailingSink(), FailingSink(), MemorySink(capacity=10_000)
    limit = RateLimit(burst=5, total_burst=1000)
    diag = Diagnostics(sinks=[first, second, memory], rate_limit=limit, clock=lambda: 0.0)
    for i in range(100):
        diag.emit("fetch.complete", origin=f"https://h{i}.example", status=200)
    reports = [record for record in memory.events if record["type"] == "diagnostics.sink_failed"]
    assert len(memory) == 105
    assert len(reports) == 5
    assert first.calls == 100 + sum(1 for record in reports if record["sink_index"] == 1)
    assert second.calls == 100 + sum(1 for record in reports if record["sink_index"] == 0)
    assert diag.stats.sink_failures == (first.calls, second.calls, 0)


def test_a_sink_that_emits_is_queued_not_recursed() -> None:
    memory = MemorySink()

    class EchoSink:
        def write(self, event: dict[str, object]) -> None:
            if event["type"] == "fetch.complete":
                diag.emit("fetch.error", code="echo")

    diag = Diagnostics(sinks=[EchoSink(), memory])
    diag.emit("fetch.complete", status=200)
    assert [(record["seq"], record["type"]) for record in memory.events] == [
        (1, "fetch.complete"),
        (2, "fetch.error"),
    ]


def test_a_sink_that_emits_on_every_record_is_bounded() -> None:
    memory = MemorySink(capacity=10_000)

    class LoopSink:
        def write(self, event: dict[str, object]) -> None:
            diag.emit("fetch.error", code="loop")

    diag = Diagnostics(sinks=[LoopSink(), memory], clock=lambda: 0.0)
    diag.emit("fetch.complete", status=200)
    assert len(memory) == 11, "one record, then the loop's records until the rate limit holds"


def test_each_sink_gets_its_own_copy() -> None:
    memory = MemorySink()

    class Mutator:
        def write(self, event: dict[str, Any]) -> None:
            event["type"] = "changed"
            event["url"]["origin"] = "changed"

    Diagnostics(sinks=[Mutator(), memory]).emit("fetch.complete", url="https://a.example/")
    assert memory.events[0]["type"] == "fetch.complete"
    assert memory.events[0]["url"]["origin"] == "https://a.example"


def test_logging_sink_logs_by_severity_with_the_record_attached() -> None:
    logger = logging.getLogger("test.diagnostics.logging_sink")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger.addHandler(handler)
    try:
        diag = Diagnostics(sinks=[LoggingSink("test.diagnostics.logging_sink")])
        for severity in ("debug", "info", "warn", "error"):
            diag.emit("fetch.complete", severity=severity, status=200)
    finally:
        logger.removeHandler(handler)
    assert [record.levelno for record in records] == [10, 20, 30, 40]
    message = records[2].getMessage()
    assert message.startswith("[browser_rt] {")
    assert json.loads(message.removeprefix("[browser_rt] ")) == records[2].browser_rt_event  # type: ignore[attr-defined]
    assert records[2].browser_rt_event["severity"] == "warn"  # type: ignore[attr-defined]


def test_logging_sink_skips_work_below_the_logger_level() -> None:
    logger = logging.getLogger("test.diagnostics.quiet")
    logger.setLevel(logging.ERROR)
    logger.propagate = False
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger.addHandler(handler)
    try:
        diag = Diagnostics(sinks=[LoggingSink(logger)])
        diag.emit("fetch.complete", status=200)
        diag.emit("fetch.error", severity="error", code="x")
    finally:
        logger.removeHandler(handler)
    assert [record.levelno for record in records] == [40]


def test_logging_sink_refuses_a_non_logger() -> None:
    with pytest.raises(
        DiagnosticsConfigError, match=r"LoggingSink needs a logging\.Logger or a logger name, got int"
    ):
        LoggingSink(3)  # type: ignore[arg-type]


def test_callback_sink_calls_with_each_record() -> None:
    seen: list[dict[str, object]] = []
    Diagnostics(sinks=[CallbackSink(seen.append)]).emit("fetch.complete", status=204)
    assert seen[0]["status"] == 204
    with pytest.raises(DiagnosticsConfigError, match="CallbackSink needs a callable, got str"):
        CallbackSink("print")  # type: ignore[arg-type]


def test_console_sink_picks_the_method_by_severity() -> None:
    calls: list[tuple[str, str, dict[str, object]]] = []

    class Console:
        def debug(self, prefix: str, event: dict[str, object]) -> None:
            calls.append(("debug", prefix, event))

        def info(self, prefix: str, event: dict[str, object]) -> None:
            calls.append(("info", prefix, event))

        def warn(self, prefix: str, event: dict[str, object]) -> None:
            calls.append(("warn", prefix, event))

        def error(self, prefix: str, event: dict[str, object]) -> None:
            calls.append(("error", prefix, event))

    diag = Diagnostics(sinks=[ConsoleSink(Console())])
    for severity in ("error", "warn", "info", "debug"):
        diag.emit("fetch.complete", severity=severity)
    assert [(method, prefix, event["severity"]) for method, prefix, event in calls] == [
        ("error", "[browser_rt]", "error"),
        ("warn", "[browser_rt]", "warn"),
        ("info", "[browser_rt]", "info"),
        ("debug", "[browser_rt]", "debug"),
    ]


def test_stream_console_writes_one_json_line_per_record() -> None:
    stream = io.StringIO()
    Diagnostics(sinks=[ConsoleSink(StreamConsole(stream))]).emit("fetch.complete", status=200)
    prefix, _, text = stream.getvalue().partition(" ")
    assert prefix == "[browser_rt]"
    assert text.endswith("}\n")
    assert json.loads(text)["status"] == 200


def test_default_console_is_the_js_console_in_pyodide_and_stderr_elsewhere(
    capsys: pytest.CaptureFixture[str],
) -> None:
    sink = ConsoleSink()
    if sys.platform == "emscripten":
        assert sink.is_js
        return
    assert not sink.is_js
    Diagnostics(sinks=[sink]).emit("fetch.complete", status=200)
    assert capsys.readouterr().err.startswith('[browser_rt] {"schema":"browser-rt-event-v1"')


def test_records_for_js_carry_big_integers_as_strings() -> None:
    record = {"seed": 2**64 - 1, "seq": 2**53 - 1, "ts": 1.5, "nested": [{"n": -(2**60)}], "ok": True}
    assert js_safe(record) == {
        "seed": "18446744073709551615",
        "seq": 2**53 - 1,
        "ts": 1.5,
        "nested": [{"n": str(-(2**60))}],
        "ok": True,
    }


def test_console_sink_refuses_an_object_without_console_methods() -> None:
    with pytest.raises(
        DiagnosticsConfigError, match="ConsoleSink console has no debug, info, warn, error method"
    ):
        ConsoleSink(object())


@pytest.mark.parametrize(
    ("sinks", "message"),
    [
        ([MemorySink(), 3], r"sinks\[1\]: int has no write\(event\) method"),
        (
            [print],
            r"sinks\[0\]: builtin_function_or_method has no write\(event\) method; "
            r"wrap a function in CallbackSink",
        ),
        ("memory", "sinks must be a list of sinks, got str"),
        (MemorySink(), "sinks must be a list of sinks, got MemorySink"),
    ],
)
def test_bad_sinks_are_refused_by_position(sinks: Any, message: str) -> None:
    with pytest.raises(DiagnosticsConfigError, match=message):
        Diagnostics(sinks=sinks)


def test_bind_adds_context_and_shares_sequence_and_sinks() -> None:
    sink = MemorySink()
    diag = Diagnostics(sinks=[sink])
    region = diag.bind(region=1, seed=7)
    task = region.bind(task="t1", region=2)
    task.emit("fetch.complete", status=200)
    region.emit("fetch.complete", status=201, region=3)
    diag.emit("fetch.complete", status=202)
    assert [(r["seq"], r.get("region"), r.get("task"), r.get("seed")) for r in sink.events] == [
        (1, 2, "t1", 7),
        (2, 3, None, 7),
        (3, None, None, None),
    ]
    assert task.sinks == diag.sinks
    assert task.mode == "metadata_only"
    assert task.stats == diag.stats


def test_bound_secrets_are_redacted_like_any_field() -> None:
    sink = MemorySink()
    Diagnostics(sinks=[sink]).bind(headers=[("Authorization", "Bearer topsecretvalue")]).emit(
        "fetch.complete"
    )
    assert "topsecretvalue" not in json.dumps(sink.events)


def test_ts_comes_from_the_clock() -> None:
    ticks = iter([5.0, 7.5])
    sink = MemorySink()
    diag = Diagnostics(sinks=[sink], clock=lambda: next(ticks))
    diag.emit("fetch.complete")
    diag.emit("fetch.complete")
    assert [record["ts"] for record in sink.events] == [5.0, 7.5]


@pytest.mark.parametrize("bad_reading", [RuntimeError("clock broke"), float("nan"), "soon", True])
def test_a_failing_clock_reuses_the_last_time_and_is_counted(bad_reading: object) -> None:
    readings: list[object] = [3.0, bad_reading]

    def clock() -> float:
        reading = readings.pop(0)
        if isinstance(reading, Exception):
            raise reading
        return reading  # type: ignore[return-value]

    sink = MemorySink()
    diag = Diagnostics(sinks=[sink], clock=clock)
    diag.emit("fetch.complete")
    diag.emit("fetch.complete")
    assert [record["ts"] for record in sink.events] == [3.0, 3.0]
    assert diag.stats.internal_errors == 1


def test_clock_must_be_callable() -> None:
    with pytest.raises(DiagnosticsConfigError, match="clock must be a callable returning seconds"):
        Diagnostics(clock=5)  # type: ignore[arg-type]
