"""`pyodide.http.pyfetch`, `pyxhr` and `open_url`, sent through the running task's `Cx`.

Pyodide's versions call JS `fetch` and `XMLHttpRequest`, which worker mode removes and page
mode leaves ungoverned. These keep their signatures and their results' shapes and send one
`cx.fetch` instead: the same decision, events, budgets and bridge. What cannot be kept (there
is no JS `Response` behind a governed response, and the bridge sets every fetch option) is
listed in docs/http.md.

A denial raises `FetchDenied` (a `PermissionError`, so the `OSError` pyfetch callers catch)
naming the policy's reason; other failures raise pyfetch's `AbortError` (pyxhr's
`XHRNetworkError`, `XHRTimeoutError`) with the browser_rt error as `__cause__`.
"""

from __future__ import annotations

import asyncio
import builtins
import json as _json
import os
import shutil
import tempfile
from base64 import b64encode
from collections.abc import Iterable, Mapping
from io import StringIO
from types import ModuleType, SimpleNamespace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from browser_rt.compat._patch import Patcher
from browser_rt.compat._request import describe, fetch_whole, resolve_cx
from browser_rt.compat.sync import wait_for
from browser_rt.fetch import FetchDenied, FetchError, FetchTimeout, Response
from browser_rt.runtime import NoCapabilityError

if TYPE_CHECKING:
    from browser_rt.runtime import Cx

OPTIONS_SENT = frozenset({"method", "headers", "body", "credentials"})
"""fetch() options a governed pyfetch passes on; the bridge sets every other one itself."""


class _Errors:
    """pyodide.http's exception classes where they exist (in Pyodide), stand-ins elsewhere."""

    @property
    def module(self) -> Any:
        """Looked up on use: importing pyodide.http while it is being patched would recurse."""
        try:
            from pyodide.http import _exceptions as found
        except ImportError:
            return None
        return found

    def abort(self, message: str) -> OSError:
        if self.module is not None:
            error: OSError = self.module.AbortError(SimpleNamespace(message=message))
            return error
        return OSError(message)

    def body_used(self) -> OSError:
        if self.module is not None:
            error: OSError = self.module.BodyUsedError()
            return error
        return OSError("Response body is already used")

    def status(self, status: int, status_text: str, url: str) -> OSError:
        if self.module is not None:
            error: OSError = self.module.HttpStatusError(status, status_text, url)
            return error
        return OSError(f"{status} {status_text} for url: {url}")

    def xhr_network(self, message: str) -> OSError:
        if self.module is not None:
            error: OSError = self.module.XHRNetworkError(message)
            return error
        return OSError(message)

    def xhr_timeout(self, timeout_ms: int) -> OSError:
        if self.module is not None:
            error: OSError = self.module.XHRTimeoutError(timeout_ms)
            return error
        return OSError(f"Request timed out after {timeout_ms}ms")


_errors = _Errors()


