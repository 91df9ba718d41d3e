"""Obligations: leaks are errors and events; a commit survives the cancellation that follows it."""

from __future__ import annotations

import asyncio

import pytest

import browser_rt.runtime
from browser_rt import Cx, ObligationError, ObligationLeak
from browser_rt.lab import LabOracleError, LabRuntime
from browser_rt.policy import FetchAuthority

DENY = FetchAuthority.deny_all()


def leak_events(lab: LabRuntime) -> list[tuple[str, str, str]]:
    return [
        (e["region"], e["task"], e["obligation"]) for e in lab.events.events if e["type"] == "obligation.leak"
    ]


async def forgetful(cx: Cx) -> None:
    cx.obligation("send-receipt")
    await cx.checkpoint()


def test_a_pending_obligation_at_task_end_fails_the_region_and_is_reported(lab):
    async def main(cx: Cx):
        with pytest.raises(ExceptionGroup):
            async with cx.region("jobs") as r:
                r.spawn(forgetful)

    with pytest.raises(LabOracleError, match="obligation leak: 'send-receipt'"):
        lab.run(main, authority=DENY)
    [(region, task, name)] = leak_events(lab)
    assert (region, name) == ("main/jobs", "send-receipt") and task.startswith("forgetful-")


def test_the_leak_error_names_obligation_task_and_region(lab):
    seen = {}

    async def main(cx: Cx):
        try:
            async with cx.region("jobs") as r:
                r.spawn(forgetful)
        except* ObligationLeak as group:
            [leak] = group.exceptions
            seen["message"] = str(leak)
            seen["state"] = leak.obligation.state
            seen["listed"] = [o.name for o in r.obligations]

    with pytest.raises(LabOracleError):
        lab.run(main, authority=DENY)
    assert seen["message"].startswith("obligation 'send-receipt' of task 'forgetful-")
    assert "in region 'main/jobs' was neither committed nor aborted" in seen["message"]
    assert seen["state"] == "leaked"
    assert seen["listed"] == ["send-receipt"]


def test_a_commit_is_never_dropped_by_the_cancellation_that_follows(lab):
    async def pays_then_waits(cx: Cx):
        payment = cx.obligation("charge")
        await cx.sleep(0.1)
        payment.commit({"amount": 42})
        await cx.sleep(60)

    async def fails(cx: Cx):
        await cx.sleep(1.0)
        raise ValueError("unrelated failure")

    async def main(cx: Cx):
        with pytest.raises(ExceptionGroup) as caught:
            async with cx.region("shop") as r:
                payer = r.spawn(pays_then_waits)
                r.spawn(fails)
        return payer.cancelled(), caught.value, r.obligations

    cancelled, group, obligations = lab.run(main, authority=DENY)
    assert cancelled is True
    assert [type(e) for e in group.exceptions] == [ValueError]
    [charge] = obligations
    assert (charge.name, charge.state, charge.value) == ("charge", "committed", {"amount": 42})
    assert leak_events(lab) == []


def test_the_context_manager_aborts_on_cancellation_and_errors(lab):
    async def careful(cx: Cx):
        with cx.obligation("reserve") as reservation:
            await cx.sleep(60)
            reservation.commit()

    async def fails(cx: Cx):
        await cx.sleep(1.0)
        raise ValueError("stop")

    async def main(cx: Cx):
        with pytest.raises(ExceptionGroup):
            async with cx.region("shop") as r:
                r.spawn(careful)
                r.spawn(fails)
        [reservation] = r.obligations
        return reservation.state, reservation.reason

    assert lab.run(main, authority=DENY) == ("aborted", "block raised CancelledError")


def test_an_obligation_resolves_exactly_once(lab):
    async def main(cx: Cx):
        first = cx.obligation("once")
        first.commit(1)
        with pytest.raises(ObligationError, match="'once' of task 'main' is already committed"):
            first.abort("too late")
        with pytest.raises(ObligationError, match="already committed; it cannot become committed"):
            first.commit(2)
        second = cx.obligation("other")
        second.abort("not needed")
        with pytest.raises(ObligationError, match="already aborted"):
            second.commit()
        with pytest.raises(TypeError, match="abort reason must be a str"):
            cx.obligation("third").abort(None)
        with pytest.raises(ValueError, match="non-empty str"):
            cx.obligation("")
        return first.value, second.reason

    with pytest.raises(LabOracleError, match="'third'"):
        lab.run(main, authority=DENY)


def test_main_leaking_fails_the_run_with_a_group(lab):
    async def main(cx: Cx):
        cx.obligation("flush")
        await asyncio.sleep(0)
        return "done"

    with pytest.raises(LabOracleError) as caught:
        lab.run(main, authority=DENY)
    group = caught.value.__cause__
    assert isinstance(group, ExceptionGroup)
    assert [type(e) for e in group.exceptions] == [ObligationLeak]
    assert leak_events(lab) == [("main", "main", "flush")]


def test_main_error_and_leak_are_reported_together(lab):
    async def main(cx: Cx):
        cx.obligation("flush")
        raise KeyError("original")

    with pytest.raises(LabOracleError) as caught:
        lab.run(main, authority=DENY)
    group = caught.value.__cause__
    assert [type(e) for e in group.exceptions] == [KeyError, ObligationLeak]


def test_a_cancelled_run_waits_for_main_and_still_reports_its_leaks(lab):
    finished = []

    async def main(cx: Cx):
        cx.obligation("flush")
        try:
            await cx.sleep(60)
        finally:
            await asyncio.sleep(0.5)
            finished.append(lab.now)

    async def caller():
        runtime = browser_rt.runtime.Runtime(
            authority=DENY, fetch_host=lab.fetch_host, diagnostics=lab.diagnostics
        )
        run = asyncio.get_running_loop().create_task(runtime.run(main))
        await asyncio.sleep(1.0)
        run.cancel()
        with pytest.raises(asyncio.CancelledError):
            await run
        return lab.now

    assert lab.run_until_complete(caller()) == 1.5
    assert finished == [1.5]
    assert leak_events(lab) == [("main", "main", "flush")]
