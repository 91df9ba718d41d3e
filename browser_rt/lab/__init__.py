"""The deterministic lab: seeded schedules, virtual time, a scripted network and oracles.

The pytest plugin (`browser_rt.lab.pytest_plugin`, loaded through its entry point) adds the
`lab` fixture, `--lab-seed N` and `@pytest.mark.lab_explore(seeds=K)`; a failing lab test
prints `browser-rt lab replay --seed N <nodeid>`.
"""

from browser_rt.lab.errors import LabError, LabOracleError, LabStall
from browser_rt.lab.host import ScriptedFetchHost
from browser_rt.lab.loop import LabLoop
from browser_rt.lab.runtime import DEFAULT_MAX_STEPS, LabRuntime
from browser_rt.lab.tools import ScriptedToolHost
from browser_rt.lab.trace import Trace

__all__ = [
    "DEFAULT_MAX_STEPS",
    "LabError",
    "LabLoop",
    "LabOracleError",
    "LabRuntime",
    "LabStall",
    "ScriptedFetchHost",
    "ScriptedToolHost",
    "Trace",
]
