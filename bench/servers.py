"""The loopback servers the browser benchmarks talk to, in a process of their own.

`python -m bench.servers --bundle build/bundle --pages bench/pages` starts the static server
(the bundle at /, the benchmark pages at /bench/, worker.mjs with the worker CSP, any
`--mount /PREFIX/=DIR`) and one API
server, each on a free loopback port, prints their origins as one JSON line, and stops when
its standard input closes or after `--max-seconds`, whichever comes first.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

from browser_rt.tooling.api_server import start_api_server
from browser_rt.tooling.serve import build_roots, csp_headers
from browser_rt.tooling.static_server import HeaderHook, start_static_server

ISOLATION_HEADERS: Mapping[str, str] = {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Resource-Policy": "same-origin",
}
"""Cross-origin isolation: the pages' clocks (performance.now, so Python's perf_counter) then
tick in 5 us steps instead of 100 us, fine enough for loopback latencies of about 1 ms."""


def isolated(hook: HeaderHook) -> HeaderHook:
    def headers(path: str) -> Mapping[str, str]:
        return {**hook(path), **ISOLATION_HEADERS}

    return headers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.servers")
    parser.add_argument("--bundle", type=Path, required=True)
    parser.add_argument("--pages", type=Path, required=True)
    parser.add_argument("--mount", action="append", default=[], metavar="/PREFIX/=DIR")
    parser.add_argument("--max-seconds", type=float, default=900.0)
    args = parser.parse_args(argv)

    roots = build_roots(args.bundle, None, [f"/bench/={args.pages}", *args.mount])
    api = start_api_server("api", 0, "127.0.0.1")
    # Headers and body go out in separate writes; without TCP_NODELAY each keep-alive response
    # waits for the client's delayed ACK (about 40 ms) and every request measures that stall.
    api.server.RequestHandlerClass.disable_nagle_algorithm = True  # type: ignore[attr-defined]
    static, _log = start_static_server(
        roots, host="127.0.0.1", port=0, extra_headers=isolated(csp_headers(None))
    )
    info = {"static": f"http://127.0.0.1:{static.server_address[1]}", "api": api.origin}
    print(json.dumps(info), flush=True)

    closed = threading.Event()

    def watch_stdin() -> None:
        sys.stdin.read()
        closed.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    closed.wait(args.max_seconds)
    static.shutdown()
    static.server_close()
    api.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
