"""Drive the lanes of a `--run-in-pyodide` run: interpreters side by side, reports on one thread.

Each running session has a pump thread that starts its interpreter and reads its messages with
the hang deadline (`--pyodide-timeout` inside a test, a longer one between tests). Every
message goes through one queue to the main thread, which alone calls pytest's hooks, so the
host's reporters see one test's reports at a time, whichever interpreter made them. A lane
whose interpreter is lost goes on in a fresh one from the next test; a lane whose session ended
starts its next session (another runtime's share). Leaving the loop for any reason (-x,
--maxfail, Ctrl-C) stops every interpreter still running, and waits for one still starting so
as to stop it too.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from browser_rt.testing.lanes import Session as LaneSession
from browser_rt.testing.project import ProjectPlan

if TYPE_CHECKING:
    from browser_rt.testing.forward import Forwarder, Session, SessionFactory


@dataclass(eq=False)
class SessionRun:
    """One interpreter's session: what it must run and what the host has seen of it so far."""

    lane: int
    runtime: str
    plan: ProjectPlan
    pending: list[str]
    by_nodeid: dict[str, pytest.Item]
    done: set[str] = field(default_factory=set)
    current: str | None = None
    collect_errors: dict[str, str] = field(default_factory=dict)
    last_report: tuple[str, Any, Any] | None = None
    """(nodeid, location, keywords) of the last report: what a compact one leaves out."""
    runner: Session | None = None
    started: float = field(default_factory=time.monotonic)
    closed: bool = False
    start_ended: threading.Event = field(default_factory=threading.Event)
    """Set once the pump has an interpreter attached, or knows it never will."""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def console(self) -> str:
        return self.runner.console() if self.runner is not None else ""

    def attach(self, runner: Session) -> bool:
        """Keep `runner` as this run's interpreter; False if the run was closed while it started."""
        with self._lock:
            if self.closed:
                return False
            self.runner = runner
            return True

    def close(self) -> None:
        with self._lock:
            self.closed = True
            runner, self.runner = self.runner, None
        if runner is not None:
            runner.close()


Event = tuple[SessionRun, str, Any]
START_WAIT_S = 150.0
"""How long leaving the loop waits for an interpreter still starting, to stop it (a page's
start steps each end within two minutes)."""


def pump(
    run: SessionRun,
    start: SessionFactory,
    spec: dict[str, Any],
    events: queue.Queue[Event],
    in_test_s: float,
    between_tests_s: float,
) -> None:
    """Start `run`'s interpreter and pass on its messages until it finishes, dies or hangs."""
    try:
        runner = start(run.runtime, spec, run.by_nodeid[run.pending[0]])
    except BaseException as exc:  # reported on the main thread, which decides what it means
        run.start_ended.set()
        events.put((run, "failed", exc))
        return
    attached = run.attach(runner)
    run.start_ended.set()
    if not attached:  # the run was given up (a stop, Ctrl-C) while its interpreter started
        runner.close()
        return
    in_test = False
    while True:
        try:
            message = runner.next_message(in_test_s if in_test else between_tests_s)
        except Exception as exc:  # ended, hung, or its channel broke
            events.put((run, "lost", exc))
            return
        kind = message["type"]
        in_test = kind == "logstart" or (in_test and kind != "logfinish")
        events.put((run, "message", message))
        if kind == "finished" or (kind == "prepared" and message.get("missing")):
            return


class LaneRunner:
    """Runs each lane's sessions in order and every lane at once; the host's hooks see it all."""

    def __init__(
        self,
        forwarder: Forwarder,
        session: pytest.Session,
        plan: ProjectPlan,
        by_runtime: dict[str, dict[str, pytest.Item]],
        work: list[list[LaneSession]],
        deadlines: tuple[float, float],
    ) -> None:
        """`deadlines`: the silence allowed inside a test, and outside one (seconds)."""
        self.forwarder = forwarder
        self.deadlines = deadlines
        self.session = session
        self.plan = plan
        self.by_runtime = by_runtime
        self.waiting = [deque(lane) for lane in work]
        self.active: dict[int, SessionRun] = {}
        self.events: queue.Queue[Event] = queue.Queue()

    def run(self) -> None:
        forwarder = self.forwarder
        for lane in range(len(self.waiting)):
            self.next_session(lane)
        try:
            while self.active:
                run, kind, payload = self.events.get()
                if self.active.get(run.lane) is not run:
                    continue  # from a session already given up
                if kind == "failed":
                    self.end(run)
                    forwarder.failed_to_start(run, payload)
                    self.next_session(run.lane)
                elif kind == "message":
                    if forwarder.handle(self.session, run, payload):
                        self.end(run)
                        self.next_session(run.lane)
                elif kind == "lost":
                    rest = forwarder.lost(run, payload)
                    self.end(run)
                    if rest:
                        self.launch(run.lane, run.runtime, rest)
                    else:
                        self.next_session(run.lane)
        finally:
            for run in self.active.values():
                run.close()
            # An interpreter still starting (a browser being launched) is stopped by its pump
            # once it has started: wait for that, or it would outlive the run.
            for run in self.active.values():
                run.start_ended.wait(START_WAIT_S)

    def next_session(self, lane: int) -> None:
        if self.waiting[lane]:
            upcoming = self.waiting[lane].popleft()
            self.launch(lane, upcoming.runtime, upcoming.nodeids)
        else:
            self.active.pop(lane, None)

    def launch(self, lane: int, runtime: str, pending: list[str]) -> None:
        by_nodeid = self.by_runtime[runtime]
        run = SessionRun(lane, runtime, self.plan, pending, by_nodeid)
        spec = self.forwarder.spec(runtime, self.plan, pending, by_nodeid)
        self.active[lane] = run
        threading.Thread(
            target=pump,
            args=(run, self.forwarder.start_session, spec, self.events, *self.deadlines),
            name=f"browser-rt-lane-{lane}",
            daemon=True,
        ).start()

    def end(self, run: SessionRun) -> None:
        """Stop `run`'s interpreter and count its time for the summary."""
        run.close()
        seconds = self.forwarder.seconds
        seconds[run.runtime] = seconds.get(run.runtime, 0.0) + time.monotonic() - run.started
