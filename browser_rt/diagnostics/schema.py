"""The JSON Schema of a browser-rt-event-v1 record, shipped inside the package.

The packaged file is the source of truth; `schemas/browser-rt-event-v1.schema.json` at the
repository root is a byte-identical copy for readers and tools that do not import Python.
"""

from __future__ import annotations

import json
from typing import Any, Final

SCHEMA_RESOURCE: Final = "browser-rt-event-v1.schema.json"


def event_schema() -> dict[str, Any]:
    """The parsed schema (read from the installed package, so it works in Pyodide too)."""
    from importlib import resources  # only when asked: the import costs start-up time in Pyodide

    text = resources.files("browser_rt.diagnostics").joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
