"""Prepared events (`Diagnostics.prepare`): the same records as `emit`, the same drops and
summaries, decided before the fields are merged; and the limiter's fast drop keeps its rules."""

from __future__ import annotations

from typing import Any

import pytest

from browser_rt.diagnostics import Diagnostics, MemorySink, RateLimit
from browser_rt.diagnostics.ratelimit import RateLimiter


class ManualClock:
    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def pair(mode: str, **bound: object) -> tuple[list[Diagnostics], list[MemorySink], ManualClock]:
    clock = ManualClock()
    sinks = [MemorySink(capacity=10_000), MemorySink(capacity=10_000)]
    made = [Diagnostics(mode, [sink], clock=clock) for sink in sinks]
    return [d.bind(**bound) if bound else d for d in made], sinks, clock


def strip(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{key: value for key, value in record.items() if key != "ts"} for record in records]


@pytest.mark.parametrize("mode", ["metadata_only", "strict"])
def test_a_prepared_event_delivers_what_emit_delivers_and_drops_alike(mode: str) -> None:
    (plain, prepared), (plain_sink, prepared_sink), clock = pair(mode, seed=7)
    event = prepared.prepare("tool.decision", severity="warn", reason="rate_limited")
    for step in range(40):
        clock.now = step * 0.25  # a flood: 4 a second against a refill of 1 a second
        context = {"region": "main", "task": f"main-{step % 3}"}
        plain.emit(
            "tool.decision",
            severity="warn",
            **context,
            tool="echo",
            decision="deny",
            reason="rate_limited",
            request_bytes=step,
        )
        event.emit(context, tool="echo", decision="deny", request_bytes=step)
    clock.now = 60.0
    plain.flush()
    prepared.flush()
    assert strip(prepared_sink.events) == strip(plain_sink.events)
    assert prepared.stats == plain.stats
    assert prepared.stats.rate_limited > 0
    dropped = [e for e in prepared_sink.events if e["type"] == "diagnostics.dropped"]
    assert dropped and dropped[0]["dropped"]["keys"][0]["reason"] == "rate_limited"
    assert prepared_sink.events[0]["seed"] == 7 and prepared_sink.events[0]["reason"] == "rate_limited"


def test_the_prepared_reason_wins_and_an_origin_takes_the_ordinary_road() -> None:
    sink = MemorySink()
    diagnostics = Diagnostics(sinks=[sink], clock=ManualClock())
    event = diagnostics.prepare("fetch.decision", severity="warn", reason="origin_denied")
    assert diagnostics.prepare("fetch.decision", severity="warn", reason="origin_denied") is event
    for origin in ("https://a.example", "https://b.example"):
        for _ in range(12):
            event.emit(None, decision="deny", reason="other", origin=origin)
    origins = [e["origin"] for e in sink.events]
    # Keyed by origin as emit keys it: each origin gets its own burst of 10.
    assert origins.count("https://a.example") == 10 and origins.count("https://b.example") == 10
    assert {e["reason"] for e in sink.events} == {"origin_denied"}


def test_a_prepared_event_never_raises() -> None:
    class Broken:
        def write(self, event: object) -> None:
            raise RuntimeError("sink down")

    diagnostics = Diagnostics(sinks=[Broken()], clock=ManualClock())
    event = diagnostics.prepare("tool.decision")
    event.emit({"region": object()}, tool="echo", decision="allow", request_bytes="many")
    event.emit(None, tool="x" * 10_000)
    assert diagnostics.stats.sink_failures == (2,)


def test_the_fast_drop_keeps_the_buckets_rules() -> None:
    """A drop neither takes a token nor refills; the next admit sees the same bucket it would
    have seen had every drop refilled it."""
    limit = RateLimit(burst=2, per_second=1.0, total_burst=3, total_per_second=1.0, max_keys=2)
    limiter = RateLimiter(limit)
    key = ("tool.decision", None, None)
    verdicts = [limiter.admit(key, now) for now in (0.0, 0.0, 0.0, 0.4, 0.9, 1.0, 1.0, 1.5, 2.0)]
    assert verdicts == [True, True, False, False, False, True, False, False, True]
    # The clock going backwards refills nothing and admits nothing new.
    assert limiter.admit(key, 0.5) is False
    # The total bucket (one token left at 2.0) still holds a flood of many keys.
    others = [limiter.admit(("t", str(n), None), 2.0) for n in range(3)]
    assert others == [True, False, False]
    summary = limiter.take()
    assert summary is not None and summary.total == 8
