"""pytest plugin: `pytest --run-in-pyodide` (pytest-pyodide 0.59) with honest results.

Registered through the `browser_rt_testing` pytest11 entry point, so any project with
`browser_rt[test]` installed gets it with no conftest of its own. On the host it runs the
forwarded tests as one pytest session per interpreter (`browser_rt.testing.forward`) and
configures pytest-pyodide's Chromium (`environment`, `chromium`). Inside Pyodide it only
registers the `host_only` marker and its options, so it imports nothing that exists only on
the host.

Options: `--pyodide-skips=skip|fail` (ini `pyodide_skips`; `fail` turns a skip inside Pyodide
into a failure), `--pyodide-timeout=S` (ini `pyodide_timeout`), `--pyodide-chrome-flags=FILE`,
`--pyodide-chrome-log-dir=DIR`, `--pyodide-no-snapshot` (Node and Chromium boot in full instead
of restoring the cached pytest snapshot, `browser_rt.testing.session_snapshot`).
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from browser_rt.testing.lanes import NUMPROCESSES_OPTION, TAKEN_FROM_XDIST, lanes_wanted

if TYPE_CHECKING:
    from browser_rt.testing.forward import Forwarder

IN_PYODIDE = sys.platform == "emscripten"
_FORWARDER: pytest.StashKey[Forwarder] = pytest.StashKey()
_CHROME_LOG = pytest.StashKey[Path | None]()
SNAPSHOT_BUILD_WAIT_S = 300.0
"""How long the end of a run waits for the snapshot build it started (a Node process)."""


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
    parser.addini(
        "pyodide_test_dependencies",
        "bundle packages the tests need inside Pyodide that no test file imports by name",
        type="linelist",
        default=[],
    )
    if importlib.util.find_spec("xdist") is None:
        # pytest-xdist's flag and values, for forwarded tests; where xdist is installed its own
        # -n is read instead (and kept from starting host workers: pytest_cmdline_main).
        # pytest keeps lowercase short flags for itself; xdist declares -n the same way.
        group._addoption(
            "-n",
            "--numprocesses",
            dest=NUMPROCESSES_OPTION,
            default=None,
            metavar="N",
            help="run the forwarded tests in N interpreters side by side (a number, or auto)",
        )
    group.addoption(
        "--pyodide-no-snapshot",
        dest="pyodide_no_snapshot",
        action="store_true",
        default=False,
        help="boot Node's and Chromium's interpreters in full instead of from the cached pytest snapshot",
    )
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


@pytest.hookimpl(wrapper=True)
def pytest_cmdline_main(config: pytest.Config) -> object:
    """With --run-in-pyodide, pytest-xdist's -n splits the forwarded tests across interpreters.

    The value is read before xdist's own hook sees it, so xdist starts no host workers: the
    host process drives the interpreters itself (`browser_rt.testing.lanes`).
    """
    if (
        not IN_PYODIDE
        and getattr(config.option, "run_in_pyodide", False)
        and config.pluginmanager.hasplugin("xdist")
    ):
        config.stash[TAKEN_FROM_XDIST] = getattr(config.option, NUMPROCESSES_OPTION, None)
        setattr(config.option, NUMPROCESSES_OPTION, None)
        if getattr(config.option, "dist", "no") != "no":
            config.option.dist = "no"
    return (yield)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "host_only(reason): the test cannot run inside Pyodide; reason says why"
    )
    if IN_PYODIDE or not config.pluginmanager.hasplugin("pytest_pyodide_hook"):
        return
    from browser_rt.testing import chromium, environment, upstream
    from browser_rt.testing.forward import Forwarder
    from browser_rt.testing.sessions import start_session

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
        config.stash[_FORWARDER] = Forwarder(config, start_session)
        from browser_rt.testing.session_snapshot import SNAPSHOTS

        SNAPSHOTS.enabled = not config.option.pyodide_no_snapshot
        prewarm_node(config)
        prewarm_chrome(config)


def prewarm_node(config: pytest.Config) -> None:
    """Boot Node's interpreters now, while the host collects; the sessions take them later."""
    runtimes = {name.strip().removesuffix("-no-host") for name in str(config.option.runtime).split(",")}
    if "node" not in runtimes or config.option.collectonly:
        return
    from browser_rt.testing.forward import INNER_SOURCE
    from browser_rt.testing.lanes import lane_count
    from browser_rt.testing.node_session import prewarm

    with contextlib.suppress(OSError):  # no node: the session's own start says so, per test
        prewarm(
            str(Path(config.option.dist_dir).resolve()),
            INNER_SOURCE.read_text(encoding="utf-8"),
            lane_count(lanes_wanted(config)),
        )


