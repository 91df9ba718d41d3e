"""ScriptedFetchHost: the lab's stand-in for the JS fetch bridge, driven by a script.

It sits behind the real `FetchAuthority` (requests reach it only through `authorized_fetch`)
and behaves like the bridge where it matters to a program: responses take virtual time, the
policy's `timeout_ms` and `max_response_bytes` apply, and cancelling the awaiting task aborts
the request, which is recorded in `aborted`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from browser_rt.fetch import HostRequest, NetworkError, Response
from browser_rt.fetch.errors import FETCH_ERROR_TYPES, FetchTimeout, ResponseTooLarge, fetch_error_for
from browser_rt.lab.script_rules import scripted_delay, scripted_times
from browser_rt.lab.trace import Trace


@dataclass
class _Rule:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    delay: float
    error: str | None
    remaining: int | None

    def take(self) -> bool:
        if self.remaining is None:
            return True
        if self.remaining == 0:
            return False
        self.remaining -= 1
        return True


class ScriptedFetchHost:
    """Maps (method, url) to scripted outcomes, used in the order they were added.

    `respond` and `fail` add an outcome; `times=n` makes it apply to the next n matching requests
    only, after which the next outcome for that request takes over. A request with no outcome
    left fails with `NetworkError`. `delay=math.inf` never answers: the request times out after
    the policy's `timeout_ms`, unless cancelled first.
    """

    def __init__(self, trace: Trace, clock: Callable[[], float]) -> None:
        self._trace = trace
        self._clock = clock
        self._rules: dict[tuple[str, str], list[_Rule]] = {}
        self.requests: list[HostRequest] = []
        """Every request that reached the host (so every one the authority allowed)."""
        self.aborted: list[HostRequest] = []
        """Requests whose awaiting task was cancelled before they finished."""

    def respond(
        self,
        url: str,
        *,
        method: str = "GET",
        status: int = 200,
        body: bytes | str = b"",
        headers: Iterable[tuple[str, str]] = (),
        delay: float = 0.0,
        times: int | None = None,
    ) -> None:
        """Answer `method url` with this response after `delay` virtual seconds."""
        if isinstance(status, bool) or not isinstance(status, int) or not 200 <= status <= 599:
            raise ValueError(f"respond({url!r}): status must be an int from 200 to 599, got {status!r}")
        if isinstance(body, str):
            body = body.encode("utf-8")
        if not isinstance(body, bytes):
            raise TypeError(f"respond({url!r}): body must be bytes or str, got {type(body).__name__}")
        pairs = tuple((str(name), str(value)) for name, value in headers)
        label = f"scripted {url!r}"
        self._add(
            url,
            method,
            _Rule(status, pairs, body, scripted_delay(label, delay), None, scripted_times(label, times)),
        )

    def fail(
        self,
        url: str,
        *,
        method: str = "GET",
        code: str = "network",
        delay: float = 0.0,
        times: int | None = None,
    ) -> None:
        """Fail `method url` with the `FetchError` of `code` after `delay` virtual seconds."""
        if code not in FETCH_ERROR_TYPES:
            raise ValueError(f"fail({url!r}): code must be one of {sorted(FETCH_ERROR_TYPES)}, got {code!r}")
        label = f"scripted {url!r}"
        self._add(
            url, method, _Rule(0, (), b"", scripted_delay(label, delay), code, scripted_times(label, times))
        )

    def _add(self, url: str, method: str, rule: _Rule) -> None:
        if not isinstance(url, str) or not url:
            raise ValueError(f"scripted url must be a non-empty str, got {url!r}")
        if not isinstance(method, str) or not method:
            raise ValueError(f"scripted method must be a non-empty str, got {method!r}")
        self._rules.setdefault((method.upper(), url), []).append(rule)

    def _next_rule(self, request: HostRequest) -> _Rule | None:
        for rule in self._rules.get((request.method.upper(), request.url), ()):
            if rule.take():
                return rule
        return None

    async def fetch(self, request: HostRequest) -> Response:
        self.requests.append(request)
        self._note("fetch.request", f"{request.method} {request.url}")
        rule = self._next_rule(request)
        if rule is None:
            self._note("fetch.failed", f"network {request.url} (unscripted)")
            raise NetworkError(f"lab: no scripted outcome left for {request.method} {request.url}")
        timeout = request.timeout_ms / 1000.0
        try:
            await asyncio.sleep(min(rule.delay, timeout))
        except asyncio.CancelledError:
            self.aborted.append(request)
            self._note("fetch.aborted", request.url)
            raise
        if rule.delay > timeout:
            self._note("fetch.failed", f"timeout {request.url}")
            raise FetchTimeout(f"no response within {request.timeout_ms} ms")
        if rule.error is not None:
            self._note("fetch.failed", f"{rule.error} {request.url}")
            raise fetch_error_for(rule.error, f"lab: scripted {rule.error}")
        if len(rule.body) > request.max_response_bytes:
            self._note("fetch.failed", f"response_too_large {request.url}")
            raise ResponseTooLarge(f"response body over {request.max_response_bytes} bytes")
        self._note("fetch.response", f"{rule.status} {request.url} {len(rule.body)}B")
        return Response.from_parts(status=rule.status, url=request.url, headers=rule.headers, body=rule.body)

    def _note(self, kind: str, detail: str) -> None:
        self._trace.effect(self._clock(), kind, detail)
