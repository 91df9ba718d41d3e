"""The HTTP server class behind `browser-rt serve` and the loopback API servers.

A browser closes connections it no longer needs (a cancelled fetch, a page that navigated away).
The standard library prints a full traceback for each; those say nothing about the server and
bury real errors, so a client that hung up is not reported. Anything else still is.
"""

from __future__ import annotations

import sys
from http.server import ThreadingHTTPServer
from typing import Any

CLIENT_GONE = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)
"""Errors that mean the peer closed the connection, not that the server failed."""


class LoopbackServer(ThreadingHTTPServer):
    """A threading HTTP server whose threads do not keep the process alive."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], CLIENT_GONE):
            return
        super().handle_error(request, client_address)
