"""Tools through a task's Cx, on the lab's scripted tool host: the grant refuses before anything
is sent, narrowing only narrows, timeouts and cancellation abort the call, events carry sizes
and never values, and a program that calls tools replays from its seed."""

from __future__ import annotations

import asyncio
import json
import math
from typing import Any

import pytest

from browser_rt.cap import Cx
from browser_rt.diagnostics import Diagnostics, MemorySink
from browser_rt.lab import LabRuntime
from browser_rt.policy import FetchAuthority
from browser_rt.runtime import Budget, BudgetExceeded
from browser_rt.tools import (
    ToolAborted,
    ToolDenied,
    ToolFailed,
    ToolGrant,
    ToolLimits,
    ToolNotGranted,
    ToolTimeout,
)

NOTHING = FetchAuthority.deny_all()
GRANT = ToolGrant.of("search", "lookup", limits=ToolLimits(timeout_ms=500, max_args_bytes=64))


def nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth - 1):
        value = [value]
    return value


def run(lab: LabRuntime, main: Any, grant: ToolGrant | None = GRANT, **kwargs: Any) -> Any:
    return lab.run(main, authority=NOTHING, tools=grant, **kwargs)


def test_a_granted_tool_answers_with_its_json(lab: LabRuntime) -> None:
    lab.tool_host.respond("search", lambda args: {"hits": [args["query"]]}, delay=0.01)

    async def main(cx: Cx) -> Any:
        return await cx.tools.call("search", query="pyodide")

    assert run(lab, main) == {"hits": ["pyodide"]}
    assert [call.tool for call in lab.tool_host.calls] == ["search"]
    assert json.loads(lab.tool_host.calls[0].args_json) == {"query": "pyodide"}


@pytest.mark.parametrize("grant", [None, GRANT])
def test_an_ungranted_tool_is_a_permission_error_naming_it(lab: LabRuntime, grant: ToolGrant | None) -> None:
    async def main(cx: Cx) -> ToolNotGranted:
        with pytest.raises(ToolNotGranted) as caught:
            await cx.tools.call("delete_everything")
        return caught.value

    error = run(lab, main, grant)
    assert isinstance(error, PermissionError)
    assert error.tool == "delete_everything" and "delete_everything" in str(error)
    assert lab.tool_host.calls == []
    denials = [e for e in lab.events.events if e["type"] == "tool.decision"]
    assert denials[0]["decision"] == "deny" and denials[0]["reason"] == "not_granted"


def test_narrowing_keeps_a_subset_for_the_task_and_its_children(lab: LabRuntime) -> None:
    lab.tool_host.respond("search", 1)

    async def child(cx: Cx) -> str:
        with pytest.raises(ToolNotGranted):
            await cx.tools.call("lookup")
        return str(await cx.tools.call("search"))

    async def main(cx: Cx) -> Any:
        with pytest.raises(ValueError, match="not granted: wipe"):
            cx.narrow(tools=["search", "wipe"])
        narrow = cx.narrow(tools=["search"])
        assert narrow.tools.names == frozenset({"search"})
        assert cx.tools.names == frozenset({"search", "lookup"})
        async with narrow.region("kids") as region:
            task = region.spawn(child)
        return task.result()

    assert run(lab, main) == "1"


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        ({"x": {1, 2}}, "invalid_args"),
        ({"x": math.nan}, "invalid_args"),
        ({"x": object()}, "invalid_args"),
        ({"x": "y" * 200}, "args_too_large"),
        ({"x": "é" * 70}, "args_too_large"),
        ({"x": nested(33)}, "invalid_args"),
        ({"x": nested(32)}, "invalid_args"),
    ],
)
def test_arguments_that_are_not_bounded_json_are_refused_with_nothing_sent(
    lab: LabRuntime, args: dict[str, Any], reason: str
) -> None:
    grant = ToolGrant.of("search", limits=ToolLimits(max_args_bytes=128))

    async def main(cx: Cx) -> str:
        with pytest.raises(ToolDenied) as caught:
            await cx.tools.call("search", **args)
        return caught.value.reason

    assert run(lab, main, grant) == reason
    assert lab.tool_host.calls == []


@pytest.mark.parametrize(
    "args",
    [
        {"x": nested(31)},
        {"x": "[" * 60},
        {"x": [[] for _ in range(40)]},
        {"x": "\\[" * 20 + "]"},
    ],
    ids=["32 levels", "brackets in a string", "many shallow brackets", "escapes"],
)
def test_arguments_within_the_bounds_are_sent_as_they_are(lab: LabRuntime, args: dict[str, Any]) -> None:
    """The nesting check counts brackets before it walks the text: many brackets that do not
    nest, or brackets inside strings, must still pass; only depth counts."""
    grant = ToolGrant.of("search", limits=ToolLimits(max_args_bytes=256))
    lab.tool_host.respond("search", lambda given: given)

    async def main(cx: Cx) -> Any:
        return await cx.tools.call("search", **args)

    assert run(lab, main, grant) == args
    assert [json.loads(call.args_json) for call in lab.tool_host.calls] == [args]


