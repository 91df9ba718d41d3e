"""Hand records to JavaScript as plain objects when running in Pyodide.

A Python dict passed to a JS function would arrive as a PyProxy that the receiver must destroy
and that breaks `console.info`'s object view; a converted record is an ordinary JS object.
An integer beyond 2**53-1 (only a large lab seed can be) becomes a decimal string rather than
a BigInt, so `JSON.stringify(event)` keeps working in the host and no digit is lost.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping
from typing import Any

from browser_rt.diagnostics.values import MAX_SAFE_INT


def is_js_proxy(value: object) -> bool:
    """True for a Pyodide JsProxy (a JS function or object); False on CPython."""
    ffi = sys.modules.get("pyodide.ffi")
    return ffi is not None and isinstance(value, ffi.JsProxy)


def to_js_object(record: Mapping[str, object]) -> Any:
    """The record as a JS object (nested dicts become objects, lists become arrays)."""
    ffi = importlib.import_module("pyodide.ffi")
    js = importlib.import_module("js")
    return ffi.to_js(js_safe(record), dict_converter=js.Object.fromEntries)


def js_safe(value: object) -> object:
    """A copy of a record in which integers a JS number cannot hold exactly are strings."""
    if isinstance(value, dict):
        return {key: js_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [js_safe(item) for item in value]
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_SAFE_INT:
        return str(value)
    return value


def js_console() -> Any | None:
    """The page's or Node's `console`, or None outside Pyodide or where the global is missing."""
    if sys.platform != "emscripten":
        return None
    js = importlib.import_module("js")
    return getattr(js, "console", None)
