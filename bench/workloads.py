"""Workloads that run unchanged on host CPython and inside Pyodide (Node loads this file too).

Every function measures a subject and its peer in the same process, interleaved round by round
(the order alternates), and returns raw samples; the host side turns them into medians and ratios.
Only the standard library and browser_rt are imported here.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from browser_rt.policy import FetchAuthority, FetchRequest
from browser_rt.policy.authority import MAX_ORIGINS
from browser_rt.policy.grants import WildcardGrant

DECISION_KINDS = ("exact", "wildcard", "wildcard_uncached")
"""exact: one granted origin is hit; wildcard: a `*.` grant is hit; wildcard_uncached: as
wildcard, but every request has a new host, so the parsed-authority cache never helps."""

_PATHS = 64
_UNCACHED_HOSTS = 4096  # twice the parsed-authority cache, so a round-robin always misses


def build_authority(kind: str, size: int) -> tuple[FetchAuthority, list[str]]:
    """An allowlist of `size` grants and the URLs one benchmark round requests (all allowed).

    Policy documents hold at most MAX_ORIGINS (1,000) origins, so larger allowlists are built
    from a loaded one with `dataclasses.replace`, which gives the same frozen sets and index.
    """
    if kind == "exact":
        grants = [f"https://host{i}.example.com" for i in range(size)]
        last = f"https://host{size - 1}.example.com"
        urls = [f"{last}/v1/items/{j}?page={j}" for j in range(_PATHS)]
    else:
        grants = [f"https://*.svc{i}.example.com" for i in range(size)]
        suffix = f"svc{size - 1}.example.com"
        if kind == "wildcard":
            urls = [f"https://api.{suffix}/v1/items/{j}?page={j}" for j in range(_PATHS)]
        else:
            urls = [f"https://h{j}.{suffix}/v1/items/{j}" for j in range(_UNCACHED_HOSTS)]
    authority = FetchAuthority.from_dict({"origins": grants[:MAX_ORIGINS], "methods": ["GET"]})
    if size > MAX_ORIGINS:
        if kind == "exact":
            authority = replace(authority, origins=frozenset(grants))
        else:
            wildcards = frozenset(WildcardGrant("https", f"svc{i}.example.com", None) for i in range(size))
            authority = replace(authority, wildcards=wildcards)
    return authority, urls


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}"


def decision_cost(sizes: list[int], rounds: int, calls: int) -> dict[str, Any]:
    """Per-call seconds of `authorize()` and of two peers, `calls` calls per sample.

    Peers: `dict` is a plain dict lookup of the request's origin (already known: the cheapest
    possible check); `urlsplit_dict` is what a hand-written allowlist does: urlsplit, then look
    the origin up in a dict.
    """
    setups = []
    for kind in DECISION_KINDS:
        for size in sizes:
            authority, urls = build_authority(kind, size)
            requests = [FetchRequest("GET", url) for url in urls]
            for request in requests:
                decision = authority.authorize(request)
                if not decision.allowed:
                    raise RuntimeError(f"{kind}/{size}: expected an allowed request, got {decision}")
            allowed = {_origin(url): True for url in urls}
            if kind == "exact":
                allowed.update((f"https://host{i}.example.com", True) for i in range(size))
            origins = [_origin(url) for url in urls]
            setups.append((kind, size, authority, requests, urls, origins, allowed))

    samples: dict[str, dict[str, list[float]]] = {}
    for round_index in range(rounds):
        for kind, size, authority, requests, urls, origins, allowed in setups:
            key = f"{kind}/{size}"
            entry = samples.setdefault(key, {"subject": [], "dict": [], "urlsplit_dict": []})
            sides: list[tuple[str, Callable[[], float]]] = [
                ("subject", lambda a=authority, r=requests: _time_authorize(a, r, calls)),
                ("dict", lambda d=allowed, o=origins: _time_dict(d, o, calls)),
                ("urlsplit_dict", lambda d=allowed, u=urls: _time_urlsplit(d, u, calls)),
            ]
            if round_index % 2:
                sides.reverse()
            for name, measure in sides:
                entry[name].append(measure())
    return {"sizes": sizes, "kinds": list(DECISION_KINDS), "calls_per_sample": calls, "samples": samples}


def _cycle(items: list[Any], calls: int) -> list[Any]:
    return [items[i % len(items)] for i in range(calls)]


def _time_authorize(authority: FetchAuthority, requests: list[FetchRequest], calls: int) -> float:
    batch = _cycle(requests, calls)
    authorize = authority.authorize
    start = time.perf_counter()
    for request in batch:
        authorize(request)
    return (time.perf_counter() - start) / calls


def _time_dict(allowed: dict[str, bool], origins: list[str], calls: int) -> float:
    batch = _cycle(origins, calls)
    get = allowed.get
    start = time.perf_counter()
    for origin in batch:
        get(origin)
    return (time.perf_counter() - start) / calls


def _time_urlsplit(allowed: dict[str, bool], urls: list[str], calls: int) -> float:
    batch = _cycle(urls, calls)
    get = allowed.get
    start = time.perf_counter()
    for url in batch:
        parts = urlsplit(url)
        get(f"{parts.scheme}://{parts.hostname}")
    return (time.perf_counter() - start) / calls


# -- runtime: spawn and join ---------------------------------------------------------------------


async def _region_child(_cx: object, _index: int) -> None:
    await asyncio.sleep(0)


async def _plain_child(_index: int) -> None:
    await asyncio.sleep(0)


async def spawn_join(cx: Any, tasks: int, rounds: int) -> dict[str, Any]:
    """Seconds to spawn and join `tasks` children: a browser_rt region vs `asyncio.TaskGroup`.

    Each child yields once, so every task is suspended and resumed before the block can end.
    Run it as a runtime main (`browser_rt.run`/`arun`), which hands over `cx`.
    """
    samples: dict[str, list[float]] = {"subject": [], "peer": []}

    async def region_once() -> float:
        start = time.perf_counter()
        async with cx.region("bench") as region:
            for index in range(tasks):
                region.spawn(_region_child, index)
        return time.perf_counter() - start

    async def taskgroup_once() -> float:
        start = time.perf_counter()
        async with asyncio.TaskGroup() as group:
            for index in range(tasks):
                group.create_task(_plain_child(index))
        return time.perf_counter() - start

    await region_once()  # warm-up: imports, caches, the allocator
    await taskgroup_once()
    for round_index in range(rounds):
        sides = [("subject", region_once), ("peer", taskgroup_once)]
        if round_index % 2:
            sides.reverse()
        for name, measure in sides:
            gc.collect()
            samples[name].append(await measure())
    return {"tasks": tasks, "samples": samples}


# -- lab runtime ----------------------------------------------------------------------------------


async def _lab_worker(_cx: object, yields: int) -> None:
    for _ in range(yields):
        await asyncio.sleep(0)


def _lab_main(tasks: int, yields: int) -> Callable[[Any], Any]:
    async def main(cx: Any) -> None:
        async with cx.region("lab") as region:
            for _ in range(tasks):
                region.spawn(_lab_worker, yields)

    return main


def lab_steps(tasks: int, yields: int, rounds: int) -> dict[str, Any]:
    """Task steps per second of the deterministic lab loop vs the same program on asyncio's loop.

    Both run the same browser_rt program (a region of `tasks` children that each yield `yields`
    times); the lab counts the task steps, which are the same on both loops.
    """
    import browser_rt
    from browser_rt.lab import LabRuntime

    authority = FetchAuthority.deny_all()
    main = _lab_main(tasks, yields)
    samples: dict[str, list[float]] = {"subject": [], "peer": []}
    steps: list[int] = []

    def lab_once(seed: int) -> float:
        lab = LabRuntime(seed=seed)
        start = time.perf_counter()
        lab.run(main, authority=authority)
        elapsed = time.perf_counter() - start
        steps.append(lab.loop.steps)
        lab.close()
        return elapsed

    def asyncio_once(_seed: int) -> float:
        start = time.perf_counter()
        browser_rt.run(main, authority=authority)
        return time.perf_counter() - start

    lab_once(0)
    asyncio_once(0)
    steps.clear()
    for round_index in range(rounds):
        sides = [("subject", lab_once), ("peer", asyncio_once)]
        if round_index % 2:
            sides.reverse()
        for name, measure in sides:
            gc.collect()
            samples[name].append(measure(round_index + 1))
    return {"tasks": tasks, "yields": yields, "steps": steps, "samples": samples}
