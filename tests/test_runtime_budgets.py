"""Budgets: propagation (a child never gets more than its parent), exhaustion, messages, events."""

from __future__ import annotations

import math

import pytest

from browser_rt import Budget, BudgetExceeded, Cx
from browser_rt.fetch import FetchDenied
from browser_rt.lab import LabRuntime
from browser_rt.policy import FetchAuthority

API = "https://api.example.com"
AUTH = FetchAuthority.from_dict({"origins": [API]})


def script(lab: LabRuntime, count: int, *, body: bytes = b"x", delay: float = 0.0) -> list[str]:
    urls = [f"{API}/{i}" for i in range(count)]
    for url in urls:
        lab.fetch_host.respond(url, body=body, delay=delay)
    return urls


def only(group: BaseException) -> BudgetExceeded:
    assert isinstance(group, ExceptionGroup)
    [error] = group.exceptions
    assert isinstance(error, BudgetExceeded)
    return error


def test_max_fetches_refuses_the_fetch_past_the_limit(lab):
    urls = script(lab, 4)

    async def main(cx: Cx):
        async with cx.region("calls", budget=Budget(max_fetches=3)):
            for url in urls[:3]:
                await cx.fetch(url)
            assert cx.budget.max_fetches == 0
            with pytest.raises(BudgetExceeded) as caught:
                await cx.fetch(urls[3])
            return caught.value

    error = lab.run(main, authority=AUTH)
    assert (error.kind, error.region, error.limit, error.used) == ("max_fetches", "main/calls", 3, 4)
    assert str(error) == "budget max_fetches=3 of region 'main/calls' ran out: fetch 4 refused"
    assert len(lab.fetch_host.requests) == 3
    [event] = [e for e in lab.events.events if e["type"] == "budget.exceeded"]
    assert (event["region"], event["task"], event["budget"]) == ("main/calls", "main", "max_fetches")


def test_denied_fetches_count_against_max_fetches(lab):
    async def main(cx: Cx):
        async with cx.region("calls", budget=Budget(max_fetches=1)):
            with pytest.raises(FetchDenied):
                await cx.fetch("https://elsewhere.example.org/")
            with pytest.raises(BudgetExceeded):
                await cx.fetch(f"{API}/0")

    lab.run(main, authority=AUTH)
    assert lab.fetch_host.requests == []


def test_a_child_budget_is_clamped_to_what_the_parent_has_left(lab):
    urls = script(lab, 5)

    async def child(cx: Cx, url: str):
        await cx.fetch(url)

    async def main(cx: Cx):
        async with cx.region("parent", budget=Budget(deadline=10, max_fetches=3, max_bytes=100)) as parent:
            await cx.fetch(urls[0])
            await cx.sleep(4)
            async with cx.region("child", budget=Budget(deadline=60, max_fetches=50)) as inner:
                granted = inner.budget
                inner.spawn(child, urls[1])
            left_in_parent = parent.budget.max_fetches
            with pytest.raises(ExceptionGroup) as caught:
                async with cx.region("greedy", budget=Budget(max_fetches=10)) as greedy:
                    for url in urls[2:]:
                        greedy.spawn(child, url)
            return granted, left_in_parent, caught.value

    granted, left_in_parent, group = lab.run(main, authority=AUTH)
    assert granted == Budget(deadline=6.0, max_fetches=2, max_bytes=99)
    assert left_in_parent == 1
    error = only(group)
    assert (error.kind, error.region) == ("max_fetches", "main/parent")
    assert len(lab.fetch_host.requests) == 3


def test_sibling_regions_share_the_parent_pool(lab):
    urls = script(lab, 4)

    async def main(cx: Cx):
        async with cx.region("pool", budget=Budget(max_fetches=3)):
            async with cx.region("a", budget=Budget(max_fetches=2)):
                await cx.fetch(urls[0])
                await cx.fetch(urls[1])
            async with cx.region("b", budget=Budget(max_fetches=2)):
                await cx.fetch(urls[2])
                with pytest.raises(BudgetExceeded) as caught:
                    await cx.fetch(urls[3])
        return caught.value

    assert lab.run(main, authority=AUTH).region == "main/pool"


