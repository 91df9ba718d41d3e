"""The lab reproduces a schedule from its seed, on CPython and inside Pyodide alike."""

from __future__ import annotations

import asyncio

import pytest

from browser_rt import Budget, Cx
from browser_rt.lab import LabOracleError, LabRuntime
from browser_rt.lab.rng import SplitMix64
from browser_rt.policy import FetchAuthority

API = "https://api.example.com"
AUTH = FetchAuthority.from_dict({"origins": [API], "methods": ["GET", "POST"]})

PINNED_SEED = 20240611
PINNED_FINGERPRINT = "f5c25a3bab7c98c7549697e0effc1e4883adba0b783b85701e4a0973ebbba8aa"
"""The fingerprint of `scenario` under PINNED_SEED. The same test runs on CPython and in
Pyodide (Node and Chromium), so this one constant pins the cross-runtime equality."""


async def fetch_text(cx: Cx, path: str) -> str:
    response = await cx.fetch(f"{API}{path}")
    return await response.text()


async def scenario(cx: Cx) -> dict[str, object]:
    """A bit of everything: fan-out fetches, a race, a budget, a cancellation, an obligation."""
    report: dict[str, object] = {}
    async with cx.region("fanout") as r:
        tasks = [r.spawn(fetch_text, f"/item/{i}") for i in range(5)]
    report["items"] = [task.result() for task in tasks]
    async with cx.region("race") as r:
        report["fastest"] = await r.race(
            lambda c: fetch_text(c, "/mirror/a"), lambda c: fetch_text(c, "/mirror/b")
        )
    try:
        async with cx.region("capped", budget=Budget(max_fetches=2)) as r:
            for i in range(3):
                r.spawn(fetch_text, f"/item/{i}")
    except* Exception as group:
        report["capped"] = sorted(type(e).__name__ for e in group.exceptions)
    async with cx.region("order") as r:

        async def place(c: Cx) -> None:
            with c.obligation("order") as order:
                response = await c.fetch(f"{API}/order", method="POST", body=b"{}")
                order.commit(response.status)

        r.spawn(place)
    report["order"] = [(o.name, o.state, o.value) for o in r.obligations]
    report["now"] = round(asyncio.get_running_loop().time(), 6)
    return report


def scripted_lab(seed: int) -> LabRuntime:
    lab = LabRuntime(seed)
    for i in range(5):
        lab.fetch_host.respond(f"{API}/item/{i}", body=f"item{i}", delay=0.01 * (i % 3))
    lab.fetch_host.respond(f"{API}/mirror/a", body="a", delay=0.02)
    lab.fetch_host.respond(f"{API}/mirror/b", body="b", delay=0.02)
    lab.fetch_host.respond(f"{API}/order", method="POST", status=201, delay=0.1)
    return lab


def run_scenario(seed: int) -> tuple[dict[str, object], LabRuntime]:
    lab = scripted_lab(seed)
    return lab.run(scenario, authority=AUTH), lab


def test_the_same_seed_gives_the_same_trace():
    first_report, first = run_scenario(7)
    second_report, second = run_scenario(7)
    assert first_report == second_report
    assert first.trace.lines == second.trace.lines
    assert first.fingerprint == second.fingerprint
    assert len(first.fingerprint) == 64


def test_different_seeds_explore_different_interleavings():
    fingerprints = {run_scenario(seed)[1].fingerprint for seed in range(12)}
    assert len(fingerprints) >= 6
    winners = {run_scenario(seed)[0]["fastest"] for seed in range(12)}
    assert winners == {"a", "b"}


def test_the_pinned_fingerprint_holds_in_every_runtime():
    report, lab = run_scenario(PINNED_SEED)
    assert report["items"] == [f"item{i}" for i in range(5)]
    assert report["capped"] == ["BudgetExceeded"]
    assert report["order"] == [("order", "committed", 201)]
    assert lab.fingerprint == PINNED_FINGERPRINT, lab.trace.text()


def test_splitmix64_matches_the_reference_sequence():
    generator = SplitMix64(0)
    assert [generator.next64() for _ in range(3)] == [
        0xE220A8397B1DCDAF,
        0x6E789E6AA1B965F4,
        0x06C45D188009454F,
    ]
    bounded = SplitMix64(1)
    assert all(0 <= bounded.below(3) < 3 for _ in range(1000))


def test_virtual_time_jumps_when_everything_waits(lab):
    async def main(cx: Cx):
        await cx.sleep(3600)
        return lab.now

    assert lab.run(main, authority=AUTH) == 3600.0


def test_plain_asyncio_code_runs_on_the_lab_loop(lab):
    async def producer_consumer():
        queue: asyncio.Queue[int] = asyncio.Queue(maxsize=2)
        received = []

        async def produce():
            for i in range(5):
                await queue.put(i)
                await asyncio.sleep(0.1)

        async def consume():
            for _ in range(5):
                received.append(await queue.get())

        async with asyncio.TaskGroup() as tg:
            tg.create_task(produce())
            tg.create_task(consume())
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(1.0):
                await asyncio.sleep(5)
        return received, asyncio.get_running_loop().time()

    received, now = lab.run_until_complete(producer_consumer())
    assert received == [0, 1, 2, 3, 4]
    assert now == pytest.approx(1.5)


def test_a_deadlock_is_reported_with_the_waiting_tasks(lab):
    async def wait_forever(cx: Cx):
        await asyncio.get_running_loop().create_future()

    async def main(cx: Cx):
        async with cx.region("stuck") as r:
            r.spawn(wait_forever)

    with pytest.raises(
        LabOracleError, match=r"deadlock: no task can run .* unfinished tasks: .*wait_forever-1"
    ):
        lab.run(main, authority=AUTH)


def test_a_livelock_hits_the_step_limit():
    lab = LabRuntime(3, max_steps=500)

    async def spin(cx: Cx):
        while True:
            await cx.checkpoint()

    with pytest.raises(LabOracleError, match="step limit: more than 500 task steps") as caught:
        lab.run(spin, authority=AUTH)
    assert "lab seed 3; replay: LabRuntime(seed=3)" in str(caught.value)


def test_errors_from_the_program_carry_the_replay_note(lab):
    async def main(cx: Cx):
        raise KeyError("bug")

    with pytest.raises(KeyError) as caught:
        lab.run(main, authority=AUTH)
    assert any(
        "lab seed 0; replay: browser-rt lab replay --seed 0 " in note for note in caught.value.__notes__
    )


@pytest.mark.parametrize("seed", [-1, 2**64, "1", True])
def test_bad_seeds_are_refused(seed):
    with pytest.raises(ValueError, match="lab seed must be an int from 0 to 2\\*\\*64-1"):
        LabRuntime(seed)


def test_lab_diagnostics_use_virtual_time_and_carry_the_seed(lab):
    lab.fetch_host.respond(f"{API}/x", delay=2.5)

    async def main(cx: Cx):
        await cx.fetch(f"{API}/x")

    lab.run(main, authority=AUTH)
    complete = [e for e in lab.events.events if e["type"] == "fetch.complete"]
    assert [(e["ts"], e["seed"], e["duration_ms"]) for e in complete] == [(2.5, 0, 2500.0)]
    assert complete[0]["replay"].startswith("browser-rt lab replay --seed 0 ")
