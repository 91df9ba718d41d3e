"""requests rides on urllib3's governed connections; this only finishes the error chain.

requests raises `ConnectionError(MaxRetryError(...))` inside an `except` block, so the browser_rt
error that caused it is two links down its `__context__`. The patched `HTTPAdapter.send` makes
it the `__cause__` of the `requests.ConnectionError` itself, so `error.__cause__` is the
`FetchDenied` (or `NoCapabilityError`, `RedirectDenied`, `ResponseTooLarge`) that a caller wants
to look at. Messages are requests' own and already name the reason.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from browser_rt.compat._patch import Patcher
from browser_rt.compat._request import refusal_reason


def browser_rt_cause(error: BaseException) -> BaseException | None:
    """The policy refusal somewhere in `error`'s chain (causes, contexts, MaxRetryError.reason)."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if current is not error and refusal_reason(current) is not None:
            return current
        pending.extend([current.__cause__, current.__context__, getattr(current, "reason", None)])
        pending.extend(arg for arg in current.args if isinstance(arg, BaseException))
    return None


def patch(module: ModuleType, patcher: Patcher) -> None:
    """Wrap `requests.adapters.HTTPAdapter.send` (run when requests is imported)."""
    import requests.adapters
    import requests.exceptions

    adapter = requests.adapters.HTTPAdapter
    original = adapter.send

    def send(self: requests.adapters.HTTPAdapter, request: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return original(self, request, *args, **kwargs)
        except requests.exceptions.ConnectionError as error:
            cause = browser_rt_cause(error)
            if cause is not None and error.__cause__ is None:
                error.__cause__ = cause
            raise

    send.__wrapped__ = original  # type: ignore[attr-defined]
    send.__doc__ = original.__doc__
    del module
    patcher.replace(adapter, "send", send)
