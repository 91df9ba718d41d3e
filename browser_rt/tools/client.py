"""authorized_tool_call: check the grant and the arguments, record the decision, then call the host."""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Callable, Mapping
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any

from browser_rt.diagnostics import Diagnostics
from browser_rt.policy.json_text import nests_deeper_than
from browser_rt.tools.errors import ToolDenied, ToolError, ToolNotGranted, ToolResultInvalid
from browser_rt.tools.grant import TOOL_NAME, ToolGrant
from browser_rt.tools.host import ToolCall, ToolHost, next_call_id


async def authorized_tool_call(
    grant: ToolGrant,
    host: ToolHost,
    diagnostics: Diagnostics | None,
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

    The allow event is a prepared one (`Diagnostics.prepare`): in a flood of calls, the rate
    limiter drops most of them before their fields are merged or redacted.
    """
    fields: Mapping[str, object] = context if context is not None else {}
    limits = grant.limits(name)
    if limits is None:
        refusal: ToolDenied | None = ToolNotGranted(_shown(name))
        args_json, size = "", 0
    else:
        # A granted name passed the name check when the grant was made.
        args_json, size, refusal = _args_text(name, args, limits.max_args_bytes, grant.max_depth)
    if refusal is not None:
        _emit(
            diagnostics,
            "tool.decision",
            "warn",
            **fields,
            tool=refusal.tool,
            decision="deny",
            reason=refusal.reason,
            request_bytes=size,
        )
        raise refusal
    assert limits is not None
    if diagnostics is not None:
        diagnostics.prepare("tool.decision").emit(fields, tool=name, decision="allow", request_bytes=size)
    call = _new_call((next_call_id(), name, args_json, limits.timeout_ms))
    loop = asyncio.get_running_loop()
    started = loop.time()  # the loop's clock: virtual time in the lab, so durations replay
    try:
        return _parse_result(name, await host.call(call), limits.max_result_bytes)
    except ToolDenied as denied:
        _emit(
            diagnostics, "tool.decision", "warn", **fields, tool=name, decision="deny", reason=denied.reason
        )
        raise
    except ToolError as failure:
        _emit(
            diagnostics,
            "tool.error",
            "warn",
            **fields,
            tool=name,
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
            tool=name,
            request_id=call.call_id,
            code="aborted",
            duration_ms=_elapsed(loop, started),
        )
        raise


def _shown(name: object) -> str:
    """A name as events may show it: a tool name, or `<invalid>`."""
    return name if isinstance(name, str) and TOOL_NAME.fullmatch(name) else "<invalid>"


def _reject(value: object) -> object:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


class _CompactJSON:
    """Compact JSON text, as `json.dumps(value, allow_nan=False, separators=(",", ":"),
    ensure_ascii=False)` writes it. `dumps` with options builds an encoder and its C half on
    every call; this builds the C half once and reuses it, with its own circular-reference
    markers, which it empties after a failure (a success leaves them empty)."""

    def __init__(self) -> None:
        self._markers: dict[int, object] = {}
        self._encode: Any = None
        if c_make_encoder is not None:
            self._encode = c_make_encoder(
                self._markers, _reject, encode_basestring, None, ":", ",", False, False, False
            )
        self._fallback = json.JSONEncoder(allow_nan=False, separators=(",", ":"), ensure_ascii=False)

    def __call__(self, value: object) -> str:
        if self._encode is None or self._markers:
            return self._fallback.encode(value)
        try:
            return "".join(self._encode(value, 0))
        except BaseException:
            self._markers.clear()
            raise


_ENCODE = _CompactJSON()
_new_call: Callable[[tuple[int, str, str, int]], ToolCall] = functools.partial(tuple.__new__, ToolCall)
"""`ToolCall(...)` without the Python-level `__new__` a NamedTuple adds: one C call per call."""
_SCAN: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def _args_text(
    tool: str, args: Mapping[str, Any], max_bytes: int, max_depth: int
) -> tuple[str, int, ToolDenied | None]:
    """The arguments as compact JSON text and its UTF-8 size, or the refusal that names what is
    wrong with them."""
    try:
        text = _ENCODE(args if type(args) is dict else dict(args))
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
        value, end = _SCAN(text, 0)  # raw_decode without its Python wrapper
        if end == len(text):
            return value
    except (StopIteration, ValueError, RecursionError):
        pass
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise ToolResultInvalid(tool, "the host answered with text that is not JSON") from None


def _elapsed(loop: asyncio.AbstractEventLoop, started: float) -> float:
    return round((loop.time() - started) * 1000, 3)


def _emit(diagnostics: Diagnostics | None, type: str, severity: str, **fields: Any) -> None:
    if diagnostics is not None:
        diagnostics.emit(type, severity=severity, **fields)
