"""`python -m bench [--smoke] [--out DIR] [--only NAME ...] [--no-plots]`.

Runs the benchmarks, writes results.json, report.md and one PNG per benchmark to --out
(bench/ by default), and exits non-zero if a benchmark failed to run or memory leaked. A missed
performance target is reported in the table, not turned into a failure.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import fcntl
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import browser_rt
from bench import browser, bundles, engines, plugin_session, report, summarize, workloads
from bench.stats import ROOT, machine_info

BENCHMARKS = (
    "decision",
    "bridge",
    "cold_start",
    "runtime",
    "memory",
    "http_libraries",
    "tool_calls",
    "plugin",
)


@dataclass(frozen=True)
class Sizes:
    decision_sizes: list[int] = field(default_factory=lambda: [1, 100, 10_000])
    decision_rounds_host: int = 61
    decision_calls_host: int = 2048
    decision_rounds_pyodide: int = 15
    decision_calls_pyodide: int = 1024
    spawn_tasks: int = 10_000
    spawn_rounds_host: int = 11
    spawn_rounds_pyodide: int = 5
    lab_tasks: int = 2_000
    lab_yields: int = 10
    lab_rounds: int = 7
    bridge_requests: int = 2_000
    bridge_chunks: int = 10
    bridge_concurrency: list[int] = field(default_factory=lambda: [1, 16, 64])
    cold_samples: int = 5
    engine_rounds: dict[str, int] = field(default_factory=lambda: {"chromium": 3, "firefox": 3, "webkit": 2})
    """Rounds of the cross-engine cold start (bench/engines.py); WebKitGTK's bare boot alone
    takes about 30 s here, hence fewer rounds there."""
    engine_restarts: dict[str, int] = field(
        default_factory=lambda: {"chromium": 2, "firefox": 2, "webkit": 0}
    )
    """Restarts timed per round. None in WebKitGTK 2.50: it keeps running a worker terminated
    while Python spins (docs/snapshot.md), which would slow every later sample in that browser."""
    engine_warmup: bool = True
    memory_fetches: int = 5_000
    memory_batches: int = 10
    memory_warmup: int = 500
    memory_concurrency: int = 16
    http_requests: int = 400
    http_chunks: int = 8
    modes: list[str] = field(default_factory=lambda: ["page", "worker"])
    plugin_suites: list[str] = field(default_factory=lambda: ["idna", "toolz"])
    plugin_rounds: int = 3
    tool_batches: int = 100
    tool_calls_per_batch: int = 20


SMOKE = Sizes(
    decision_sizes=[1, 100],
    decision_rounds_host=3,
    decision_calls_host=64,
    decision_rounds_pyodide=2,
    decision_calls_pyodide=64,
    spawn_tasks=200,
    spawn_rounds_host=2,
    spawn_rounds_pyodide=2,
    lab_tasks=50,
    lab_yields=3,
    lab_rounds=2,
    bridge_requests=20,
    bridge_chunks=2,
    bridge_concurrency=[1, 4],
    cold_samples=1,
    engine_rounds={"chromium": 1, "firefox": 1, "webkit": 1},
    engine_restarts={"chromium": 1, "firefox": 1, "webkit": 0},
    engine_warmup=False,
    memory_fetches=40,
    memory_batches=2,
    memory_warmup=10,
    memory_concurrency=4,
    http_requests=20,
    http_chunks=2,
    plugin_suites=["generated"],
    plugin_rounds=1,
    tool_batches=4,
    tool_calls_per_batch=5,
)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def run_node(bundle_pyodide: Path, jobs: list[dict[str, Any]], timeout: float = 420) -> dict[str, Any]:
    """Run jobs of bench/node_pyodide.mjs in one Pyodide in Node; returns its parsed result."""
    argv = ["node", str(ROOT / "bench" / "node_pyodide.mjs"), str(bundle_pyodide), json.dumps({"jobs": jobs})]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            return dict(json.loads(line.removeprefix("BENCH_RESULT ")))
    raise RuntimeError(f"Pyodide in Node failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")


class Runner:
    def __init__(self, sizes: Sizes, bundle: Path, work: Path, only: set[str]) -> None:
        self.sizes = sizes
        self.bundle = bundle
        self.work = work
        self.only = only
        self.figures: dict[str, Any] = {}
        self.rows: list[dict[str, Any]] = []
        self.errors: dict[str, str] = {}
        self.notes: dict[str, str] = {}
        self.machine = machine_info()
        self.leaks: list[str] = []

    def wanted(self, name: str) -> bool:
        return not self.only or name in self.only

    def guard(self, name: str, action: Callable[[], None]) -> None:
        started = time.monotonic()
        try:
            action()
        except Exception as error:
            self.errors[name] = f"{type(error).__name__}: {error}"
            log(f"{name} FAILED: {error}")
            traceback.print_exc()
        else:
            log(f"{name} done in {time.monotonic() - started:.0f} s")

    # -- host and Node -----------------------------------------------------------------------

    def host_and_node(self) -> None:
        s = self.sizes
        jobs: list[dict[str, Any]] = []
        if self.wanted("decision"):
            jobs.append(
                {
                    "workload": "decision_cost",
                    "params": {
                        "sizes": s.decision_sizes,
                        "rounds": s.decision_rounds_pyodide,
                        "calls": s.decision_calls_pyodide,
                    },
                }
            )
        if self.wanted("runtime"):
            jobs.append(
                {
                    "workload": "spawn_join",
                    "params": {"tasks": s.spawn_tasks, "rounds": s.spawn_rounds_pyodide},
                }
            )
        node: dict[str, Any] = {}
        if jobs:
            log(f"Pyodide in Node: {', '.join(j['workload'] for j in jobs)}")
            try:
                node = run_node(self.bundle / "pyodide", jobs)
            except Exception as error:
                for name in ("decision", "runtime"):
                    if self.wanted(name):
                        self.errors[name] = f"Pyodide in Node: {error}"
                log(f"Pyodide in Node FAILED: {error}")
            else:
                self.machine["pyodide_python"] = node["python"]
                self.machine["node_boot_ms"] = node["boot"]
        results = iter(node.get("results", []))

        if self.wanted("decision"):
            pyodide_decision = next(results, None) if node else None

            def decision() -> None:
                log("decision cost on CPython")
                host = workloads.decision_cost(
                    s.decision_sizes, s.decision_rounds_host, s.decision_calls_host
                )
                raw: dict[str, Any] = {"host": host}
                if pyodide_decision is not None:
                    raw["pyodide"] = pyodide_decision
                raw["medians_us"] = summarize.decision_extra(raw)
                self.figures["decision"] = raw
                self.rows += summarize.decision_rows(raw)

            self.guard("decision", decision)
            self.notes["decision"] = (
                "Peers: `dict lookup` is a dict lookup of the request's origin string, already "
                "known (the cheapest possible check, no parsing); `urlsplit + dict` is a "
                "hand-written allowlist (`urlsplit`, then a dict lookup): its medians are in "
                "results.json. `authorize()` additionally computes the WHATWG origin, checks "
                "method, credentials, headers and body, and returns a Decision. Policy documents "
                "hold at most 1,000 origins, so the 10,000-origin allowlist is built with "
                "`dataclasses.replace` on a loaded authority (same sets, same index). "
                "`wildcard_uncached` gives every request a new host, so the parsed-authority "
                "cache (2,048 entries) never hits; it has no absolute target."
            )
        if self.wanted("runtime"):
            pyodide_spawn = next(results, None) if node else None

            def runtime() -> None:
                log("spawn+join and lab runtime on CPython")
                host = browser_rt.run(
                    lambda cx: workloads.spawn_join(cx, s.spawn_tasks, s.spawn_rounds_host),
                    authority=browser_rt.FetchAuthority.deny_all(),
                )
                raw: dict[str, Any] = {"spawn": {"host": host}}
                if pyodide_spawn is not None:
                    raw["spawn"]["pyodide"] = pyodide_spawn
                raw["lab"] = workloads.lab_steps(s.lab_tasks, s.lab_yields, s.lab_rounds)
                self.figures["runtime"] = {"raw": raw}
                self.rows += summarize.runtime_rows(raw)

            self.guard("runtime", runtime)
            self.notes["runtime"] = (
                "Each child awaits `asyncio.sleep(0)` once. The lab figure runs one program (a "
                "region whose children yield 10 times each) on the deterministic LabRuntime and, "
                "as its peer, on asyncio's own loop through `browser_rt.run`."
            )

    # -- Chromium ----------------------------------------------------------------------------

    def chromium(self) -> None:
        s = self.sizes
        wanted = [n for n in ("bridge", "cold_start", "memory", "http_libraries") if self.wanted(n)]
        if not wanted:
            return
        mounts = []
        self._sources_pyodide: Path | None = None
        if "cold_start" in wanted:
            try:
                self._sources_pyodide = bundles.build_sources_variant(ROOT, self.work / "sources")
                mounts.append(f"/src/pyodide/={self._sources_pyodide}")
            except Exception as error:
                self.errors["cold_start"] = f"the --sources bundle could not be built: {error}"
                log(f"source-wheel bundle FAILED (the cold start runs without it): {error}")
        try:
            with browser.servers(self.bundle, mounts) as srv, browser.chromium() as chrome:
                self.machine["chromium"] = chrome.version
                if "bridge" in wanted:
                    self.guard("bridge", lambda: self._bridge(chrome, srv))
                if "cold_start" in wanted:
                    self.guard("cold_start", lambda: self._cold(chrome, srv))
                if "memory" in wanted:
                    self.guard("memory", lambda: self._memory(chrome, srv))
                if "http_libraries" in wanted:
                    self.guard("http_libraries", lambda: self._http_libraries(chrome, srv))
        except Exception as error:
            for name in wanted:
                self.errors.setdefault(name, f"Chromium: {type(error).__name__}: {error}")
            log(f"Chromium FAILED: {error}")
            traceback.print_exc()
        del s

    # -- tool calls ----------------------------------------------------------------------------

    def tool_calls(self) -> None:
        if not self.wanted("tool_calls"):
            return
        s = self.sizes

        def measure() -> None:
            log(f"tool calls: {s.tool_batches} batches of {s.tool_calls_per_batch} per side")
            argv = [
                "node",
                str(ROOT / "bench" / "tool_calls.mjs"),
                "--bundle",
                str(self.bundle),
                "--batches",
                str(s.tool_batches),
                "--size",
                str(s.tool_calls_per_batch),
                "--raw",
                "1",
            ]
            done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
            if done.returncode != 0:
                raise RuntimeError(f"bench/tool_calls.mjs failed: {done.stderr.strip()[-2000:]}")
            raw = json.loads(done.stdout.strip().splitlines()[-1])
            self.machine.setdefault("chromium", raw["browser"])
            self.figures["tool_calls"] = {"raw": raw}
            self.rows += summarize.tool_call_rows(raw)

        self.guard("tool_calls", measure)
        self.notes["tool_calls"] = (
            '`await cx.tools.call("echo", n=1)` against `await echo(to_js({"n": 1}))`, the same '
            "JS function (`async (args) => args`) reached directly through `js`, which only page "
            "mode allows, in one runtime per mode and one Chromium (bench/tool_calls.mjs). The "
            "tool call does everything a real one does: Python's grant and JSON checks and its "
            "`tool.decision` event, the page's re-check, limiter, deadline and record. Batches of "
            "calls alternate between the two kinds, timed in Python on a cross-origin isolated "
            "page (5 us timer steps); the ratio is the median of the batches' ratios. Worker mode "
            "has no direct road to the page's function, so its tool call is given against the "
            "page-mode direct call of the same run."
        )

    # -- the cold start in each engine --------------------------------------------------------

    def engines(self) -> None:
        """The cold start in Chromium, Firefox and WebKit (bench/engines.py), each engine against
        bare loadPyodide() in the same browser, with the restart figure where it is taken."""
        if not self.wanted("cold_start"):
            return
        s = self.sizes
        measured: dict[str, Any] = {}
        for engine in engines.ENGINES:
            rounds, restarts = s.engine_rounds[engine], s.engine_restarts[engine]

            def measure(engine: str = engine, rounds: int = rounds, restarts: int = restarts) -> None:
                log(f"cold start in {engine}: {rounds} round(s), {restarts} restart(s) each")
                measured[engine] = engines.cold_start_in(
                    engine, self.bundle, rounds=rounds, restarts=restarts, warmup=s.engine_warmup
                )

            self.guard(f"cold_start ({engine})", measure)
        if not measured:
            return
        self.machine["engines"] = {engine: data["version"] for engine, data in measured.items()}
        self.figures.setdefault("cold_start", {})["engines"] = measured
        self.rows += summarize.engine_cold_rows(measured)
        webkit = (
            ""
            if "webkit" not in measured
            else (
                f" WebKitGTK runs {s.engine_rounds['webkit']} round(s) without restarts: its bare boot "
                "alone takes about 30 s here, and WebKitGTK 2.50 keeps running a worker that was "
                "terminated while Python spun, which would slow every later sample in the same "
                "browser (docs/snapshot.md measures its restarts with a fresh browser per visit)."
            )
        )
        self.notes["cold_start"] = (
            self.notes.get("cold_start", "")
            + " "
            + (
                "The rows per engine (bench/engines.py, bench/snapshot_start.mjs) run in one browser "
                "per engine, driven as the cross-engine suites drive it (e2e/engines.js), with the "
                "bundle served by `browser-rt serve`: each round opens a fresh page for a bare "
                "`loadPyodide()` and one for `createRuntime()` in worker mode, in alternating order, "
                "with a warm HTTP cache for both (one unmeasured round first); the worker must have "
                "restored the snapshot. A restart is forced by a 200 ms timeout on `while True: "
                "pass` and timed from the end of that run to the next result (`2 + 2`) in the fresh "
                "worker, which is what a restart after `interrupt()` of a run that will not stop "
                "costs; its peer is the bare boot." + webkit
            )
        ).strip()

    # -- the pytest plugin ---------------------------------------------------------------------

    def plugin(self) -> None:
        if not self.wanted("plugin"):
            return

        def measure() -> None:
            suites = {suite.key: suite for suite in (*plugin_session.SUITES, plugin_session.SMOKE_SUITE)}
            raw = []
            for key in self.sizes.plugin_suites:
                for runtime in ("node", "chrome"):
                    log(f"plugin: {key} in {runtime}, {self.sizes.plugin_rounds} round(s)")
                    figure = plugin_session.measure(
                        suites[key], runtime, self.sizes.plugin_rounds, self.bundle / "pyodide"
                    )
                    if figure["differing"]:
                        raise RuntimeError(f"{key} in {runtime}: outcomes differ: {figure['differing']}")
                    raw.append(figure)
            self.figures["plugin"] = {"raw": raw}
            self.rows += summarize.plugin_rows(raw)

        self.guard("plugin", measure)
        self.notes["plugin"] = (
            "`pytest --run-in-pyodide` over a published project's own suite (sdists pinned in "
            "requirements/bench-suites.txt, unpacked and put on the host's path as an editable "
            "install), beside one bare `pytest.main()` in Pyodide over the same files in the same "
            "runtime (bench/plain_session.mjs, bench/plain_session_chrome.mjs), alternating. Wall "
            "times from the command's start to its end; the plugin's include host pytest's own "
            "start and collection. Every test's outcome must be equal on both sides, or the "
            "figure is refused. The ratio is the median of the rounds' ratios."
        )

    def _bridge(self, chrome: Any, srv: browser.Servers) -> None:
        s = self.sizes
        log(f"bridge overhead: {s.bridge_requests} requests per side, concurrency {s.bridge_concurrency}")
        raw = browser.bridge_overhead(
            chrome,
            srv,
            requests=s.bridge_requests,
            chunks=s.bridge_chunks,
            concurrencies=s.bridge_concurrency,
            modes=s.modes,
        )
        rows, detail = summarize.bridge_summary(raw)
        self.figures["bridge"] = {"raw": raw, "detail": detail}
        self.rows += rows
        self.notes["bridge"] = (
            "Each side makes the same requests (GET, body read in full) to one loopback API "
            "server, in chunks that alternate sides; latency is timed in Python around each call. "
            f"Page mode's peer: {browser.PEER_CHOICE['page']}. Worker mode's peer: "
            f"{browser.PEER_CHOICE['worker']}; pyfetch cannot be the peer inside the runtime's "
            "worker, where fetch is revoked. Chromium opens at most 6 connections per origin, so "
            "at concurrency 16 and 64 requests queue in the browser on both sides alike. Pages "
            "are served cross-origin isolated so `performance.now()` (Python's `perf_counter`) "
            "ticks in 5 us steps instead of 100 us. The floor row is JS only: the same worker "
            "fetches itself or asks the page to, which is what the boundary costs before any "
            "Python or policy check."
        )

    def _http_libraries(self, chrome: Any, srv: browser.Servers) -> None:
        s = self.sizes
        log(f"HTTP libraries: {s.http_requests} requests per side, requests.get vs cx.fetch")
        raw = browser.http_library_overhead(
            chrome, srv, requests=s.http_requests, chunks=s.http_chunks, modes=s.modes
        )
        self.figures["http_libraries"] = {"raw": raw}
        self.rows += summarize.http_library_rows(raw)
        self.notes["http_libraries"] = (
            'One runtime per mode, created with `packages: ["requests"]` from the test bundle; '
            "both sides GET the same loopback endpoint one request at a time, in chunks that "
            "alternate sides. `requests.get` is called as user code calls it, synchronously: "
            "browser_rt.compat routes it through urllib3's governed connection to `cx.fetch` and "
            "blocks with JSPI (`pyodide.ffi.run_sync`) until the bridge answers. Its peer is "
            "`cx.fetch` in the same runtime, so the ratio is what requests, urllib3, the adapter "
            "and the synchronous wait add to the same governed request; it has no target."
        )

    def _cold(self, chrome: Any, srv: browser.Servers) -> None:
        s = self.sizes
        log(f"cold start: {s.cold_samples} samples per variant")
        raw = browser.cold_start(
            chrome, srv, samples=s.cold_samples, sources=self._sources_pyodide is not None
        )
        sizes = bundles.bundle_sizes(self.bundle)
        if self._sources_pyodide is not None:
            sizes["source_wheel_bytes"] = bundles.bundle_sizes(self._sources_pyodide.parent)[
                "browser_rt_wheel_bytes"
            ]
        self.figures["cold_start"] = {"raw": raw, "sizes": sizes, "stages_ms": summarize.cold_stages(raw)}
        self.rows += summarize.cold_rows(raw, sizes)
        self.notes["cold_start"] = (
            "Each sample opens a fresh browser context (empty HTTP and code caches) and times, in "
            "the page, from the call to the first Python result (`1 + 1`). The bare peer imports "
            "pyodide.mjs and calls `loadPyodide()`; createRuntime() also loads the browser_rt "
            "and idna wheels (passed to `loadPyodide`, so they load while Pyodide boots), "
            "imports browser_rt and builds the runtime (and in worker mode "
            "starts the worker and revokes its network globals). The bundle ships browser_rt "
            "and idna as bytecode compiled by its own Pyodide; the `--sources` variant is the "
            "same bundle with their source wheels instead, for comparison. "
            "Median stage times are in results.json (`stages_ms`)."
        )

    def _memory(self, chrome: Any, srv: browser.Servers) -> None:
        s = self.sizes
        log(f"memory: {s.memory_fetches} fetches per mode")
        raw = browser.memory(
            chrome,
            srv,
            fetches=s.memory_fetches,
            batches=s.memory_batches,
            warmup=s.memory_warmup,
            concurrency=s.memory_concurrency,
            modes=list(reversed(s.modes)),
        )
        self.figures["memory"] = {"raw": raw, "thresholds": browser.LEAK_THRESHOLDS}
        self.rows += summarize.memory_rows(raw)
        for mode, data in raw["modes"].items():
            self.leaks += [f"{mode} mode: {leak}" for leak in data["leaks"]]
        self.notes["memory"] = (
            f"After {s.memory_warmup} warm-up fetches, {s.memory_fetches:,} more run through "
            f"`cx.fetch` at concurrency {s.memory_concurrency} in {s.memory_batches} batches; "
            "after each batch the page (and the runtime worker) are garbage-collected through "
            "CDP and probed: live PyProxies (Pyodide's allocation tracing), Python objects "
            "(`gc.get_objects()`), JS heap (`Runtime.getHeapUsage`) and the wasm heap size. "
            "A quantity leaks when it grows past its threshold and keeps rising "
            "(bench/browser.py `LEAK_THRESHOLDS`); a leak makes `make bench` exit non-zero."
        )


def _clean(value: Any) -> Any:
    """JSON without NaN: non-finite floats become null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def snapshot_bundle(bundle: Path, dest: Path) -> Path:
    """Copy the bundle while holding the lock `make bundle` takes, so a concurrent rebuild
    cannot change the wheels halfway through a run."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    lock_path = bundle.parent / ".bundle.lock"
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            shutil.copytree(bundle, dest)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return dest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes: checks that every benchmark still runs"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output folder (default: bench/, or a temp folder with --smoke)",
    )
    parser.add_argument("--bundle", type=Path, default=ROOT / "build" / "bundle")
    parser.add_argument("--only", action="append", choices=BENCHMARKS, default=[])
    parser.add_argument("--no-plots", action="store_true")
    args = parser.parse_args(argv)

    out_dir: Path = (
        args.out
        if args.out is not None
        else (ROOT / "build" / "bench-smoke" if args.smoke else ROOT / "bench")
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    if not (args.bundle / "pyodide" / "pyodide.mjs").is_file():
        print(f"bench: {args.bundle} is not a bundle; run `make bundle` first", file=sys.stderr)
        return 2

    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="bench-", dir=args.bundle.parent))
    try:
        bundle = snapshot_bundle(args.bundle, work / "bundle")
        stamp = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        runner = Runner(SMOKE if args.smoke else Sizes(), bundle, work, set(args.only))
        log(f"{'smoke' if args.smoke else 'full'} run, writing to {out_dir}")
        runner.host_and_node()
        runner.chromium()
        runner.tool_calls()
        runner.engines()
        runner.plugin()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    if args.smoke:
        for row in runner.rows:
            row["met"] = None  # tiny sizes say nothing about the targets
    with contextlib.suppress(OSError):
        runner.machine["load_average_at_end"] = list(os.getloadavg())
    results = {
        "schema": "browser-rt-bench-v1",
        "smoke": args.smoke,
        "started": stamp,
        "duration_s": time.monotonic() - started,
        "machine": runner.machine,
        "rows": runner.rows,
        "notes": runner.notes,
        "errors": runner.errors,
        "leaks": runner.leaks,
        "figures": runner.figures,
    }
    results = _clean(results)
    (out_dir / "results.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    (out_dir / "report.md").write_text(report.markdown(results), encoding="utf-8")
    if not args.no_plots:
        for path in report.plots(results, out_dir):
            log(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    log(f"wrote {out_dir / 'results.json'} and report.md in {time.monotonic() - started:.0f} s")

    missed = [f"{row['figure']}: {row['measure']}" for row in runner.rows if row["met"] is False]
    for line in missed:
        log(f"target missed: {line}")
    if runner.leaks:
        for leak in runner.leaks:
            print(f"bench: MEMORY LEAK: {leak}", file=sys.stderr)
        return 1
    if runner.errors:
        for name, message in runner.errors.items():
            print(f"bench: {name} did not run: {message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
