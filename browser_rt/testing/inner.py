"""The one pytest session inside Pyodide, streaming every report to the host as it happens.

This file is read on the host and run inside Pyodide as source (not imported from the bundle's
browser_rt), so the host and the interpreter always agree on the protocol. It uses only the
standard library and pytest. Each message is one JSON line; `emit` gets one or more lines at
a time, joined by newlines:

- `{"type": "collected", "missing": [...]}`: the wanted tests not found inside;
- `{"type": "collectreport", "data": ...}`: a module that failed to collect inside;
- `{"type": "logstart" | "logfinish", "nodeid": ..., "location": [...]}`;
- `{"type": "report", "data": ...}`: a test report, serialized by pytest's own
  `pytest_report_to_serializable`, as pytest-xdist's workers send them;
- `{"type": "passed", "nodeid", "when", "duration", "start", "stop"[, "location", "keywords"]}`:
  a passed report with nothing but pytest's standard fields, all empty but these (most of a
  large suite's reports). Location and keywords are left out when they equal those of the
  report sent just before, for the same test. The host rebuilds pytest's own serialized form
  from it and deserializes that as it does any other report;
- `{"type": "finished", "exitstatus": N}`.

Only lines that say a phase passed with nothing to show (compact ones) and that a test ended
are held back, to travel with the next line that goes at once: the next test's start, a report
with something in it, or the end of the session. So the host learns that a test started before
it runs, and of any failure, skip or output as it happens, in one message per passing test.
When the interpreter dies in a test, what is lost with it is only which of that test's phases
had passed: the host fails the test either way.

The session runs exactly the node ids the host selected, in the host's order; anything else it
collects is deselected, and a wanted test it does not find is left for the host to fail.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Any

import pytest

STANDARD_FIELDS = frozenset(
    {"nodeid", "location", "keywords", "outcome", "longrepr", "when", "user_properties", "sections"}
    | {"duration", "start", "stop"}
)
"""The attributes `pytest.TestReport` gives every report; one with more goes in full."""
HELD_CHARS = 256 * 1024
"""Lines held back beyond this are sent at once, so one send stays small."""


class StreamingPlugin:
    """Keeps the host's selection and sends each report out as one JSON line."""

    def __init__(
        self,
        wanted: list[str],
        emit: Callable[[str], None],
        hypothesis: bool,
    ) -> None:
        self.order = {nodeid: index for index, nodeid in enumerate(wanted)}
        self.emit = emit
        self.hypothesis = hypothesis
        self.config: pytest.Config | None = None
        self.held: list[str] = []
        self.held_chars = 0
        self.compact = False
        self.last_sent: tuple[str, Any, Any] | None = None
        """(nodeid, location, keywords) of the last report sent."""

    def send(self, message: dict[str, Any], now: bool = True) -> None:
        """Send `message`; with `now=False` it may wait for the next line sent now."""
        # A value JSON cannot hold (bytes in a subtest's parameters, say) travels as its repr.
        line = json.dumps(message, default=repr)
        self.held.append(line)
        self.held_chars += len(line)
        if now or self.held_chars > HELD_CHARS:
            self.flush()

    def flush(self) -> None:
        if self.held:
            lines = "\n".join(self.held)
            self.held.clear()
            self.held_chars = 0
            self.emit(lines)

    def serialize(self, report: Any) -> Any:
        assert self.config is not None
        return self.config.hook.pytest_report_to_serializable(config=self.config, report=report)

    def pytest_configure(self, config: pytest.Config) -> None:
        self.config = config
        # Reports go compact only while pytest's own plugins are the only serializers: one of
        # the project's, which may add to a plain report, gets every report in full.
        serializers = config.hook.pytest_report_to_serializable.get_hookimpls()
        self.compact = all(_from_pytest(impl.plugin) for impl in serializers)
        if self.hypothesis:
            # The interpreter is slower than CPython: no deadline, unless the project's conftest
            # loaded a profile of its own. Imported here, after pytest's own start, as on the
            # host (earlier, pytest would warn that it cannot rewrite Hypothesis' modules).
            from hypothesis import settings

            if settings.get_current_profile_name() == "default":
                settings.register_profile("browser-rt-pyodide", deadline=None)
                settings.load_profile("browser-rt-pyodide")

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        kept = sorted(
            (item for item in items if item.nodeid in self.order), key=lambda i: self.order[i.nodeid]
        )
        dropped = [item for item in items if item.nodeid not in self.order]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
        items[:] = kept
        found = {item.nodeid for item in kept}
        self.send({"type": "collected", "missing": [n for n in self.order if n not in found]})

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.send({"type": "collectreport", "data": self.serialize(report)})

    def pytest_runtest_logstart(self, nodeid: str, location: tuple[str, int | None, str]) -> None:
        self.send({"type": "logstart", "nodeid": nodeid, "location": list(location)})

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        location, keywords = report.location, report.keywords
        if self.compact and _plain_pass(report):
            message: dict[str, Any] = {
                "type": "passed",
                "nodeid": report.nodeid,
                "when": report.when,
                "duration": report.duration,
                "start": report.start,
                "stop": report.stop,
            }
            if self.last_sent != (report.nodeid, location, keywords):
                message.update(location=location, keywords=keywords)
            now = False
        else:
            message = {"type": "report", "data": self.serialize(report)}
            now = True
        self.last_sent = (report.nodeid, location, keywords)
        self.send(message, now)

    def pytest_runtest_logfinish(self, nodeid: str, location: tuple[str, int | None, str]) -> None:
        self.send({"type": "logfinish", "nodeid": nodeid, "location": list(location)}, now=False)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self) -> None:
        self.flush()  # the last test's end: nothing starts after it to carry it


