"""urllib3 (and so requests) over `cx.fetch`: a connection class, installed the way urllib3's
own Emscripten backend installs itself.

urllib3 2.x in Pyodide swaps its pools' connection classes for `urllib3.contrib.emscripten`'s,
which call JS `fetch`/`XMLHttpRequest` directly: gone in worker mode, ungoverned in page mode.
This module swaps them again for `GovernedHTTPConnection`, which sends each request as one
`cx.fetch` of the running task and blocks for the answer with `browser_rt.compat.sync`
(JSPI in the browser, the lab loop in tests). It is plain urllib3 otherwise, so the same code
runs on CPython, where `governed()` installs it for the lab.

Failures keep urllib3's shapes. A refusal by the policy (denied, no capability, redirect not
followed, response over the cap) is not retried, since it would be refused again: the pool
raises `NewConnectionError` (with `retries=False`) or `MaxRetryError` whose reason is one, as
urllib3 does for a connection that cannot be made, the reason in the message and the
browser_rt error as `__cause__`; requests turns that into `requests.ConnectionError`. A
network failure is a `NewConnectionError` that urllib3 retries as usual, and a timeout a
socket timeout, which urllib3 reports as `ReadTimeoutError` (requests: `ReadTimeout`).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from http.client import ResponseNotReady
from types import ModuleType
from typing import Any, ClassVar

import urllib3
from urllib3._collections import HTTPHeaderDict
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import MaxRetryError, NewConnectionError
from urllib3.response import BaseHTTPResponse, HTTPResponse

from browser_rt.compat._patch import Patcher
from browser_rt.compat._request import (
    body_bytes,
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

_DEFAULT_PORTS = {"http": 80, "https": 443}


class PolicyRefusal(Exception):
    """Raised by a governed connection when the policy refused its request.

    It is deliberately none of the types urllib3's pool retries, so it leaves the pool's
    `urlopen` at once; the patched `urlopen` turns it into urllib3's connection error. Code
    that drives a governed connection without a pool sees this error itself.
    """

    def __init__(self, connection: GovernedHTTPConnection, error: BaseException) -> None:
        super().__init__(describe(error))
        self.connection = connection
        self.reason = refusal_reason(error) or "refused"
        self.__cause__ = error


class _DecodedHTTPResponse(HTTPResponse):
    """An `HTTPResponse` over a body fetch() has already decoded.

    The browser undoes `Content-Encoding` itself but leaves the header, so urllib3 must not
    decode again; and the body is whole, so its length is certain.
    """

    def _init_decoder(self) -> None:
        self._decoder = None


class GovernedHTTPConnection:
    """A urllib3 connection whose requests are `cx.fetch` calls; nothing here opens a socket.

    `request()` records the request; `getresponse()` sends it and waits, because urllib3 sets
    the read timeout between the two, and fetch() has one bound for the whole exchange: the
    connect and read timeouts are added up into it (the policy's `timeout_ms` still caps it).
    Each request uses the capability of the task that makes it (`current_cx()`).
    """

    default_port: ClassVar[int] = 80
    default_socket_options: ClassVar[list[tuple[int, int, int | bytes]]] = []
    scheme: ClassVar[str] = "http"
    is_verified: bool = False
    proxy_is_verified: bool | None = None

    def __init__(
        self,
        host: str,
        port: int | None = None,
        *,
        timeout: object = None,
        blocksize: int = 16384,
        **_ignored: Any,
    ) -> None:
        self.host = host
        self.port = port
        self.timeout: object = timeout
        self.blocksize = blocksize
        self.source_address = None
        self.socket_options = None
        self.proxy = None
        self.proxy_config = None
        self._closed = True
        self._pending: dict[str, Any] | None = None
        self._connect_timeout: object = None

    # -- what urllib3's pool asks of a connection ----------------------------------------------

    def set_tunnel(
        self,
        host: str,
        port: int | None = None,
        headers: Mapping[str, str] | None = None,
        scheme: str = "http",
    ) -> None:
        """Proxies and tunnels are the browser's business; nothing to set up."""

    def connect(self) -> None:
        """There is no socket: the bridge connects for every request."""

    def request(
        self,
        method: str,
        url: str,
        body: object = None,
        headers: Mapping[str, str] | None = None,
        *,
        chunked: bool = False,
        preload_content: bool = True,
        decode_content: bool = True,
        enforce_content_length: bool = True,
    ) -> None:
        self._closed = False
        self._connect_timeout = self.timeout
        self._pending = {
            "method": method,
            "url": self._absolute(url),
            "body": body_bytes(body),
            "headers": dict(headers or {}),
            "preload_content": preload_content,
        }

    def getresponse(self) -> BaseHTTPResponse:
        pending = self._pending
        if pending is None:
            raise ResponseNotReady()
        self._pending = None
        url = pending["url"]
        body: bytes | None = pending["body"]
        headers = outgoing_headers(
            pending["headers"].items(), url_host=self._host_header(), body_length=len(body or b"")
        )
        timeout = combined_timeout(self._connect_timeout, self.timeout)
        try:
            cx = resolve_cx(None)
            fetched, content = wait_for(
                fetch_whole(cx, url, method=pending["method"], headers=headers, body=body, timeout=timeout),
                cx=cx,
                name=f"{pending['method'].lower()}-{self.host}",
            )
        except (FetchError, PermissionError, NoCapabilityError) as error:
            raise self._failure(error) from error
        return self._response(fetched, content, pending["method"], url, pending["preload_content"])

    def close(self) -> None:
        self._closed = True
        self._pending = None

    @property
    def is_closed(self) -> bool:
        return self._closed

    @property
    def is_connected(self) -> bool:
        return True

    @property
    def has_connected_to_proxy(self) -> bool:
        return False

    def __repr__(self) -> str:
        """Names the origin and no address, so error messages are the same run to run."""
        return f"<{type(self).__name__} {self.scheme}://{self._host_header()}>"

    # -- helpers -------------------------------------------------------------------------------

    def _host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host and not self.host.startswith("[") else self.host
        if self.port is None or self.port == _DEFAULT_PORTS.get(self.scheme):
            return host
        return f"{host}:{self.port}"

    def _absolute(self, url: str) -> str:
        """urllib3 passes the path; a proxied request passes the whole URL already."""
        if not url.startswith("/"):
            return url
        return f"{self.scheme}://{self._host_header()}{url}"

    def _failure(self, error: BaseException) -> BaseException:
        if refusal_reason(error) is not None:
            return PolicyRefusal(self, error)
        if isinstance(error, FetchTimeout):
            # What a socket raises: urllib3 reports it as ReadTimeoutError with its own text.
            return TimeoutError(describe(error))
        return NewConnectionError(self, describe(error))  # type: ignore[arg-type]

    def _response(
        self, fetched: Response, content: bytes, method: str, url: str, preload_content: bool
    ) -> BaseHTTPResponse:
        return _DecodedHTTPResponse(
            body=io.BytesIO(content),
            headers=HTTPHeaderDict(list(fetched.headers.items())),
            status=fetched.status,
            version=0,
            version_string="HTTP/?",
            reason=fetched.status_text,
            preload_content=preload_content,
            decode_content=True,
            connection=self,  # type: ignore[arg-type]
            enforce_content_length=False,
            request_method=method,
            request_url=fetched.url or url,
        )


class GovernedHTTPSConnection(GovernedHTTPConnection):
    """The HTTPS twin: the browser verifies certificates, so urllib3 is told it is verified."""

    default_port: ClassVar[int] = 443
    scheme: ClassVar[str] = "https"
    is_verified: bool = True
    cert_reqs: str | None = None
    ca_certs: str | None = None
    ca_cert_dir: str | None = None
    ca_cert_data: str | bytes | None = None
    cert_file: str | None = None
    key_file: str | None = None
    key_password: str | None = None
    ssl_context: Any = None
    ssl_version: int | str | None = None
    ssl_minimum_version: int | None = None
    ssl_maximum_version: int | None = None
    assert_hostname: Any = None
    assert_fingerprint: str | None = None
    server_hostname: str | None = None

    def set_cert(self, *_args: Any, **_kwargs: Any) -> None:
        """Certificates are the browser's to check; nothing to configure."""


def _governed_urlopen(original: Any) -> Any:
    """Wrap `HTTPConnectionPool.urlopen`: a policy refusal leaves without urllib3's retries."""

    def urlopen(self: HTTPConnectionPool, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return original(self, method, url, *args, **kwargs)
        except PolicyRefusal as refusal:
            cause = refusal.__cause__ or refusal
            failed = NewConnectionError(refusal.connection, str(refusal))  # type: ignore[arg-type]
            failed.__cause__ = cause
            if kwargs.get("retries", args[2] if len(args) > 2 else None) is False:
                raise failed from cause
            raise MaxRetryError(self, url, reason=failed) from cause

    urlopen.__wrapped__ = original  # type: ignore[attr-defined]
    urlopen.__doc__ = original.__doc__
    return urlopen


def patch(module: ModuleType, patcher: Patcher) -> None:
    """Make every urllib3 pool use the governed connections (run when urllib3 is imported)."""
    del module  # the pools are reached through their own module, loaded by urllib3's package
    patcher.replace(HTTPConnectionPool, "ConnectionCls", GovernedHTTPConnection)
    patcher.replace(HTTPSConnectionPool, "ConnectionCls", GovernedHTTPSConnection)
    patcher.replace(HTTPConnectionPool, "urlopen", _governed_urlopen(HTTPConnectionPool.urlopen))
    patcher.replace(urllib3.connection, "HTTPConnection", GovernedHTTPConnection)
    patcher.replace(urllib3.connection, "HTTPSConnection", GovernedHTTPSConnection)
