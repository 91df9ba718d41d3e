"""`browser-rt serve`: the bundle (and a site) on loopback, with CSP headers and API servers."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from browser_rt.policy import FetchAuthority, PolicyError
from browser_rt.tooling.api_server import ApiServer, start_api_server
from browser_rt.tooling.csp import page_csp, worker_csp
from browser_rt.tooling.static_server import HeaderHook, start_static_server


class ServeError(ValueError):
    """A bad serve argument; the message names it."""


def build_roots(bundle: Path, site: Path | None, mounts: list[str]) -> dict[str, Path]:
    if not (bundle / "pyodide" / "pyodide.mjs").is_file():
        raise ServeError(f"{bundle} is not a bundle: run `browser-rt bundle --out {bundle}` first")
    roots = {"/": bundle}
    if site is not None:
        if not (site / "index.html").is_file():
            raise ServeError(f"{site}/index.html is missing")
        roots = {"/": site, "/pyodide/": bundle / "pyodide", "/js_bridge/": bundle / "js_bridge"}
    for mount in mounts:
        prefix, sep, folder = mount.partition("=")
        if not sep or not prefix.startswith("/") or not prefix.endswith("/"):
            raise ServeError(f"--mount {mount!r}: expected /PREFIX/=DIR")
        if not Path(folder).is_dir():
            raise ServeError(f"--mount {mount!r}: {folder} is not a folder")
        roots[prefix] = Path(folder)
    return roots


CROSS_ORIGIN_ISOLATION = {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Resource-Policy": "same-origin",
}
"""Sent on every response with --cross-origin-isolated: the page gets SharedArrayBuffer, which
Pyodide's interrupt buffer needs. The bridge's requests are CORS, which COEP allows."""


def csp_headers(authority: FetchAuthority | None, *, cross_origin_isolated: bool = False) -> HeaderHook:
    """worker.mjs always gets the worker CSP; HTML pages get the page CSP when a policy is known."""
    isolation = CROSS_ORIGIN_ISOLATION if cross_origin_isolated else {}
    worker = {"Content-Security-Policy": worker_csp(), **isolation}
    page = dict(isolation)
    if authority is not None:
        page["Content-Security-Policy"] = page_csp(authority)

    def headers(path: str) -> Mapping[str, str]:
        clean = path.split("?", 1)[0]
        if clean.endswith("/worker.mjs"):
            return worker
        if clean.endswith((".html", "/")):
            return page
        return isolation

    return headers


def parse_api_ports(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    parts = text.split(",")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        raise ServeError(f"--api-ports {text!r}: expected two port numbers like 8001,8002")
    return int(parts[0]), int(parts[1])


RECENT_REQUESTS = 8
"""How many of each API server's latest requests /api-counts.json lists."""


class VirtualFiles(Mapping[str, bytes]):
    """Generated files for the static server: fixed bytes, or bytes computed on every request."""

    def __init__(self) -> None:
        self._files: dict[str, Callable[[], bytes]] = {}

    def add(self, path: str, content: bytes | Callable[[], bytes]) -> None:
        if isinstance(content, bytes):
            fixed = content
            self._files[path] = lambda: fixed
        else:
            self._files[path] = content

    def __getitem__(self, path: str) -> bytes:
        return self._files[path]()

    def __iter__(self) -> Iterator[str]:
        return iter(self._files)

    def __len__(self) -> int:
        return len(self._files)


def api_counts(apis: list[ApiServer]) -> bytes:
    """What each API server received so far: count and the latest requests (method, path only).

    The demo page reads this from its own origin, so its CSP can keep `connect-src` to the
    policy's grant and still show the other origin's count. Query strings are left out: they
    can carry whatever a snippet put there.
    """
    payload: dict[str, object] = {}
    for api in apis:
        entries = api.log.snapshot()
        payload[api.name] = {
            "origin": api.origin,
            "count": len(entries),
            "recent": [
                {"method": e["method"], "path": e["path"], "aborted": e["aborted"]}
                for e in entries[-RECENT_REQUESTS:]
            ],
        }
    return json.dumps(payload).encode()


def reset_counts(apis: list[ApiServer]) -> bytes:
    for api in apis:
        api.log.clear()
    return api_counts(apis)


def policy_notes(authority: FetchAuthority | None, apis: list[ApiServer]) -> list[str]:
    """Warn when the policy and the API servers do not line up the way the demo expects."""
    if authority is None or not apis:
        return []
    notes = []
    granted = {api.name for api in apis if api.origin in authority.origins}
    if "api" not in granted:
        notes.append(f"note: the policy does not grant the api origin {apis[0].origin}")
    if "other" in granted:
        notes.append(f"note: the policy grants the other origin {apis[1].origin}")
    return notes


def load_policy(path: Path | None) -> FetchAuthority | None:
    if path is None:
        return None
    try:
        return FetchAuthority.from_json(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ServeError(f"--policy {path}: {exc.strerror}") from None
    except PolicyError as exc:
        raise ServeError(f"--policy {path}: {exc}") from None


def serve_forever(
    *,
    bundle: Path,
    site: Path | None,
    host: str,
    port: int,
    policy_path: Path | None,
    api_ports: str | None,
    mounts: list[str],
    cross_origin_isolated: bool = False,
) -> int:
    roots = build_roots(bundle, site, mounts)
    authority = load_policy(policy_path)
    ports = parse_api_ports(api_ports)
    apis: list[ApiServer] = []
    virtual = VirtualFiles()
    if policy_path is not None and authority is not None:
        # The page can show the very document its CSP was derived from.
        virtual.add("/policy.json", policy_path.read_bytes())
    if ports is not None:
        apis = [start_api_server("api", ports[0], host), start_api_server("other", ports[1], host)]
        virtual.add("/config.json", json.dumps({a.name: a.origin for a in apis}).encode())
        virtual.add("/api-counts.json", lambda: api_counts(apis))
        virtual.add("/api-reset.json", lambda: reset_counts(apis))
    headers = csp_headers(authority, cross_origin_isolated=cross_origin_isolated)
    server, _log = start_static_server(roots, host=host, port=port, extra_headers=headers, virtual=virtual)
    for api in apis:
        print(f"browser-rt serve: {api.name} API at {api.origin}", flush=True)
    for note in policy_notes(authority, apis):
        print(f"browser-rt serve: {note}", flush=True)
    print(f"browser-rt serve: open http://{host}:{server.server_address[1]}/", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        for api in apis:
            api.stop()
    return 0
