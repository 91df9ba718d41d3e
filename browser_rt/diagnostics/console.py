"""The console host sink: `console.info` / `warn` / `error` / `debug` by severity.

In Pyodide (browser or Node) it writes to the JS `console` with a `[browser_rt]` prefix and the
record converted to a JS object, so devtools show it as an expandable object. On CPython, or
where the JS global `console` is missing, it falls back to one JSON line per record on stderr.
"""

from __future__ import annotations

import sys
from typing import Any, Final, TextIO

from browser_rt.diagnostics.jsobject import is_js_proxy, js_console, to_js_object
from browser_rt.diagnostics.model import DiagnosticsConfigError
from browser_rt.diagnostics.sinks import PREFIX, Record, record_json

_METHODS: Final = {"debug": "debug", "info": "info", "warn": "warn", "error": "error"}


class StreamConsole:
    """A console stand-in that writes `[browser_rt] {json}` lines to a text stream."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        """None means whatever `sys.stderr` is at write time (so captured stderr works)."""

    def _write(self, prefix: str, event: Record) -> None:
        stream = self._stream if self._stream is not None else sys.stderr
        stream.write(f"{prefix} {record_json(event)}\n")

    def debug(self, prefix: str, event: Record) -> None:
        """Write a debug record."""
        self._write(prefix, event)

    def info(self, prefix: str, event: Record) -> None:
        """Write an info record."""
        self._write(prefix, event)

    def warn(self, prefix: str, event: Record) -> None:
        """Write a warn record."""
        self._write(prefix, event)

    def error(self, prefix: str, event: Record) -> None:
        """Write an error record."""
        self._write(prefix, event)


class ConsoleSink:
    """Sends each record to a console object by severity.

    `console` defaults to the JS console in Pyodide and to a `StreamConsole` on stderr elsewhere;
    any object with `debug`, `info`, `warn` and `error` methods will do.
    """

    def __init__(self, console: Any | None = None) -> None:
        chosen = console if console is not None else js_console() or StreamConsole()
        missing = [name for name in _METHODS.values() if not callable(getattr(chosen, name, None))]
        if missing:
            raise DiagnosticsConfigError(f"ConsoleSink console has no {', '.join(missing)} method")
        self.console: Final = chosen
        self.is_js: Final = is_js_proxy(chosen)

    def write(self, event: Record) -> None:
        """Call the console method for the record's severity with the prefix and the record."""
        method = getattr(self.console, _METHODS.get(str(event.get("severity")), "info"))
        method(PREFIX, to_js_object(event) if self.is_js else event)
