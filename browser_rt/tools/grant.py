"""ToolGrant: which host functions a task may call, and the bounds on what it sends.

The page grants the tools (js_bridge/tool_grant.mjs) and tells Python their names and limits,
so polite code is refused here before anything is sent; the page checks every call again.
A grant only narrows: `narrow` keeps a subset and refuses names it does not hold.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

TOOL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
"""A tool name, as the page accepts it."""
DEFAULT_MAX_DEPTH = 32


@dataclass(frozen=True, slots=True)
class ToolLimits:
    """One tool's bounds, as the page set them."""

    timeout_ms: int = 10_000
    max_args_bytes: int = 64 * 1024
    max_result_bytes: int = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ToolGrant:
    """Tool name -> limits; empty means nothing may be called (the default)."""

    tools: Mapping[str, ToolLimits] = field(default_factory=dict)
    max_depth: int = DEFAULT_MAX_DEPTH

    def __post_init__(self) -> None:
        # Checked once here, so a call with a granted name needs no name check of its own.
        for name, limits in self.tools.items():
            _checked_name(name)
            if not isinstance(limits, ToolLimits):
                raise TypeError(f"tool grant: {name}: expected ToolLimits, got {type(limits).__name__}")

    @classmethod
    def none(cls) -> ToolGrant:
        """The grant of a runtime the page gave no tools."""
        return cls()

    @classmethod
    def of(cls, *names: str, limits: ToolLimits | None = None) -> ToolGrant:
        """A grant of `names`, each with `limits` (the page's defaults if not given); for tests."""
        each = limits if limits is not None else ToolLimits()
        return cls({_checked_name(name): each for name in names})

    @classmethod
    def from_json(cls, text: str) -> ToolGrant:
        """The grant the page sent: `{"tools": {name: {timeout_ms, ...}}, "max_depth": n}`."""
        data: Any = json.loads(text)
        if not isinstance(data, dict) or not isinstance(data.get("tools"), dict):
            raise ValueError("tool grant: expected an object with a 'tools' object")
        tools: dict[str, ToolLimits] = {}
        for name, raw in data["tools"].items():
            if not isinstance(raw, dict):
                raise ValueError(f"tool grant: {name!r}: expected an object of limits")
            tools[_checked_name(name)] = ToolLimits(
                timeout_ms=_positive(name, "timeout_ms", raw.get("timeout_ms", 10_000)),
                max_args_bytes=_positive(name, "max_args_bytes", raw.get("max_args_bytes", 64 * 1024)),
                max_result_bytes=_positive(name, "max_result_bytes", raw.get("max_result_bytes", 1 << 20)),
            )
        depth = data.get("max_depth", DEFAULT_MAX_DEPTH)
        return cls(tools, _positive("grant", "max_depth", depth))

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self.tools)

    def limits(self, name: str) -> ToolLimits | None:
        """The limits of a granted tool, or None if `name` is not granted."""
        return self.tools.get(name) if isinstance(name, str) else None

    def narrow(self, names: Iterable[str]) -> ToolGrant:
        """A grant of only `names`; naming a tool this grant does not hold is an error."""
        if isinstance(names, str):
            raise TypeError("tools: expected a list of tool names, got one string")
        wanted = list(names)
        missing = sorted(str(name) for name in wanted if name not in self.tools)
        if missing:
            raise ValueError(f"tools: cannot narrow to tools that are not granted: {', '.join(missing)}")
        return ToolGrant({name: self.tools[name] for name in wanted}, self.max_depth)


def _checked_name(name: object) -> str:
    if not isinstance(name, str) or not TOOL_NAME.fullmatch(name):
        raise ValueError(f"tool grant: {name!r} is not a tool name")
    return name


def _positive(name: str, key: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"tool grant: {name}.{key}: expected a positive int, got {value!r}")
    return value
