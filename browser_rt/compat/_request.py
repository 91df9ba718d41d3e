"""What every adapter does the same way: find the Cx, shape headers and bodies, classify errors.

The adapters are thin: each turns its library's request into one `cx.fetch` call and the
result back into its library's response. What they share lives here, so that requests,
urllib3, httpx and pyfetch agree on which headers the browser owns and on which failures are
the policy's refusals rather than the network's.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from browser_rt.fetch import FetchDenied, FetchError, RedirectDenied, Response, ResponseTooLarge
from browser_rt.runtime import NoCapabilityError, current_cx

if TYPE_CHECKING:
    from browser_rt.runtime import Cx

BROWSER_OWNED_HEADERS = frozenset({"accept-encoding", "connection", "keep-alive"})
"""Headers HTTP libraries add to every request by themselves and the browser sets on its own
(fetch forbids a page to set them): dropped whatever their value."""


def resolve_cx(bound: Cx | None) -> Cx:
    """The Cx a request goes through: the one an adapter was built with, else the running
    task's. `NoCapabilityError` (nothing sent) for code that was never handed one."""
    return bound if bound is not None else current_cx()


async def fetch_whole(cx: Cx, url: str, **options: Any) -> tuple[Response, bytes]:
    """`cx.fetch`, and the body with it, for adapters that hand both back from synchronous code."""
    response = await cx.fetch(url, **options)
    return response, await response.bytes()


def outgoing_headers(
    pairs: Iterable[tuple[str | bytes, str | bytes]], *, url_host: str, body_length: int
) -> list[tuple[str, str]]:
    """The caller's headers minus the ones the browser writes itself.

    `Accept-Encoding`, `Connection` and `Keep-Alive` are dropped; `Host` only when it names the
    URL's own host, `Content-Length` only when it equals the body's length, and
    `Transfer-Encoding` only when it is `chunked` (the body is sent whole): those are what a
    library computes on its own. Any other value of them, and every other header, is passed to
    the authority, which refuses forbidden ones (`forbidden_header`) instead of dropping them.
    """
    kept: list[tuple[str, str]] = []
    for raw_name, raw_value in pairs:
        name = raw_name.decode("latin-1") if isinstance(raw_name, bytes) else str(raw_name)
        value = raw_value.decode("latin-1") if isinstance(raw_value, bytes) else str(raw_value)
        lowered = name.lower()
        if lowered in BROWSER_OWNED_HEADERS:
            continue
        if lowered == "host" and value.strip().lower() == url_host.lower():
            continue
        if lowered == "content-length" and value.strip() == str(body_length):
            continue
        if lowered == "transfer-encoding" and value.strip().lower() == "chunked":
            continue
        kept.append((name, value))
    return kept


def body_bytes(body: object) -> bytes | None:
    """A request body as bytes: bytes-likes, str (UTF-8), file-likes and iterables of chunks.

    The body is read in full before the request is made: the bridge sends whole bodies, within
    the policy's `max_request_body_bytes`.
    """
    if body is None:
        return None
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    read = getattr(body, "read", None)
    if callable(read):
        data = read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if isinstance(body, Iterable):
        buffer = io.BytesIO()
        for chunk in body:
            buffer.write(chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk))
        return buffer.getvalue()
    raise TypeError(
        f"request body: expected bytes, str, a file or an iterable of chunks, got {type(body).__name__}"
    )


def combined_timeout(*parts: object) -> float | None:
    """One bound for the whole request from a library's phase timeouts (connect, read).

    fetch() has no separate connect or read phase, so the phases are added up; if any phase is
    unbounded (None, or a sentinel), so is the sum, and only the policy's `timeout_ms` applies.
    """
    total = 0.0
    for part in parts:
        if isinstance(part, bool) or not isinstance(part, int | float) or not math.isfinite(part):
            return None
        total += float(part)
    return total if total > 0 else None


def refusal_reason(error: BaseException) -> str | None:
    """The reason when `error` is the policy refusing the request (retrying cannot help), else None.

    Denials (`FetchDenied`), a missing capability, a redirect the policy does not follow and a
    response over the policy's cap are refusals; network errors and timeouts are not.
    """
    if isinstance(error, FetchDenied):
        return error.reason
    if isinstance(error, NoCapabilityError):
        return "no_capability"
    if isinstance(error, RedirectDenied | ResponseTooLarge):
        return error.code
    return None


def describe(error: BaseException) -> str:
    """A message naming the reason or code first, then what the error said."""
    reason = refusal_reason(error)
    if reason is None and isinstance(error, FetchError):
        reason = error.code
    text = str(error)
    if reason is None or text.startswith(("fetch denied:", f"{reason}:")):
        return f"browser_rt: {text}"
    return f"browser_rt: {reason}: {text}"


def chained(error: BaseException, cause: BaseException) -> BaseException:
    """`error` with `cause` as its `__cause__`, for raising where Python would not chain it."""
    error.__cause__ = cause
    return error

