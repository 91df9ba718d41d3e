"""Token buckets that keep a hostile loop from drowning the console, and the drop summary.

Each (type, reason, origin) key has its own bucket, and all keys share a total bucket, so a
loop that varies the origin is still held. Time comes only from the caller's `now`, so under
a virtual clock the same events give the same drops. Dropped events are counted per key and
summarized once a window has passed, or on demand.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Final

from browser_rt.diagnostics.model import DiagnosticsConfigError

RateKey = tuple[str, str | None, str | None]
"""(type, reason, origin) of a redacted record."""

SUMMARY_KEYS: Final = 16
"""A drop summary itemizes at most this many keys; the rest are counted as `other`."""


@dataclass(frozen=True)
class RateLimit:
    """How many events may pass: per key and in total, as a burst plus a steady rate."""

    burst: int = 10
    per_second: float = 1.0
    total_burst: int = 200
    total_per_second: float = 50.0
    window_s: float = 10.0
    """A drop summary is emitted at most this often (and on `Diagnostics.flush()`)."""
    max_keys: int = 256
    """Buckets kept; the least recently used one is forgotten beyond this."""

    def __post_init__(self) -> None:
        for name in ("burst", "total_burst", "max_keys"):
            count = getattr(self, name)
            if not isinstance(count, int) or isinstance(count, bool) or count < 1:
                raise DiagnosticsConfigError(f"RateLimit.{name} must be a positive int, got {count!r}")
        for name in ("per_second", "total_per_second", "window_s"):
            rate = getattr(self, name)
            if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 < rate < math.inf:
                raise DiagnosticsConfigError(
                    f"RateLimit.{name} must be a positive finite number, got {rate!r}"
                )


@dataclass
class _Bucket:
    capacity: float
    per_second: float
    tokens: float
    last: float

    def refill(self, now: float) -> None:
        # Comparisons rather than min/max: this runs for every event, dropped or not.
        if now > self.last:
            tokens = self.tokens + (now - self.last) * self.per_second
            self.tokens = tokens if tokens < self.capacity else self.capacity
            self.last = now


@dataclass
class DropSummary:
    """What a `diagnostics.dropped` record reports: counts, never the dropped records."""

    total: int = 0
    since: float = 0.0
    by_key: dict[RateKey, int] = field(default_factory=dict)
    other: int = 0

    def as_field(self) -> dict[str, object]:
        """The record's `dropped` object: the biggest keys first, ties in key order."""
        ranked = sorted(self.by_key.items(), key=lambda item: (-item[1], _sortable(item[0])))
        listed = ranked[:SUMMARY_KEYS]
        other = self.other + sum(count for _, count in ranked[SUMMARY_KEYS:])
        keys = [{"type": key[0], "reason": key[1], "origin": key[2], "count": count} for key, count in listed]
        return {"total": self.total, "since": self.since, "keys": keys, "other": other}


def _sortable(key: RateKey) -> tuple[str, str, str]:
    return (key[0], key[1] or "", key[2] or "")


class RateLimiter:
    """Admits or drops records by key; not thread-safe (the caller holds a lock)."""

    def __init__(self, limit: RateLimit) -> None:
        self._limit = limit
        self._buckets: OrderedDict[RateKey, _Bucket] = OrderedDict()
        self._total: _Bucket | None = None
        self._pending: DropSummary | None = None

    def admit(self, key: RateKey, now: float) -> bool:
        """Take a token for `key` (and one from the total) or count a drop."""
        bucket = self._buckets.get(key)
        if bucket is not None:
            # The common case in a flood: the key's bucket is short of a token. A drop takes
            # nothing, and a refill is linear up to its cap, so it can wait for the next admit.
            self._buckets.move_to_end(key)
            last = bucket.last
            if bucket.tokens + (now - last if now > last else 0.0) * bucket.per_second < 1.0:
                self._count_drop(key, now)
                return False
        bucket = self._bucket(key, now)
        total = self._total_bucket(now)
        if bucket.tokens >= 1.0 and total.tokens >= 1.0:
            bucket.tokens -= 1.0
            total.tokens -= 1.0
            return True
        self._count_drop(key, now)
        return False

    def due(self, now: float) -> DropSummary | None:
        """The pending summary once its window has passed, else None."""
        if self._pending is None or now - self._pending.since < self._limit.window_s:
            return None
        return self.take()

    def admit_unless_due(self, key: RateKey, now: float) -> bool | None:
        """`admit(key, now)`, unless a drop summary is due: then None, and nothing is taken, so
        that the caller can deliver the summary first."""
        pending = self._pending
        if pending is not None and now - pending.since >= self._limit.window_s:
            return None
        return self.admit(key, now)

    def take(self) -> DropSummary | None:
        """The pending summary, now; the next drop starts a new window."""
        summary, self._pending = self._pending, None
        return summary

    def _bucket(self, key: RateKey, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            limit = self._limit
            bucket = _Bucket(limit.burst, limit.per_second, float(limit.burst), now)
            self._buckets[key] = bucket
            if len(self._buckets) > limit.max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            bucket.refill(now)
        return bucket

    def _total_bucket(self, now: float) -> _Bucket:
        if self._total is None:
            limit = self._limit
            self._total = _Bucket(limit.total_burst, limit.total_per_second, float(limit.total_burst), now)
        else:
            self._total.refill(now)
        return self._total

    def _count_drop(self, key: RateKey, now: float) -> None:
        if self._pending is None:
            self._pending = DropSummary(since=now)
        pending = self._pending
        pending.total += 1
        by_key = pending.by_key
        count = by_key.get(key)
        if count is not None:
            by_key[key] = count + 1
        elif len(by_key) < self._limit.max_keys:
            by_key[key] = 1
        else:
            pending.other += 1
