"""PyodideFetchHost and PyodideToolHost: hand allowed requests and tool calls to the JS bridges
and map their answers back.

The JS side (js_bridge/fetch_bridge.mjs, or in worker mode a message port to it) re-checks
every request against the same frozen policy, so this adapter adds no authority of its own.
"""

from __future__ import annotations

import asyncio
from typing import Any

from browser_rt.fetch import FetchDenied, HostRequest, Response
from browser_rt.fetch.errors import BridgeError, fetch_error_for
from browser_rt.fetch.host import blocking_fetch
from browser_rt.policy import Decision, DenyReason
from browser_rt.tools import ToolBridgeError, ToolCall, ToolDenied, ToolNotGranted, tool_error_for


class PyodideFetchHost:
    """A FetchHost over a JS object with `perform(request, body)` and `abort(request_id)`.

    In a cross-origin isolated worker the object also has `performBlocking(request, body,
    max_body_bytes)`, which blocks the worker with `Atomics.wait` until the page answers: the
    road for synchronous Python where the engine has no JSPI.
    """

    def __init__(self, bridge: Any) -> None:
        import js
        from pyodide.ffi import to_js

        self._bridge = bridge
        self._to_js = to_js
        # Converting with JS's own Object.fromEntries avoids a call back into Python per request.
        self._object_from_entries = js.Object.fromEntries

    @property
    def can_block(self) -> bool:
        """Whether a fetch can be answered by blocking this worker (`blocking_fetch`)."""
        return getattr(self._bridge, "performBlocking", None) is not None

    async def fetch(self, request: HostRequest) -> Response:
        payload, body = self._payload(request)
        if blocking_fetch.get() and self.can_block:
            try:
                result = self._bridge.performBlocking(payload, body, request.max_response_bytes)
            except Exception as exc:  # a JS exception crossing the bridge; its text is not trusted
                raise BridgeError(f"bridge call failed ({type(exc).__name__})") from None
            return _to_response(result)
        try:
            result = await self._bridge.perform(payload, body)
        except asyncio.CancelledError:
            await self._bridge.abort(request.request_id)
            raise
        except Exception as exc:  # a JS exception crossing the bridge; its text is not trusted
            raise BridgeError(f"bridge call failed ({type(exc).__name__})") from None
        return _to_response(result)

    def _payload(self, request: HostRequest) -> tuple[Any, Any]:
        payload = self._to_js(
            {
                "request_id": request.request_id,
                "method": request.method,
                "url": request.url,
                "origin": request.origin,
                "headers": [list(pair) for pair in request.headers],
                "credentials": request.credentials,
                "timeout_ms": request.timeout_ms,
            },
            dict_converter=self._object_from_entries,
        )
        body = None if request.body is None else self._to_js(request.body)
        return payload, body


def _to_response(result: Any) -> Response:
    if not result.ok:
        if result.kind == "denied":
            reason = _deny_reason(str(result.reason))
            origin = None if result.origin is None else str(result.origin)
            detail = getattr(result, "detail", None)
            why = "denied by the bridge's re-check" if detail is None else f"denied by the bridge: {detail}"
            raise FetchDenied(Decision(False, reason, origin, why))
        raise fetch_error_for(str(result.code), str(result.message))
    headers = [(str(name), str(value)) for name, value in result.headers.to_py()]
    return Response(
        status=int(result.status),
        status_text=str(result.statusText),
        url=str(result.url),
        headers=headers,
        body=bytes(result.body.to_bytes()),
        redirected=bool(result.redirected),
    )


def _deny_reason(text: str) -> DenyReason:
    try:
        return DenyReason(text)
    except ValueError:
        return DenyReason.INVALID_REQUEST


class PyodideToolHost:
    """A ToolHost over a JS object with `call(call_id, tool, args_json)` and `abort(call_id)`
    (tool_bridge.mjs's `callText` in page mode, or in worker mode messages to the page's
    bridge). The page decides on every call again; this adds nothing. The three parts cross as
    a number and two strings, which Pyodide passes without building a JS object per call; page
    mode answers a result as its JSON text alone, so no proxy of an answer is made either."""

    def __init__(self, bridge: Any) -> None:
        self._bridge = bridge
        # Looked up once: reading a JS member makes a new proxy every time.
        self._call = bridge.call

    async def call(self, request: ToolCall) -> str:
        try:
            result = await self._call(request.call_id, request.tool, request.args_json)
        except asyncio.CancelledError:
            await self._bridge.abort(request.call_id)
            raise
        except Exception as exc:  # a JS exception crossing the bridge; its text is not trusted
            raise ToolBridgeError(request.tool, f"bridge call failed ({type(exc).__name__})") from None
        if type(result) is str:  # page mode's callText: a result is its JSON text alone
            return result
        if result.ok:
            return str(result.value)
        if result.kind == "denied":
            reason = str(result.reason)
            if reason == "not_granted":
                raise ToolNotGranted(request.tool, "not granted by the page")
            raise ToolDenied(request.tool, reason, str(result.detail)[:200])
        raise tool_error_for(request.tool, str(result.code), str(result.message))
