"""The host side of `--run-in-pyodide`, fed scripted sessions instead of a real interpreter.

A conftest in a temporary project replaces `browser_rt.testing.sessions.start_session` with a
script of messages (what `browser_rt.testing.inner` would send), so the loop's rules are
checked in seconds: every report reaches the host's JUnit file, a test the session never
reports fails, a lost interpreter fails only its running test and a fresh one goes on.
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.host_only(reason="runs pytest with pytest-pyodide's options in a subprocess")

TESTS = "def test_a():\n    pass\n\n\ndef test_b():\n    pass\n\n\ndef test_c():\n    pass\n"

CONFTEST = """
import json
import threading
import time
import pytest
import browser_rt.testing.sessions as sessions
from browser_rt.testing.node_session import SessionEnded

SCRIPT = json.loads({script!r})
STARTS = []
CLOSED = []


def report(nodeid, outcome, when):
    return {{"$report_type": "TestReport", "nodeid": nodeid, "location": ["tests/test_x.py", 0, nodeid],
             "keywords": {{}}, "outcome": outcome, "longrepr": None if outcome == "passed" else "boom",
             "when": when, "sections": [], "duration": 0.0, "user_properties": []}}


class Scripted:
    def __init__(self, pending):
        self.messages = []
        self.closed = threading.Event()
        # A list is played in start order; a dict (for -n, where lanes start in any order) by
        # the first test of the session.
        steps = SCRIPT[pending[0][0]] if isinstance(SCRIPT, dict) else SCRIPT[len(STARTS) - 1]
        for step in steps:
            kind, nodeid = step[0], step[1] if len(step) > 1 else None
            where = ["tests/test_x.py", 0, nodeid]
            if kind == "run":
                self.messages.append({{"type": "logstart", "nodeid": nodeid, "location": where}})
                for when in ("setup", "call", "teardown"):
                    outcome = step[2] if when == "call" else "passed"
                    self.messages.append({{"type": "report", "data": report(nodeid, outcome, when)}})
                self.messages.append({{"type": "logfinish", "nodeid": nodeid, "location": where}})
            elif kind == "start":
                self.messages.append({{"type": "logstart", "nodeid": nodeid, "location": where}})
            elif kind == "hold":
                self.messages.append(None)
            else:
                self.messages.append({{"type": kind}})

    def next_message(self, timeout):
        if self.messages and self.messages[0] is None:
            # Silent until the host stops it, as a long test would be.
            self.closed.wait(timeout)
            CLOSED.append(self.first)
            raise SessionEnded("stopped by the host")
        if not self.messages:
            raise SessionEnded("node exited with status 3")
        return self.messages.pop(0)

    def console(self):
        return "LAST WORDS"

    def close(self):
        self.closed.set()


def fake_start(runtime, spec, item):
    batches = [b["nodeids"] for b in spec["session"]["batches"]]
    STARTS.append(batches)
    session = Scripted(batches)
    session.first = batches[0][0]
    return session


sessions.start_session = fake_start


def pytest_terminal_summary(terminalreporter):
    time.sleep(0.2)  # a stopped lane's reader notices its close
    terminalreporter.write_line("STARTS " + json.dumps(STARTS))
    terminalreporter.write_line("CLOSED " + json.dumps(sorted(CLOSED)))
