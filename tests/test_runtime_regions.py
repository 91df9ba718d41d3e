"""Structured concurrency: quiescence, sibling cancellation, ExceptionGroup shape, races.

Run through the lab (a pure-Python loop) so the same tests run on CPython and inside Pyodide.
"""

from __future__ import annotations

import asyncio

import pytest

from browser_rt import Cx, NoCapabilityError, current_cx
from browser_rt.lab import LabOracleError, LabRuntime
from browser_rt.policy import FetchAuthority

DENY = FetchAuthority.deny_all()


def run(lab: LabRuntime, main):
    return lab.run(main, authority=DENY)


async def sleeper(cx: Cx, seconds: float, result: object = None) -> object:
    await cx.sleep(seconds)
    return result


async def failer(cx: Cx, seconds: float, error: Exception) -> None:
    await cx.sleep(seconds)
    raise error


def test_region_close_waits_for_every_child(lab):
    async def main(cx: Cx):
        async with cx.region("work") as r:
            tasks = [r.spawn(sleeper, 0.01 * (i % 7), i) for i in range(50)]
        assert all(task.done() for task in tasks)
        return [task.result() for task in tasks], lab.now

    results, finished_at = run(lab, main)
    assert results == list(range(50))
    assert finished_at == pytest.approx(0.06)


def test_children_may_spawn_siblings_while_the_region_closes(lab):
    spawned = []

    async def parent(cx: Cx, region):
        await cx.sleep(0.5)
        spawned.append(region.spawn(sleeper, 1.0, "late"))

    async def main(cx: Cx):
        async with cx.region("work") as r:
            r.spawn(parent, r)
        return lab.now

    assert run(lab, main) == pytest.approx(1.5)
    assert spawned[0].result() == "late"


def test_a_failing_child_cancels_its_siblings_and_the_body(lab):
    seen = {}

    async def main(cx: Cx):
        with pytest.raises(ExceptionGroup) as caught:
            async with cx.region("work") as r:
                slow = r.spawn(sleeper, 10.0)
                r.spawn(failer, 0.1, ValueError("boom"))
                try:
                    await cx.sleep(10.0)
                except asyncio.CancelledError:
                    seen["body_cancelled_at"] = lab.now
                    raise
        seen["slow_cancelled"] = slow.cancelled()
        seen["after"] = lab.now
        return caught.value

    group = run(lab, main)
    assert type(group) is ExceptionGroup
    assert "main/work" in str(group)
    assert [type(e) for e in group.exceptions] == [ValueError]
    assert seen == {
        "body_cancelled_at": pytest.approx(0.1),
        "slow_cancelled": True,
        "after": pytest.approx(0.1),
    }


def test_every_failure_and_the_body_error_are_in_the_group(lab):
    async def fails_while_cancelled(cx: Cx):
        try:
            await cx.sleep(10.0)
        except asyncio.CancelledError:
            raise OSError("cleanup failed") from None

    async def main(cx: Cx):
        with pytest.raises(ExceptionGroup) as caught:
            async with cx.region("work") as r:
                r.spawn(failer, 0.1, KeyError("a"))
                r.spawn(fails_while_cancelled)
                try:
                    await cx.sleep(10.0)
                except asyncio.CancelledError:
                    raise RuntimeError("body cleanup failed") from None
        return caught.value

    group = run(lab, main)
    assert [type(e) for e in group.exceptions] == [KeyError, OSError, RuntimeError]


def test_group_shape_matches_asyncio_taskgroup(lab):
    async def via_taskgroup():
        async def fail_after(delay, error):
            await asyncio.sleep(delay)
            raise error

        try:
            async with asyncio.TaskGroup() as tg:
                tg.create_task(fail_after(0.1, ValueError("x")))
                tg.create_task(asyncio.sleep(5))
        except BaseException as error:
            return error

    async def via_region(cx: Cx):
        try:
            async with cx.region("work") as r:
                r.spawn(failer, 0.1, ValueError("x"))
                r.spawn(sleeper, 5)
        except BaseException as error:
            return error

    expected = lab.run_until_complete(via_taskgroup())
    got = run(lab, via_region)
    assert type(got) is type(expected) is ExceptionGroup
    assert [type(e) for e in got.exceptions] == [type(e) for e in expected.exceptions] == [ValueError]


def test_cancel_stops_children_and_body_then_code_after_the_block_runs(lab):
    async def main(cx: Cx):
        async with cx.region("work") as r:
            child = r.spawn(sleeper, 10.0)
            await cx.sleep(1.0)
            r.cancel("enough")
            await cx.sleep(10.0)
            raise AssertionError("the body must not resume after cancel()")
        return child.cancelled(), r.cancelling, lab.now

    assert run(lab, main) == (True, True, pytest.approx(1.0))


