"""authorized_fetch and Response: denial before the host, options fixed by policy, events, errors."""

from __future__ import annotations

import asyncio

import pytest

from browser_rt.diagnostics import Diagnostics, MemorySink
from browser_rt.fetch import (
    BridgeError,
    FetchAborted,
    FetchDenied,
    FetchError,
    FetchTimeout,
    Headers,
    HostRequest,
    HTTPStatusError,
    NetworkError,
    RedirectDenied,
    RequestLimiter,
    Response,
    ResponseTooLarge,
    authorized_fetch,
)
from browser_rt.fetch.errors import fetch_error_for
from browser_rt.lab import LabRuntime
from browser_rt.policy import FetchAuthority

API = "https://api.example.com"
AUTHORITY = FetchAuthority.from_dict(
    {
        "origins": [API],
        "methods": ["GET", "POST"],
        "credentials": "same-origin",
        "timeout_ms": 5000,
        "max_response_body_bytes": 100,
        "redirect": "follow",
    }
)


class RecordingHost:
    """A host that records what it was asked and answers from a script."""

    def __init__(self, outcome: object = None, delay: float = 0.0) -> None:
        self.requests: list[HostRequest] = []
        self.outcome = outcome
        self.delay = delay

    async def fetch(self, request: HostRequest) -> Response:
        self.requests.append(request)
        if self.delay:
            await asyncio.sleep(self.delay)
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return Response.from_parts(status=200, url=request.url, headers=[("X-A", "1")], body=b'{"ok": true}')


def drive(coro):
    """Run a coroutine on the deterministic lab loop (works inside Pyodide too)."""
    return LabRuntime(seed=1).run_until_complete(coro)


def test_denied_requests_never_reach_the_host() -> None:
    host = RecordingHost()
    with pytest.raises(FetchDenied) as caught:
        drive(authorized_fetch(AUTHORITY, host, None, "https://evil.test/"))
    assert isinstance(caught.value, PermissionError)
    assert caught.value.reason == "origin_denied"
    assert caught.value.decision.origin == "https://evil.test"
    assert host.requests == []


def test_allowed_request_gets_its_options_from_the_policy() -> None:
    host = RecordingHost()
    response = drive(
        authorized_fetch(
            AUTHORITY,
            host,
            None,
            f"{API}/v1",
            method="post",
            headers={"Content-Type": "text/plain"},
            body="héllo",
            credentials="same-origin",
            timeout=1.5,
        )
    )
    (request,) = host.requests
    assert (request.method, request.origin, request.credentials) == ("POST", API, "same-origin")
    assert request.headers == (("Content-Type", "text/plain"),)
    assert request.body == "héllo".encode()
    assert (request.redirect, request.timeout_ms, request.max_response_bytes) == ("follow", 1500, 100)
    assert response.ok and response.headers["x-a"] == "1"


def test_timeout_can_only_shorten_the_policy() -> None:
    host = RecordingHost()
    drive(authorized_fetch(AUTHORITY, host, None, API, timeout=600))
    assert host.requests[0].timeout_ms == 5000
    for bad in (0, -1, float("nan"), float("inf"), "5", True):
        with pytest.raises(ValueError, match="timeout: must be a positive number of seconds"):
            drive(authorized_fetch(AUTHORITY, host, None, API, timeout=bad))  # type: ignore[arg-type]


def test_header_lists_keep_duplicates_and_odd_shapes_are_denied() -> None:
    host = RecordingHost()
    drive(authorized_fetch(AUTHORITY, host, None, API, headers=[["x-a", "1"], ("x-a", "2")]))
    assert host.requests[0].headers == (("x-a", "1"), ("x-a", "2"))
    with pytest.raises(FetchDenied) as caught:
        drive(authorized_fetch(AUTHORITY, host, None, API, headers="x-a: 1"))  # type: ignore[arg-type]
    assert caught.value.reason == "invalid_request"


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (NetworkError(), "network"),
        (FetchTimeout(), "timeout"),
        (FetchAborted(), "aborted"),
        (ResponseTooLarge(), "response_too_large"),
        (RedirectDenied(), "redirect_denied"),
        (BridgeError(), "bridge"),
    ],
)
def test_host_failures_keep_their_stable_code_and_are_reported(error: FetchError, code: str) -> None:
    sink = MemorySink()
    with pytest.raises(FetchError) as caught:
        drive(authorized_fetch(AUTHORITY, RecordingHost(error), Diagnostics(sinks=[sink]), f"{API}/x"))
    assert caught.value.code == code
    assert [e["type"] for e in sink.events] == ["fetch.decision", "fetch.error"]
    assert sink.events[1]["code"] == code


