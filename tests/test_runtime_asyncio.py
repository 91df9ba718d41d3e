"""The normal mode on CPython's own asyncio loop: `run`, real timers, many tasks.

Inside Pyodide the loop cannot block, so these run on the host only; the same behaviour on the
browser's WebLoop is covered by tests/browser/test_webloop_runtime.py.
"""

from __future__ import annotations

import asyncio
import contextlib

import pytest

import browser_rt
from browser_rt import Budget, BudgetExceeded, Cx
from browser_rt.diagnostics import Diagnostics, MemorySink
from browser_rt.fetch import BridgeError
from browser_rt.policy import FetchAuthority

pytestmark = pytest.mark.host_only(reason="blocks in asyncio.run, which Pyodide's event loop cannot do")

API = "https://api.example.com"
AUTH = FetchAuthority.from_dict({"origins": [API]})


def test_run_returns_main_result_and_passes_main_errors_through():
    async def main(cx: Cx):
        async with cx.region("work") as r:
            tasks = [r.spawn(double, i) for i in range(100)]
        return sum(t.result() for t in tasks)

    async def double(cx: Cx, value: int) -> int:
        await asyncio.sleep(0)
        return 2 * value

    assert browser_rt.run(main, authority=AUTH) == 9900

    async def broken(cx: Cx):
        raise LookupError("plain")

    with pytest.raises(LookupError, match="plain"):
        browser_rt.run(broken, authority=AUTH)


def test_ten_thousand_children_all_finish():
    async def child(cx: Cx) -> None:
        await asyncio.sleep(0)

    async def main(cx: Cx):
        async with cx.region("many") as r:
            tasks = [r.spawn(child) for _ in range(10_000)]
        return all(t.done() and not t.cancelled() for t in tasks)

    assert browser_rt.run(main, authority=AUTH) is True


def test_real_timers_bound_cleanup_and_report_overruns():
    sink = MemorySink()

    async def stubborn(cx: Cx):
        loop = asyncio.get_running_loop()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            done_at = loop.time() + 0.15
            while loop.time() < done_at:
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.sleep(done_at - loop.time())
            raise

    async def fails(cx: Cx):
        await asyncio.sleep(0.01)
        raise ValueError("x")

    async def main(cx: Cx):
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(ExceptionGroup):
            async with cx.region("work", cleanup=0.05) as r:
                r.spawn(stubborn)
                r.spawn(fails)
        return loop.time() - started

    elapsed = browser_rt.run(main, authority=AUTH, diagnostics=Diagnostics(sinks=[sink]))
    assert 0.15 <= elapsed < 2.0
    types = [event["type"] for event in sink.events]
    assert types == ["cancel.overrun", "cancel.overrun_finished"]
    assert sink.events[1]["overrun_ms"] >= 90


def test_deadline_with_real_time():
    async def main(cx: Cx):
        async with cx.region("timed", budget=Budget(deadline=0.05)):
            with pytest.raises(BudgetExceeded) as caught:
                await cx.sleep(10)
        return caught.value.kind

    assert browser_rt.run(main, authority=AUTH) == "deadline"


def test_run_inside_a_running_loop_points_to_arun():
    async def outer():
        with pytest.raises(RuntimeError, match=r"use `await browser_rt\.arun"):
            browser_rt.run(lambda cx: None, authority=AUTH)
        return await browser_rt.arun(answer, authority=AUTH)

    async def answer(cx: Cx) -> int:
        return 42

    assert asyncio.run(outer()) == 42


def test_without_a_fetch_host_allowed_requests_fail_clearly():
    async def main(cx: Cx):
        with pytest.raises(BridgeError, match="started without fetch_host="):
            await cx.fetch(f"{API}/x")
        return True

    assert browser_rt.run(main, authority=AUTH)


def test_bad_arguments_name_the_argument():
    async def main(cx: Cx):
        return None

    with pytest.raises(TypeError, match=r"authority: expected a browser_rt\.FetchAuthority"):
        browser_rt.run(main, authority=None)
    with pytest.raises(TypeError, match=r"diagnostics: expected a browser_rt\.diagnostics\.Diagnostics"):
        browser_rt.run(main, authority=AUTH, diagnostics=object())
    with pytest.raises(TypeError, match="fetch_host: expected an object with an async fetch"):
        browser_rt.run(main, authority=AUTH, fetch_host=object())
