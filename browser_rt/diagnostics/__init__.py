"""Redacted security diagnostics: structured browser-rt-event-v1 records delivered to sinks.

    from browser_rt.diagnostics import Diagnostics, MemorySink
    sink = MemorySink(capacity=1000)
    diag = Diagnostics(mode="metadata_only", sinks=[sink])
    diag.emit("fetch.decision", severity="warn", origin=..., decision="deny", reason=..., url=...)
    sink.events   # redacted records, oldest first

See docs/diagnostics.md for the record schema, data classes, modes, sinks and rate limiting.
"""

from __future__ import annotations

from browser_rt.diagnostics.console import ConsoleSink, StreamConsole
from browser_rt.diagnostics.core import Diagnostics, DiagnosticsStats, PreparedEvent
from browser_rt.diagnostics.fields import FIELDS, Field
from browser_rt.diagnostics.model import (
    DEFAULT_MODE,
    EVENT_TYPES,
    MODES,
    SCHEMA_ID,
    SEVERITIES,
    DataClass,
    DiagnosticsConfigError,
    Mode,
    Severity,
)
from browser_rt.diagnostics.ratelimit import RateLimit
from browser_rt.diagnostics.schema import SCHEMA_RESOURCE, event_schema
from browser_rt.diagnostics.sinks import CallbackSink, LoggingSink, MemorySink, Sink

__all__ = [
    "DEFAULT_MODE",
    "EVENT_TYPES",
    "FIELDS",
    "MODES",
    "SCHEMA_ID",
    "SCHEMA_RESOURCE",
    "SEVERITIES",
    "CallbackSink",
    "ConsoleSink",
    "DataClass",
    "Diagnostics",
    "DiagnosticsConfigError",
    "DiagnosticsStats",
    "Field",
    "LoggingSink",
    "MemorySink",
    "Mode",
    "PreparedEvent",
    "RateLimit",
    "Severity",
    "Sink",
    "StreamConsole",
    "event_schema",
]
