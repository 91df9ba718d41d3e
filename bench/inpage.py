"""Python the browser benchmarks run inside Pyodide (a browser_rt runtime or a bare Pyodide).

The driver sends this file's text once per interpreter; later snippets call its functions.
Only the standard library, `pyodide` and (in a runtime) `browser_rt` and `requests` are used.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Awaitable, Callable
from typing import Any


def _fetcher(kind: str) -> Callable[[str], Awaitable[int]]:
    """One request, body read in full: through `cx.fetch`, `requests.get` (governed by
    browser_rt.compat, in a runtime) or raw `pyfetch` (in a bare Pyodide)."""
    if kind == "cx":
        from browser_rt import current_cx

        cx = current_cx()

        async def via_cx(url: str) -> int:
            response = await cx.fetch(url)
            if response.status != 200:
                raise RuntimeError(f"cx.fetch: HTTP {response.status}")
            return len(await response.bytes())

        return via_cx

    if kind == "requests":
        import requests

        async def via_requests(url: str) -> int:
            # Synchronous, as user code calls it: browser_rt.compat waits for the bridge with JSPI.
            response = requests.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"requests.get: HTTP {response.status_code}")
            return len(response.content)

        return via_requests

    from pyodide.http import pyfetch

    async def via_pyfetch(url: str) -> int:
        response = await pyfetch(url)
        if response.status != 200:
            raise RuntimeError(f"pyfetch: HTTP {response.status}")
        return len(await response.bytes())

    return via_pyfetch


async def bench_fetch(kind: str, url: str, requests: int, concurrency: int) -> dict[str, Any]:
    """`requests` sequential requests on each of `concurrency` lanes sharing one counter."""
    one = _fetcher(kind)
    latencies: list[float] = []
    issued = 0

    async def lane() -> None:
        nonlocal issued
        while issued < requests:
            issued += 1
            start = time.perf_counter()
            await one(url)
            latencies.append((time.perf_counter() - start) * 1000.0)

    start = time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(concurrency)))
    return {"lat_ms": latencies, "wall_s": time.perf_counter() - start}


def memory_probe() -> dict[str, Any]:
    """Live PyProxies (allocation tracing must be on), Python objects and the wasm heap size."""
    import pyodide_js

    gc.collect()
    module = pyodide_js._module
    return {
        "pyproxies": int(module.pyproxy_alloc_map.size),
        "python_objects": len(gc.get_objects()),
        "wasm_heap_bytes": int(module.HEAP8.length),
    }


def start_pyproxy_tracing() -> bool:
    import pyodide_js

    pyodide_js._module.enable_pyproxy_allocation_tracing()
    return True
