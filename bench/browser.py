"""The Chromium benchmarks: bridge overhead, cold start and memory, driven with Playwright.

Chromium is Debian's /usr/bin/chromium, launched with tests/chromium-flags.json like every suite. The
pages come from bench/pages through a static server in a child process (bench.servers), which
also runs the loopback API server every request goes to.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.stats import ROOT, median
from browser_rt.testing.chromium import for_playwright, read_flags

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS: list[str] = for_playwright(read_flags(ROOT / "tests" / "chromium-flags.json"))
"""The flags every suite starts Chromium with, as Playwright takes them."""

INPAGE = (Path(__file__).parent / "inpage.py").read_text(encoding="utf-8")
PAGES = Path(__file__).parent / "pages"


@dataclass
class Servers:
    static: str
    api: str

    def reset_api(self) -> None:
        with urllib.request.urlopen(f"{self.api}/__reset", timeout=10) as response:
            response.read()


@contextmanager
def servers(bundle: Path, mounts: list[str]) -> Iterator[Servers]:
    """The static and API servers on free loopback ports, stopped when the block ends."""
    argv = [sys.executable, "-m", "bench.servers", "--bundle", str(bundle), "--pages", str(PAGES)]
    for mount in mounts:
        argv += ["--mount", mount]
    proc = subprocess.Popen(argv, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("bench.servers exited before reporting its ports")
        info = json.loads(line)
        yield Servers(static=info["static"], api=info["api"])
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@contextmanager
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class BenchPage:
    """One fresh browser context with the benchmark page loaded."""

    def __init__(self, browser: Any, srv: Servers) -> None:
        self.context = browser.new_context()
        self.page = self.context.new_page()
        self.page.goto(f"{srv.static}/bench/bench.html")
        self.page.wait_for_function("document.getElementById('status').value === 'ready'", timeout=30_000)

    def evaluate(self, script: str, arg: Any = None) -> Any:
        return self.page.evaluate(script, arg)

    def run(self, target: str, code: str) -> Any:
        return self.page.evaluate("([t, c]) => window.bench.run(t, c)", [target, code])

    def close(self) -> None:
        self.context.close()


def _policy(srv: Servers) -> dict[str, Any]:
    """The grant every bench runtime gets. The rate and concurrency limits are raised to their
    ceilings: the bench measures what each check costs a request at 1, 16 and 64 in flight (the
    limiter's own work included), not the limits themselves, and 5,000 fetches in a minute would
    pass the default of 600."""
    return {
        "origins": [srv.api],
        "methods": ["GET"],
        "max_concurrent_requests": 64,
        "max_queued_requests": 10_000,
        "max_requests_per_minute": 60_000,
    }


# -- bridge overhead -----------------------------------------------------------------------------


PEER_CHOICE = {
    "page": "pyfetch in the same page-mode Pyodide (the runtime's own interpreter)",
    "worker": (
        "pyfetch in a plain module worker running bare Pyodide, started in the same page: "
        "both sides then run Python off the main thread, so the ratio is the cost of the "
        "bridge hop (postMessage to the page and back) plus the policy checks"
    ),
}


def bridge_overhead(
    browser: Any, srv: Servers, *, requests: int, chunks: int, concurrencies: list[int], modes: list[str]
) -> dict[str, Any]:
    """cx.fetch vs raw pyfetch to the same loopback endpoint, in chunks that alternate sides."""
    url = f"{srv.api}/item"
    results: dict[str, Any] = {"url_path": "/item", "requests": requests, "chunks": chunks, "modes": {}}
    per_chunk = max(1, requests // chunks)
    for mode in modes:
        srv.reset_api()
        bench = BenchPage(browser, srv)
        try:
            options = {"indexURL": "/pyodide/", "isolation": mode, "fetchAuthority": _policy(srv)}
            bench.evaluate("([o, p]) => window.bench.start(o, p)", [options, mode])
            bench.run("rt", INPAGE)
            if mode == "worker":
                bench.run("peer", INPAGE)
            by_concurrency: dict[str, Any] = {}
            for concurrency in concurrencies:
                sides = {"subject": ("rt", "cx"), "peer": ("peer", "pyfetch")}
                for target, kind in sides.values():  # warm-up: connections, code paths
                    bench.run(
                        target, f"await bench_fetch({kind!r}, {url!r}, {min(per_chunk, 50)}, {concurrency})"
                    )
                samples: dict[str, dict[str, list[float]]] = {
                    name: {"lat_ms": [], "chunk_rps": [], "chunk_wall_s": []} for name in sides
                }
                for chunk in range(chunks):
                    order = list(sides.items()) if chunk % 2 == 0 else list(reversed(sides.items()))
                    for name, (target, kind) in order:
                        out = bench.run(
                            target, f"await bench_fetch({kind!r}, {url!r}, {per_chunk}, {concurrency})"
                        )
                        samples[name]["lat_ms"].extend(out["lat_ms"])
                        samples[name]["chunk_wall_s"].append(out["wall_s"])
                        samples[name]["chunk_rps"].append(len(out["lat_ms"]) / out["wall_s"])
                by_concurrency[str(concurrency)] = samples
            results["modes"][mode] = {"peer": PEER_CHOICE[mode], "concurrency": by_concurrency}
            if mode == "worker":
                results["route_floor"] = bench.evaluate(
                    "([u, n, c]) => window.bench.routeFloor(u, n, c)", [url, per_chunk, chunks]
                )
        finally:
            bench.close()
    return results


# -- HTTP libraries ------------------------------------------------------------------------------


def http_library_overhead(
    browser: Any, srv: Servers, *, requests: int, chunks: int, modes: list[str]
) -> dict[str, Any]:
    """`requests.get` vs `cx.fetch` in the same runtime and bridge, one request at a time.

    Both go through the same authority, limiter and bridge, so the ratio is what requests,
    urllib3, the compat adapter and the synchronous wait (JSPI) add to a governed request.
    """
    url = f"{srv.api}/item"
    results: dict[str, Any] = {"url_path": "/item", "requests": requests, "chunks": chunks, "modes": {}}
    per_chunk = max(1, requests // chunks)
    for mode in modes:
        srv.reset_api()
        bench = BenchPage(browser, srv)
        try:
            options = {
                "indexURL": "/pyodide/",
                "isolation": mode,
                "fetchAuthority": _policy(srv),
                "packages": ["requests"],
            }
            bench.evaluate("([o, p]) => window.bench.start(o, p)", [options, "same runtime"])
            bench.run("rt", INPAGE)
            sides = {"subject": "requests", "peer": "cx"}
            for kind in sides.values():  # warm-up: imports, connections, code paths
                bench.run("rt", f"await bench_fetch({kind!r}, {url!r}, {min(per_chunk, 20)}, 1)")
            samples: dict[str, dict[str, list[float]]] = {
                name: {"lat_ms": [], "chunk_rps": [], "chunk_wall_s": []} for name in sides
            }
            for chunk in range(chunks):
                order = list(sides.items()) if chunk % 2 == 0 else list(reversed(sides.items()))
                for name, kind in order:
                    out = bench.run("rt", f"await bench_fetch({kind!r}, {url!r}, {per_chunk}, 1)")
                    samples[name]["lat_ms"].extend(out["lat_ms"])
                    samples[name]["chunk_wall_s"].append(out["wall_s"])
                    samples[name]["chunk_rps"].append(len(out["lat_ms"]) / out["wall_s"])
            results["modes"][mode] = {"concurrency": {"1": samples}}
        finally:
            bench.close()
    return results


# -- cold start ----------------------------------------------------------------------------------


def cold_start(browser: Any, srv: Servers, *, samples: int, sources: bool) -> dict[str, Any]:
    """Each sample in a fresh browser context (empty HTTP and code caches), variants rotated."""
    policy = _policy(srv)
    variants: dict[str, tuple[str, Any]] = {
        "bare_pyodide": ("window.bench.coldBare(arguments_)", "/pyodide/"),
        "runtime_worker": (
            "window.bench.coldRuntime(arguments_)",
            {"indexURL": "/pyodide/", "isolation": "worker", "fetchAuthority": policy},
        ),
        "runtime_page": (
            "window.bench.coldRuntime(arguments_)",
            {"indexURL": "/pyodide/", "isolation": "page", "fetchAuthority": policy},
        ),
    }
    if sources:
        variants["runtime_worker_sources"] = (
            "window.bench.coldRuntime(arguments_)",
            {"indexURL": "/src/pyodide/", "isolation": "worker", "fetchAuthority": policy},
        )
    names = list(variants)
    out: dict[str, Any] = {name: {"ms": [], "stages": []} for name in names}

    def once(name: str) -> dict[str, Any]:
        script, argument = variants[name]
        bench = BenchPage(browser, srv)
        try:
            result = bench.evaluate(f"(arguments_) => {script}", argument)
        finally:
            bench.close()
        if result.get("value") != 2:
            raise RuntimeError(f"cold start {name}: unexpected first result {result!r}")
        return dict(result)

    if samples > 1:
        once("bare_pyodide")  # warm the server's file cache; not a sample
    for index in range(samples):
        rotated = names[index % len(names) :] + names[: index % len(names)]
        for name in rotated:
            result = once(name)
            out[name]["ms"].append(result["ms"])
            if "stages" in result:
                out[name]["stages"].append(result["stages"])
    return {"samples": samples, "variants": out}


# -- memory --------------------------------------------------------------------------------------


class HeapReader:
    """JS heap after a forced GC, through CDP: the page's, and the runtime worker's if any."""

    def __init__(self, browser: Any, bench: BenchPage, mode: str) -> None:
        self._page_session = bench.context.new_cdp_session(bench.page)
        self._browser_session = None
        self._worker_session: str | None = None
        self._replies: dict[int, Any] = {}
        self._next = 0
        self._bench = bench
        if mode == "worker":
            self._browser_session = browser.new_browser_cdp_session()
            targets = self._browser_session.send("Target.getTargets")["targetInfos"]
            workers = [t for t in targets if t["type"] == "worker" and t["url"].endswith("/worker.mjs")]
            if not workers:
                raise RuntimeError("memory: the runtime worker target was not found")
            self._browser_session.on("Target.receivedMessageFromTarget", self._on_message)
            attached = self._browser_session.send(
                "Target.attachToTarget", {"targetId": workers[0]["targetId"], "flatten": False}
            )
            self._worker_session = attached["sessionId"]

    def _on_message(self, event: dict[str, Any]) -> None:
        message = json.loads(event["message"])
        if "id" in message:
            self._replies[message["id"]] = message.get("result")

    def _worker_call(self, method: str) -> Any:
        assert self._browser_session is not None
        self._next += 1
        ident = self._next
        self._browser_session.send(
            "Target.sendMessageToTarget",
            {"sessionId": self._worker_session, "message": json.dumps({"id": ident, "method": method})},
        )
        deadline = time.monotonic() + 30
        while ident not in self._replies:
            if time.monotonic() > deadline:
                raise RuntimeError(f"memory: no answer to {method} from the worker")
            self._bench.page.wait_for_timeout(20)
        return self._replies.pop(ident)

    def read(self) -> dict[str, int]:
        self._page_session.send("HeapProfiler.collectGarbage")
        usage = {"page_js_heap_bytes": int(self._page_session.send("Runtime.getHeapUsage")["usedSize"])}
        if self._worker_session is not None:
            self._worker_call("HeapProfiler.collectGarbage")
            usage["worker_js_heap_bytes"] = int(self._worker_call("Runtime.getHeapUsage")["usedSize"])
        return usage

    def close(self) -> None:
        self._page_session.detach()
        if self._browser_session is not None:
            self._browser_session.detach()


LEAK_THRESHOLDS = {
    "pyproxies": 16,
    "python_objects": 2_000,
    "page_js_heap_bytes": 2 << 20,
    "worker_js_heap_bytes": 2 << 20,
    "wasm_heap_bytes": 16 << 20,
}
"""Growth over the whole run that counts as a leak (about 0.4 Python objects or 400 bytes of JS
heap per fetch for 5,000 fetches); below it is noise: caches filling, GC timing."""


def leak_verdict(probes: list[dict[str, int]], thresholds: dict[str, int] | None = None) -> dict[str, Any]:
    """Compare the last probes with the first (after warm-up) for every measured quantity.

    A quantity leaks when it grew by more than its threshold from the baseline to the end *and*
    the median of the second half of the probes sits above the median of the first half by more
    than half the threshold, so one late GC hiccup does not fail a run, but steady growth does.
    """
    limits = LEAK_THRESHOLDS if thresholds is None else thresholds
    verdict: dict[str, Any] = {"leaks": [], "growth": {}}
    if len(probes) < 2:
        return verdict
    half = len(probes) // 2
    for key, limit in limits.items():
        if key not in probes[0]:
            continue
        series = [float(p[key]) for p in probes]
        growth = series[-1] - series[0]
        trend = median(series[half:]) - median(series[:half])
        verdict["growth"][key] = growth
        if growth > limit and trend > limit / 2:
            verdict["leaks"].append(f"{key} grew by {growth:.0f} (threshold {limit})")
    return verdict


def memory(
    browser: Any, srv: Servers, *, fetches: int, batches: int, warmup: int, concurrency: int, modes: list[str]
) -> dict[str, Any]:
    """`fetches` requests through cx.fetch in batches, probing memory after a GC between them."""
    url = f"{srv.api}/item"
    per_batch = max(1, fetches // batches)
    out: dict[str, Any] = {"fetches": per_batch * batches, "batches": batches, "modes": {}}
    for mode in modes:
        srv.reset_api()
        bench = BenchPage(browser, srv)
        heaps: HeapReader | None = None
        try:
            options = {"indexURL": "/pyodide/", "isolation": mode, "fetchAuthority": _policy(srv)}
            bench.evaluate("([o, p]) => window.bench.start(o, p)", [options, "page"])
            bench.run("rt", INPAGE)
            bench.run("rt", "start_pyproxy_tracing()")
            bench.run("rt", f"await bench_fetch('cx', {url!r}, {warmup}, {concurrency})")
            heaps = HeapReader(browser, bench, mode)

            def probe(done: int, page: BenchPage = bench, heap_reader: HeapReader = heaps) -> dict[str, int]:
                values = dict(page.run("rt", "memory_probe()"))
                values.update(heap_reader.read())
                values["fetches"] = done
                return {k: int(v) for k, v in values.items()}

            probes = [probe(0)]
            for batch in range(batches):
                bench.run("rt", f"await bench_fetch('cx', {url!r}, {per_batch}, {concurrency})")
                probes.append(probe((batch + 1) * per_batch))
            verdict = leak_verdict(probes)
            out["modes"][mode] = {"probes": probes, **verdict}
        finally:
            if heaps is not None:
                heaps.close()
            bench.close()
    return out
