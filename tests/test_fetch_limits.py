"""RequestLimiter and cx.fetch: slots, a bounded FIFO queue, the token bucket, cancellation.

The limiter is driven directly (with a clock the test moves) and through the runtime on the
lab's virtual time, against the scripted host, so every count and every instant is exact.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from browser_rt import Budget, BudgetExceeded, Cx
from browser_rt.fetch import FetchDenied, RequestLimiter, RequestSlot, authorized_fetch
from browser_rt.lab import LabRuntime
from browser_rt.policy import DenyReason, FetchAuthority
from browser_rt.runtime import Runtime

API = "https://api.example.com"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def limiter(
    concurrent: int = 2, queued: int = 3, per_minute: int = 600, clock: Clock | None = None
) -> RequestLimiter:
    return RequestLimiter(
        max_concurrent_requests=concurrent,
        max_queued_requests=queued,
        max_requests_per_minute=per_minute,
        clock=clock if clock is not None else Clock(),
    )


def drive[T](make: Callable[[], Awaitable[T]], seed: int = 1) -> T:
    """Run on the deterministic lab loop (works inside Pyodide too)."""

    async def main() -> T:
        return await make()

    return LabRuntime(seed=seed).run_until_complete(main())


def refused(call: Callable[[], object]) -> FetchDenied:
    with pytest.raises(FetchDenied) as caught:
        call()
    return caught.value


def authority(**limits: int) -> FetchAuthority:
    return FetchAuthority.from_dict({"origins": [API], "methods": ["GET", "POST"], **limits})


# -- the limiter on its own ------------------------------------------------------------------


def test_slots_then_a_bounded_queue_then_an_immediate_denial() -> None:
    async def main() -> None:
        lim = limiter(concurrent=2, queued=3)
        held = [lim.admit(API) for _ in range(2)]
        queued = [lim.admit(API) for _ in range(3)]
        assert [s.state for s in held] == ["held", "held"]
        assert [s.state for s in queued] == ["queued"] * 3
        assert (lim.in_flight, lim.waiting) == (2, 3)
        denial = refused(lambda: lim.admit(API))
        assert isinstance(denial, PermissionError)
        assert denial.reason == "rate_limited"
        assert denial.decision.reason is DenyReason.RATE_LIMITED
        assert denial.decision.origin == API
        assert denial.decision.detail == "max_queued_requests: 3 requests already waiting"
        assert (lim.in_flight, lim.waiting) == (2, 3)  # a denial takes nothing
        for slot in held + queued:
            slot.release()
        assert (lim.in_flight, lim.waiting) == (0, 0)

    drive(main)


def test_a_queue_of_zero_denies_as_soon_as_the_slots_are_taken() -> None:
    async def main() -> None:
        lim = limiter(concurrent=1, queued=0)
        slot = lim.admit()
        denial = refused(lim.admit)
        assert denial.decision.detail == "max_queued_requests: 0 requests already waiting"
        assert denial.decision.origin is None
        slot.release()
        lim.admit().release()

    drive(main)


def test_queued_requests_get_slots_in_arrival_order() -> None:
    async def main() -> list[int]:
        lim = limiter(concurrent=1, queued=10)
        first = lim.admit()
        order: list[int] = []

        async def worker(index: int, slot: RequestSlot) -> None:
            async with slot:
                order.append(index)
                await asyncio.sleep(0.01)

        # Admitted in index order; the lab then starts the tasks in a seeded order of its own.
        slots = [lim.admit() for _ in range(6)]
        tasks = [asyncio.ensure_future(worker(i, s)) for i, s in enumerate(slots)]
        await asyncio.sleep(0.05)
        assert order == []  # nobody overtakes the holder
        first.release()
        await asyncio.gather(*tasks)
        assert (lim.in_flight, lim.waiting) == (0, 0)
        return order

    for seed in range(5):
        assert drive(main, seed=seed) == [0, 1, 2, 3, 4, 5]


def test_a_newcomer_does_not_overtake_a_waiter() -> None:
    async def main() -> None:
        lim = limiter(concurrent=1, queued=5)
        holder = lim.admit()
        waiter = lim.admit()
        task = asyncio.ensure_future(waiter.acquire())
        await asyncio.sleep(0.1)
        holder.release()  # the slot goes to the waiter, not back to the pool
        assert (lim.in_flight, lim.waiting) == (1, 0)
        assert lim.admit().state == "queued"
        await task
        assert waiter.state == "held"

    drive(main)


def test_cancelling_a_waiter_removes_it_and_frees_nothing_else() -> None:
    async def main() -> None:
        lim = limiter(concurrent=1, queued=3)
        holder = lim.admit()
        got: list[str] = []

        async def worker(name: str, slot: RequestSlot) -> None:
            async with slot:
                got.append(name)
                await asyncio.sleep(1)

        slots = {name: lim.admit() for name in "abc"}
        tasks = {name: asyncio.ensure_future(worker(name, slot)) for name, slot in slots.items()}
        await asyncio.sleep(0.1)
        tasks["b"].cancel()
        await asyncio.gather(tasks["b"], return_exceptions=True)
        assert tasks["b"].cancelled()
        assert slots["b"].state == "released"
        assert (lim.in_flight, lim.waiting) == (1, 2)  # the holder's slot is still the holder's
        assert got == []
        holder.release()
        await asyncio.gather(tasks["a"], tasks["c"])
        assert got == ["a", "c"]
        assert (lim.in_flight, lim.waiting) == (0, 0)
        # Nothing leaked: the one slot is free again.
        slot = lim.admit()
        assert slot.state == "held"
        slot.release()

    drive(main)


def test_a_slot_handed_to_a_waiter_cancelled_before_it_resumes_passes_on() -> None:
    async def main() -> None:
        lim = limiter(concurrent=1, queued=3)
        holder = lim.admit()
        first, second = lim.admit(), lim.admit()
        first_task = asyncio.ensure_future(first.acquire())
        second_task = asyncio.ensure_future(second.acquire())
        await asyncio.sleep(0.1)  # virtual time: both tasks are waiting in acquire() by now
        holder.release()  # hands the slot to `first`...
        first_task.cancel()  # ...which is cancelled before it runs again
        results = await asyncio.gather(first_task, second_task, return_exceptions=True)
        assert isinstance(results[0], asyncio.CancelledError)
        assert first.state == "released" and second.state == "held"
        assert (lim.in_flight, lim.waiting) == (1, 0)
        second.release()
        assert (lim.in_flight, lim.waiting) == (0, 0)

    drive(main)


def test_release_is_idempotent_and_async_with_releases_on_errors() -> None:
    async def main() -> None:
        lim = limiter(concurrent=1, queued=1)
        slot = lim.admit()
        slot.release()
        slot.release()
        assert lim.in_flight == 0
        with pytest.raises(RuntimeError, match="already released"):
            await slot.acquire()
        with pytest.raises(ValueError, match="boom"):
            async with lim.admit():
                raise ValueError("boom")
        assert (lim.in_flight, lim.waiting) == (0, 0)
        # A queued place given up without ever waiting leaves the queue.
        holder = lim.admit()
        lim.admit().release()
        assert (lim.in_flight, lim.waiting) == (1, 0)
        holder.release()

    drive(main)


def test_the_token_bucket_empties_and_refills_with_the_clock() -> None:
    async def main() -> None:
        clock = Clock()
        lim = limiter(concurrent=64, queued=0, per_minute=3, clock=clock)
        for _ in range(3):
            lim.admit(API).release()
        denial = refused(lambda: lim.admit(API))
        assert denial.reason == "rate_limited"
        assert denial.decision.detail == "max_requests_per_minute: more than 3 requests a minute"
        clock.now += 19.9  # 3 a minute is one every 20 s
        refused(lim.admit)
        clock.now += 0.1
        lim.admit().release()
        refused(lim.admit)
        clock.now += 3600  # a long pause fills the bucket to its capacity, no further
        assert lim.tokens == pytest.approx(3.0)
        for _ in range(3):
            lim.admit().release()
        refused(lim.admit)

    drive(main)


def test_the_bucket_is_checked_first_and_only_admitted_requests_spend_tokens() -> None:
    async def main() -> None:
        clock = Clock()
        lim = limiter(concurrent=1, queued=0, per_minute=2, clock=clock)
        holder = lim.admit()
        # The queue is full: denied, and no token is spent on it.
        assert refused(lim.admit).decision.detail.startswith("max_queued_requests:")
        assert lim.tokens == pytest.approx(1.0)
        holder.release()
        lim.admit().release()
        # Now the bucket is empty: its denial comes first, even with a slot free.
        assert lim.in_flight == 0
        assert refused(lim.admit).decision.detail.startswith("max_requests_per_minute:")
        # A queued request spends its token when it arrives, and keeps its place after.
        queueing = limiter(concurrent=1, queued=1, per_minute=2, clock=clock)
        first = queueing.admit()
        waiting = queueing.admit()
        assert waiting.state == "queued" and queueing.tokens == pytest.approx(0.0)
        first.release()
        assert waiting.state == "queued" and queueing.in_flight == 1  # handed over, not re-checked
        waiting.release()
        assert (queueing.in_flight, queueing.waiting) == (0, 0)

    drive(main)


def test_a_clock_that_goes_back_refills_nothing() -> None:
    async def main() -> None:
        clock = Clock()
        lim = limiter(per_minute=1, clock=clock)
        lim.admit().release()
        clock.now -= 50
        refused(lim.admit)

    drive(main)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"concurrent": 0}, r"^max_concurrent_requests: expected an int from 1 to 64, got 0$"),
        ({"concurrent": 65}, r"^max_concurrent_requests: expected an int from 1 to 64"),
        ({"queued": -1}, r"^max_queued_requests: expected an int from 0 to 10000, got -1$"),
        ({"per_minute": 0}, r"^max_requests_per_minute: expected an int from 1 to 60000, got 0$"),
        ({"per_minute": True}, r"^max_requests_per_minute: expected an int from 1 to 60000, got True$"),
    ],
)
def test_bad_limits_name_the_setting(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        limiter(**kwargs)
    with pytest.raises(TypeError, match="clock"):
        RequestLimiter(
            max_concurrent_requests=1,
            max_queued_requests=0,
            max_requests_per_minute=1,
            clock=42,  # type: ignore[arg-type]
        )


def test_for_authority_reads_the_three_limits() -> None:
    lim = RequestLimiter.for_authority(
        authority(max_concurrent_requests=3, max_queued_requests=7, max_requests_per_minute=90), Clock()
    )
    assert (lim.max_concurrent_requests, lim.max_queued_requests, lim.max_requests_per_minute) == (3, 7, 90)
    defaults = RequestLimiter.for_authority(FetchAuthority.from_dict({}), Clock())
    assert (defaults.max_concurrent_requests, defaults.max_queued_requests) == (4, 64)
    assert defaults.max_requests_per_minute == 600


# -- through authorized_fetch and cx.fetch ---------------------------------------------------


def script(lab: LabRuntime, count: int, delay: float = 1.0) -> list[str]:
    urls = [f"{API}/slow/{i}" for i in range(count)]
    for url in urls:
        lab.fetch_host.respond(url, body=b"ok", delay=delay)
    return urls


def denials(lab: LabRuntime) -> list[dict[str, Any]]:
    return [e for e in lab.events.events if e["type"] == "fetch.decision" and e["decision"] == "deny"]


async def fetch_or_reason(cx: Cx, url: str) -> str:
    try:
        response = await cx.fetch(url)
    except FetchDenied as denied:
        return denied.reason
    return await response.text()


def test_cx_fetch_runs_at_most_n_queues_m_and_denies_the_rest_at_once() -> None:
    lab = LabRuntime(seed=4)
    urls = script(lab, 9)
    started: list[float] = []

    async def main(cx: Cx) -> list[str]:
        async with cx.region("fan") as r:
            tasks = [r.spawn(fetch_or_reason, url) for url in urls]
        return [task.result() for task in tasks]

    auth = authority(max_concurrent_requests=2, max_queued_requests=3)
    results = lab.run(main, authority=auth)
    assert sorted(results) == ["ok"] * 5 + ["rate_limited"] * 4
    # Two at a time, one second each: five requests take three seconds.
    assert lab.now == pytest.approx(3.0)
    assert len(lab.fetch_host.requests) == 5
    started = [float(line.split()[0][1:]) for line in lab.trace.lines if " fetch.request " in line]
    assert sorted(started) == pytest.approx([0.0, 0.0, 1.0, 1.0, 2.0])
    denied = denials(lab)
    assert len(denied) == 4
    for event in denied:
        assert event["reason"] == "rate_limited"
        assert event["detail"] == "max_queued_requests: 3 requests already waiting"
        assert event["origin"] == API
        assert "slow" not in event["detail"]
    # Each request has exactly one decision: allowed ones are not reported denied as well.
    assert len([e for e in lab.events.events if e["type"] == "fetch.decision"]) == 9


def test_the_token_bucket_holds_across_tasks_and_refills_on_virtual_time() -> None:
    lab = LabRuntime(seed=5)
    urls = script(lab, 1, delay=0.0)

    async def main(cx: Cx) -> list[str]:
        seen = []
        async with cx.region("burst") as r:
            tasks = [r.spawn(fetch_or_reason, urls[0]) for _ in range(3)]
        seen += sorted(task.result() for task in tasks)
        await cx.sleep(29.0)
        seen.append(await fetch_or_reason(cx, urls[0]))
        await cx.sleep(1.0)  # 2 a minute: one token back every 30 s
        seen.append(await fetch_or_reason(cx, urls[0]))
        return seen

    assert lab.run(main, authority=authority(max_requests_per_minute=2)) == [
        "ok",
        "ok",
        "rate_limited",
        "rate_limited",
        "ok",
    ]
    assert len(lab.fetch_host.requests) == 3
    assert {e["detail"] for e in denials(lab)} == {"max_requests_per_minute: more than 2 requests a minute"}


def test_policy_denials_come_first_and_spend_nothing() -> None:
    lab = LabRuntime(seed=6)
    urls = script(lab, 1, delay=0.0)

    async def main(cx: Cx) -> list[str]:
        reasons = [await fetch_or_reason(cx, "https://evil.example.net/") for _ in range(5)]
        reasons.append(await fetch_or_reason(cx, urls[0]))
        reasons.append(await fetch_or_reason(cx, urls[0]))
        return reasons

    assert lab.run(main, authority=authority(max_requests_per_minute=1)) == [
        *["origin_denied"] * 5,
        "ok",
        "rate_limited",
    ]


def test_a_task_cancelled_while_queued_sends_nothing_and_leaks_no_slot() -> None:
    lab = LabRuntime(seed=7)
    lab.fetch_host.respond(f"{API}/first", body=b"1", delay=5.0)
    lab.fetch_host.respond(f"{API}/queued", body=b"never")
    lab.fetch_host.respond(f"{API}/after", body=b"2", delay=1.0)
    auth = authority(max_concurrent_requests=1, max_queued_requests=1)
    runtime = Runtime(authority=auth, fetch_host=lab.fetch_host, diagnostics=lab.diagnostics)

    async def main(cx: Cx) -> tuple[str, bool, list[str]]:
        first = asyncio.ensure_future(cx.fetch(f"{API}/first"))
        await asyncio.sleep(0.5)
        queued = asyncio.ensure_future(cx.fetch(f"{API}/queued"))
        await asyncio.sleep(0.5)
        # The queue holds one: a third request is refused while `queued` waits.
        third = await fetch_or_reason(cx, f"{API}/after")
        queued.cancel()
        await asyncio.gather(queued, return_exceptions=True)
        body = await (await first).text()
        # The slot `first` held is free again, and nothing is left waiting for it.
        after = await fetch_or_reason(cx, f"{API}/after")
        return third, queued.cancelled(), [body, after]

    loop = lab.loop
    assert lab.run_until_complete(runtime.run(main)) == ("rate_limited", True, ["1", "2"])
    assert [r.url for r in lab.fetch_host.requests] == [f"{API}/first", f"{API}/after"]
    limiter_ = runtime.request_limiter(loop)
    assert (limiter_.in_flight, limiter_.waiting) == (0, 0)
    aborted = [e for e in lab.events.events if e["type"] == "fetch.error"]
    assert [e["code"] for e in aborted] == ["aborted"]


def test_the_deadline_bounds_the_wait_for_a_slot() -> None:
    lab = LabRuntime(seed=8)
    lab.fetch_host.respond(f"{API}/slow", body=b"1", delay=10.0)
    lab.fetch_host.respond(f"{API}/fast", body=b"2")

    async def main(cx: Cx) -> tuple[str, float]:
        slow = asyncio.ensure_future(cx.fetch(f"{API}/slow"))
        await asyncio.sleep(0.1)  # the slow fetch holds the only slot by now
        try:
            async with cx.region("hurried", budget=Budget(deadline=2.0)) as r:
                r.spawn(lambda c: c.fetch(f"{API}/fast"))
        except* BudgetExceeded:
            outcome = "deadline"
        else:
            outcome = "fetched"
        at = lab.now
        await slow
        return outcome, at

    assert lab.run(main, authority=authority(max_concurrent_requests=1)) == ("deadline", pytest.approx(2.1))
    assert [r.url for r in lab.fetch_host.requests] == [f"{API}/slow"]


def test_one_limiter_per_runtime_with_the_root_authoritys_limits() -> None:
    """A narrowed Cx asks for lower limits, but the runtime's limiter counts with the root's."""
    lab = LabRuntime(seed=9)
    urls = script(lab, 4)

    async def main(cx: Cx) -> list[str]:
        narrow = cx.narrow(max_concurrent_requests=1, max_queued_requests=0)
        assert narrow.authority.max_concurrent_requests == 1
        async with cx.region("wide") as wide, narrow.region("narrow") as tight:
            tasks = [wide.spawn(fetch_or_reason, urls[0]), wide.spawn(fetch_or_reason, urls[1])]
            tasks += [tight.spawn(fetch_or_reason, urls[2]), tight.spawn(fetch_or_reason, urls[3])]
        return [task.result() for task in tasks]

    auth = authority(max_concurrent_requests=2, max_queued_requests=2)
    assert lab.run(main, authority=auth) == ["ok"] * 4
    assert lab.now == pytest.approx(2.0)  # two slots shared by both regions


def test_the_limiter_lasts_across_runs_of_one_runtime() -> None:
    """The embedder runs each snippet of user code as a run: they share one bucket."""
    lab = LabRuntime(seed=10)
    urls = script(lab, 1, delay=0.0)
    runtime = Runtime(
        authority=authority(max_requests_per_minute=2), fetch_host=lab.fetch_host, diagnostics=lab.diagnostics
    )

    async def once(cx: Cx) -> str:
        return await fetch_or_reason(cx, urls[0])

    assert [lab.run_until_complete(runtime.run(once)) for _ in range(3)] == ["ok", "ok", "rate_limited"]
    assert runtime.request_limiter(lab.loop) is runtime.request_limiter(lab.loop)


def test_authorized_fetch_with_a_limiter_denies_before_the_host() -> None:
    lab = LabRuntime(seed=11)
    lab.fetch_host.respond(f"{API}/x", body=b"x", delay=1.0)

    async def main() -> str:
        lim = limiter(concurrent=1, queued=0, clock=Clock())
        auth = authority()
        first = asyncio.ensure_future(
            authorized_fetch(auth, lab.fetch_host, lab.diagnostics, f"{API}/x", limiter=lim)
        )
        await asyncio.sleep(0.1)
        with pytest.raises(FetchDenied) as caught:
            await authorized_fetch(
                auth, lab.fetch_host, lab.diagnostics, f"{API}/x?token=secret", limiter=lim
            )
        assert isinstance(caught.value, PermissionError)
        assert "secret" not in str(caught.value)
        await first
        assert lim.in_flight == 0
        return caught.value.reason

    assert lab.run_until_complete(main()) == "rate_limited"
    assert len(lab.fetch_host.requests) == 1
