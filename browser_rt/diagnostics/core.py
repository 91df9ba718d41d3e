"""`Diagnostics`: the one door through which security events leave the runtime.

Every event is redacted before any sink sees it, rate-limited per (type, reason, origin), given
a sequence number and a timestamp from the clock (virtual time in the lab), and handed to each
sink. `emit` never raises: bad fields are marked in the record, sink and clock failures are
counted and reported, and an event raised from inside a sink is queued, not recursed into.
"""

from __future__ import annotations

import copy
import math
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

from browser_rt.diagnostics.model import DEFAULT_MODE, SCHEMA_ID, DiagnosticsConfigError, Mode
from browser_rt.diagnostics.modes import UNREDACTED_WARNING, check_unredacted_allowed, parse_mode
from browser_rt.diagnostics.ratelimit import DropSummary, RateKey, RateLimit, RateLimiter
from browser_rt.diagnostics.redactor import rate_key, redact
from browser_rt.diagnostics.sinks import Record, Sink

MAX_QUEUED: Final = 256
"""Events emitted from inside sinks wait here; beyond this they are counted as internal errors."""

SINK_FAILED: Final = "diagnostics.sink_failed"

MAX_PREPARED: Final = 64
"""Prepared events a `Diagnostics` remembers; past this, `prepare` makes a new one each time."""


@dataclass(frozen=True)
class DiagnosticsStats:
    """Counters a host can show next to the records."""

    delivered: int
    """Records handed to the sinks (each has a `seq`)."""
    rate_limited: int
    """Events dropped by the rate limiter (summarized in `diagnostics.dropped` records)."""
    sink_failures: tuple[int, ...]
    """Exceptions raised by each sink, in `sinks` order."""
    internal_errors: int
    """Clock failures, queue overflows and unexpected errors inside diagnostics itself."""


@dataclass(slots=True)
class _Pending:
    event_type: object
    severity: object
    fields: Mapping[str, object]
    internal: bool
    skip_sink: int | None = None
    admitted: bool = False
    """The rate limiter admitted it already (`_Shared.offer`)."""


_FLUSH: Final = object()


