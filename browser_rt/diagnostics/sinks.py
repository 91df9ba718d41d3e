"""Where redacted records go: a bounded memory buffer, Python logging, or any callable.

A sink only ever sees records that the redactor has already reduced, and each sink gets its own
copy, so one sink cannot change what another receives. A sink may raise: `Diagnostics` counts
the failure and reports it to the other sinks; the runtime carries on.
"""

from __future__ import annotations

import copy
import json
import logging
from collections import deque
from collections.abc import Callable, Mapping
from typing import Final, Protocol

from browser_rt.diagnostics.jsobject import is_js_proxy, to_js_object
from browser_rt.diagnostics.model import DiagnosticsConfigError

PREFIX: Final = "[browser_rt]"

Record = dict[str, object]

MAX_CAPACITY: Final = 1_000_000


class Sink(Protocol):
    """Receives each redacted record; may raise without harming the runtime."""

    def write(self, event: Record) -> None:
        """Take one record (the sink's own copy)."""


def record_json(event: Mapping[str, object]) -> str:
    """One record as compact JSON text, keys in record order."""
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False)


class MemorySink:
    """A ring buffer of the newest `capacity` records, for tests and the demo's panel."""

    def __init__(self, capacity: int = 1000) -> None:
        if not isinstance(capacity, int) or isinstance(capacity, bool) or not 1 <= capacity <= MAX_CAPACITY:
            raise DiagnosticsConfigError(
                f"MemorySink capacity must be an int from 1 to {MAX_CAPACITY}, got {capacity!r}"
            )
        self._records: deque[Record] = deque(maxlen=capacity)
        self.capacity: Final = capacity
        self.evicted = 0
        """Records pushed out by newer ones since the last `clear()`."""

    def write(self, event: Record) -> None:
        """Keep the record, evicting the oldest when full."""
        if len(self._records) == self.capacity:
            self.evicted += 1
        self._records.append(event)

    @property
    def events(self) -> list[Record]:
        """Copies of the kept records, oldest first."""
        return copy.deepcopy(list(self._records))

    def clear(self) -> None:
        """Forget every kept record and the eviction count."""
        self._records.clear()
        self.evicted = 0

    def __len__(self) -> int:
        return len(self._records)


_LEVELS: Final = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "error": logging.ERROR,
}


class LoggingSink:
    """Writes each record to a Python logger: level by severity, the record as JSON text.

    Handlers that want the structure read it from the log record's `browser_rt_event` attribute.
    """

    def __init__(self, logger: logging.Logger | str = "browser_rt.diagnostics") -> None:
        if isinstance(logger, str):
            logger = logging.getLogger(logger)
        if not isinstance(logger, logging.Logger):
            raise DiagnosticsConfigError(
                f"LoggingSink needs a logging.Logger or a logger name, got {type(logger).__name__}"
            )
        self.logger: Final = logger

    def write(self, event: Record) -> None:
        """Log the record at the level of its severity."""
        level = _LEVELS.get(str(event.get("severity")), logging.INFO)
        if self.logger.isEnabledFor(level):
            self.logger.log(level, "%s %s", PREFIX, record_json(event), extra={"browser_rt_event": event})


class CallbackSink:
    """Calls `callback(event)` for each record; a JS function receives a plain JS object."""

    def __init__(self, callback: Callable[[Record], object]) -> None:
        if not callable(callback):
            raise DiagnosticsConfigError(f"CallbackSink needs a callable, got {type(callback).__name__}")
        self.callback: Final = callback

    def write(self, event: Record) -> None:
        """Pass the record on; the callback's return value is ignored."""
        if is_js_proxy(self.callback):
            self.callback(to_js_object(event))
        else:
            self.callback(event)
