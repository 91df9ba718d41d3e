"""RequestLimiter: Python's mirror of the bridge's limits on request rate and concurrency.

The JS bridge enforces `max_concurrent_requests`, `max_queued_requests` and
`max_requests_per_minute` on everything the worker posts, hostile code included; that is the
limit that holds. This mirror applies the same three limits before anything is posted, so
polite code that fans out is refused with `FetchDenied` (reason `rate_limited`) in Python, where
it can handle it, instead of flooding the bridge and learning about the limit from there.

A request arrives through `admit`, which decides at once and never blocks:

1. the token bucket (capacity `max_requests_per_minute`, refilled continuously at that many
   per 60 s) must hold a token, else `rate_limited` naming `max_requests_per_minute`;
2. a free slot (fewer than `max_concurrent_requests` in flight) is taken at once;
3. else a place in the queue (fewer than `max_queued_requests` waiting), else `rate_limited`
   naming `max_queued_requests`.

A denial is immediate: nothing waits without bound. A token is spent only by a request that got
a slot or a place in the queue. Queued requests get slots in arrival order (a freed slot is
handed to the oldest waiter, so a newcomer cannot overtake it); cancelling a waiter removes it,
and a slot handed to a waiter that is cancelled before it resumes passes on to the next.

Time comes only from the `clock` callable (the running loop's `loop.time()` in the runtime),
so under the lab's virtual time the same program is limited the same way on every run.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable
from types import TracebackType

from browser_rt.fetch.errors import FetchDenied
from browser_rt.policy import Decision, DenyReason, FetchAuthority
from browser_rt.policy.authority import LIMITS

Clock = Callable[[], float]
"""Seconds from a monotonic clock; only differences are used."""

_SECONDS_PER_MINUTE = 60.0
_TOKEN_SLACK = 1e-9
"""Refills are floating point: a bucket this close to one token counts as holding it."""


class RequestLimiter:
    """One runtime's request limits: a token bucket, a number of slots and a bounded queue.

    In the runtime there is one limiter per `Runtime`, shared by every task of it and built
    from the root authority's limits. A task's narrowed authority (`cx.narrow`) may carry lower
    limits; they are not applied per task. The limits bound what one runtime sends into one
    browser (whose connections every task shares), so the runtime's grant is the one that
    counts, and the bridge, which sees only the runtime, enforces exactly that.
    """

    __slots__ = (
        "_clock",
        "_in_flight",
        "_last_refill",
        "_tokens",
        "_waiters",
        "max_concurrent_requests",
        "max_queued_requests",
        "max_requests_per_minute",
    )

    def __init__(
        self,
        *,
        max_concurrent_requests: int,
        max_queued_requests: int,
        max_requests_per_minute: int,
        clock: Clock,
    ) -> None:
        """Limits out of the policy's range are a ValueError naming the setting."""
        for name, value in (
            ("max_concurrent_requests", max_concurrent_requests),
            ("max_queued_requests", max_queued_requests),
            ("max_requests_per_minute", max_requests_per_minute),
        ):
            limit = LIMITS[name]
            if isinstance(value, bool) or not isinstance(value, int) or not limit.low <= value <= limit.high:
                raise ValueError(f"{name}: expected an int from {limit.low} to {limit.high}, got {value!r}")
        if not callable(clock):
            raise TypeError(f"clock: expected a callable returning seconds, got {type(clock).__name__}")
        self.max_concurrent_requests = max_concurrent_requests
        self.max_queued_requests = max_queued_requests
        self.max_requests_per_minute = max_requests_per_minute
        self._clock = clock
        self._in_flight = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._tokens = float(max_requests_per_minute)
        self._last_refill: float | None = None

    @classmethod
    def for_authority(cls, authority: FetchAuthority, clock: Clock) -> RequestLimiter:
        """The limiter for `authority`'s three limits (the runtime passes its root authority)."""
        return cls(
            max_concurrent_requests=authority.max_concurrent_requests,
            max_queued_requests=authority.max_queued_requests,
            max_requests_per_minute=authority.max_requests_per_minute,
            clock=clock,
        )

    @property
    def in_flight(self) -> int:
        """Slots taken: requests admitted and not yet released, waiters excluded."""
        return self._in_flight

    @property
    def waiting(self) -> int:
        """Requests in the queue for a slot."""
        return len(self._waiters)

    @property
    def tokens(self) -> float:
        """What is left in the token bucket now (refilled up to the clock's present)."""
        self._refill(self._clock())
        return self._tokens

    # -- admission -------------------------------------------------------------------------

    def admit(self, origin: str | None = None) -> RequestSlot:
        """Decide at once: a slot, a place in the queue, or `FetchDenied` (`rate_limited`).

        `origin` only goes into the denial's Decision, as every denial names its origin. Call
        it from a task on the running loop (a queued request waits on a future of that loop).
        The returned RequestSlot must be released: `async with limiter.admit(origin):`.
        """
        self._refill(self._clock())
        if self._tokens + _TOKEN_SLACK < 1.0:
            per_minute = self.max_requests_per_minute
            raise _denied(origin, f"max_requests_per_minute: more than {_requests(per_minute)} a minute")
        if self._in_flight < self.max_concurrent_requests and not self._waiters:
            self._tokens -= 1.0
            self._in_flight += 1
            return RequestSlot(self, None)
        waiting = len(self._waiters)
        if waiting >= self.max_queued_requests:
            raise _denied(origin, f"max_queued_requests: {_requests(waiting)} already waiting")
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._tokens -= 1.0
        self._waiters.append(waiter)
        return RequestSlot(self, waiter)

    def _refill(self, now: float) -> None:
        last = self._last_refill
        self._last_refill = now
        if last is None or now <= last:
            return
        refill = (now - last) * self.max_requests_per_minute / _SECONDS_PER_MINUTE
        self._tokens = min(float(self.max_requests_per_minute), self._tokens + refill)

    def _release(self) -> None:
        """A slot is free: hand it to the oldest waiter still waiting, or give it back."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._in_flight -= 1

    def _forget(self, waiter: asyncio.Future[None]) -> None:
        with contextlib.suppress(ValueError):  # already handed a slot, or never queued
            self._waiters.remove(waiter)

    def __repr__(self) -> str:
        return (
            f"<RequestLimiter in_flight={self._in_flight}/{self.max_concurrent_requests} "
            f"waiting={len(self._waiters)}/{self.max_queued_requests} "
            f"per_minute={self.max_requests_per_minute}>"
        )


class RequestSlot:
    """One admitted request: a slot already, or a place in the queue until `acquire`.

    Use it as `async with` (acquire on entry, release on exit), or call `await acquire()` and
    then `release()` in a `finally`. `release` is idempotent and also gives up a place in the
    queue that was never acquired; a cancelled `acquire` releases by itself. Admit in the task
    that uses the slot (`async with limiter.admit(origin):`): a slot handed to another task
    that is cancelled before it reaches `acquire` is only freed by a `release` of its own.
    """

    __slots__ = ("_limiter", "_state", "_waiter")

    def __init__(self, limiter: RequestLimiter, waiter: asyncio.Future[None] | None) -> None:
        self._limiter = limiter
        self._waiter = waiter
        self._state = "queued" if waiter is not None else "held"

    @property
    def state(self) -> str:
        """`queued`, `held` (a slot is this request's) or `released`."""
        return self._state

    async def acquire(self) -> None:
        """Wait for the slot (at once if one was free at admission)."""
        if self._state == "held":
            return
        if self._state == "released" or self._waiter is None:
            raise RuntimeError("RequestSlot: already released")
        try:
            await self._waiter
        except asyncio.CancelledError:
            self.release()
            raise
        self._state = "held"

    def release(self) -> None:
        """Free the slot, or leave the queue; a second call does nothing."""
        state, self._state = self._state, "released"
        if state == "held":
            self._limiter._release()
        elif state == "queued":
            waiter = self._waiter
            assert waiter is not None
            if waiter.done() and not waiter.cancelled():
                self._limiter._release()  # a slot was handed over before this task resumed
            else:
                waiter.cancel()
                self._limiter._forget(waiter)

    async def __aenter__(self) -> RequestSlot:
        await self.acquire()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"<RequestSlot {self._state}>"


def _denied(origin: str | None, detail: str) -> FetchDenied:
    """The detail names the limit and counts, never the request: no URL text reaches it."""
    return FetchDenied(Decision(False, DenyReason.RATE_LIMITED, origin, detail))


def _requests(count: int) -> str:
    return f"{count} request" if count == 1 else f"{count} requests"