def test_a_tool_that_never_answers_times_out_after_its_timeout(lab: LabRuntime) -> None:
    lab.tool_host.respond("search", 1, delay=math.inf)

    async def main(cx: Cx) -> float:
        with pytest.raises(ToolTimeout):
            await cx.tools.call("search")
        return lab.now

    assert run(lab, main) == pytest.approx(0.5)


def test_cancelling_the_task_aborts_the_call(lab: LabRuntime) -> None:
    lab.tool_host.respond("search", 1, delay=10)

    async def main(cx: Cx) -> None:
        task = asyncio.ensure_future(cx.tools.call("search"))
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run(lab, main)
    assert [call.tool for call in lab.tool_host.aborted] == ["search"]
    errors = [e for e in lab.events.events if e["type"] == "tool.error"]
    assert errors[0]["code"] == "aborted"


def test_a_deadline_budget_bounds_a_tool_call(lab: LabRuntime) -> None:
    lab.tool_host.respond("search", 1, delay=0.4)

    async def main(cx: Cx) -> None:
        async with cx.region("quick", budget=Budget(deadline=0.1)) as region:
            region.spawn(lambda kid: kid.tools.call("search"))

    with pytest.raises(BaseExceptionGroup) as caught:
        run(lab, main)
    assert caught.group_contains(BudgetExceeded)
    assert len(lab.tool_host.aborted) == 1


def test_a_failing_tool_gives_its_message(lab: LabRuntime) -> None:
    lab.tool_host.fail("lookup", "db is down")
    lab.tool_host.fail("search", code="aborted")

    async def main(cx: Cx) -> str:
        with pytest.raises(ToolAborted):
            await cx.tools.call("search")
        with pytest.raises(ToolFailed) as caught:
            await cx.tools.call("lookup")
        return str(caught.value)

    assert run(lab, main) == "db is down"


@pytest.mark.parametrize("mode", ["metadata_only", "strict"])
def test_events_carry_sizes_and_never_a_value(lab: LabRuntime, mode: str) -> None:
    sink = MemorySink()
    lab.tool_host.respond("search", {"answer": "RESULT-SECRET-42"})

    async def main(cx: Cx) -> None:
        await cx.tools.call("search", q="ARG-SECRET-17")
        with pytest.raises(ToolDenied):
            await cx.tools.call("search", q="ARG-SECRET-17" * 10)

    run(lab, main, diagnostics=Diagnostics(mode, [sink]))
    text = json.dumps(sink.events)
    assert "SECRET" not in text
    kinds = [(e["type"], e.get("decision")) for e in sink.events if e["type"].startswith("tool.")]
    assert kinds == [("tool.decision", "allow"), ("tool.decision", "deny")]
    allowed = next(e for e in sink.events if e["type"] == "tool.decision")
    assert allowed["tool"] == "search" and allowed["request_bytes"] == 21


def test_a_program_calling_tools_replays_from_its_seed() -> None:
    def once(seed: int) -> tuple[str, list[Any]]:
        lab = LabRuntime(seed)
        lab.tool_host.respond("search", lambda args: args["n"], delay=0.01)
        lab.tool_host.respond("lookup", lambda args: -args["n"], delay=0.01)

        async def main(cx: Cx) -> list[Any]:
            async with cx.region("fan") as region:
                tasks = [
                    region.spawn(lambda c, n=n: c.tools.call("search" if n % 2 else "lookup", n=n))
                    for n in range(6)
                ]
            return [task.result() for task in tasks]

        result = lab.run(main, authority=NOTHING, tools=GRANT)
        order = [call.args_json for call in lab.tool_host.calls]
        lab.close()
        return lab.fingerprint, [result, order]

    assert once(7) == once(7)


def test_the_reused_encoder_recovers_from_a_failure_midway() -> None:
    """The arguments' encoder is made once; a refusal halfway through a value (a cycle, a value
    that is not JSON) must leave nothing behind that would refuse the next, valid call."""
    from browser_rt.tools.client import _ENCODE, _args_text

    cyclic: dict[str, Any] = {}
    cyclic["self"] = cyclic
    for bad in ({"a": [{"b": object()}]}, {"x": [1, {"y": math.nan}]}, cyclic):
        assert _args_text("t", bad, 1024, 32)[2] is not None
        assert not _ENCODE._markers  # else every later call would take the slow road
        text, size, refusal = _args_text("t", {"a": [{"b": 1}], "é": "ü"}, 1024, 32)
        assert (text, size, refusal) == ('{"a":[{"b":1}],"é":"ü"}', 25, None)


def test_a_grant_checks_its_names_when_made() -> None:
    with pytest.raises(ValueError, match="is not a tool name"):
        ToolGrant({"not a name": ToolLimits()})
    with pytest.raises(TypeError, match="expected ToolLimits"):
        ToolGrant({"search": 5})  # type: ignore[dict-item]


def test_tool_events_name_the_region_the_task_is_in_now(lab: LabRuntime) -> None:
    lab.tool_host.respond("search", [], times=3)

    async def main(cx: Cx) -> None:
        await cx.tools.call("search", q="a")
        async with cx.region("inner"):
            await cx.tools.call("search", q="b")
        await cx.tools.call("search", q="c")

    run(lab, main)
    regions = [e["region"] for e in lab.events.events if e["type"] == "tool.decision"]
    assert len(regions) == 3 and regions[0] == regions[2] != regions[1]
    assert "inner" in regions[1]
