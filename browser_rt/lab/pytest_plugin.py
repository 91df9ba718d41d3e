"""pytest plugin: the `lab` fixture, `--lab-seed N`, `lab_explore(seeds=K)` and replay commands.

Registered through the `pytest11` entry point, so it is active wherever browser_rt is installed
(on the host and inside Pyodide). A failing test that used `lab` gets the exact command that
reruns it with its seed, in its failure report and in the summary at the end of the session.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator

import pytest

from browser_rt.cli_lab import parse_seed
from browser_rt.lab.runtime import LabRuntime

MAX_EXPLORED_SEEDS = 10_000
_SEED = pytest.StashKey[int]()
_REPLAYS = pytest.StashKey[list[str]]()


def replay_command(seed: int, nodeid: str) -> str:
    """The command line that reruns one test with one seed."""
    return f"browser-rt lab replay --seed {seed} {nodeid}"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("browser_rt lab")
    group.addoption(
        "--lab-seed",
        type=parse_seed,
        default=None,
        metavar="N",
        help="seed for the `lab` fixture (default 0); lab_explore tests run only seed N",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "lab_explore(seeds): run the test once per lab seed 0..seeds-1 (only --lab-seed N if given)",
    )
    config.stash[_REPLAYS] = []


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marker = metafunc.definition.get_closest_marker("lab_explore")
    if marker is None:
        return
    nodeid = metafunc.definition.nodeid
    if "lab" not in metafunc.fixturenames:
        raise pytest.UsageError(f"{nodeid}: lab_explore needs the test to use the `lab` fixture")
    count = _explore_count(marker, nodeid)
    chosen: int | None = metafunc.config.getoption("lab_seed")
    seeds = list(range(count)) if chosen is None else [chosen]
    metafunc.parametrize("lab_seed", seeds, ids=[f"seed{seed}" for seed in seeds])


def _explore_count(marker: pytest.Mark, nodeid: str) -> int:
    if marker.args and "seeds" in marker.kwargs:
        raise pytest.UsageError(f"{nodeid}: lab_explore takes the seed count once, as seeds=K")
    count = marker.kwargs.get("seeds", marker.args[0] if marker.args else None)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_EXPLORED_SEEDS:
        raise pytest.UsageError(
            f"{nodeid}: lab_explore(seeds=K) needs an int K from 1 to {MAX_EXPLORED_SEEDS}, got {count!r}"
        )
    return count


@pytest.fixture
def lab_seed(request: pytest.FixtureRequest) -> int:
    """The seed of this test's lab: `--lab-seed N`, else 0 (lab_explore parametrizes it)."""
    chosen: int | None = request.config.getoption("lab_seed")
    return 0 if chosen is None else chosen


@pytest.fixture
def lab(request: pytest.FixtureRequest, lab_seed: int) -> Iterator[LabRuntime]:
    """A `LabRuntime` seeded for this test, whose errors carry this test's replay command."""
    request.node.stash[_SEED] = lab_seed
    runtime = LabRuntime(lab_seed, replay=replay_command(lab_seed, request.node.nodeid))
    yield runtime
    runtime.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, None]:
    outcome = yield
    report = outcome.get_result()
    seed = item.stash.get(_SEED, None)
    if seed is None or not report.failed:
        return
    command = replay_command(seed, item.nodeid)
    longrepr = report.longrepr
    addsection = getattr(longrepr, "addsection", None)
    if callable(addsection):
        addsection("browser_rt lab", f"replay with: {command}")
    elif isinstance(longrepr, str):
        report.longrepr = f"{longrepr}\nbrowser_rt lab: replay with: {command}"
    else:
        report.sections.append(("browser_rt lab", f"replay with: {command}"))
    item.config.stash[_REPLAYS].append(command)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    commands = terminalreporter.config.stash.get(_REPLAYS, [])
    if commands:
        terminalreporter.section("browser_rt lab: replay failing seeds")
        for command in commands:
            terminalreporter.write_line(command)
