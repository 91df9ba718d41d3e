"""pytest plugin: `pytest --run-in-pyodide` (pytest-pyodide 0.59) with honest results.

Registered through the `browser_rt_testing` pytest11 entry point, so any project with
`browser_rt[test]` installed gets it with no conftest of its own. On the host it replaces the
forwarding of each test (`browser_rt.testing.forward`) and configures pytest-pyodide's Node and
Chromium (`environment`, `chromium`). Inside Pyodide it only registers the `host_only` marker
and its options, so it imports nothing that exists only on the host.

Options: `--pyodide-skips=skip|fail` (ini `pyodide_skips`; `fail` turns a skip inside Pyodide
into a failure), `--pyodide-timeout=S` (ini `pyodide_timeout`), `--pyodide-chrome-flags=FILE`,
`--pyodide-chrome-log-dir=DIR`.
"""

from __future__ import annotations

import functools
import sys
import warnings
from collections.abc import Callable, Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from browser_rt.testing.forward import Forwarder

IN_PYODIDE = sys.platform == "emscripten"
_FORWARDER: pytest.StashKey[Forwarder] = pytest.StashKey()
_CHROME_LOG = pytest.StashKey[Path | None]()
_ORIGINAL_COPY = pytest.StashKey[Callable[..., Any]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("browser_rt testing", "browser_rt: pytest --run-in-pyodide with honest results")
    group.addoption(
        "--pyodide-skips",
        dest="pyodide_skips",
        choices=("skip", "fail"),
        default=None,
        help="a test skipped inside Pyodide is reported skipped (default) or fails",
    )
    parser.addini(
        "pyodide_skips", "skip (default) or fail: a skip inside Pyodide becomes this", default="skip"
    )
    group.addoption(
        "--pyodide-timeout",
        dest="pyodide_timeout",
        type=float,
        default=None,
        metavar="S",
        help="seconds one forwarded test may take before its Pyodide counts as hung (default 120)",
    )
    parser.addini("pyodide_timeout", "seconds one forwarded test may take (default 120)", default="")
    group.addoption(
        "--pyodide-chrome-flags",
        dest="pyodide_chrome_flags",
        type=Path,
        default=None,
        metavar="FILE",
        help="JSON {\"flags\": [...]} for pytest-pyodide's Chromium (default: browser_rt's list)",
    )
    group.addoption(
        "--pyodide-chrome-log-dir",
        dest="pyodide_chrome_log_dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="where Chromium's own stderr is kept (default: browser-rt-chromium-UID in the temp folder)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "host_only(reason): the test cannot run inside Pyodide; reason says why"
    )
    if IN_PYODIDE or not config.pluginmanager.hasplugin("pytest_pyodide_hook"):
        return
    from browser_rt.testing import chromium, environment, upstream
    from browser_rt.testing.fixes import enabled
    from browser_rt.testing.forward import Forwarder

    if not upstream.version().startswith(upstream.WRITTEN_FOR):
        warnings.warn(
            f"browser_rt.testing was written for pytest-pyodide {upstream.WRITTEN_FOR}x, found "
            f"{upstream.version()}; its fixes may not apply",
            stacklevel=1,
        )
    environment.configure_pytest_pyodide()
    flags_file = config.option.pyodide_chrome_flags
    try:
        flags = chromium.read_flags(flags_file) if flags_file else list(chromium.DEFAULT_FLAGS)
    except ValueError as exc:
        raise pytest.UsageError(f"--pyodide-chrome-flags: {exc}") from None
    log_dir = config.option.pyodide_chrome_log_dir or chromium.default_log_dir()
    config.stash[_CHROME_LOG] = chromium.configure(flags, Path(log_dir))
    if getattr(config.option, "run_in_pyodide", False):
        config.stash[_FORWARDER] = Forwarder(config)
        if enabled("project"):
            # Its per-test copy of the test folder and ./dist/*.whl is replaced by the
            # Forwarder's one archive per runtime.
            hook = upstream.module(".hook")
            config.stash[_ORIGINAL_COPY] = hook.copy_files_to_emscripten_fs
            hook.copy_files_to_emscripten_fs = _copy_nothing


def _copy_nothing(*args: Any, **kwargs: Any) -> None:
    """Stands in for pytest-pyodide's per-test copy; see `Forwarder._prepare`."""


def pytest_unconfigure(config: pytest.Config) -> None:
    forwarder = config.stash.get(_FORWARDER, None)
    if forwarder is not None:
        forwarder.close()
    original = config.stash.get(_ORIGINAL_COPY, None)
    if original is not None:
        from browser_rt.testing import upstream

        upstream.module(".hook").copy_files_to_emscripten_fs = original


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """After pytest-pyodide made its per-runtime copies: check host_only reasons, repair copies."""
    if IN_PYODIDE:
        return
    from browser_rt.testing.forward import host_only_reason

    for item in items:
        marker = item.get_closest_marker("host_only")
        if marker is not None:
            host_only_reason(marker, item.nodeid)
    forwarder = config.stash.get(_FORWARDER, None)
    if forwarder is not None:
        forwarder.adopt(items)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    """Start the runtime's Pyodide before pytest-pyodide's setup would; prepare it after all.

    Any error is raised after the yield, so the other plugins' setup and teardown stay paired.
    """
    forwarder = item.config.stash.get(_FORWARDER, None)
    if forwarder is None:
        return (yield)
    from browser_rt.testing.forward import is_forwarded

    if not is_forwarded(item):
        return (yield)
    early: Exception | None = None
    try:
        forwarder.start(item)
    except Exception as exc:
        early = exc
    result = yield
    if early is not None:
        raise early
    forwarder.setup(item)
    return result


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """Innermost, after pytest-pyodide set its own `runtest`: forward the test our way."""
    forwarder = item.config.stash.get(_FORWARDER, None)
    if forwarder is not None:
        from browser_rt.testing.forward import is_forwarded

        if is_forwarded(item):
            item.runtest = functools.partial(forwarder.runtest, item)  # type: ignore[method-assign]
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A crashed tab's report also carries the browser's own log, which says why it crashed."""
    report = yield
    log = item.config.stash.get(_CHROME_LOG, None)
    if log is not None and report.failed and "tab crashed" in str(report.longrepr):
        from browser_rt.testing.chromium import crash_evidence

        report.sections.append(("Chromium's log", crash_evidence(log) or f"(empty: {log})"))
    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    forwarder = terminalreporter.config.stash.get(_FORWARDER, None)
    lines = list(forwarder.summary()) if forwarder is not None else []
    if lines:
        terminalreporter.section("browser_rt: inside Pyodide")
        for line in lines:
            terminalreporter.write_line(line)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """After a run with no failure the browser's log explains nothing; only failed runs keep one."""
    log = session.config.stash.get(_CHROME_LOG, None)
    if log is not None and exitstatus == 0:
        log.unlink(missing_ok=True)
