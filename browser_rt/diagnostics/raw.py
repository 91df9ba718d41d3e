"""JSON-safe copies of unredacted values, for mode `none` only (local debugging).

Values keep their content but are bounded in depth, length and count, and anything that is not
JSON becomes a descriptive string. A value whose own methods raise is shown as `<unprintable>`.
"""

from __future__ import annotations

import math
from typing import Final

MAX_DEPTH: Final = 6
MAX_ITEMS: Final = 256
MAX_CHARS: Final = 8192

Json = None | bool | int | float | str | list["Json"] | dict[str, "Json"]


def raw_value(value: object, depth: int = 0) -> Json:
    """A bounded JSON-safe rendering of `value` with its content kept."""
    try:
        return _render(value, depth)
    except Exception:
        return "<unprintable>"


def _render(value: object, depth: int) -> Json:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int.__index__(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, str):
        return str.__str__(value)[:MAX_CHARS]
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)[:MAX_CHARS].decode("utf-8", "backslashreplace")
    if isinstance(value, BaseException):
        return f"{type(value).__qualname__}: {value}"[:MAX_CHARS]
    if depth >= MAX_DEPTH:
        return "<too deep>"
    if isinstance(value, dict):
        items = list(value.items())[:MAX_ITEMS]
        return {str(key)[:MAX_CHARS]: raw_value(item, depth + 1) for key, item in items}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [raw_value(item, depth + 1) for item in list(value)[:MAX_ITEMS]]
    return repr(value)[:MAX_CHARS]