class GovernedFetchResponse:
    """What a governed `pyfetch` returns: `pyodide.http.FetchResponse`'s shape over a body the
    bridge has read in full (within the policy's cap).

    The body can be read once, as with pyfetch; `clone()` first to read it twice. There is no
    JS `Response` behind it, so `js_response`, `js_request` and `type` do not exist, and
    `buffer()` makes a new `ArrayBuffer` from the bytes.
    """

    def __init__(self, response: Response, body: bytes, requested_url: str) -> None:
        self._response = response
        self._body = body
        self._url = requested_url
        self._used = False
        self.abort_controller = None
        self.abort_signal = None

    @property
    def body_used(self) -> bool:
        return self._used

    @property
    def headers(self) -> dict[str, str]:
        """Response headers with lower-case names, as JS `Headers` gives them."""
        return {name.lower(): value for name, value in self._response.headers.items()}

    @property
    def ok(self) -> bool:
        return self._response.ok

    @property
    def redirected(self) -> bool:
        return self._response.redirected

    @property
    def status(self) -> int:
        return self._response.status

    @property
    def status_text(self) -> str:
        return self._response.status_text

    @property
    def url(self) -> str:
        return self._response.url or self._url

    def __getattr__(self, name: str) -> Any:
        if name in ("js_response", "js_request", "type"):
            raise AttributeError(
                f"a governed pyfetch response has no {name}: the page's fetch bridge made the "
                "request and read the body, and no JS Response crosses into Python"
            )
        raise AttributeError(name)

    def _take(self) -> bytes:
        if self._used:
            raise _errors.body_used()
        self._used = True
        return self._body

    def raise_for_status(self) -> None:
        if 400 <= self.status < 600:
            raise _errors.status(self.status, self.status_text, self.url)

    def clone(self) -> GovernedFetchResponse:
        if self._used:
            raise _errors.body_used()
        return GovernedFetchResponse(self._response, self._body, self._url)

    async def text(self) -> str:
        return self._take().decode("utf-8", errors="replace")

    async def string(self) -> str:
        """Deprecated in Pyodide in favour of `text()`; kept for the same callers."""
        return await self.text()

    async def json(self, **kwargs: Any) -> Any:
        return _json.loads(await self.text(), **kwargs)

    async def bytes(self) -> builtins.bytes:
        return self._take()

    async def memoryview(self) -> builtins.memoryview:
        return builtins.memoryview(self._take())

    async def buffer(self) -> Any:
        """A new JS `ArrayBuffer` holding the body (Pyodide only)."""
        from pyodide.ffi import to_js

        return to_js(self._take()).buffer

    async def unpack_archive(self, *, extract_dir: str | None = None, format: str | None = None) -> None:
        """Unpack the body as an archive with `shutil.unpack_archive`, named after the URL."""
        data = self._take()
        name = self._url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] or "archive"
        with tempfile.TemporaryDirectory(prefix="browser-rt-archive-") as scratch:
            path = os.path.join(scratch, name)
            with open(path, "wb") as file:
                file.write(data)
            shutil.unpack_archive(path, extract_dir, format)

    def abort(self, reason: Any = None) -> None:
        """As pyfetch without an abort controller: cancel the awaiting task to abort instead."""
        raise ValueError("abort_controller is not set")


async def pyfetch(
    request: Any, /, *, signal: Any = None, fetcher: Any = None, **kwargs: Any
) -> GovernedFetchResponse:
    """`pyodide.http.pyfetch`, through the running task's `Cx`.

    `method`, `headers` (a mapping or pairs), `body` (str or bytes-like) and `credentials`
    are sent; the other fetch options are set by the bridge and ignored here. `signal`, a JS
    `AbortSignal`, aborts the request like cancelling the task does. `fetcher` (another fetch
    function) is refused: it would be a second road to the network.
    """
    if fetcher is not None:
        raise TypeError(
            "pyfetch(fetcher=...) is not available under browser_rt: every request goes through the bridge"
        )
    if not isinstance(request, str):
        raise TypeError(
            "a governed pyfetch takes a URL string; a JS Request object is not sent through the "
            f"bridge (got {type(request).__name__})"
        )
    cx = resolve_cx(None)
    headers = _headers(kwargs.get("headers"))
    fetching = fetch_whole(
        cx,
        request,
        method=str(kwargs.get("method") or "GET"),
        headers=headers,
        body=_body(kwargs.get("body")),
        credentials=kwargs.get("credentials"),
    )
    try:
        fetched: tuple[Response, bytes] = await _with_signal(fetching, signal)
    except FetchDenied:
        raise
    except FetchError as error:
        raise _errors.abort(describe(error)) from error
    return GovernedFetchResponse(fetched[0], fetched[1], request)


async def _with_signal[T](fetching: Any, signal: Any) -> T:
    """Await `fetching`, cancelled if `signal` (a JS AbortSignal) aborts first."""
    if signal is None:
        result: T = await fetching
        return result
    if bool(getattr(signal, "aborted", False)):
        fetching.close()
        raise _errors.abort(f"browser_rt: aborted by the signal ({getattr(signal, 'reason', None)})")
    from pyodide.ffi import create_proxy

    task: asyncio.Task[T] = asyncio.ensure_future(fetching)
    listener = create_proxy(lambda *_: task.cancel("signal"))
    signal.addEventListener("abort", listener)
    try:
        return await task
    except asyncio.CancelledError:
        if task.cancelled() and bool(getattr(signal, "aborted", False)):
            raise _errors.abort("browser_rt: aborted by the signal") from None
        raise
    finally:
        signal.removeEventListener("abort", listener)
        listener.destroy()