def test_cancelling_the_task_waiting_on_a_region_cancels_its_children(lab):
    children = []

    async def outer(cx: Cx):
        async with cx.region("inner") as r:
            children.append(r.spawn(sleeper, 100.0))

    async def main(cx: Cx):
        async with cx.region("outer") as r:
            victim = r.spawn(outer)
            await cx.sleep(1.0)
            victim.cancel()
        return victim.cancelled()

    assert run(lab, main) is True
    assert children[0].cancelled()


def test_each_child_has_its_own_cx_in_its_context(lab):
    async def child(cx: Cx):
        assert current_cx() is cx
        await cx.checkpoint()
        assert current_cx() is cx
        return cx.task, cx.region_path

    async def main(cx: Cx):
        assert current_cx() is cx
        async with cx.region("outer") as r:
            first = r.spawn(child)
            async with cx.region("inner") as inner:
                second = inner.spawn(child)
        return cx.task, cx.region_path, first.result(), second.result()

    task, region, first, second = run(lab, main)
    assert (task, region) == ("main", "main")
    assert first[1] == "main/outer" and second[1] == "main/outer/inner"
    assert first[0].startswith("child-") and second[0].startswith("child-") and first[0] != second[0]


def test_code_that_was_not_handed_a_cx_cannot_get_one(lab):
    async def outside():
        with pytest.raises(NoCapabilityError, match="only a Cx can fetch"):
            current_cx()
        return True

    assert lab.run_until_complete(outside()) is True
    with pytest.raises(NoCapabilityError):
        current_cx()


def test_race_returns_the_first_result_after_draining_the_losers(lab):
    losers = []

    async def slow(cx: Cx):
        try:
            await cx.sleep(5.0)
        finally:
            losers.append((cx.task, lab.now))

    async def fast(cx: Cx):
        await cx.sleep(0.2)
        return "fast"

    async def main(cx: Cx):
        async with cx.region("work") as r:
            winner = await r.race(slow, fast, slow)
            drained = list(losers)
        return winner, drained

    winner, drained = run(lab, main)
    assert winner == "fast"
    assert len(drained) == 2 and all(when == pytest.approx(0.2) for _, when in drained)


def test_a_contender_that_raises_fails_the_race(lab):
    async def main(cx: Cx):
        async with cx.region("work") as r:
            with pytest.raises(ExceptionGroup) as caught:
                await r.race(lambda c: failer(c, 0.1, LookupError("no")), lambda c: sleeper(c, 1.0, "late"))
        return caught.value

    group = run(lab, main)
    assert [type(e) for e in group.exceptions] == [LookupError]
    assert "main/work/race" in str(group)


def test_bad_spawns_and_region_misuse_name_the_problem(lab):
    def not_async(cx: Cx):
        return 1

    async def main(cx: Cx):
        region = cx.region("work")
        with pytest.raises(RuntimeError, match="'main/work' is not open"):
            region.spawn(sleeper, 0)
        async with region as r:
            with pytest.raises(TypeError, match="not a coroutine"):
                r.spawn(not_async)
            with pytest.raises(TypeError, match="needs an async function"):
                r.spawn("nope")
            with pytest.raises(ValueError, match="at least one contender"):
                await r.race()
        with pytest.raises(RuntimeError, match="'main/work' is closed"):
            region.spawn(sleeper, 0)
        with pytest.raises(RuntimeError, match="already entered"):
            async with region:
                pass
        for bad in ["", "a/b", "-x", "x" * 49, "sp ace", 3]:
            with pytest.raises(ValueError, match="region name"):
                cx.region(bad)
        with pytest.raises(ValueError, match="cleanup"):
            cx.region("ok", cleanup=-1)
        with pytest.raises(TypeError, match="budget must be a Budget"):
            cx.region("ok", budget={"deadline": 1})
        return True

    assert run(lab, main) is True


def test_main_must_be_an_async_function(lab):
    with pytest.raises(TypeError, match="not a coroutine"):
        lab.run(lambda cx: None, authority=DENY)
    with pytest.raises(TypeError, match="FetchAuthority"):
        lab.run(sleeper, authority={"origins": []})


def test_oracle_flags_tasks_left_behind_outside_regions(lab):
    async def main(cx: Cx):
        asyncio.get_running_loop().create_task(asyncio.sleep(30), name="stray")

    with pytest.raises(LabOracleError, match=r"orphans: .*stray") as caught:
        run(lab, main)
    assert "replay: browser-rt lab replay --seed 0" in str(caught.value)
