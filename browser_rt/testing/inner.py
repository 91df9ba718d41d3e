"""The one pytest session inside Pyodide, streaming every report to the host as it happens.

This file is read on the host and run inside Pyodide as source (not imported from the bundle's
browser_rt), so the host and the interpreter always agree on the protocol. It uses only the
standard library and pytest. Each message is one JSON line given to `emit`:

- `{"type": "collected", "missing": [...]}`: the wanted tests not found inside;
- `{"type": "collectreport", "data": ...}`: a module that failed to collect inside;
- `{"type": "logstart" | "logfinish", "nodeid": ..., "location": [...]}`;
- `{"type": "report", "data": ...}`: a test report, serialized by pytest's own
  `pytest_report_to_serializable`, as pytest-xdist's workers send them;
- `{"type": "finished", "exitstatus": N}`.

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

    def send(self, message: dict[str, Any]) -> None:
        # A value JSON cannot hold (bytes in a subtest's parameters, say) travels as its repr.
        self.emit(json.dumps(message, default=repr))

    def serialize(self, report: Any) -> Any:
        assert self.config is not None
        return self.config.hook.pytest_report_to_serializable(config=self.config, report=report)

    def pytest_configure(self, config: pytest.Config) -> None:
        self.config = config
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
        self.send({"type": "report", "data": self.serialize(report)})

    def pytest_runtest_logfinish(self, nodeid: str, location: tuple[str, int | None, str]) -> None:
        self.send({"type": "logfinish", "nodeid": nodeid, "location": list(location)})


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
            sys.stdout.flush()
            sys.stderr.flush()
    emit(json.dumps({"type": "finished", "exitstatus": status}))
    return status