def _headers(value: Any) -> list[tuple[str, str]] | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        return [(str(name), str(item)) for name, item in value.items()]
    if hasattr(value, "to_py"):  # a JS Headers or plain object
        entries = value.entries() if hasattr(value, "entries") else None
        converted = value.to_py() if entries is None else [tuple(pair) for pair in entries]
        return _headers(converted)
    if isinstance(value, Iterable) and not isinstance(value, str | bytes):
        return [(str(pair[0]), str(pair[1])) for pair in value]
    raise TypeError(f"pyfetch headers: expected a mapping or pairs, got {type(value).__name__}")


def _body(value: Any) -> bytes | str | None:
    if value is None or isinstance(value, str | bytes):
        return value
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    if hasattr(value, "to_bytes"):  # a JS typed array or ArrayBuffer
        return bytes(value.to_bytes())
    raise TypeError(f"pyfetch body: expected str or bytes, got {type(value).__name__}")


# -- the synchronous ones ---------------------------------------------------------------------


class _FinishedXHR:
    """What `pyodide.http.pyxhr.XHRResponse` reads from an XMLHttpRequest, already answered."""

    def __init__(self, response: Response, body: bytes, url: str) -> None:
        self.status = response.status
        self.statusText = response.status_text
        self.response = body
        self.responseText = body.decode("utf-8", errors="replace")
        self.responseURL = response.url or url
        self._headers = [(name.lower(), value) for name, value in response.headers.items()]

    def getAllResponseHeaders(self) -> str:  # XMLHttpRequest's own name
        return "".join(f"{name}: {value}\r\n" for name, value in self._headers)


def _sync_fetch(
    cx: Cx, method: str, url: str, headers: list[tuple[str, str]], body: bytes | str | None
) -> tuple[Response, bytes]:
    return wait_for(fetch_whole(cx, url, method=method, headers=headers, body=body), cx=cx, name="pyxhr")


def xhr_request(method: str, url: str, **kwargs: Any) -> Any:
    """`pyodide.http.pyxhr`'s request function: the same arguments (headers, params, data,
    json, auth), sent with `cx.fetch` and waited for synchronously (JSPI, or the lab loop)."""
    if (params := kwargs.get("params")) and isinstance(params, dict):
        url = f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"
    headers = dict(kwargs.get("headers") or {})
    if (auth := kwargs.get("auth")) and len(auth) == 2:
        headers["Authorization"] = "Basic " + b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    data = kwargs.get("data")
    if kwargs.get("json") is not None:
        data = _json.dumps(kwargs["json"])
        headers["Content-Type"] = "application/json"
    try:
        cx = resolve_cx(None)
        pairs = [(name, str(value)) for name, value in headers.items()]
        response, body = _sync_fetch(cx, method.upper(), url, pairs, data)
    except (FetchDenied, NoCapabilityError) as refused:
        raise _errors.xhr_network(describe(refused)) from refused
    except FetchTimeout as timeout:
        raise _errors.xhr_timeout(cx.authority.timeout_ms) from timeout
    except FetchError as error:
        raise _errors.xhr_network(describe(error)) from error
    from pyodide.http.pyxhr import XHRResponse

    return XHRResponse(_FinishedXHR(response, body, url))


def open_url(url: str) -> StringIO:
    """`pyodide.http.open_url`: a synchronous GET of text. A denial raises `FetchDenied`."""
    _, body = _sync_fetch(resolve_cx(None), "GET", url, [], None)
    return StringIO(body.decode("utf-8", errors="replace"))


def patch(module: ModuleType, patcher: Patcher) -> None:
    """Replace pyfetch, open_url and pyxhr's request function (run when pyodide.http is imported)."""
    import importlib

    patcher.replace(module, "pyfetch", pyfetch)
    patcher.replace(module, "open_url", open_url)
    patcher.replace(importlib.import_module("pyodide.http._pyfetch"), "pyfetch", pyfetch)
    patcher.replace(importlib.import_module("pyodide.http.pyxhr"), "_xhr_request", xhr_request)
