"""The plugin's wall time beside one bare pytest session in Pyodide, on published suites.

`pytest --run-in-pyodide` over a project's own test suite, in Node and in Chromium, beside its
peer measured in the same run, alternating: one bare `pytest.main()` inside Pyodide over the
same files (bench/plain_session.mjs in Node, bench/plain_session_chrome.mjs in Chromium). Both
wall times include starting the runtime and Pyodide; the plugin's also includes host pytest's own
start and collection. The goal is a ratio of at most 1.3.

The suites are the sdists of published PyPI projects, pinned with their sha256 in
requirements/bench-suites.txt and downloaded by `make bench` (never at run time): idna
(`unittest.TestCase` classes beside the package, about 6,400 tests) and toolz (tests inside the
package). Each is unpacked and put on the host's path as an editable install would put it.
Every test's outcome in the plugin's JUnit report must equal the bare session's, or the
figure is refused: a time is only compared with a time for the same work.

`python -m bench.plugin_session [--suite NAME] [--runtime node|chrome] [--rounds R]` runs it
alone; `python -m bench --only plugin` runs it with the report.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from bench.summarize import paired_ratio

ROOT = Path(__file__).resolve().parent.parent
PYODIDE = ROOT / "build" / "bundle" / "pyodide"
SUITES_DIR = ROOT / ".cache" / "bench-suites"
CONTROLS = {
    "node": ROOT / "bench" / "plain_session.mjs",
    "chrome": ROOT / "bench" / "plain_session_chrome.mjs",
}
GOAL = 1.3


@dataclass(frozen=True)
class Suite:
    """A project's test suite: an sdist to unpack, or a generated one (the smoke size)."""

    key: str
    name: str
    sdist: str = ""
    path_entry: str = ""
    """Where the host imports the package from, relative to the project (`.` for the root)."""
    generated: tuple[int, int] = (0, 0)
    """(files, tests per file) of a generated suite."""
    packages: str = "pytest"
    """What the peer loads (comma-separated): what the plugin finds the suite's files import."""


SUITES = (
    Suite(
        "idna",
        "idna 3.21: unittest classes beside the package",
        "idna-3.21.tar.gz",
        ".",
        packages="pytest,hypothesis",
    ),
    Suite("toolz", "toolz 1.2.0: tests inside the package", "toolz-1.2.0.tar.gz", "."),
)
SMOKE_SUITE = Suite("generated", "generated: 2 files of 5 tests", generated=(2, 5))

GENERATED_TEST_FILE = """\
import pytest


@pytest.fixture(scope="module")
def table():
    return {{n: n * n for n in range(100)}}


@pytest.mark.parametrize("n", range({tests}))
def test_square(table, n):
    assert table[n % 100] == (n % 100) ** 2
"""


def write_suite(root: Path, files: int, tests: int) -> None:
    (root / "tests").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.pytest.ini_options]\n", encoding="utf-8")
    for number in range(files):
        (root / "tests" / f"test_gen_{number:03}.py").write_text(
            GENERATED_TEST_FILE.format(tests=tests), encoding="utf-8"
        )


def unpack(suite: Suite, scratch: Path) -> Path:
    """The suite's project folder under `scratch`."""
    if suite.generated != (0, 0):
        root = scratch / "generated"
        write_suite(root, *suite.generated)
        return root
    sdist = SUITES_DIR / suite.sdist
    if not sdist.is_file():
        raise FileNotFoundError(f"{sdist} is missing: `make bench` downloads requirements/bench-suites.txt")
    with tarfile.open(sdist) as archive:
        archive.extractall(scratch, filter="data")
    return scratch / suite.sdist.removesuffix(".tar.gz")


def outcomes(junit: Path) -> dict[tuple[str, str], str]:
    found = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            state = "failed"
        elif case.find("skipped") is not None:
            state = "skipped"
        else:
            state = "passed"
        found[(case.get("classname") or "", case.get("name") or "")] = state
    return found


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.monotonic()
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=3600, check=False
    )
    seconds = time.monotonic() - started
    if done.returncode not in (0, 1):  # 1: the suite's own failures, compared below
        raise RuntimeError(
            f"{command[:3]} exited {done.returncode}: {done.stdout[-1500:]}{done.stderr[-1500:]}"
        )
    return seconds


def measure(suite: Suite, runtime: str, rounds: int, pyodide: Path = PYODIDE) -> dict[str, object]:
    """Median wall times of the plugin and the bare session, alternating, with their outcomes."""
    with tempfile.TemporaryDirectory(prefix="bench-plugin-session-") as scratch:
        project = unpack(suite, Path(scratch))
        env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", "PYTHONPATH")}
        if suite.path_entry:
            env["PYTHONPATH"] = str((project / suite.path_entry).resolve())
        env["SE_OFFLINE"] = "true"
        bare_xml, plugin_xml = project / "bare.xml", Path(scratch) / "plugin.xml"
        # The peer loads what the plugin loads for the suite (the plugin adds browser_rt).
        bare_cmd = [
            "node", str(CONTROLS[runtime]), str(pyodide), str(project), suite.path_entry,
            str(bare_xml), suite.packages,
        ]  # fmt: skip
        plugin_cmd = [
            sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--run-in-pyodide",
            f"--rt={runtime}", f"--dist-dir={pyodide}", f"--junitxml={plugin_xml}",
        ]  # fmt: skip
        bare, plugin = [], []
        for round_number in range(rounds):
            # The order flips every round, so a machine that slows down (or warms up) during
            # the run weighs on both sides alike.
            pair = [(bare, bare_cmd), (plugin, plugin_cmd)]
            for times, command in pair if round_number % 2 == 0 else pair[::-1]:
                times.append(timed(command, project, env))
        bare_outcomes, plugin_outcomes = outcomes(bare_xml), outcomes(plugin_xml)
    differing = sorted(
        f"{key[0]}::{key[1]}: bare {bare_outcomes.get(key)}, plugin {plugin_outcomes.get(key)}"
        for key in bare_outcomes.keys() | plugin_outcomes.keys()
        if bare_outcomes.get(key) != plugin_outcomes.get(key)
    )
    counts: dict[str, int] = {}
    for state in bare_outcomes.values():
        counts[state] = counts.get(state, 0) + 1
    return {
        "suite": suite.name,
        "runtime": runtime,
        "tests": len(bare_outcomes),
        "outcomes": counts,
        "differing": differing[:20],
        "rounds": rounds,
        "bare_session_s": [round(s, 2) for s in bare],
        "plugin_s": [round(s, 2) for s in plugin],
        "bare_median_s": round(statistics.median(bare), 2),
        "plugin_median_s": round(statistics.median(plugin), 2),
        # Each round times both back to back: the median of the rounds' ratios cancels the
        # machine's slow phases.
        "ratio": round(paired_ratio(plugin, bare), 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", choices=[s.key for s in (*SUITES, SMOKE_SUITE)], action="append")
    parser.add_argument("--runtime", choices=sorted(CONTROLS), action="append")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    chosen = [s for s in (*SUITES, SMOKE_SUITE) if s.key in (args.suite or [s.key for s in SUITES])]
    for suite in chosen:
        for runtime in args.runtime or sorted(CONTROLS):
            print(json.dumps(measure(suite, runtime, args.rounds)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
