"""`-n N`: the forwarded tests split across N interpreters side by side, by file (`lanes`).

The split is checked as a function; the side-by-side run is checked in Pyodide in Node, where
two tests can only pass if their interpreters run at the same time: each writes a marker into
the mounted project and waits for the other's.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from browser_rt.testing.lanes import Session, Unit, lane_count, split

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = ROOT / "build" / "bundle" / "pyodide"


def test_every_test_is_in_one_session_and_a_file_is_never_split() -> None:
    units = [
        Unit("node", ("a::1", "a::2", "a::3")),
        Unit("node", ("b::1",)),
        Unit("node", ("c::1", "c::2")),
        Unit("chrome", ("a::1", "a::2", "a::3")),
    ]
    lanes = split(units, 2)
    assert len(lanes) == 2
    sessions = [session for lane in lanes for session in lane]
    seen = sorted((s.runtime, n) for s in sessions for n in s.nodeids)
    assert seen == sorted((u.runtime, n) for u in units for n in u.nodeids)
    loads = sorted(sum(len(s.nodeids) for s in lane) for lane in lanes)
    assert loads == [4, 5], lanes
    for session in sessions:
        files = [n.split("::")[0] for n in session.nodeids]
        assert files == sorted(files, key=files.index), "a file's tests stay together, in order"


def test_one_lane_keeps_the_hosts_order_one_session_per_runtime() -> None:
    units = [Unit("node", ("a::1",)), Unit("node", ("b::1",)), Unit("chrome", ("a::1",))]
    assert split(units, 1) == [[Session("node", ["a::1", "b::1"]), Session("chrome", ["a::1"])]]
    assert len(split(units, 8)) == 3, "never more lanes than files"


@pytest.mark.parametrize(("value", "lanes"), [(None, 1), (0, 1), ("0", 1), ("1", 1), ("3", 3)])
def test_n_reads_as_xdist_reads_it(value: object, lanes: int) -> None:
    assert lane_count(value) == lanes


def test_auto_is_the_cpu_count_and_nonsense_is_named() -> None:
    assert lane_count("auto") == max(1, os.cpu_count() or 1)
    with pytest.raises(pytest.UsageError, match="-n many"):
        lane_count("many")
    with pytest.raises(pytest.UsageError, match="-n -2"):
        lane_count("-2")


MEET = """\
import pathlib
import time

HERE = pathlib.Path(__file__).parent


def test_{me}_meets_{other}():
    (HERE / "{me}.arrived").write_text("here")
    wait = float((HERE / "wait.txt").read_text())
    deadline = time.monotonic() + wait
    while not (HERE / "{other}.arrived").exists():
        assert time.monotonic() < deadline, "{other} never ran at the same time"
        time.sleep(0.05)
"""


def run_meeting(project: Path, wait_s: float, *args: str) -> tuple[dict[str, str], str]:
    for me in ("left", "right"):
        (project / "tests" / f"{me}.arrived").unlink(missing_ok=True)
    (project / "tests" / "wait.txt").write_text(str(wait_s), encoding="utf-8")
    xml = project / "out.xml"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", "PYTHONPATH")}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "--run-in-pyodide",
            "--rt=node",
            f"--dist-dir={BUNDLE}",
            f"--junitxml={xml}",
            *args,
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    states = {}
    for case in ET.parse(xml).getroot().iter("testcase"):
        failed = case.find("failure") is not None or case.find("error") is not None
        states[case.get("name") or ""] = "failed" if failed else "passed"
    return states, run.stdout[-4000:]


@pytest.mark.host_only(reason="drives Pyodide in Node itself, and pytest in a subprocess")
def test_n_2_runs_two_interpreters_at_the_same_time(tmp_path: Path) -> None:
    if not (BUNDLE / "pyodide.mjs").is_file():
        pytest.skip(f"no Pyodide bundle at {BUNDLE}: make bundle")
    (tmp_path / "tests").mkdir()
    (tmp_path / "pyproject.toml").write_text("[tool.pytest.ini_options]\n", encoding="utf-8")
    for me, other in (("left", "right"), ("right", "left")):
        (tmp_path / "tests" / f"test_{me}.py").write_text(MEET.format(me=me, other=other), encoding="utf-8")
    states, out = run_meeting(tmp_path, 240, "-n", "2")
    assert states == {"test_left_meets_right": "passed", "test_right_meets_left": "passed"}, out
    assert "2 interpreters side by side" in out
    # The control: one interpreter runs them one after the other, so the first waits in vain.
    states, out = run_meeting(tmp_path, 2)
    assert sorted(states.values()) == ["failed", "passed"], out
