"""The boundary between an authorized request and whatever performs it (JS bridge, lab script)."""

from __future__ import annotations

import itertools
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Protocol

from browser_rt.fetch.response import Response

_request_ids = itertools.count(1)

blocking_fetch: ContextVar[bool] = ContextVar("browser_rt_blocking_fetch", default=False)
"""Set while synchronous code drives a fetch on its own stack (`browser_rt.compat.sync`): a host
that can block (`can_block`) must then answer without suspending."""


def next_request_id() -> int:
    return next(_request_ids)


@dataclass(frozen=True, slots=True)
class HostRequest:
    """An allowed request, with every option fixed by the policy rather than by the caller."""

    request_id: int
    method: str
    url: str
    origin: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    credentials: str
    redirect: str
    timeout_ms: int
    max_response_bytes: int


class FetchHost(Protocol):
    """Performs allowed requests. Cancelling the awaiting task must abort the request."""

    async def fetch(self, request: HostRequest) -> Response: ...
