"""authorized_fetch: authorize, admit, record the decision, and only then hand the request to a host."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from browser_rt.fetch.errors import FetchDenied, FetchError
from browser_rt.fetch.host import FetchHost, HostRequest, next_request_id
from browser_rt.fetch.limits import RequestLimiter, RequestSlot
from browser_rt.fetch.response import Response
from browser_rt.policy import Decision, FetchAuthority, FetchRequest
from browser_rt.policy.methods import normalize_method

HeadersInput = Mapping[str, str] | Iterable[tuple[str, str]] | None


class EventSink(Protocol):
    """Anything with the Diagnostics.emit signature."""

    def emit(self, type: str, *, severity: str = "info", **fields: Any) -> None: ...


async def authorized_fetch(
    authority: FetchAuthority,
    host: FetchHost,
    diagnostics: EventSink | None,
    url: str,
    *,
    method: str = "GET",
    headers: HeadersInput = None,
    body: bytes | bytearray | memoryview | str | None = None,
    credentials: str | None = None,
    timeout: float | None = None,
    context: Mapping[str, object] | None = None,
    limiter: RequestLimiter | None = None,
) -> Response:
    """Fetch `url` if `authority` allows it; raise FetchDenied before touching `host` if not.

    `timeout` (seconds) can only shorten the policy's `timeout_ms`, never extend it. With a
    `limiter`, an allowed request must also be admitted by it (after `authorize`, before the
    host): one past a limit is denied `rate_limited` at once, with the same `fetch.decision`
    event as any denial; one that must wait for a slot waits before it reaches the host.
    """
    fields = dict(context or {})
    header_pairs = _header_pairs(headers)
    request = FetchRequest(
        method=method, url=url, headers=header_pairs, credentials=credentials or "omit", body=body
    )
    decision = authority.authorize(request)
    slot: RequestSlot | None = None
    if decision.allowed and limiter is not None:
        try:
            slot = limiter.admit(decision.origin)
        except FetchDenied as refused:
            decision = refused.decision
    try:
        _emit_decision(diagnostics, decision, request, fields)
        if not decision.allowed:
            raise FetchDenied(decision)
        assert decision.origin is not None
        host_request = HostRequest(
            request_id=next_request_id(),
            method=normalize_method(method),
            url=url,
            origin=decision.origin,
            headers=tuple(header_pairs or ()),
            body=_body_bytes(body),
            credentials=request.credentials,
            redirect=authority.redirect,
            timeout_ms=_timeout_ms(timeout, authority.timeout_ms),
            max_response_bytes=authority.max_response_body_bytes,
        )
        return await _perform(host, host_request, slot, diagnostics, request, fields)
    finally:
        if slot is not None:
            slot.release()


async def _perform(
    host: FetchHost,
    host_request: HostRequest,
    slot: RequestSlot | None,
    diagnostics: EventSink | None,
    request: FetchRequest,
    fields: Mapping[str, object],
) -> Response:
    """Wait for the limiter's slot (if queued), call the host, and report how it ended.

    The wait counts in `duration_ms` (it is what the caller waited); a task cancelled while it
    waits is reported `aborted` like one cancelled in the host, and nothing was sent.
    """
    loop = asyncio.get_running_loop()
    started = loop.time()
    common = {
        **fields,
        "origin": host_request.origin,
        "method": host_request.method,
        "request_id": host_request.request_id,
    }
    try:
        if slot is not None:
            await slot.acquire()
        response = await host.fetch(host_request)
    except FetchError as exc:
        _emit(
            diagnostics,
            "fetch.error",
            "warn",
            **common,
            code=exc.code,
            error=exc,
            duration_ms=_elapsed_ms(loop, started),
        )
        raise
    except FetchDenied as exc:
        _emit_decision(diagnostics, exc.decision, request, fields)
        raise
    except asyncio.CancelledError:
        _emit(
            diagnostics,
            "fetch.error",
            "warn",
            **common,
            code="aborted",
            duration_ms=_elapsed_ms(loop, started),
        )
        raise
    _emit(
        diagnostics,
        "fetch.complete",
        "info",
        **common,
        status=response.status,
        response_bytes=response.body_size,
        duration_ms=_elapsed_ms(loop, started),
    )
    return response


def _header_pairs(headers: HeadersInput) -> list[tuple[str, str]] | Any:
    """Mappings become pairs; anything odd is passed through for the authority to reject."""
    if headers is None:
        return []
    if isinstance(headers, Mapping):
        return list(headers.items())
    if isinstance(headers, list | tuple):
        return [tuple(pair) if isinstance(pair, list) else pair for pair in headers]
    return headers


def _body_bytes(body: bytes | bytearray | memoryview | str | None) -> bytes | None:
    if body is None:
        return None
    if isinstance(body, str):
        return body.encode("utf-8")
    return bytes(body)


def _timeout_ms(timeout: float | None, policy_ms: int) -> int:
    if timeout is None:
        return policy_ms
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or not math.isfinite(timeout)
        or timeout <= 0
    ):
        raise ValueError(f"timeout: must be a positive number of seconds, got {timeout!r}")
    return max(1, min(policy_ms, math.ceil(timeout * 1000)))


def _elapsed_ms(loop: asyncio.AbstractEventLoop, started: float) -> float:
    return round((loop.time() - started) * 1000, 3)


def _emit_decision(
    diagnostics: EventSink | None, decision: Decision, request: FetchRequest, fields: Mapping[str, object]
) -> None:
    headers = request.headers if isinstance(request.headers, list | tuple) else ()
    _emit(
        diagnostics,
        "fetch.decision",
        "info" if decision.allowed else "warn",
        **fields,
        decision="allow" if decision.allowed else "deny",
        reason=None if decision.reason is None else str(decision.reason),
        **({"detail": decision.detail} if decision.detail else {}),
        origin=decision.origin,
        method=request.method if isinstance(request.method, str) else None,
        url=request.url if isinstance(request.url, str) else None,
        header_count=len(headers),
        headers=headers,
        body=request.body,
    )


def _emit(diagnostics: EventSink | None, type: str, severity: str, **fields: Any) -> None:
    if diagnostics is not None:
        diagnostics.emit(type, severity=severity, **fields)
