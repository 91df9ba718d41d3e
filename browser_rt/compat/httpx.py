"""httpx transports over `cx.fetch`, and httpx's default transports swapped for them.

`httpx.AsyncClient(transport=browser_rt.httpx_transport())` sends every request as one
`cx.fetch`; `httpx.Client(transport=browser_rt.compat.httpx_sync_transport())` does the same
from synchronous code, waiting like requests does (JSPI in the browser, the lab loop in
tests). Inside a browser_rt runtime the default transports are these too, so a client made
without `transport=` is governed as well (httpx's own would open sockets, which a browser has
not got).

Mapping, as httpx expects: a policy refusal (denied, no capability, redirect not followed,
response over the cap) and a network failure raise `httpx.ConnectError`, a timeout
`httpx.ReadTimeout`, each with the browser_rt error as `__cause__`. httpx's connect and read
timeouts are added up into one bound on the whole request (fetch() has no phases); write and
pool timeouts do not apply. Responses are streamed from a body the bridge has already read in
full, within the policy's cap, so `client.stream(...)` works but delivers nothing early.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, Any

import httpx
from httpx._decoders import IdentityDecoder

from browser_rt.compat._patch import Patcher
from browser_rt.compat._request import (
    combined_timeout,
    describe,
    fetch_whole,
    outgoing_headers,
    refusal_reason,
    resolve_cx,
)
from browser_rt.compat.sync import wait_for
from browser_rt.fetch import FetchError, FetchTimeout, Response
from browser_rt.runtime import NoCapabilityError

if TYPE_CHECKING:
    from browser_rt.runtime import Cx

_FAILURES = (FetchError, PermissionError, NoCapabilityError)


def _options(request: httpx.Request, body: bytes) -> dict[str, Any]:
    timeouts = request.extensions.get("timeout") or {}
    return {
        "method": request.method,
        "headers": outgoing_headers(
            request.headers.raw, url_host=request.url.netloc.decode("ascii"), body_length=len(body)
        ),
        "body": body if body or request.method not in ("GET", "HEAD") else None,
        "timeout": combined_timeout(timeouts.get("connect"), timeouts.get("read")),
    }


def _response(request: httpx.Request, fetched: Response, body: bytes) -> httpx.Response:
    response = httpx.Response(
        fetched.status,
        headers=list(fetched.headers.items()),
        stream=httpx.ByteStream(body),
        request=request,
        extensions={
            "reason_phrase": fetched.status_text.encode("latin-1", "replace"),
            "http_version": b"HTTP/1.1",
        },
    )
    # fetch() has already undone Content-Encoding but keeps the header: decode nothing again.
    response._decoder = IdentityDecoder()
    return response


def _failure(request: httpx.Request, error: BaseException) -> httpx.TransportError:
    message = describe(error)
    if refusal_reason(error) is None and isinstance(error, FetchTimeout):
        return httpx.ReadTimeout(message, request=request)
    return httpx.ConnectError(message, request=request)


class GovernedAsyncTransport(httpx.AsyncBaseTransport):
    """An `httpx.AsyncBaseTransport` whose requests are `cx.fetch` calls.

    With `cx`, every request uses that capability; without, the capability of the task that
    sends it, so one transport (or client) made at import time serves every task. httpx's
    constructor options (`verify`, `http2`, `limits`, `proxy`, ...) are accepted and ignored:
    the browser owns TLS, connections and proxies.
    """

    def __init__(self, cx: Cx | None = None, **_options: Any) -> None:
        self._cx = cx

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        try:
            cx = resolve_cx(self._cx)
            fetched, content = await fetch_whole(cx, str(request.url), **_options(request, body))
        except _FAILURES as error:
            raise _failure(request, error) from error
        return _response(request, fetched, content)


class GovernedTransport(httpx.BaseTransport):
    """The synchronous twin, for `httpx.Client`: it blocks until the bridge answers."""

    def __init__(self, cx: Cx | None = None, **_options: Any) -> None:
        self._cx = cx

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        try:
            cx = resolve_cx(self._cx)
            fetched, content = wait_for(
                fetch_whole(cx, str(request.url), **_options(request, body)), cx=cx, name="httpx"
            )
        except _FAILURES as error:
            raise _failure(request, error) from error
        return _response(request, fetched, content)


def patch(module: ModuleType, patcher: Patcher) -> None:
    """Make the governed transports httpx's defaults (run when httpx is imported)."""
    import httpx._client

    del module
    patcher.replace(httpx._client, "AsyncHTTPTransport", GovernedAsyncTransport)
    patcher.replace(httpx._client, "HTTPTransport", GovernedTransport)
