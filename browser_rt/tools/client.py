"""authorized_tool_call: check the grant and the arguments, record the decision, then call the host."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any, Protocol

from browser_rt.policy.json_text import nests_deeper_than
from browser_rt.tools.errors import ToolDenied, ToolError, ToolNotGranted, ToolResultInvalid
from browser_rt.tools.grant import TOOL_NAME, ToolGrant
from browser_rt.tools.host import ToolCall, ToolHost, next_call_id


class EventSink(Protocol):
    """Anything with the Diagnostics.emit signature."""

    def emit(self, type: str, *, severity: str = "info", **fields: Any) -> None: ...


async def authorized_tool_call(
    grant: ToolGrant,
    host: ToolHost,
    diagnostics: EventSink | None,
    name: str,
    args: Mapping[str, Any],
    *,
    context: Mapping[str, object] | None = None,
) -> Any:
    """Call tool `name` with `args` (a JSON object) if `grant` holds it; return its JSON result.

    Refused before the host is touched, with a `tool.decision` deny event: a name not in the
    grant (`ToolNotGranted`), arguments that are not JSON or nest deeper than the grant allows
    (`invalid_args`), or more bytes of it than the tool's bound (`args_too_large`). An allowed
    call is a `tool.decision` allow event; a failed one adds `tool.error`. A call that succeeds
    adds nothing here: the page's own record of it (`tool.call`, with duration and bytes each
    way) is the account, and one event fewer keeps a call close to the cost of a direct one.
    Events carry the tool's name and sizes, never an argument or result value.
    """
    fields: Mapping[str, object] = context if context is not None else {}
    shown = name if isinstance(name, str) and TOOL_NAME.fullmatch(name) else "<invalid>"
    limits = grant.limits(name)
    refusal: ToolDenied | None = None
    args_json = ""
    size = 0
    if limits is None:
        refusal = ToolNotGranted(shown)
    else:
        args_json, size, refusal = _args_text(shown, args, limits.max_args_bytes, grant.max_depth)
    if diagnostics is not None:
        # Called directly (not through _emit): the one event of every call, its fields packed once.
        diagnostics.emit(
            "tool.decision",
            severity="warn" if refusal else "info",
            **fields,
            tool=shown,
            decision="deny" if refusal else "allow",
            reason=refusal.reason if refusal else None,
            request_bytes=size,
        )
    if refusal is not None:
        raise refusal
    assert limits is not None
    call = ToolCall(call_id=next_call_id(), tool=name, args_json=args_json, timeout_ms=limits.timeout_ms)
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        text = await host.call(call)
        result = _parse_result(name, text, limits.max_result_bytes)
    except ToolDenied as denied:
        _emit(
            diagnostics, "tool.decision", "warn", **fields, tool=shown, decision="deny", reason=denied.reason
        )
        raise
    except ToolError as failure:
        _emit(
            diagnostics,
            "tool.error",
            "warn",
            **fields,
            tool=shown,
            request_id=call.call_id,
            code=failure.code,
            duration_ms=_elapsed(loop, started),
        )
        raise
    except asyncio.CancelledError:
        _emit(
            diagnostics,
            "tool.error",
            "warn",
            **fields,
            tool=shown,
            request_id=call.call_id,
            code="aborted",
            duration_ms=_elapsed(loop, started),
        )
        raise
    return result


_ENCODER = json.JSONEncoder(allow_nan=False, separators=(",", ":"), ensure_ascii=False)
"""Compact JSON, as `json.dumps(..., allow_nan=False, separators=(",", ":"), ensure_ascii=False)`
writes it; made once, because `dumps` with options builds a new encoder on every call."""


_DECODER = json.JSONDecoder()


def _args_text(
    tool: str, args: Mapping[str, Any], max_bytes: int, max_depth: int
) -> tuple[str, int, ToolDenied | None]:
    """The arguments as compact JSON text and its UTF-8 size, or the refusal that names what is
    wrong with them."""
    try:
        text = _ENCODER.encode(args if type(args) is dict else dict(args))
    except (TypeError, ValueError, RecursionError) as exc:
        return "", 0, ToolDenied(tool, "invalid_args", f"not JSON: {type(exc).__name__}")
    size = len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        return text, size, ToolDenied(tool, "args_too_large", f"more than {max_bytes} bytes of JSON")
    if nests_deeper_than(text, max_depth):
        return text, size, ToolDenied(tool, "invalid_args", f"nested more than {max_depth} levels")
    return text, size, None


def _parse_result(tool: str, text: object, max_bytes: int) -> Any:
    if not isinstance(text, str) or len(text) > max_bytes:
        raise ToolResultInvalid(tool, "the host answered with something that is not bounded JSON text")
    # The page sends JSON.stringify's text, with no whitespace around it: decode it directly,
    # and leave anything else to json.loads, which skips whitespace and refuses trailing text.
    try:
        value, end = _DECODER.raw_decode(text)
        if end == len(text):
            return value
    except (ValueError, RecursionError):
        pass
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise ToolResultInvalid(tool, "the host answered with text that is not JSON") from None


def _elapsed(loop: asyncio.AbstractEventLoop, started: float) -> float:
    return round((loop.time() - started) * 1000, 3)


def _emit(diagnostics: EventSink | None, type: str, severity: str, **fields: Any) -> None:
    if diagnostics is not None:
        diagnostics.emit(type, severity=severity, **fields)
