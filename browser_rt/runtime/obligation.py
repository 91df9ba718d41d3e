"""Obligations: two-phase effects that a task must either commit or abort before it ends.

An obligation is opened by `cx.obligation(name)`, belongs to the task that opened it, and is
resolved exactly once. One still pending when its task ends is a leak: the region reports it as
an `ObligationLeak` in its `ExceptionGroup` and as an `obligation.leak` event. A committed
obligation stays committed whatever happens to the task afterwards, cancellation included, and
stays listed in `Region.obligations`.
"""

from __future__ import annotations

from types import TracebackType
from typing import Literal

ObligationState = Literal["pending", "committed", "aborted", "leaked"]


class ObligationError(RuntimeError):
    """An obligation was resolved twice, or resolved after it leaked."""


class ObligationLeak(Exception):
    """A task ended with an obligation neither committed nor aborted."""

    def __init__(self, obligation: Obligation) -> None:
        self.obligation = obligation
        super().__init__(
            f"obligation {obligation.name!r} of task {obligation.task!r} in region "
            f"{obligation.region!r} was neither committed nor aborted before the task ended"
        )


class Obligation:
    """A promise to resolve one effect: `commit(value)` makes it final, `abort(reason)` drops it.

    As a context manager it aborts itself when the block raises (cancellation included) while it
    is still pending; a block that ends normally leaves a pending obligation pending, so a missing
    `commit` still shows up as a leak.
    """

    __slots__ = ("_state", "name", "reason", "region", "task", "value")

    def __init__(self, name: str, *, task: str, region: str) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"obligation name: expected a non-empty str, got {name!r}")
        self.name = name
        self.task = task
        self.region = region
        self._state: ObligationState = "pending"
        self.value: object = None
        self.reason: str | None = None

    @property
    def state(self) -> ObligationState:
        """`pending`, `committed`, `aborted`, or `leaked` once its task ended while pending."""
        return self._state

    def commit(self, value: object = None) -> None:
        """Make the effect final; `value` is kept for whoever inspects the region afterwards."""
        self._resolve("committed")
        self.value = value

    def abort(self, reason: str) -> None:
        """Drop the effect; `reason` says why."""
        if not isinstance(reason, str):
            raise TypeError(
                f"obligation {self.name!r}: abort reason must be a str, got {type(reason).__name__}"
            )
        self._resolve("aborted")
        self.reason = reason

    def mark_leaked(self) -> bool:
        """Called when the owning task ends; True if the obligation was still pending."""
        if self._state != "pending":
            return False
        self._state = "leaked"
        return True

    def _resolve(self, state: ObligationState) -> None:
        if self._state != "pending":
            raise ObligationError(
                f"obligation {self.name!r} of task {self.task!r} is already {self._state}; "
                f"it cannot become {state}"
            )
        self._state = state

    def __enter__(self) -> Obligation:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is not None and self._state == "pending":
            self.abort(f"block raised {exc_type.__name__}")

    def __repr__(self) -> str:
        return f"<Obligation {self.name!r} task={self.task!r} {self._state}>"
