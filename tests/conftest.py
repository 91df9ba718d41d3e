"""Shared test configuration; loaded on the host and again inside Pyodide.

Inside Pyodide (pytest-pyodide's --run-in-pyodide) a skipped test would be reported to the
host as passed, so skips there are turned into failures: a test that cannot run in a runtime
must say so with `@pytest.mark.host_only(reason=...)`, which the host turns into a visible skip.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Generator
from pathlib import Path

import pytest

IN_PYODIDE = sys.platform == "emscripten"

try:
    from hypothesis import settings
except ImportError:  # pragma: no cover - hypothesis is part of the test extra and bundle
    pass
else:
    settings.register_profile("pyodide", max_examples=40, deadline=None)
    settings.register_profile("host", max_examples=200, deadline=None)
    settings.register_profile("fuzz", max_examples=20_000, deadline=None)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "pyodide" if IN_PYODIDE else "host"))


if not IN_PYODIDE:
    from pytest_pyodide import get_global_config

    # Node's vm context for Pyodide lacks these; the WHATWG differential tests need URL.
    get_global_config().add_node_extra_globals(["URL", "console"])

EXPECTATION_FILE = Path(__file__).parent / "_expected_runtime.json"
"""Written by the host before tests are copied into Pyodide, so a test can check where it runs."""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "host_only(reason): the test cannot run inside Pyodide; reason says why"
    )
    if IN_PYODIDE:
        return
    if getattr(config.option, "run_in_pyodide", False):
        expected = {"platform": "emscripten", "runtime": str(config.option.runtime)}
    else:
        expected = {"platform": sys.platform, "runtime": "host"}
    EXPECTATION_FILE.write_text(json.dumps(expected), encoding="utf-8")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if IN_PYODIDE or not getattr(config.option, "run_in_pyodide", False):
        return
    for item in items:
        # pytest-pyodide runs each test through a shallow copy of its item; the copy still
        # carries the original's fixture request, so fixtures and parametrized arguments fail
        # to register their finalizers. A fresh request per copy makes them work.
        if isinstance(item, pytest.Function):
            item._initrequest()
        marker = item.get_closest_marker("host_only")
        if marker is not None:
            reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "")
            if not reason:
                raise pytest.UsageError(f"{item.nodeid}: host_only needs a reason")
            item.add_marker(pytest.mark.skip(reason=f"host only: {reason}"))


if IN_PYODIDE:

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(
        item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, None]:
        outcome = yield
        report = outcome.get_result()
        if report.skipped and not hasattr(report, "wasxfail"):
            report.outcome = "failed"
            report.longrepr = f"skipped inside Pyodide (the host would count it as passed): {report.longrepr}"