def _from_pytest(plugin: object) -> bool:
    return str(getattr(plugin, "__name__", "")).startswith("_pytest.")


def _plain_pass(report: pytest.TestReport) -> bool:
    """A passed report with pytest's standard fields only, and nothing in the empty ones."""
    return (
        type(report) is pytest.TestReport
        and report.outcome == "passed"
        and report.longrepr is None
        and not report.sections
        and not report.user_properties
        and report.__dict__.keys() == STANDARD_FIELDS
    )


def prepare(spec_json: str) -> None:
    """Set the environment and sys.path the host computed, before anything is imported."""
    spec = json.loads(spec_json)
    # Pyodide's own modules are bound first, as every Pyodide host does before user code runs:
    # otherwise a project folder named `js` (a tests/js/ of JavaScript tests, say) on sys.path
    # would be imported as `js` instead.
    import js  # noqa: F401
    import pyodide.ffi  # noqa: F401

    sys.dont_write_bytecode = True  # the project's own folders are mounted: leave no .pyc there
    os.environ.update(spec["environ"])
    for entry in reversed(spec["sys_path"]):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    os.makedirs(spec["rundir"], exist_ok=True)
    os.chdir(spec["rundir"])


def missing_imports(names_json: str) -> str:
    """Which of the project's import names cannot be found (without importing them)."""
    import importlib.util

    return json.dumps([name for name in json.loads(names_json) if importlib.util.find_spec(name) is None])


def run(spec_json: str, emit: Callable[[str], None]) -> int:
    """One pytest session per batch (one batch, but for the self-test); the last exit status.

    `emit` must hand each line on before it returns (to a pipe, to a page's delivery worker):
    the host learns which test is running from the line sent at its start, and a test that
    never returns sends nothing more.
    """
    spec = json.loads(spec_json)
    status = 0
    for batch in spec["batches"]:
        plugin = StreamingPlugin(batch["nodeids"], emit, bool(spec.get("hypothesis_profile")))
        try:
            status = int(pytest.main(batch["args"], plugins=[plugin]))
        finally:
            plugin.flush()
            sys.stdout.flush()
            sys.stderr.flush()
    emit(json.dumps({"type": "finished", "exitstatus": status}))
    return status
