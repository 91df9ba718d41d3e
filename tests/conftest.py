"""Shared test configuration; loaded on the host and again inside Pyodide.

Inside Pyodide (pytest-pyodide's --run-in-pyodide) a skipped test would be reported to the
host as passed, so skips there are turned into failures: a test that cannot run in a runtime
must say so with `@pytest.mark.host_only(reason=...)`, which the host turns into a visible skip.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Generator
from typing import Any

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
    settings.register_profile("ci-fuzz", max_examples=500, deadline=None, print_blob=True)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "pyodide" if IN_PYODIDE else "host"))


if not IN_PYODIDE:
    import socketserver

    from pytest_pyodide import get_global_config

    # pytest-pyodide's file server is a single-threaded TCPServer with a listen backlog of 5, and
    # it is hit with one request per test file at once; past ~60 files, dropped connections
    # stall the copy for over a minute. Its server process is forked from here and inherits this.
    socketserver.TCPServer.request_queue_size = 256

    # Node's vm context for Pyodide lacks these; the WHATWG differential tests need URL.
    get_global_config().add_node_extra_globals(["URL", "console"])

    import chromium_setup

    chromium_setup.configure_pytest_pyodide()

    def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
        if exitstatus == 0:
            chromium_setup.forget_log()


EXPECTED_RUNTIME_VARIABLE = "BROWSER_RT_EXPECTED_RUNTIME"
"""Set inside each Pyodide session by the host (node or chrome), so a test there can check the
runtime it was meant to run in. An environment variable of that interpreter, not a file beside
the tests, so runs in two runtimes from one checkout cannot overwrite each other's."""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "host_only(reason): the test cannot run inside Pyodide; reason says why"
    )


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


@pytest.hookimpl(hookwrapper=True, trylast=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """Make each forwarded test really run inside Pyodide, and fail loudly if it did not.

    pytest-pyodide copies the tests to `test_files/` but starts pytest from Pyodide's home,
    where the node id names no file: pytest exits with "file not found", the report holds no
    test, and the host would count that as a pass. So the forwarded run starts in
    `test_files/`, and its JUnit report must show the test as run and not skipped.
    """
    if IN_PYODIDE or not getattr(item.config.option, "run_in_pyodide", False):
        yield
        return
    forward = item.runtest

    def run_in_test_files() -> None:
        selenium = _pyodide_session(item)
        if id(selenium) not in _SESSIONS_WITH_TEST_PACKAGES:
            # Only the project wheel is installed for us; the suite also needs hypothesis.
            selenium.load_package(["hypothesis"])
            runtime = str(item.pyodide_runtime)  # type: ignore[attr-defined]
            selenium.run(f"import os\nos.environ[{EXPECTED_RUNTIME_VARIABLE!r}] = {runtime!r}")
            _SESSIONS_WITH_TEST_PACKAGES.add(id(selenium))
        selenium.run("import os\n_browser_rt_home = os.getcwd()\nos.chdir('test_files')")
        try:
            forward()
            report = selenium.run("open('test_output.xml').read()")
        finally:
            selenium.run("import os\nos.chdir(_browser_rt_home)")
        _require_ran(item, str(report))

    item.runtest = run_in_test_files  # type: ignore[method-assign]
    yield


_SESSIONS_WITH_TEST_PACKAGES: set[int] = set()


def _pyodide_session(item: pytest.Item) -> Any:
    from pytest_pyodide.run_tests_inside_pyodide import get_browser_pyodide

    class Request:
        config = item.config
        node = item

    return get_browser_pyodide(request=Request, runtime=item.pyodide_runtime)  # type: ignore[attr-defined,arg-type]


def _require_ran(item: pytest.Item, junit_xml: str) -> None:
    import xml.etree.ElementTree as ET

    cases = ET.fromstring(junit_xml).findall(".//testcase")
    if not cases:
        pytest.fail(f"{item.nodeid} did not run inside Pyodide (no test in its report)", pytrace=False)
    for case in cases:
        for kind in ("skipped", "error"):
            found = case.find(kind)
            if found is not None:
                why = (found.get("message") or "") + "\n" + (found.text or "")
                pytest.fail(f"{item.nodeid}: {kind} inside Pyodide: {why.strip()[:2000]}", pytrace=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, None]:
    """Inside Pyodide a skip is a failure (the host would count it as passed); on the host, a
    crashed tab's report also carries the browser's own log, which says why it crashed."""
    outcome = yield
    report = outcome.get_result()
    if IN_PYODIDE:
        if report.skipped and not hasattr(report, "wasxfail"):
            report.outcome = "failed"
            report.longrepr = f"skipped inside Pyodide (the host would count it as passed): {report.longrepr}"
    elif report.failed and "tab crashed" in str(report.longrepr):
        evidence = chromium_setup.crash_evidence()
        report.sections.append(("Chromium's log", evidence or f"(empty: {chromium_setup.log_path()})"))
