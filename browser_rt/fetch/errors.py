"""What a fetch raises: a denial before anything leaves, or a failure with a stable code."""

from __future__ import annotations

from browser_rt.policy import Decision


class FetchDenied(PermissionError):
    """The authority (or the bridge's re-check) refused the request; nothing was sent."""

    def __init__(self, decision: Decision) -> None:
        reason = "unknown" if decision.reason is None else str(decision.reason)
        super().__init__(f"fetch denied: {reason}" + (f" ({decision.detail})" if decision.detail else ""))
        self.decision = decision

    @property
    def reason(self) -> str:
        return "unknown" if self.decision.reason is None else str(self.decision.reason)


class FetchError(Exception):
    """A request that was allowed but did not produce a response. `code` is stable."""

    code = "network"

    def __init__(self, message: str = "") -> None:
        super().__init__(message or self.code)


class NetworkError(FetchError):
    code = "network"


class FetchTimeout(FetchError):
    code = "timeout"


class FetchAborted(FetchError):
    code = "aborted"


class ResponseTooLarge(FetchError):
    code = "response_too_large"


class RedirectDenied(FetchError):
    code = "redirect_denied"


class BridgeError(FetchError):
    code = "bridge"


FETCH_ERROR_TYPES: dict[str, type[FetchError]] = {
    cls.code: cls
    for cls in (NetworkError, FetchTimeout, FetchAborted, ResponseTooLarge, RedirectDenied, BridgeError)
}


def fetch_error_for(code: str, message: str = "") -> FetchError:
    """Map a bridge error code to its exception; unknown codes become BridgeError."""
    return FETCH_ERROR_TYPES.get(code, BridgeError)(message)


class HTTPStatusError(OSError):
    """Raised by `Response.raise_for_status()` for 4xx and 5xx responses."""

    def __init__(self, status: int, status_text: str, url: str) -> None:
        super().__init__(f"{status} {status_text}".strip())
        self.status = status
        self.status_text = status_text
        self.url = url