@dataclass
class _Shared:
    """State a `Diagnostics` shares with every child made by `bind`."""

    mode: Mode
    sinks: tuple[Sink, ...]
    clock: Callable[[], float]
    limiter: RateLimiter
    lock: threading.RLock = field(default_factory=threading.RLock)
    queue: deque[_Pending | object] = field(default_factory=deque)
    delivering: bool = False
    seq: int = 0
    last_ts: float = 0.0
    rate_limited: int = 0
    internal_errors: int = 0
    sink_failures: list[int] = field(default_factory=list)

    def submit(self, item: _Pending | object) -> None:
        """Queue an event (or a flush) and, unless already delivering, drain the queue."""
        with self.lock:
            queue = self.queue
            if len(queue) >= MAX_QUEUED:
                self.internal_errors += 1
                return
            if self.delivering:
                queue.append(item)
                return
            # Not delivering means the queue is empty: this item goes first, without queueing.
            self.delivering = True
            try:
                self._process(item)
                while queue:
                    self._process(queue.popleft())
            finally:
                self.delivering = False

    def offer(
        self,
        key: RateKey,
        event_type: str,
        severity: str,
        fields: dict[str, object],
        context: Mapping[str, object],
    ) -> bool:
        """Submit an event whose rate key the caller knows; False if the limiter dropped it.

        A drop is decided and counted here, before the event's fields are merged with its
        `context`. An event that arrives while others are being delivered, or when a drop
        summary is due, takes the ordinary road, so that records keep their order.
        """
        lock = self.lock
        # acquire/release rather than `with`, which costs about twice as much: this runs for
        # every event of a flood.
        lock.acquire()
        try:
            admitted = False
            if not self.delivering and not self.queue:
                verdict = self.limiter.admit_unless_due(key, self._now())
                if verdict is False:
                    self.rate_limited += 1
                    return False
                admitted = verdict is True
            merged = {**context, **fields} if context else fields
            self.submit(_Pending(event_type, severity, merged, internal=False, admitted=admitted))
            return True
        finally:
            lock.release()

    def _process(self, item: _Pending | object) -> None:
        try:
            now = self._now()
            if item is _FLUSH:
                self._deliver_summary(self.limiter.take(), now)
                return
            assert isinstance(item, _Pending)
            summary = self.limiter.due(now)
            if summary is not None:
                self._deliver_summary(summary, now)
            if not item.internal:
                # The limiter only reads (type, reason, origin): decide before redacting the rest.
                if not item.admitted and not self.limiter.admit(
                    rate_key(item.event_type, item.fields, self.mode), now
                ):
                    self.rate_limited += 1
                    return
                body = redact(item.event_type, item.severity, item.fields, self.mode)
            else:
                body = redact(item.event_type, item.severity, item.fields, self.mode, internal=True)
                if body["type"] == SINK_FAILED and not self.limiter.admit(_rate_key(body), now):
                    self.rate_limited += 1
                    return
            self._deliver(body, now, item.skip_sink)
        except Exception:
            self.internal_errors += 1

    def _now(self) -> float:
        try:
            now = self.clock()
            if type(now) is float and -math.inf < now < math.inf:
                self.last_ts = now
                return now
            if isinstance(now, (int, float)) and not isinstance(now, bool) and math.isfinite(now):
                self.last_ts = float(now)
                return self.last_ts
        except Exception:
            pass
        self.internal_errors += 1
        return self.last_ts

    def _deliver_summary(self, summary: DropSummary | None, now: float) -> None:
        if summary is not None:
            fields = {"dropped": summary.as_field()}
            self._deliver(redact("diagnostics.dropped", "warn", fields, self.mode, internal=True), now)

    def _deliver(self, body: Record, now: float, skip_sink: int | None = None) -> None:
        self.seq += 1
        record: Record = {"schema": SCHEMA_ID, "seq": self.seq, "ts": now, **body}
        for index, sink in enumerate(self.sinks):
            if index == skip_sink:
                continue
            try:
                sink.write(copy.deepcopy(record))
            except Exception as error:
                self.sink_failures[index] += 1
                if body["type"] != SINK_FAILED:
                    self._report_sink_failure(index, sink, error)

    def _report_sink_failure(self, index: int, sink: Sink, error: Exception) -> None:
        """Queue a `diagnostics.sink_failed` record for the other sinks (never the failing one)."""
        fields = {
            "sink": type(sink).__name__,
            "sink_index": index,
            "failures": self.sink_failures[index],
            "error": error,
        }
        if len(self.queue) < MAX_QUEUED:
            self.queue.append(_Pending(SINK_FAILED, "error", fields, internal=True, skip_sink=index))
        else:
            self.internal_errors += 1


def _rate_key(body: Record) -> RateKey:
    reason, origin = body.get("reason"), body.get("origin")
    return (
        str(body["type"]),
        reason if isinstance(reason, str) else None,
        origin if isinstance(origin, str) else None,
    )


