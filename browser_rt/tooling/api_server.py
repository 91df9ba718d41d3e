"""Loopback API servers that stand for the granted and the other origin in tests and the demo.

Each logs every request it receives (method, path, whether the client went away early), so a
test or the demo can prove that a denied request never left the page.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from browser_rt.tooling.loopback import LoopbackServer

_MAX_SLEEP_S = 30.0
_MAX_BIG_BYTES = 64 << 20
_MAX_BODY_BYTES = 16 << 20


@dataclass
class ApiLog:
    """Every request a server saw, in order; `/__log` and `/__count` read it without adding to it."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    active: int = 0
    peak_active: int = 0
    """The most requests this server was answering at once since the last clear: what a test
    reads to prove a client kept to its concurrency limit."""

    def add(self, entry: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.entries.append(entry)
        return entry

    @contextmanager
    def answering(self) -> Iterator[Callable[[], None]]:
        """Count one request as in progress until the block ends or the answer starts.

        The block receives `finish`, to call as the response is about to be written: a client
        may start its next request as soon as it has the answer, and that one must not overlap
        this one in the count.
        """
        finished = False

        def finish() -> None:
            nonlocal finished
            with self.lock:
                if not finished:
                    finished = True
                    self.active -= 1

        with self.lock:
            self.active += 1
            self.peak_active = max(self.peak_active, self.active)
        try:
            yield finish
        finally:
            finish()

    def snapshot(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(e) for e in self.entries]

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.peak_active = self.active


def _handler(name: str, log: ApiLog) -> type[BaseHTTPRequestHandler]:
    class ApiHandler(BaseHTTPRequestHandler):
        server_version = f"browser-rt-api-{name}"
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # keep-alive replies would otherwise wait ~40 ms on delayed ACKs

        def do_OPTIONS(self) -> None:
            self._handle()

        def do_GET(self) -> None:
            self._handle()

        def do_HEAD(self) -> None:
            self._handle()

        def do_POST(self) -> None:
            self._handle()

        def do_PUT(self) -> None:
            self._handle()

        def do_DELETE(self) -> None:
            self._handle()

        def do_PATCH(self) -> None:
            self._handle()

        def _handle(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            if parts.path == "/__log":
                self._json(200, {"server": name, "requests": log.snapshot(), "peak_active": log.peak_active})
                return
            if parts.path == "/__count":
                self._json(200, {"server": name, "count": len(log.snapshot())})
                return
            if parts.path == "/__reset":
                log.clear()
                self._json(200, {"server": name, "count": 0})
                return
            with log.answering() as finish:
                self._finish_answering = finish
                self._answer(parts.path, parts.query, query)

        def send_response(self, code: int, message: str | None = None) -> None:
            getattr(self, "_finish_answering", lambda: None)()
            super().send_response(code, message)

        def _answer(self, path: str, raw_query: str, query: dict[str, str]) -> None:
            body = self._read_body()
            entry = log.add(
                {
                    "method": self.command,
                    "path": path,
                    "query": raw_query,
                    "origin": self.headers.get("Origin"),
                    "cookie": self.headers.get("Cookie") is not None,
                    "referer": self.headers.get("Referer"),
                    "body_bytes": len(body),
                    "aborted": False,
                }
            )
            if self.command == "OPTIONS":
                self._send(204, b"", "text/plain")
                return
            route = getattr(self, "_route_" + path.strip("/").replace("-", "_"), None)
            if route is None:
                echo = {"server": name, "method": self.command, "path": path, "body_bytes": len(body)}
                self._json(200, echo)
                return
            route(query, entry)

        def _route_redirect(self, query: dict[str, str], entry: dict[str, Any]) -> None:
            self.send_response(int(query.get("status", "302")))
            self._cors()
            self.send_header("Location", query.get("to", "/"))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _route_slow(self, query: dict[str, str], entry: dict[str, Any]) -> None:
            """Headers only after `ms`: a first-byte timeout. A client that gave up is noted."""
            time.sleep(min(float(query.get("ms", "1000")) / 1000, _MAX_SLEEP_S))
            try:
                self._json(200, {"server": name, "slow": True})
            except (BrokenPipeError, ConnectionResetError):
                entry["aborted"] = True
                self.close_connection = True

        def _route_drip(self, query: dict[str, str], entry: dict[str, Any]) -> None:
            """Headers at once, then a byte every 50 ms for `ms`; notices a client that left."""
            until = time.monotonic() + min(float(query.get("ms", "5000")) / 1000, _MAX_SLEEP_S)
            self.send_response(200)
            self._cors()
            self.send_header("Content-Type", "text/plain")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                while time.monotonic() < until:
                    self.wfile.write(b"1\r\nx\r\n")
                    self.wfile.flush()
                    time.sleep(0.05)
                self.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                entry["aborted"] = True
                self.close_connection = True

        def _route_big(self, query: dict[str, str], entry: dict[str, Any]) -> None:
            size = min(int(query.get("bytes", "1048576")), _MAX_BIG_BYTES)
            declare = query.get("declare", "1") == "1"
            self.send_response(200)
            self._cors()
            self.send_header("Content-Type", "application/octet-stream")
            if declare:
                self.send_header("Content-Length", str(size))
            else:
                self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b"x" * 65536
            try:
                sent = 0
                while sent < size:
                    piece = chunk[: min(len(chunk), size - sent)]
                    self.wfile.write(piece if declare else b"%x\r\n%s\r\n" % (len(piece), piece))
                    sent += len(piece)
                if not declare:
                    self.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                entry["aborted"] = True
                self.close_connection = True

        def _route_status(self, query: dict[str, str], entry: dict[str, Any]) -> None:
            self._json(int(query.get("code", "500")), {"server": name, "error": query.get("text", "failure")})

        def _read_body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(min(length, _MAX_BODY_BYTES)) if length > 0 else b""

        def _cors(self) -> None:
            origin = self.headers.get("Origin")
            self.send_header("Access-Control-Allow-Origin", origin or "*")
            self.send_header("Access-Control-Allow-Credentials", "true")
            self.send_header("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS")
            self.send_header(
                "Access-Control-Allow-Headers", self.headers.get("Access-Control-Request-Headers") or "*"
            )
            self.send_header("Access-Control-Expose-Headers", "*")
            self.send_header("Vary", "Origin")

        def _json(self, status: int, payload: object) -> None:
            self._send(status, json.dumps(payload).encode(), "application/json")

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self._cors()
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Kept in ApiLog instead of stderr."""

    return ApiHandler


@dataclass
class ApiServer:
    """One running loopback API server."""

    name: str
    server: ThreadingHTTPServer
    log: ApiLog

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_api_server(name: str, port: int = 0, host: str = "127.0.0.1") -> ApiServer:
    """Start a server in a daemon thread; `stop()` ends it."""
    log = ApiLog()
    server = LoopbackServer((host, port), _handler(name, log))
    threading.Thread(target=server.serve_forever, name=f"browser-rt-api-{name}", daemon=True).start()
    return ApiServer(name, server, log)


@contextmanager
def api_servers(*names: str) -> Iterator[dict[str, ApiServer]]:
    """Start one server per name and stop them all afterwards."""
    servers = {name: start_api_server(name) for name in names}
    try:
        yield servers
    finally:
        for server in servers.values():
            server.stop()
