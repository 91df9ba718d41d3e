"""The oracles themselves: each one reports the tasks that break its rule."""

from __future__ import annotations

import asyncio

from browser_rt.lab import LabRuntime
from browser_rt.lab.oracles import Oracles
from browser_rt.runtime import Obligation


class FakeRegion:
    path = "main/work"


def test_quiescence_and_loser_drain_name_the_tasks_still_running():
    lab = LabRuntime(0)
    oracles = Oracles(lab.trace, lab.loop.time)
    region = FakeRegion()

    async def scenario():
        loop = asyncio.get_running_loop()
        straggler = loop.create_task(asyncio.sleep(1), name="straggler")
        finished = loop.create_task(asyncio.sleep(0), name="finished")
        await finished
        oracles.task_spawned(region, straggler)
        oracles.task_spawned(region, finished)
        oracles.region_closed(region)
        oracles.race_settled(region, [finished, straggler])
        await straggler
        oracles.race_settled(region, [finished, straggler])

    lab.run_until_complete(scenario())
    assert oracles.violations == [
        "quiescence: region 'main/work' closed while straggler still ran",
        "race loser drain: race in 'main/work' settled while straggler still ran",
    ]


def test_leaks_and_notes_are_recorded():
    lab = LabRuntime(0)
    oracles = Oracles(lab.trace, lab.loop.time)
    oracles.note("cancel.request", "worker-1 because")
    oracles.obligation_leaked(Obligation("flush", task="worker-1", region="main/jobs"))
    assert oracles.violations == ["obligation leak: 'flush' of task 'worker-1' in region 'main/jobs'"]
    assert lab.trace.lines == ["@0.000000 cancel.request worker-1 because"]