class Diagnostics:
    """Redacts security events and delivers them to sinks.

    `mode` is `metadata_only` (default), `strict` (also drops paths, query keys and header
    names) or `none` (raw values, for local debugging: needs `allow_unredacted=True`, is refused
    when CI is set, and warns loudly). `clock` gives `ts` and drives rate limiting; the lab
    passes its virtual clock. `ci` overrides the `CI` environment variable (Pyodide rarely has it).
    """

    def __init__(
        self,
        mode: str = DEFAULT_MODE,
        sinks: Iterable[Sink] = (),
        *,
        clock: Callable[[], float] | None = None,
        rate_limit: RateLimit | None = None,
        ci: bool | None = None,
        allow_unredacted: bool = False,
    ) -> None:
        checked_mode = parse_mode(mode)
        if checked_mode == "none":
            check_unredacted_allowed(ci, allow_unredacted)
        checked_sinks = _check_sinks(sinks)
        if clock is not None and not callable(clock):
            raise DiagnosticsConfigError(f"clock must be a callable returning seconds, got {clock!r}")
        if rate_limit is not None and not isinstance(rate_limit, RateLimit):
            raise DiagnosticsConfigError(f"rate_limit must be a RateLimit, got {type(rate_limit).__name__}")
        self._shared = _Shared(
            mode=checked_mode,
            sinks=checked_sinks,
            clock=clock or time.time,
            limiter=RateLimiter(rate_limit or RateLimit()),
            sink_failures=[0] * len(checked_sinks),
        )
        self._context: dict[str, object] = {}
        self._prepared: dict[tuple[str, str, str | None], PreparedEvent] = {}
        if checked_mode == "none":
            print(UNREDACTED_WARNING, file=sys.stderr)
            self._shared.submit(_Pending("diagnostics.unredacted", "warn", {}, internal=True))

    @property
    def mode(self) -> Mode:
        """The redaction mode every record of this instance (and its children) uses."""
        return self._shared.mode

    @property
    def sinks(self) -> tuple[Sink, ...]:
        """The sinks, in delivery order."""
        return self._shared.sinks

    @property
    def stats(self) -> DiagnosticsStats:
        """A snapshot of the counters."""
        shared = self._shared
        with shared.lock:
            return DiagnosticsStats(
                delivered=shared.seq,
                rate_limited=shared.rate_limited,
                sink_failures=tuple(shared.sink_failures),
                internal_errors=shared.internal_errors,
            )

    def emit(self, type: str, *, severity: str = "info", **fields: object) -> None:
        """Redact and deliver one event; never raises, whatever the fields hold.

        Pass raw values: the redactor decides what of them may leave (see docs/diagnostics.md).
        Fields bound with `bind` are included; a field given here wins over a bound one.
        """
        try:
            merged = {**self._context, **fields} if self._context else fields
            self._shared.submit(_Pending(type, severity, merged, internal=False))
        except Exception:
            self._shared.internal_errors += 1

    def prepare(self, type: str, *, severity: str = "info", reason: str | None = None) -> PreparedEvent:
        """An `emit` of one kind of event, for a caller that emits it very often (a tool call).

        Its type, severity and reason are fixed here (and remembered: the same three give the
        same object), so its rate-limit key is computed once. An event the limiter drops then
        costs a clock read and a bucket check, and nothing of it is merged or redacted. An
        event it admits is redacted and delivered as `emit` would, with every field; the
        reason is among them.
        """
        memo = (type, severity, reason)
        prepared = self._prepared.get(memo)
        if prepared is None:
            key = rate_key(type, {"reason": reason}, self._shared.mode)
            prepared = PreparedEvent(self, key, type, severity, reason)
            if len(self._prepared) < MAX_PREPARED:
                self._prepared[memo] = prepared
        return prepared

    def bind(self, **context: object) -> Diagnostics:
        """A child that adds `context` fields (region, task, seed, replay...) to every event.

        The child shares sinks, sequence, rate limiter and counters with its parent.
        """
        child = object.__new__(Diagnostics)
        child._shared = self._shared
        child._context = {**self._context, **context}
        child._prepared = {}
        return child

    def flush(self) -> None:
        """Emit the pending `diagnostics.dropped` summary now instead of when its window ends."""
        try:
            self._shared.submit(_FLUSH)
        except Exception:
            self._shared.internal_errors += 1


class PreparedEvent:
    """One kind of event with its rate-limit key known in advance (`Diagnostics.prepare`)."""

    __slots__ = ("_diagnostics", "_key", "_reason", "_severity", "_type")

    def __init__(
        self, diagnostics: Diagnostics, key: RateKey, type: str, severity: str, reason: str | None
    ) -> None:
        self._diagnostics = diagnostics
        self._key = key
        self._type = type
        self._severity = severity
        self._reason = reason

    def emit(self, context: Mapping[str, object] | None = None, /, **fields: object) -> None:
        """Deliver one event of this kind; never raises. Its fields are the bound ones, then
        `context`, then `fields`, merged only if the rate limiter admits the event. The prepared
        reason replaces any given; an `origin` (part of the rate key too) takes `emit`'s road."""
        diagnostics = self._diagnostics
        try:
            fields["reason"] = self._reason
            bound: Mapping[str, object] = diagnostics._context
            if context:
                bound = {**bound, **context} if bound else context
            if "origin" in fields or "origin" in bound:
                diagnostics.emit(self._type, severity=self._severity, **{**bound, **fields})
            else:
                diagnostics._shared.offer(self._key, self._type, self._severity, fields, bound)
        except Exception:
            diagnostics._shared.internal_errors += 1


def _check_sinks(sinks: Iterable[Sink]) -> tuple[Sink, ...]:
    if isinstance(sinks, (str, bytes)) or not isinstance(sinks, Iterable):
        raise DiagnosticsConfigError(f"sinks must be a list of sinks, got {type(sinks).__name__}")
    checked = tuple(sinks)
    for index, sink in enumerate(checked):
        if not callable(getattr(sink, "write", None)):
            hint = "; wrap a function in CallbackSink" if callable(sink) else ""
            raise DiagnosticsConfigError(
                f"sinks[{index}]: {type(sink).__name__} has no write(event) method{hint}"
            )
    return checked
