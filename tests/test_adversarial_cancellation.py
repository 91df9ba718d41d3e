"""ADV-10: cancellation leaks. Cancelling work leaves no task, obligation or fetch behind.

Attacks: cancel a region while many fetches are in flight, while a child swallows the first
cancellation, while obligations are open; let a deadline expire during a fetch; cancel the task
awaiting a fetch directly. Each time every fetch must be aborted at the host, every task joined
(the lab's orphan oracle runs after each run), and every obligation resolved or reported.
"""

from __future__ import annotations

import asyncio
import contextlib
import math

import pytest

from browser_rt import Budget, BudgetExceeded, Cx, FetchAuthority
from browser_rt.fetch import FetchTimeout
from browser_rt.lab import LabOracleError, LabRuntime

API = "https://api.example.com"
AUTHORITY = FetchAuthority.from_dict({"origins": [API], "timeout_ms": 5_000, "max_concurrent_requests": 25})


async def fail_after(cx: Cx, seconds: float) -> None:
    await cx.sleep(seconds)
    raise ValueError("stop")


def types(lab: LabRuntime, kind: str) -> list[dict]:
    return [e for e in lab.events.events if e["type"] == kind]


def test_cancelling_a_region_aborts_every_fetch_in_flight() -> None:
    lab = LabRuntime(seed=20)
    urls = [f"{API}/slow/{i}" for i in range(25)]
    for url in urls:
        lab.fetch_host.respond(url, body=b"late", delay=60.0)

    async def fetcher(cx: Cx, url: str) -> None:
        await cx.fetch(url)

    async def main(cx: Cx) -> float:
        with pytest.raises(ExceptionGroup):
            async with cx.region("fan", cleanup=0.5) as r:
                for url in urls:
                    r.spawn(fetcher, url)
                r.spawn(fail_after, 1.0)
        return lab.now

    assert lab.run(main, authority=AUTHORITY) == pytest.approx(1.0)
    assert sorted(r.url for r in lab.fetch_host.aborted) == sorted(urls)
    assert {e["code"] for e in types(lab, "fetch.error")} == {"aborted"}
    assert types(lab, "cancel.overrun") == []


def test_a_child_that_swallows_cancellation_is_still_joined_and_reported() -> None:
    lab = LabRuntime(seed=21)
    lab.fetch_host.respond(f"{API}/slow", body=b"late", delay=60.0)
    finished = []

    async def stubborn(cx: Cx) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            await cx.fetch(f"{API}/slow")
        try:
            await asyncio.sleep(0.2)
        finally:
            finished.append(lab.now)

    async def main(cx: Cx) -> float:
        with pytest.raises(ExceptionGroup):
            async with cx.region("work", cleanup=0.1) as r:
                r.spawn(stubborn)
                r.spawn(fail_after, 1.0)
        return lab.now

    # The second cancellation, at the end of the 0.1 s cleanup budget, cuts the slow cleanup.
    assert lab.run(main, authority=AUTHORITY) == pytest.approx(1.1)
    assert finished == [pytest.approx(1.1)]
    assert [r.url for r in lab.fetch_host.aborted] == [f"{API}/slow"]
    [overrun] = types(lab, "cancel.overrun")
    assert overrun["task"].startswith("stubborn-")


def test_open_obligations_are_aborted_by_the_cancellation_not_leaked() -> None:
    lab = LabRuntime(seed=22)
    lab.fetch_host.respond(f"{API}/pay", method="POST", body=b"{}", delay=60.0)

    async def pay(cx: Cx) -> None:
        with cx.obligation("charge") as charge:
            await cx.fetch(f"{API}/pay", method="POST", body=b"{}")
            charge.commit()

    async def main(cx: Cx) -> list[str]:
        with pytest.raises(ExceptionGroup):
            async with cx.region("shop") as r:
                r.spawn(pay)
                r.spawn(fail_after, 0.5)
        return [o.state for o in r.obligations]

    authority = FetchAuthority.from_dict({"origins": [API], "methods": ["POST"]})
    assert lab.run(main, authority=authority) == ["aborted"]
    assert types(lab, "obligation.leak") == []
    assert len(lab.fetch_host.aborted) == 1


def test_a_deadline_during_a_fetch_aborts_it() -> None:
    lab = LabRuntime(seed=23)
    lab.fetch_host.respond(f"{API}/slow", body=b"late", delay=30.0)

    async def main(cx: Cx) -> str:
        async with cx.region("timed", budget=Budget(deadline=0.5)):
            with pytest.raises(BudgetExceeded) as caught:
                await cx.fetch(f"{API}/slow")
        return caught.value.kind

    assert lab.run(main, authority=AUTHORITY) == "deadline"
    assert [r.url for r in lab.fetch_host.aborted] == [f"{API}/slow"]


def test_a_fetch_that_never_answers_times_out_and_is_not_left_running() -> None:
    lab = LabRuntime(seed=24)
    lab.fetch_host.respond(f"{API}/never", body=b"", delay=math.inf)

    async def main(cx: Cx) -> float:
        with pytest.raises(FetchTimeout):
            await cx.fetch(f"{API}/never")
        return lab.now

    assert lab.run(main, authority=AUTHORITY) == pytest.approx(5.0)


def test_cancelling_the_awaiting_task_directly_aborts_the_fetch() -> None:
    lab = LabRuntime(seed=25)
    lab.fetch_host.respond(f"{API}/slow", body=b"late", delay=30.0)

    async def main(cx: Cx) -> str:
        task = asyncio.ensure_future(cx.fetch(f"{API}/slow"))
        await asyncio.sleep(0.25)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return "cancelled"

    assert lab.run(main, authority=AUTHORITY) == "cancelled"
    assert [r.url for r in lab.fetch_host.aborted] == [f"{API}/slow"]
    assert [e["code"] for e in types(lab, "fetch.error")] == ["aborted"]


def test_a_stray_task_left_running_fails_the_run() -> None:
    lab = LabRuntime(seed=26)
    lab.fetch_host.respond(f"{API}/slow", body=b"late", delay=30.0)

    async def main(cx: Cx) -> None:
        asyncio.get_running_loop().create_task(cx.fetch(f"{API}/slow"), name="forgotten-fetch")

    with pytest.raises(LabOracleError, match="forgotten-fetch"):
        lab.run(main, authority=AUTHORITY)