"""


def run_scripted(
    tmp_path: Path, script: Any, *args: str, second_file: bool = False
) -> tuple[dict[str, str], str]:
    import json

    (tmp_path / "tests").mkdir()
    if second_file:
        (tmp_path / "tests" / "test_y.py").write_text("def test_d():\n    pass\n", encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text("[tool.pytest.ini_options]\n", encoding="utf-8")
    (tmp_path / "tests" / "test_x.py").write_text(TESTS, encoding="utf-8")
    (tmp_path / "conftest.py").write_text(CONFTEST.format(script=json.dumps(script)), encoding="utf-8")
    lock = tmp_path / "pyodide" / "pyodide-lock.json"
    lock.parent.mkdir()
    lock.write_text(json.dumps({"packages": {"pytest": {"imports": ["pytest"]}}}), encoding="utf-8")
    xml = tmp_path / "out.xml"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "--run-in-pyodide",
            "--rt=node",
            f"--dist-dir={lock.parent}",
            f"--junitxml={xml}",
            *args,
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    states: dict[str, str] = {}
    for case in ET.parse(xml).getroot().iter("testcase"):
        failed = case.find("failure") is not None or case.find("error") is not None
        states[case.get("name") or ""] = "failed" if failed else "passed"
    return states, run.stdout


def test_each_report_reaches_the_host_and_a_missing_one_fails(tmp_path: Path) -> None:
    script = [
        [
            ["run", "tests/test_x.py::test_a", "passed"],
            ["run", "tests/test_x.py::test_b", "failed"],
            ["finished"],
        ]
    ]
    states, out = run_scripted(tmp_path, script)
    assert states == {"test_a": "passed", "test_b": "failed", "test_c": "failed"}, out
    assert "tests/test_x.py::test_c did not run inside Pyodide" in out


def test_a_lost_interpreter_fails_its_test_and_a_fresh_one_runs_the_rest(tmp_path: Path) -> None:
    script = [
        [["run", "tests/test_x.py::test_a", "passed"], ["start", "tests/test_x.py::test_b"]],
        [["run", "tests/test_x.py::test_c", "passed"], ["finished"]],
    ]
    states, out = run_scripted(tmp_path, script)
    assert states == {"test_a": "passed", "test_b": "failed", "test_c": "passed"}, out
    assert "crashed while running this test" in out and "LAST WORDS" in out
    starts = '[[["tests/test_x.py::test_a", "tests/test_x.py::test_b", "tests/test_x.py::test_c"]], '
    assert f'STARTS {starts}[["tests/test_x.py::test_c"]]]' in out


def test_maxfail_stops_the_stream(tmp_path: Path) -> None:
    script = [
        [
            ["run", "tests/test_x.py::test_a", "failed"],
            ["run", "tests/test_x.py::test_b", "passed"],
            ["finished"],
        ]
    ]
    states, out = run_scripted(tmp_path, script, "-x")
    assert states == {"test_a": "failed"}, out
    assert "stopping after 1 failures" in out


def test_with_n_a_stop_in_one_lane_stops_the_other_interpreter(tmp_path: Path) -> None:
    script = {
        "tests/test_x.py::test_a": [
            ["run", "tests/test_x.py::test_a", "passed"],
            ["start", "tests/test_x.py::test_b"],
            ["hold"],
        ],
        "tests/test_y.py::test_d": [["run", "tests/test_y.py::test_d", "failed"], ["finished"]],
    }
    states, out = run_scripted(tmp_path, script, "-x", "-n", "2", second_file=True)
    assert states.get("test_d") == "failed" and "test_c" not in states, out
    assert "stopping after 1 failures" in out
    assert 'CLOSED ["tests/test_x.py::test_a"]' in out, "the other lane's interpreter was stopped"


def test_with_n_each_lane_reports_every_test_and_replaces_its_lost_interpreter(tmp_path: Path) -> None:
    script = {
        "tests/test_x.py::test_a": [
            ["run", "tests/test_x.py::test_a", "passed"],
            ["start", "tests/test_x.py::test_b"],
        ],
        "tests/test_x.py::test_c": [["run", "tests/test_x.py::test_c", "passed"], ["finished"]],
        "tests/test_y.py::test_d": [["run", "tests/test_y.py::test_d", "passed"], ["finished"]],
    }
    states, out = run_scripted(tmp_path, script, "-n", "2", second_file=True)
    assert states == {"test_a": "passed", "test_b": "failed", "test_c": "passed", "test_d": "passed"}, out
    assert "crashed while running this test" in out
    assert "2 interpreters side by side" in out
