"""The loopback file server behind one Chromium session: the Pyodide bundle and the session's files.

Each `ChromeSession` starts its own server, in a thread of the host process: no child process is
forked (sessions may start from several threads at once) and no server is shared with another
session. It serves pytest-pyodide's page templates (`module_test.html`, which the runner opens),
the Pyodide folder, and the few files a session names by URL path (the project's archive, its
wheels). Anything else is a 404; request logs are not printed.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from browser_rt.testing import chrome_channel
from browser_rt.tooling.loopback import LoopbackServer

SESSION_PREFIX = "/browser-rt-session/"
"""URL paths under which a session's own files are served (never part of the Pyodide folder)."""


class PageHandler(SimpleHTTPRequestHandler):
    """Templates first, then the session's named files, then the Pyodide folder."""

    def __init__(self, *args: Any, templates: Path, files: dict[str, Path], **kwargs: Any) -> None:
        self.templates = templates
        self.files = files
        super().__init__(*args, **kwargs)

    def translate_path(self, path: str) -> str:
        url_path = unquote(urlsplit(path).path)
        if url_path.startswith(SESSION_PREFIX):
            named = self.files.get(url_path[len(SESSION_PREFIX) :])
            return str(named) if named is not None else str(Path(self.directory) / "-missing-")
        template = self.templates / url_path.lstrip("/")
        if "/" not in url_path.lstrip("/") and template.is_file():
            return str(template)
        return super().translate_path(path)

    def _inbox(self) -> chrome_channel.Inbox | None:
        url_path = unquote(urlsplit(self.path).path)
        if not url_path.startswith(SESSION_PREFIX):
            return None
        return chrome_channel.find(url_path[len(SESSION_PREFIX) :])

    def do_GET(self) -> None:
        """A session's inbox answers once the host lets the session start; anything else is a file."""
        inbox = self._inbox()
        if inbox is None:
            super().do_GET()
            return
        self._answer(200, {"start": inbox.wait_for_start(chrome_channel.START_WAIT_S)})

    def do_POST(self) -> None:
        """A batch for a session's inbox: 200 with the next line wanted, 400 refused, 404 unknown."""
        inbox = self._inbox()
        if inbox is None:
            self.close_connection = True
            self.send_error(404)
            return
        try:
            size = int(self.headers.get("Content-Length", ""))
        except ValueError:
            size = -1
        if not 0 <= size <= chrome_channel.MAX_BODY_BYTES:
            self._answer(400, {"error": f"Content-Length: not a size up to {chrome_channel.MAX_BODY_BYTES}"})
            return
        try:
            next_line = inbox.receive(self.rfile.read(size))
        except chrome_channel.ChannelError as exc:
            self._answer(400, {"error": str(exc)})
            return
        self._answer(200, {"next": next_line})

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode("utf-8")
        if status != 200:
            self.close_connection = True  # an unread body must not be taken for the next request
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def end_headers(self) -> None:
        # Pyodide's loader fetches from the page's origin; Workers started from it may not be.
        self.send_header("Access-Control-Allow-Origin", "*")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: a session's requests are not the user's output."""


@contextmanager
def serve(dist_dir: Path, templates: Path, files: dict[str, Path]) -> Iterator[str]:
    """Serve on 127.0.0.1 at a free port; yields the base URL (ending in '/')."""
    handler = partial(PageHandler, templates=templates, files=files, directory=str(dist_dir))
    server = LoopbackServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="browser-rt-page-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
