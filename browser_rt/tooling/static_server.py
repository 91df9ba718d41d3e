"""A small static file server for the bundle and the demo site.

It serves only files below its roots, with the MIME types module workers and wasm need,
and logs every request so tests can prove what the page did and did not ask for. Like the static
hosts a bundle is deployed to, it speaks HTTP/1.1 and sends validators: a browser keeps what it
fetched and asks again with If-None-Match, and an unchanged file is answered 304 without a body.
"""

from __future__ import annotations

import hashlib
import mimetypes
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from browser_rt.tooling.loopback import LoopbackServer

_MIME = {
    ".mjs": "text/javascript",
    ".js": "text/javascript",
    ".wasm": "application/wasm",
    ".json": "application/json",
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".whl": "application/zip",
    ".zip": "application/zip",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ts": "text/plain; charset=utf-8",
}

HeaderHook = Callable[[str], Mapping[str, str]]
"""Given a request path, extra response headers to send (used for CSP)."""


@dataclass
class RequestLog:
    """Thread-safe list of (method, path) pairs a server received."""

    entries: list[tuple[str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, method: str, path: str) -> None:
        with self._lock:
            self.entries.append((method, path))

    def snapshot(self) -> list[tuple[str, str]]:
        with self._lock:
            return list(self.entries)


def resolve_under(roots: Mapping[str, Path], url_path: str) -> Path | None:
    """Map a URL path to a file under one of the mounted roots, refusing `..` escapes.

    `roots` maps a URL prefix ("/" or "/pyodide/") to a folder; the longest prefix wins.
    """
    path = unquote(urlsplit(url_path).path)
    if "\x00" in path:
        return None
    for prefix in sorted(roots, key=len, reverse=True):
        if not path.startswith(prefix):
            continue
        base = roots[prefix].resolve()
        candidate = (base / path[len(prefix) :].lstrip("/")).resolve()
        if candidate != base and base not in candidate.parents:
            return None
        if candidate.is_dir():
            candidate = candidate / "index.html"
        return candidate if candidate.is_file() else None
    return None


def file_tag(path: Path) -> str:
    """A file's validator from its modification time and size, as common static hosts make it."""
    stat = path.stat()
    return f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'


def content_tag(body: bytes) -> str:
    """A generated file's validator, from its bytes."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def listed_tags(header: str | None) -> set[str]:
    """The entity tags an If-None-Match header lists (weak ones compared as strong: a GET)."""
    return {part.strip().removeprefix("W/") for part in (header or "").split(",") if part.strip()}


def make_handler(
    roots: Mapping[str, Path],
    log: RequestLog,
    extra_headers: HeaderHook | None = None,
    virtual: Mapping[str, bytes] | None = None,
) -> type[BaseHTTPRequestHandler]:
    """Build a handler class bound to these roots, this log and this header hook."""

    class StaticHandler(BaseHTTPRequestHandler):
        server_version = "browser-rt-static"
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._serve(send_body=True)

        def do_HEAD(self) -> None:
            self._serve(send_body=False)

        def _serve(self, *, send_body: bool) -> None:
            log.add(self.command, self.path)
            url_path = urlsplit(self.path).path
            read: Callable[[], bytes]
            if virtual is not None and url_path in virtual:
                body = virtual[url_path]
                mime: str | None = _MIME[Path(url_path).suffix]
                tag, read = content_tag(body), lambda: body
            else:
                target = resolve_under(roots, self.path)
                if target is None:
                    self.send_error(HTTPStatus.NOT_FOUND)
                    return
                mime = _MIME.get(target.suffix) or mimetypes.guess_type(target.name)[0]
                tag, read = file_tag(target), target.read_bytes
            listed = listed_tags(self.headers.get("If-None-Match"))
            unchanged = tag in listed or "*" in listed
            self.send_response(HTTPStatus.NOT_MODIFIED if unchanged else HTTPStatus.OK)
            self.send_header("ETag", tag)
            # Stored, but checked again before each use: a rebuilt bundle is seen at once.
            self.send_header("Cache-Control", "no-cache")
            self.send_header("X-Content-Type-Options", "nosniff")
            for name, value in (extra_headers(self.path) if extra_headers else {}).items():
                self.send_header(name, value)
            if unchanged:
                self.end_headers()
                return
            data = read()
            self.send_header("Content-Type", mime or "application/octet-stream")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if send_body:
                self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            """Requests are kept in the RequestLog; stderr stays quiet."""

    return StaticHandler


def start_static_server(
    roots: Mapping[str, Path],
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    extra_headers: HeaderHook | None = None,
    virtual: Mapping[str, bytes] | None = None,
) -> tuple[ThreadingHTTPServer, RequestLog]:
    """Start serving in a daemon thread; the caller stops it with `server.shutdown()`.

    `virtual` maps URL paths to generated file contents (such as /config.json).
    """
    log = RequestLog()
    server = LoopbackServer((host, port), make_handler(roots, log, extra_headers, virtual))
    threading.Thread(target=server.serve_forever, name="browser-rt-static", daemon=True).start()
    return server, log
