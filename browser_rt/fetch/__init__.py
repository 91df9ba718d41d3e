"""cx.fetch's machinery: authorization, request limits, the host boundary, errors and the Response type."""

from browser_rt.fetch.client import authorized_fetch
from browser_rt.fetch.errors import (
    BridgeError,
    FetchAborted,
    FetchDenied,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    NetworkError,
    RedirectDenied,
    ResponseTooLarge,
)
from browser_rt.fetch.host import FetchHost, HostRequest
from browser_rt.fetch.limits import RequestLimiter, RequestSlot
from browser_rt.fetch.response import Headers, Response

__all__ = [
    "BridgeError",
    "FetchAborted",
    "FetchDenied",
    "FetchError",
    "FetchHost",
    "FetchTimeout",
    "HTTPStatusError",
    "Headers",
    "HostRequest",
    "NetworkError",
    "RedirectDenied",
    "RequestLimiter",
    "RequestSlot",
    "Response",
    "ResponseTooLarge",
    "authorized_fetch",
]
