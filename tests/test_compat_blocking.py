"""The Atomics.wait road for synchronous HTTP: a fetch driven on the caller's own stack.

The browser half (the page writing into a SharedArrayBuffer, the worker waiting on it) is
tested in real browsers by e2e/http-libraries.spec.js and in Node by tests/js; here is the
Python half: which road is chosen, that an allowed fetch completes without suspending, and
that a wait the bridge cannot answer is refused with the coroutine's cleanup run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator
from typing import Any

import pytest

from browser_rt.compat import SyncWaitUnavailable, sync
from browser_rt.fetch import FetchDenied, HostRequest, RequestLimiter, Response, authorized_fetch
from browser_rt.fetch.host import blocking_fetch
from browser_rt.lab import LabRuntime
from browser_rt.policy import FetchAuthority

API = "https://api.example.com"


class BlockingHost:
    """A host that answers only when asked to block, as the worker's bridge does."""

    can_block = True

    def __init__(self) -> None:
        self.requests: list[HostRequest] = []

    async def fetch(self, request: HostRequest) -> Response:
        assert blocking_fetch.get(), "the host was reached without blocking_fetch set"
        self.requests.append(request)
        return Response.from_parts(status=200, url=request.url, body=b"[1]")


class Pending:
    """An awaitable that waits on something no blocking call can answer."""

    def __await__(self) -> Generator[Any, None, None]:
        yield self

    def __repr__(self) -> str:
        return "<a request slot>"


def within_a_loop[T](call: Callable[[], T]) -> T:
    """Synchronous code as it runs in Pyodide: inside a task of the running loop."""

    async def main() -> T:
        return call()

    return LabRuntime(seed=1).run_until_complete(main())


def test_a_fetch_through_a_blocking_host_completes_without_suspending():
    host = BlockingHost()
    authority = FetchAuthority.from_dict({"origins": [API]})
    response = within_a_loop(
        lambda: sync.run_blocking(authorized_fetch(authority, host, None, f"{API}/items"))
    )
    assert (response.status, host.requests[0].url) == (200, f"{API}/items")
    assert blocking_fetch.get() is False  # reset afterwards


def test_a_denial_raises_before_the_host_is_reached():
    host = BlockingHost()
    authority = FetchAuthority.from_dict({"origins": [API]})
    with pytest.raises(FetchDenied, match="origin_denied"):
        within_a_loop(
            lambda: sync.run_blocking(authorized_fetch(authority, host, None, "https://other.example/x"))
        )
    assert host.requests == []


def test_a_bare_yield_is_resumed_at_once():
    async def yields_then_returns() -> int:
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        return 7

    assert sync.run_blocking(yields_then_returns()) == 7


def test_a_real_wait_is_refused_and_the_coroutines_cleanup_runs():
    cleaned: list[str] = []

    async def waits_for_a_slot() -> None:
        try:
            await Pending()
            raise AssertionError("resumed past a wait nothing could answer")
        finally:
            cleaned.append("released")

    with pytest.raises(SyncWaitUnavailable, match=r"had to wait for <a request slot> first"):
        sync.run_blocking(waits_for_a_slot())
    assert cleaned == ["released"]
    assert blocking_fetch.get() is False


def test_a_queued_slot_is_refused_and_leaves_the_queue():
    """All slots held by other tasks: waiting would deadlock the blocked worker, so it refuses."""
    host = BlockingHost()
    authority = FetchAuthority.from_dict({"origins": [API]})
    limits = RequestLimiter(
        max_concurrent_requests=1, max_queued_requests=4, max_requests_per_minute=600, clock=lambda: 0.0
    )

    async def main() -> tuple[int, int]:
        held = limits.admit(API)  # another task's request, in flight
        with pytest.raises(SyncWaitUnavailable, match="request slot other tasks hold"):
            sync.run_blocking(authorized_fetch(authority, host, None, f"{API}/x", limiter=limits))
        queued_after = limits.waiting
        held.release()
        return queued_after, limits.in_flight

    assert LabRuntime(seed=1).run_until_complete(main()) == (0, 0)
    assert host.requests == []


def fake_support(**support: bool) -> Any:
    full = {"jspi": False, "cross_origin_isolated": False, "blocking_bridge": False, **support}
    return lambda cx=None: full


async def returns_one() -> int:
    return 1


async def never_started() -> None:
    raise AssertionError("a refused wait must not start the coroutine")


def test_without_jspi_a_blocking_bridge_is_the_road(monkeypatch):
    monkeypatch.setattr(
        sync, "sync_wait_support", fake_support(cross_origin_isolated=True, blocking_bridge=True)
    )
    assert sync._run_sync_in_pyodide(returns_one(), None) == 1


def test_the_roads_can_be_narrowed_to_atomics_even_where_jspi_is(monkeypatch):
    monkeypatch.setattr(sync, "sync_wait_support", fake_support(jspi=True, blocking_bridge=True))
    monkeypatch.setattr(sync, "BROWSER_ROADS", ("atomics",))
    assert sync._run_sync_in_pyodide(returns_one(), None) == 1  # run_sync would need Pyodide


def test_with_neither_road_the_error_names_both_and_what_to_use(monkeypatch):
    monkeypatch.setattr(sync, "sync_wait_support", fake_support())
    with pytest.raises(SyncWaitUnavailable) as caught:
        sync._run_sync_in_pyodide(never_started(), None)
    message = str(caught.value)
    assert "JSPI" in message and "is missing" in message
    assert "Atomics.wait" in message and "COOP same-origin and COEP require-corp" in message
    assert "this page is not" in message and "Roads tried: jspi, atomics" in message
    assert "httpx_transport()" in message and "pyfetch" in message


def test_support_without_a_blocking_host_says_so():
    assert sync._host_can_block(None) is False
