"""Cancellation: request -> delivery at the next checkpoint -> bounded cleanup -> overrun report."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from browser_rt import Cx
from browser_rt.lab import LabOracleError, LabRuntime
from browser_rt.policy import FetchAuthority

API = "https://api.example.com"
AUTH = FetchAuthority.from_dict({"origins": [API]})


def events(lab: LabRuntime, type_: str) -> list[dict]:
    return [event for event in lab.events.events if event["type"] == type_]


async def fail_at(cx: Cx, seconds: float) -> None:
    await cx.sleep(seconds)
    raise ValueError("sibling failed")


def test_cancellation_is_delivered_at_the_next_checkpoint_of_a_busy_task(lab):
    progress = {"iterations": 0, "cancelled_at": None}

    async def busy(cx: Cx):
        try:
            while True:
                progress["iterations"] += 1
                await cx.checkpoint()
        except asyncio.CancelledError:
            progress["cancelled_at"] = progress["iterations"]
            raise

    async def main(cx: Cx):
        with pytest.raises(ExceptionGroup):
            async with cx.region("work") as r:
                r.spawn(busy)
                r.spawn(fail_at, 0.0)

    lab.run(main, authority=AUTH)
    assert progress["cancelled_at"] is not None
    assert progress["iterations"] == progress["cancelled_at"]
    assert any(line.startswith("@0.000000 cancel.request busy-") for line in lab.trace.lines)


def test_cleanup_within_the_budget_is_not_an_overrun(lab):
    cleaned = []

    async def tidy(cx: Cx):
        try:
            await cx.sleep(60)
        finally:
            await asyncio.sleep(0.05)
            cleaned.append(lab.now)

    async def main(cx: Cx):
        with pytest.raises(ExceptionGroup):
            async with cx.region("work", cleanup=0.1) as r:
                r.spawn(tidy)
                r.spawn(fail_at, 1.0)

    lab.run(main, authority=AUTH)
    assert cleaned == [pytest.approx(1.05)]
    assert events(lab, "cancel.overrun") == []


def test_an_overrun_is_reported_by_name_and_the_region_still_waits(lab):
    finished = []

    async def stubborn(cx: Cx):
        for _ in range(2):
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(60)
        await asyncio.sleep(0.3)
        finished.append(lab.now)

    async def main(cx: Cx):
        with pytest.raises(ExceptionGroup):
            async with cx.region("work", cleanup=0.1) as r:
                r.spawn(stubborn)
                r.spawn(fail_at, 1.0)
        return lab.now

    closed_at = lab.run(main, authority=AUTH)
    assert finished == [pytest.approx(1.4)]
    assert closed_at == pytest.approx(1.4)
    [overrun] = events(lab, "cancel.overrun")
    assert overrun["severity"] == "error"
    assert overrun["region"] == "main/work"
    assert overrun["task"].startswith("stubborn-")
    assert overrun["budget_ms"] == pytest.approx(100.0)
    assert overrun["ts"] == pytest.approx(1.1)
    [late] = events(lab, "cancel.overrun_finished")
    assert late["task"] == overrun["task"]
    assert late["overrun_ms"] == pytest.approx(300.0)


def test_the_second_cancellation_cuts_a_slow_cleanup_at_the_budget(lab):
    stopped = []

    async def slow_cleanup(cx: Cx):
        try:
            await cx.sleep(60)
        except asyncio.CancelledError:
            try:
                await asyncio.sleep(5)
            finally:
                stopped.append(lab.now)
            raise

    async def main(cx: Cx):
        with pytest.raises(ExceptionGroup):
            async with cx.region("work", cleanup=0.25) as r:
                r.spawn(slow_cleanup)
                r.spawn(fail_at, 2.0)

    lab.run(main, authority=AUTH)
    assert stopped == [pytest.approx(2.25)]
    [overrun] = events(lab, "cancel.overrun")
    assert overrun["task"].startswith("slow_cleanup-")
    [late] = events(lab, "cancel.overrun_finished")
    assert late["overrun_ms"] == pytest.approx(0.0)


def test_cancelling_during_a_fetch_aborts_it_within_the_cleanup_budget(lab):
    lab.fetch_host.respond(f"{API}/slow", body=b"late", delay=30.0)

    async def fetcher(cx: Cx):
        await cx.fetch(f"{API}/slow")

    async def main(cx: Cx):
        with pytest.raises(ExceptionGroup):
            async with cx.region("work", cleanup=0.5) as r:
                r.spawn(fetcher)
                r.spawn(fail_at, 1.0)
        return lab.now

    assert lab.run(main, authority=AUTH) == pytest.approx(1.0)
    assert [request.url for request in lab.fetch_host.aborted] == [f"{API}/slow"]
    assert "@1.000000 fetch.aborted https://api.example.com/slow" in lab.trace.lines
    assert events(lab, "cancel.overrun") == []
    [error] = events(lab, "fetch.error")
    assert error["code"] == "aborted"


def test_a_cancellation_pending_when_fetch_is_called_is_delivered_before_anything_is_sent(lab):
    lab.fetch_host.respond(f"{API}/item", body=b"x")
    seen = {}

    async def main(cx: Cx):
        asyncio.current_task().cancel()  # requested while the task runs: not delivered yet
        try:
            await cx.fetch(f"{API}/item")
        except asyncio.CancelledError:
            seen["cancelled"] = True
            asyncio.current_task().uncancel()
        response = await cx.fetch(f"{API}/item")
        return response.status

    assert lab.run(main, authority=AUTH) == 200
    assert seen == {"cancelled": True}
    assert [request.url for request in lab.fetch_host.requests] == [f"{API}/item"]
    assert lab.fetch_host.aborted == []


def test_a_task_that_never_finishes_is_not_abandoned(lab):
    async def immovable(cx: Cx):
        never = asyncio.get_running_loop().create_future()
        while True:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(never)

    async def main(cx: Cx):
        async with cx.region("work", cleanup=0.1) as r:
            r.spawn(immovable)
            r.spawn(fail_at, 0.5)

    with pytest.raises(LabOracleError) as caught:
        lab.run(main, authority=AUTH)
    message = str(caught.value)
    assert "deadlock" in message and "immovable-" in message
    assert "replay: browser-rt lab replay --seed 0" in message
    [overrun] = events(lab, "cancel.overrun")
    assert overrun["task"].startswith("immovable-")