def prewarm_chrome(config: pytest.Config) -> None:
    """Start Chromium pages (browser, Pyodide, pytest) now, while the host collects."""
    runtimes = {name.strip().removesuffix("-no-host") for name in str(config.option.runtime).split(",")}
    runner = str(getattr(config.option, "runner", "selenium") or "selenium")
    if "chrome" not in runtimes or config.option.collectonly or runner.lower() != "selenium":
        return
    from browser_rt.testing import chrome_warm
    from browser_rt.testing.forward import INNER_SOURCE
    from browser_rt.testing.lanes import lane_count

    chrome_warm.prewarm(
        str(Path(config.option.dist_dir).resolve()),
        INNER_SOURCE.read_text(encoding="utf-8"),
        lane_count(lanes_wanted(config)),
    )


def pytest_unconfigure(config: pytest.Config) -> None:
    if _FORWARDER in config.stash:
        from browser_rt.testing.node_session import discard_warm

        discard_warm(build_timeout=SNAPSHOT_BUILD_WAIT_S)
    if _FORWARDER in config.stash:
        from browser_rt.testing import chrome_warm

        chrome_warm.discard()  # after Ctrl-C too: no browser outlives the run


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every host_only marker must give a reason (checked before anything runs)."""
    if IN_PYODIDE:
        return
    from browser_rt.testing.forward import host_only_reason

    for item in items:
        marker = item.get_closest_marker("host_only")
        if marker is not None:
            host_only_reason(marker, item.nodeid)


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> bool | None:
    """With --run-in-pyodide: one session per runtime's interpreter, each report on the host.

    The checks before and after are those of pytest's own loop (`_pytest.main`).
    """
    forwarder = session.config.stash.get(_FORWARDER, None)
    if forwarder is None:
        return None
    from browser_rt.testing.forward import Stop

    if session.testsfailed and not session.config.option.continue_on_collection_errors:
        raise session.Interrupted(
            f"{session.testsfailed} error{'s' if session.testsfailed != 1 else ''} during collection"
        )
    if session.config.option.collectonly:
        return True
    from browser_rt.testing.host_warmup import import_in_background

    import_in_background(session.config)
    with contextlib.suppress(Stop):
        forwarder.run(session)
    if session.shouldfail:
        raise session.Failed(session.shouldfail)
    if session.shouldstop:
        raise session.Interrupted(session.shouldstop)
    return True


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    forwarder = terminalreporter.config.stash.get(_FORWARDER, None)
    lines = list(forwarder.summary()) if forwarder is not None else []
    if forwarder is not None and "browser_rt.testing.node_session" in sys.modules:
        from browser_rt.testing.session_snapshot import SNAPSHOTS

        lines += SNAPSHOTS.summary()
    if lines:
        terminalreporter.section("browser_rt: inside Pyodide")
        for line in lines:
            terminalreporter.write_line(line)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """After a run with no failure the browser's log explains nothing; only failed runs keep one."""
    log = session.config.stash.get(_CHROME_LOG, None)
    if log is not None and exitstatus == 0:
        log.unlink(missing_ok=True)
