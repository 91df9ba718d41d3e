"""Host-side settings pytest-pyodide needs on any machine, applied once per pytest process.

None of these change a verdict on their own; they stop the harness from stalling or starving:
the file server's listen backlog, the globals Node's `vm` context lacks, and a teardown warning
that every run printed.
"""

from __future__ import annotations

import socketserver
from typing import Any

NODE_EXTRA_GLOBALS = ("URL", "URLSearchParams", "console", "Headers", "Response")
"""pytest-pyodide runs Pyodide in Node inside a `vm` context with only a few globals: without
these, `js.URL` and friends are missing and console output from JavaScript is lost."""

REQUEST_QUEUE_SIZE = 256


def configure_pytest_pyodide() -> None:
    """Apply the settings; safe to call more than once."""
    from browser_rt.testing import upstream

    # pytest-pyodide's file server is a single-threaded TCPServer with a listen backlog of 5; hit
    # with one request per file at once, past ~60 files dropped connections stall the copy for
    # over a minute. Its server process is forked from this one and inherits the class attribute.
    server = socketserver.TCPServer
    server.request_queue_size = max(server.request_queue_size, REQUEST_QUEUE_SIZE)
    config = upstream.global_config()
    missing = [name for name in NODE_EXTRA_GLOBALS if name not in config.get_node_extra_globals()]
    config.add_node_extra_globals(missing)
    _quiet_unwrapper_teardown(upstream.unwrapper_class())


def _quiet_unwrapper_teardown(unwrapper: Any) -> None:
    """`ContextManagerUnwrapper.close` runs twice (explicitly, then from `__del__`) and the second
    call raises AttributeError at interpreter teardown; make it idempotent."""
    if getattr(unwrapper.close, "_browser_rt_idempotent", False):
        return
    original = unwrapper.close

    def close(self: Any) -> None:
        try:
            if self.ctx_manager is not None and hasattr(self, "value"):
                original(self)
        finally:
            self.ctx_manager = None

    close._browser_rt_idempotent = True  # type: ignore[attr-defined]
    unwrapper.close = close
