"""How `-n N` splits the forwarded tests across N interpreters running side by side.

A lane is one thread of work: a sequence of pytest sessions, each in a fresh interpreter of one
runtime. The unit of the split is a test file of one runtime, as pytest-xdist's
`--dist loadfile`: a module's tests, and its module- and class-scoped fixtures, stay in one
session, where a Pyodide session pays for its fixtures once. Files go to the least loaded lane,
largest first; inside a lane they keep the host's order. Runtimes named together
(`--rt node,chrome`) share the lanes, so with `-n 2` a Node and a Chromium session may run at
the same time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

NUMPROCESSES_OPTION = "numprocesses"
"""The `dest` of `-n` (pytest-xdist's own, or the plugin's where xdist is not installed)."""
TAKEN_FROM_XDIST = pytest.StashKey[object]()
"""-n's value where xdist defined the flag: the plugin takes it before xdist acts on it."""


def lanes_wanted(config: pytest.Config) -> object:
    """-n's value, whichever plugin defined the flag."""
    if TAKEN_FROM_XDIST in config.stash:
        return config.stash[TAKEN_FROM_XDIST]
    return getattr(config.option, NUMPROCESSES_OPTION, None)


@dataclass(frozen=True)
class Unit:
    """The tests of one file for one runtime, in the host's order."""

    runtime: str
    nodeids: tuple[str, ...]


@dataclass(frozen=True)
class Session:
    """One interpreter's share of a lane: node ids of one runtime, in the host's order."""

    runtime: str
    nodeids: list[str]


def lane_count(value: object) -> int:
    """`-n`'s value as xdist reads it: a whole number, `auto` or `logical` (the CPU count).

    0 and 1 mean no parallel run. Anything else is a usage error that quotes it.
    """
    if value is None or value == 0:
        return 1
    if value in ("auto", "logical"):
        return max(1, os.cpu_count() or 1)
    try:
        count = int(str(value))
    except ValueError:
        count = -1
    if count < 0:
        raise pytest.UsageError(f"-n {value}: give a whole number of interpreters, or auto")
    return max(1, count)


def split(units: list[Unit], lanes: int) -> list[list[Session]]:
    """At most `lanes` lanes; each is a list of sessions, one per runtime it holds.

    Every node id of `units` is in exactly one session.
    """
    count = max(1, min(lanes, len(units)))
    loads = [0] * count
    chosen: list[list[int]] = [[] for _ in range(count)]
    by_size = sorted(range(len(units)), key=lambda i: (-len(units[i].nodeids), i))
    for index in by_size:
        lane = min(range(count), key=lambda k: (loads[k], k))
        loads[lane] += len(units[index].nodeids)
        chosen[lane].append(index)
    plans: list[list[Session]] = []
    for indexes in chosen:
        sessions: dict[str, list[str]] = {}
        for index in sorted(indexes):
            sessions.setdefault(units[index].runtime, []).extend(units[index].nodeids)
        plans.append([Session(runtime, nodeids) for runtime, nodeids in sessions.items()])
    return [plan for plan in plans if plan]
