"""The runtime on Pyodide's real event loop (WebLoop), in Node and in headless Chromium.

Run on the host, not under --run-in-pyodide; each `run_in_pyodide` body is shipped into Pyodide
and awaited by the WebLoop, with real `setTimeout` timers:

    SE_OFFLINE=true pytest tests/browser/test_webloop_runtime.py --rt node,chrome \\
        --dist-dir build/bundle/pyodide
"""

from __future__ import annotations

import base64
import re
import select
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from pytest_pyodide import run_in_pyodide

JS_BRIDGE = Path(__file__).resolve().parents[2] / "js_bridge"


def pyodide_missing(config: pytest.Config) -> bool:
    """True when --dist-dir holds no Pyodide build, as in a plain `pytest tests` host run."""
    return not (Path(config.getoption("dist_dir")) / "pyodide.mjs").is_file()


pytestmark = pytest.mark.skipif(
    "pyodide_missing(config)",
    reason="needs a Pyodide build: --rt node,chrome --dist-dir build/bundle/pyodide",
)


@run_in_pyodide(packages=["browser_rt"])
async def structured_concurrency_on_the_webloop(selenium: Any) -> dict[str, Any]:
    import asyncio

    from browser_rt import Cx, FetchAuthority, arun, current_cx

    results: dict[str, Any] = {}

    async def child(cx: Cx, delay: float) -> str:
        await asyncio.sleep(delay)
        assert current_cx() is cx
        return cx.region_path

    async def fail(cx: Cx) -> None:
        await asyncio.sleep(0.05)
        raise ValueError("boom")

    async def slow(cx: Cx) -> None:
        await asyncio.sleep(10)

    async def fast(cx: Cx) -> str:
        await asyncio.sleep(0.02)
        return "fast"

    async def main(cx: Cx) -> None:
        loop = asyncio.get_running_loop()
        assert type(loop).__name__ == "WebLoop"
        async with cx.region("fan") as r:
            tasks = [r.spawn(child, 0.001 * (i % 10)) for i in range(200)]
        results["all_done"] = all(t.done() for t in tasks)
        results["paths"] = sorted({t.result() for t in tasks})
        started = loop.time()
        try:
            async with cx.region("failing") as r:
                sibling = r.spawn(slow)
                r.spawn(fail)
                await asyncio.sleep(10)
        except ExceptionGroup as group:
            results["group"] = [type(e).__name__ for e in group.exceptions]
            results["group_message"] = str(group)
        results["sibling_cancelled"] = sibling.cancelled()
        results["failure_took"] = loop.time() - started
        async with cx.region("racing") as r:
            results["race"] = await r.race(slow, fast, slow)

    await arun(main, authority=FetchAuthority.deny_all())
    return results


@run_in_pyodide(packages=["browser_rt"])
async def overrun_on_the_webloop(selenium: Any) -> dict[str, Any]:
    import asyncio
    import contextlib

    from browser_rt import Budget, BudgetExceeded, Cx, FetchAuthority, arun
    from browser_rt.diagnostics import Diagnostics, MemorySink

    sink = MemorySink()
    out: dict[str, Any] = {}

    async def stubborn(cx: Cx) -> None:
        loop = asyncio.get_running_loop()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            done_at = loop.time() + 0.2
            while loop.time() < done_at:
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.sleep(done_at - loop.time())
            raise

    async def fail(cx: Cx) -> None:
        await asyncio.sleep(0.02)
        raise ValueError("x")

    async def main(cx: Cx) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            async with cx.region("work", cleanup=0.05) as r:
                r.spawn(stubborn)
                r.spawn(fail)
        except ExceptionGroup as group:
            out["group"] = [type(e).__name__ for e in group.exceptions]
        out["closed_after"] = loop.time() - started
        async with cx.region("timed", budget=Budget(deadline=0.05)):
            try:
                await cx.sleep(5)
            except BudgetExceeded as exceeded:
                out["budget"] = (exceeded.kind, exceeded.region)

    await arun(main, authority=FetchAuthority.deny_all(), diagnostics=Diagnostics(sinks=[sink]))
    out["events"] = [(e["type"], e.get("task", ""), e.get("budget_ms")) for e in sink.events]
    return out