def test_error_codes_map_back_to_their_types() -> None:
    assert type(fetch_error_for("timeout")) is FetchTimeout
    assert type(fetch_error_for("response_too_large")) is ResponseTooLarge
    assert type(fetch_error_for("something else")) is BridgeError


def test_events_carry_metadata_and_no_secrets() -> None:
    sink = MemorySink()
    secret = "CANARY-5f1d2c9a8b7e"
    drive(
        authorized_fetch(
            AUTHORITY,
            RecordingHost(),
            Diagnostics(sinks=[sink]),
            f"{API}/v1?token={secret}",
            method="POST",
            headers=[("Authorization", f"Bearer {secret}")],
            body=secret,
            context={"region": "main", "task": "main"},
        )
    )
    decision, complete = sink.events
    assert (decision["type"], decision["decision"], decision["origin"], decision["method"]) == (
        "fetch.decision",
        "allow",
        API,
        "POST",
    )
    assert decision["header_count"] == 1
    assert (complete["type"], complete["status"], complete["response_bytes"]) == ("fetch.complete", 200, 12)
    assert secret not in repr(sink.events)


def test_a_rate_limited_request_is_denied_like_any_other_and_never_reaches_the_host() -> None:
    sink = MemorySink()
    host = RecordingHost()
    secret = "CANARY-77e0c1d2"
    limiter = RequestLimiter(
        max_concurrent_requests=1, max_queued_requests=0, max_requests_per_minute=1, clock=lambda: 0.0
    )
    diagnostics = Diagnostics(sinks=[sink])
    drive(authorized_fetch(AUTHORITY, host, diagnostics, f"{API}/a", limiter=limiter))
    with pytest.raises(FetchDenied) as caught:
        drive(
            authorized_fetch(
                AUTHORITY,
                host,
                diagnostics,
                f"{API}/b?token={secret}",
                headers={"Authorization": secret},
                context={"region": "main", "task": "main"},
                limiter=limiter,
            )
        )
    assert isinstance(caught.value, PermissionError)
    assert caught.value.reason == "rate_limited"
    assert caught.value.decision.origin == API
    assert [r.url for r in host.requests] == [f"{API}/a"]
    denied = sink.events[-1]
    assert (denied["type"], denied["decision"], denied["reason"], denied["origin"]) == (
        "fetch.decision",
        "deny",
        "rate_limited",
        API,
    )
    assert denied["detail"] == "max_requests_per_minute: more than 1 request a minute"
    assert (denied["severity"], denied["header_count"], denied["region"]) == ("warn", 1, "main")
    assert [e["type"] for e in sink.events] == ["fetch.decision", "fetch.complete", "fetch.decision"]
    assert secret not in repr(sink.events) and secret not in str(caught.value)
    # A policy denial is decided first, and is not counted against the limiter.
    with pytest.raises(FetchDenied) as off_origin:
        drive(authorized_fetch(AUTHORITY, host, diagnostics, "https://evil.test/", limiter=limiter))
    assert off_origin.value.reason == "origin_denied"


def test_cancelling_the_task_propagates_and_is_reported() -> None:
    sink = MemorySink()
    host = RecordingHost(delay=10)

    async def main() -> str:
        task = asyncio.ensure_future(authorized_fetch(AUTHORITY, host, Diagnostics(sinks=[sink]), API))
        await asyncio.sleep(1)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            return "cancelled"
        return "finished"

    assert drive(main()) == "cancelled"
    assert sink.events[-1]["type"] == "fetch.error"
    assert sink.events[-1]["code"] == "aborted"


def test_response_readers_and_status() -> None:
    response = Response.from_parts(
        status=404,
        status_text="Not Found",
        url=f"{API}/x",
        headers=[("A", "1"), ("a", "2")],
        body=b'{"x": 1}',
    )
    assert drive(response.json()) == {"x": 1}
    assert drive(response.text()) == '{"x": 1}'
    assert drive(response.bytes()) == b'{"x": 1}'
    assert drive(response.text()) == '{"x": 1}'  # readable more than once
    assert not response.ok and response.body_size == 8
    assert response.headers["A"] == "1, 2" and list(response.headers) == ["A"]
    with pytest.raises(HTTPStatusError, match="404 Not Found"):
        response.raise_for_status()
    Response.from_parts(status=204, url=API).raise_for_status()


def test_headers_are_case_insensitive_and_read_only() -> None:
    headers = Headers([("Content-Type", "text/plain")])
    assert headers["content-type"] == "text/plain" and "CONTENT-TYPE" in headers and 1 not in headers
    with pytest.raises(TypeError):
        headers["x"] = "y"  # type: ignore[index]
    with pytest.raises(KeyError):
        headers["missing"]