def test_max_bytes_charges_response_bodies(lab):
    urls = script(lab, 3, body=b"0123456789")

    async def main(cx: Cx):
        async with cx.region("reads", budget=Budget(max_bytes=25)):
            first = await cx.fetch(urls[0])
            await cx.fetch(urls[1])
            with pytest.raises(BudgetExceeded) as caught:
                await cx.fetch(urls[2])
            with pytest.raises(BudgetExceeded, match="max_bytes"):
                await cx.fetch(urls[0])
            return await first.text(), caught.value

    text, error = lab.run(main, authority=AUTH)
    assert text == "0123456789"
    assert (error.kind, error.limit, error.used) == ("max_bytes", 25, 30)
    assert str(error) == "budget max_bytes=25 of region 'main/reads' ran out: 30 bytes read"


def test_the_deadline_is_enforced_at_checkpoints_sleeps_and_fetches(lab):
    (url,) = script(lab, 1, delay=10.0)

    async def main(cx: Cx):
        seen = []
        async with cx.region("timed", budget=Budget(deadline=2.0)):
            with pytest.raises(BudgetExceeded) as caught:
                await cx.sleep(5.0)
            seen.append((caught.value.kind, lab.now))
            with pytest.raises(BudgetExceeded):
                await cx.checkpoint()
        async with cx.region("fetching", budget=Budget(deadline=1.5)):
            with pytest.raises(BudgetExceeded) as caught:
                await cx.fetch(url)
            seen.append((caught.value.kind, caught.value.region, lab.now))
        return seen

    assert lab.run(main, authority=AUTH) == [
        ("deadline", pytest.approx(2.0)),
        ("deadline", "main/fetching", pytest.approx(3.5)),
    ]
    assert [request.url for request in lab.fetch_host.aborted] == [url]


def test_a_deadline_stops_children_with_a_group(lab):
    async def worker(cx: Cx):
        while True:
            await cx.sleep(0.3)

    async def main(cx: Cx):
        with pytest.raises(ExceptionGroup) as caught:
            async with cx.region("timed", budget=Budget(deadline=1.0)) as r:
                r.spawn(worker)
                r.spawn(worker)
        return caught.value, lab.now

    group, when = lab.run(main, authority=AUTH)
    assert when == pytest.approx(1.0)
    assert [type(e) for e in group.exceptions] == [BudgetExceeded]
    assert str(group.exceptions[0]) == "budget deadline=1s of region 'main/timed' ran out"


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"deadline": -1}, ValueError, "Budget.deadline: expected finite seconds >= 0"),
        ({"deadline": math.nan}, ValueError, "Budget.deadline"),
        ({"deadline": math.inf}, ValueError, "Budget.deadline"),
        ({"deadline": "5"}, TypeError, "Budget.deadline: expected seconds as a number, got str"),
        ({"deadline": True}, TypeError, "Budget.deadline"),
        ({"max_fetches": -1}, ValueError, "Budget.max_fetches: expected >= 0, got -1"),
        ({"max_fetches": 1.5}, TypeError, "Budget.max_fetches: expected an int, got float"),
        ({"max_bytes": False}, TypeError, "Budget.max_bytes: expected an int, got bool"),
    ],
)
def test_bad_budgets_name_the_field(kwargs, error, message):
    with pytest.raises(error, match=message.replace("(", r"\(")):
        Budget(**kwargs)


def test_sleep_rejects_bad_durations(lab):
    async def main(cx: Cx):
        for bad in (-1, math.nan, "1"):
            with pytest.raises((TypeError, ValueError), match="sleep"):
                await cx.sleep(bad)
        return True

    assert lab.run(main, authority=AUTH)
