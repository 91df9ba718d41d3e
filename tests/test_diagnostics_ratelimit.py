"""Rate limiting: a hostile loop cannot drown the sinks, and drops are summarized deterministically."""

from __future__ import annotations

from typing import Any

import pytest

from browser_rt.diagnostics import Diagnostics, DiagnosticsConfigError, MemorySink, RateLimit

ORIGIN = "https://evil.example"


class ManualClock:
    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def setup(limit: RateLimit | None = None) -> tuple[Diagnostics, MemorySink, ManualClock]:
    sink, clock = MemorySink(capacity=10_000), ManualClock()
    return Diagnostics(sinks=[sink], clock=clock, rate_limit=limit), sink, clock


def deny(diag: Diagnostics, origin: str = ORIGIN, reason: str = "origin_denied") -> None:
    diag.emit("fetch.decision", severity="warn", decision="deny", reason=reason, origin=origin)


def test_a_hostile_loop_is_held_to_the_burst_and_summarized_on_flush() -> None:
    diag, sink, _ = setup()
    for _ in range(1000):
        deny(diag)
    assert len(sink) == 10
    assert diag.stats.rate_limited == 990
    diag.flush()
    summary = sink.events[-1]
    assert summary["type"] == "diagnostics.dropped"
    assert summary["severity"] == "warn"
    assert summary["dropped"] == {
        "total": 990,
        "since": 0.0,
        "keys": [{"type": "fetch.decision", "reason": "origin_denied", "origin": ORIGIN, "count": 990}],
        "other": 0,
    }
    diag.flush()
    assert len(sink) == 11, "a flush with nothing pending emits nothing"


def test_the_summary_comes_when_the_window_rolls_over() -> None:
    diag, sink, clock = setup(RateLimit(burst=2, per_second=0.001, window_s=10.0))
    for _ in range(5):
        deny(diag)
    clock.now = 9.9
    deny(diag)
    assert [record["type"] for record in sink.events] == ["fetch.decision"] * 2
    clock.now = 10.0
    diag.emit("fetch.complete", origin=ORIGIN, status=200)
    types = [record["type"] for record in sink.events]
    assert types == ["fetch.decision", "fetch.decision", "diagnostics.dropped", "fetch.complete"]
    assert sink.events[2]["dropped"]["total"] == 4
    assert sink.events[2]["ts"] == 10.0


def test_tokens_refill_with_the_clock() -> None:
    diag, sink, clock = setup(RateLimit(burst=3, per_second=2.0))
    for _ in range(10):
        deny(diag)
    assert len(sink) == 3
    clock.now = 1.0
    for _ in range(10):
        deny(diag)
    assert len(sink) == 5
    clock.now = 100.0
    for _ in range(10):
        deny(diag)
    assert len(sink) == 9, "the bucket refills to its burst, not beyond (plus the window summary)"
    assert sink.events[5]["type"] == "diagnostics.dropped"


def test_keys_are_limited_independently() -> None:
    diag, sink, _ = setup(RateLimit(burst=2))
    for _ in range(5):
        deny(diag, reason="origin_denied")
        deny(diag, reason="method_denied")
        deny(diag, origin="https://other.example")
        diag.emit("fetch.complete", origin=ORIGIN)
    assert len(sink) == 8


def test_varying_the_origin_does_not_escape_the_total_limit() -> None:
    diag, sink, _ = setup(RateLimit(burst=5, total_burst=50, total_per_second=1.0, max_keys=16))
    for i in range(1000):
        deny(diag, origin=f"https://h{i}.evil.example")
    assert len(sink) == 50
    diag.flush()
    dropped = sink.events[-1]["dropped"]
    assert dropped["total"] == 950
    assert len(dropped["keys"]) == 16
    assert dropped["other"] == 950 - 16
    assert dropped["keys"][0] == {
        "type": "fetch.decision",
        "reason": "origin_denied",
        "origin": "https://h50.evil.example",
        "count": 1,
    }, "ties are broken by key order, so the summary is deterministic"


def test_the_summary_lists_the_biggest_keys_first() -> None:
    diag, sink, _ = setup(RateLimit(burst=1))
    for count, reason in [(3, "a_reason"), (7, "b_reason"), (5, "c_reason")]:
        for _ in range(count + 1):
            deny(diag, reason=reason)
    diag.flush()
    keys = sink.events[-1]["dropped"]["keys"]
    assert [(key["reason"], key["count"]) for key in keys] == [
        ("b_reason", 7),
        ("c_reason", 5),
        ("a_reason", 3),
    ]


def test_the_same_schedule_gives_the_same_records() -> None:
    def run() -> list[dict[str, Any]]:
        diag, sink, clock = setup(RateLimit(burst=3, per_second=0.5, window_s=4.0))
        for step in range(200):
            clock.now = step * 0.25
            deny(diag, reason=("origin_denied", "method_denied")[step % 2])
        diag.flush()
        return sink.events

    first, second = run(), run()
    assert first == second
    assert sum(1 for record in first if record["type"] == "diagnostics.dropped") > 1


def test_a_clock_going_backwards_does_not_mint_tokens() -> None:
    diag, sink, clock = setup(RateLimit(burst=2, per_second=1.0))
    clock.now = 50.0
    for _ in range(3):
        deny(diag)
    clock.now = 0.0
    for _ in range(3):
        deny(diag)
    clock.now = 50.5
    deny(diag)
    assert len(sink) == 2


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("burst", 0),
        ("burst", True),
        ("burst", 1.5),
        ("total_burst", -1),
        ("max_keys", "10"),
        ("per_second", 0),
        ("total_per_second", float("inf")),
        ("window_s", float("nan")),
        ("window_s", False),
    ],
)
def test_bad_limits_are_refused_by_name(setting: str, value: object) -> None:
    with pytest.raises(DiagnosticsConfigError, match=rf"RateLimit\.{setting} must be a positive"):
        RateLimit(**{setting: value})  # type: ignore[arg-type]


def test_rate_limit_must_be_a_rate_limit() -> None:
    with pytest.raises(DiagnosticsConfigError, match="rate_limit must be a RateLimit, got dict"):
        Diagnostics(rate_limit={"burst": 1})  # type: ignore[arg-type]
