"""Names shared by every part of the diagnostics package: schema id, severities, modes, data classes."""

from __future__ import annotations

import enum
from typing import Final, Literal

SCHEMA_ID: Final = "browser-rt-event-v1"
"""The `schema` value of every record; a new record shape gets a new id."""

Severity = Literal["debug", "info", "warn", "error"]
SEVERITIES: Final[tuple[Severity, ...]] = ("debug", "info", "warn", "error")

Mode = Literal["metadata_only", "strict", "none"]
MODES: Final[tuple[Mode, ...]] = ("metadata_only", "strict", "none")
DEFAULT_MODE: Final[Mode] = "metadata_only"

INVALID_TYPE: Final = "invalid.type"
"""Replaces an event type that is not a dotted lowercase name, so `type` never carries free text."""

OTHER: Final = "<other>"
"""Stands for a value that is well-formed but not one the record may name (a non-standard method)."""

INVALID: Final = "<invalid>"
"""Stands for one entry of a list (an origin, a header name, a path) that failed its check."""

REDACTED: Final = "<redacted>"
"""Stands for a text kept only in reduced form (a policy detail, a query key) that failed its check."""


class DataClass(enum.Enum):
    """How much of a field's value may leave the process."""

    SECRET = "secret"
    """Never emitted in any redacting mode; at most its size or exception type."""
    SENSITIVE = "sensitive"
    """Emitted only in a reduced form (a path's shape, query keys without values); less in strict."""
    METADATA = "metadata"
    """Kept, after a check that the value has the shape the field promises."""


EVENT_TYPES: Final[frozenset[str]] = frozenset(
    {
        "authority.loaded",
        "fetch.decision",
        "fetch.complete",
        "fetch.error",
        "tool.decision",
        "tool.error",
        "runtime.ambient_paths",
        "cancel.overrun",
        "obligation.leak",
        "budget.exceeded",
        "diagnostics.dropped",
        "diagnostics.sink_failed",
        "diagnostics.unredacted",
    }
)
"""The types the runtime emits; other dotted lowercase names are accepted as they are."""

INTERNAL_TYPE_PREFIX: Final = "diagnostics."
"""Types under this prefix are emitted only by `Diagnostics` itself, so their counts can be trusted."""


class DiagnosticsConfigError(ValueError):
    """A diagnostics setting that cannot be used; the message names the setting and the fix."""