@run_in_pyodide(packages=["browser_rt"])
async def cancel_a_real_fetch(
    selenium: Any, url: str, origin: str, policy_module: str, bridge_module: str
) -> dict[str, Any]:
    import asyncio
    import json

    from pyodide.code import run_js

    from browser_rt import Cx, FetchAuthority, arun
    from browser_rt.diagnostics import Diagnostics, MemorySink
    from browser_rt.host.pyodide_bridge import PyodideFetchHost

    policy = {"origins": [origin], "timeout_ms": 20_000}
    make_bridge = run_js(
        """
        async (policyModule, bridgeModule, policyJson) => {
            const { FetchAuthority } = await import(policyModule);
            const { createFetchBridge } = await import(bridgeModule);
            globalThis.__brtAborted = [];
            const fetchImpl = (input, init) => {
                init.signal.addEventListener("abort", () => globalThis.__brtAborted.push(String(input)));
                return fetch(input, init);
            };
            return createFetchBridge({ authority: FetchAuthority.fromJSON(policyJson), fetchImpl });
        }
        """
    )
    bridge = await make_bridge(policy_module, bridge_module, json.dumps(policy))
    sink = MemorySink()
    out: dict[str, Any] = {}

    async def fetcher(cx: Cx) -> None:
        await cx.fetch(url)

    async def fail(cx: Cx) -> None:
        await asyncio.sleep(0.3)
        raise ValueError("stop")

    async def main(cx: Cx) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            async with cx.region("work", cleanup=1.0) as r:
                r.spawn(fetcher)
                r.spawn(fail)
        except ExceptionGroup as group:
            out["group"] = [type(e).__name__ for e in group.exceptions]
        out["elapsed"] = loop.time() - started

    await arun(
        main,
        authority=FetchAuthority.from_dict(policy),
        diagnostics=Diagnostics(sinks=[sink]),
        fetch_host=PyodideFetchHost(bridge),
    )
    out["aborted"] = run_js("globalThis.__brtAborted").to_py()
    out["events"] = [(e["type"], e.get("code")) for e in sink.events]
    return out


_RELATIVE_IMPORT = re.compile(r"""(\bfrom\s+|\bimport\s+)(["'])(\.{1,2}/[^"']+)\2""")


def module_url(path: Path, _seen: dict[Path, str] | None = None) -> str:
    """A js_bridge module as a data: URL; pytest-pyodide serves only the Pyodide folder.

    A data: URL has no base, so each relative import is first replaced by its own data: URL.
    """
    seen = {} if _seen is None else _seen
    path = path.resolve()
    if path not in seen:
        source = path.read_text(encoding="utf-8")

        def inline(match: re.Match[str]) -> str:
            target = module_url(path.parent / match[3], seen)
            return f"{match[1]}{match[2]}{target}{match[2]}"

        text = _RELATIVE_IMPORT.sub(inline, source)
        seen[path] = "data:text/javascript;base64," + base64.b64encode(text.encode()).decode("ascii")
    return seen[path]


class SlowServer:
    """Answers after `delay` seconds unless the client hangs up first, which it records."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.hung_up = threading.Event()
        self.answered = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                deadline = time.monotonic() + server.delay
                connection: socket.socket = self.connection
                while time.monotonic() < deadline:
                    readable, _, _ = select.select([connection], [], [], 0.02)
                    if readable and connection.recv(1, socket.MSG_PEEK) == b"":
                        server.hung_up.set()
                        return
                self.send_response(200)
                self.send_header("Access-Control-Allow-Origin", "*")
                self.end_headers()
                self.wfile.write(b"late")
                server.answered.set()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> SlowServer:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def slow_server() -> Iterator[SlowServer]:
    with SlowServer(delay=8.0) as server:
        yield server


def test_regions_cancel_siblings_and_join_on_the_webloop(selenium: Any) -> None:
    results = structured_concurrency_on_the_webloop(selenium)
    assert results["all_done"] is True
    assert results["paths"] == ["main/fan"]
    assert results["group"] == ["ValueError"]
    assert "main/failing" in results["group_message"]
    assert results["sibling_cancelled"] is True
    assert results["failure_took"] < 2.0
    assert results["race"] == "fast"


def test_cleanup_overrun_and_deadline_on_the_webloop(selenium: Any) -> None:
    out = overrun_on_the_webloop(selenium)
    assert out["group"] == ["ValueError"]
    assert 0.2 <= out["closed_after"] < 3.0
    overruns = [event for event in out["events"] if event[0] == "cancel.overrun"]
    assert len(overruns) == 1
    assert overruns[0][1].startswith("stubborn-") and overruns[0][2] == 50.0
    assert ("cancel.overrun_finished", overruns[0][1], 50.0) in out["events"]
    assert out["budget"] == ("deadline", "main/timed")


def test_cancelling_during_a_fetch_aborts_the_js_fetch(selenium: Any, slow_server: SlowServer) -> None:
    url = f"{slow_server.origin}/slow"
    out = cancel_a_real_fetch(
        selenium,
        url,
        slow_server.origin,
        module_url(JS_BRIDGE / "policy.mjs"),
        module_url(JS_BRIDGE / "fetch_bridge.mjs"),
    )
    assert out["group"] == ["ValueError"]
    assert out["aborted"] == [url], "the bridge's AbortController fired for the in-flight fetch"
    assert out["elapsed"] < 0.3 + 1.0, "the fetcher finished within the region's cleanup budget"
    assert ("cancel.overrun", None) not in out["events"]
    assert ("fetch.error", "aborted") in out["events"]
    assert slow_server.hung_up.wait(5.0), "the browser closed the connection instead of waiting"
    assert not slow_server.answered.is_set()
