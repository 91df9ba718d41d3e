"""Budgets: how long a region may run, how many fetches it may make and how many bytes it may read.

A `Budget` is what a caller asks for; a `BudgetMeter` is the running account of one region that
was given a budget. Meters form a chain from the innermost budgeted region outwards, and every
fetch is charged to every meter in the chain, so a child can never spend more than its parent has.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from browser_rt.runtime.services import check_seconds

BudgetKind = Literal["deadline", "max_fetches", "max_bytes"]


@dataclass(frozen=True)
class Budget:
    """Limits for a region and everything inside it; `None` means "no limit of this kind".

    `deadline` is in seconds, counted from the moment the region opens (loop time). `max_fetches`
    counts calls to `cx.fetch` (allowed or denied), `max_bytes` the response body bytes read.
    """

    deadline: float | None = None
    max_fetches: int | None = None
    max_bytes: int | None = None

    def __post_init__(self) -> None:
        if self.deadline is not None:
            check_seconds("Budget.deadline", self.deadline)
        for name in ("max_fetches", "max_bytes"):
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"Budget.{name}: expected an int, got {type(value).__name__}")
            if value < 0:
                raise ValueError(f"Budget.{name}: expected >= 0, got {value}")


class BudgetExceeded(Exception):
    """A region's budget ran out. `kind` names the limit, `region` the region that set it."""

    def __init__(self, kind: BudgetKind, *, region: str, limit: float, used: float) -> None:
        self.kind: BudgetKind = kind
        self.region = region
        self.limit = limit
        self.used = used
        super().__init__(_describe(kind, region, limit, used))


def _describe(kind: BudgetKind, region: str, limit: float, used: float) -> str:
    if kind == "deadline":
        return f"budget deadline={limit:g}s of region {region!r} ran out"
    if kind == "max_fetches":
        return f"budget max_fetches={limit:g} of region {region!r} ran out: fetch {used:g} refused"
    return f"budget max_bytes={limit:g} of region {region!r} ran out: {used:g} bytes read"


class BudgetMeter:
    """The running account of one budgeted region, linked to the meter of the region around it."""

    __slots__ = (
        "deadline_at",
        "deadline_region",
        "deadline_seconds",
        "fetches",
        "max_bytes",
        "max_fetches",
        "parent",
        "read_bytes",
        "region",
    )

    def __init__(self, budget: Budget, *, region: str, now: float, parent: BudgetMeter | None) -> None:
        self.region = region
        self.parent = parent
        self.max_fetches = budget.max_fetches
        self.max_bytes = budget.max_bytes
        self.fetches = 0
        self.read_bytes = 0
        own_deadline = None if budget.deadline is None else now + budget.deadline
        inherited = parent.deadline_at if parent is not None else None
        if own_deadline is not None and (inherited is None or own_deadline < inherited):
            self.deadline_at: float | None = own_deadline
            self.deadline_region = region
            self.deadline_seconds: float = float(budget.deadline or 0.0)
        elif parent is not None:
            self.deadline_at = inherited
            self.deadline_region = parent.deadline_region
            self.deadline_seconds = parent.deadline_seconds
        else:
            self.deadline_at = None
            self.deadline_region = region
            self.deadline_seconds = 0.0

    def effective(self, now: float) -> Budget:
        """What is left for new work here: the tightest limit of this meter and its ancestors."""
        deadline = None if self.deadline_at is None else max(0.0, self.deadline_at - now)
        fetches: int | None = None
        read: int | None = None
        meter: BudgetMeter | None = self
        while meter is not None:
            if meter.max_fetches is not None:
                left = max(0, meter.max_fetches - meter.fetches)
                fetches = left if fetches is None else min(fetches, left)
            if meter.max_bytes is not None:
                left = max(0, meter.max_bytes - meter.read_bytes)
                read = left if read is None else min(read, left)
            meter = meter.parent
        return Budget(deadline=deadline, max_fetches=fetches, max_bytes=read)

    def deadline_error(self, now: float) -> BudgetExceeded:
        """The error for the tightest deadline in the chain, which the caller found passed."""
        return BudgetExceeded(
            "deadline",
            region=self.deadline_region,
            limit=self.deadline_seconds,
            used=self.deadline_seconds + max(0.0, now - (self.deadline_at or now)),
        )

    def reserve_fetch(self) -> None:
        """Count one fetch against every meter in the chain, or raise without counting any."""
        meter: BudgetMeter | None = self
        while meter is not None:
            if meter.max_fetches is not None and meter.fetches >= meter.max_fetches:
                raise BudgetExceeded(
                    "max_fetches", region=meter.region, limit=meter.max_fetches, used=meter.fetches + 1
                )
            if meter.max_bytes is not None and meter.read_bytes > meter.max_bytes:
                raise BudgetExceeded(
                    "max_bytes", region=meter.region, limit=meter.max_bytes, used=meter.read_bytes
                )
            meter = meter.parent
        meter = self
        while meter is not None:
            meter.fetches += 1
            meter = meter.parent

    def charge_bytes(self, count: int) -> None:
        """Add a response's body size to every meter; raise for the innermost one now over."""
        exceeded: BudgetMeter | None = None
        meter: BudgetMeter | None = self
        while meter is not None:
            meter.read_bytes += count
            if exceeded is None and meter.max_bytes is not None and meter.read_bytes > meter.max_bytes:
                exceeded = meter
            meter = meter.parent
        if exceeded is not None and exceeded.max_bytes is not None:
            raise BudgetExceeded(
                "max_bytes", region=exceeded.region, limit=exceeded.max_bytes, used=exceeded.read_bytes
            )
