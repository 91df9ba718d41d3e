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

import pytest

pytestmark = pytest.mark.host_only(reason="runs pytest with pytest-pyodide's options in a subprocess")

TESTS = "def test_a():\n    pass\n\n\ndef test_b():\n    pass\n\n\ndef test_c():\n    pass\n"

CONFTEST = """
import json
import pytest
import browser_rt.testing.sessions as sessions
from browser_rt.testing.node_session import SessionEnded

SCRIPT = json.loads({script!r})
STARTS = []


def report(nodeid, outcome, when):
    return {{"$report_type": "TestReport", "nodeid": nodeid, "location": ["tests/test_x.py", 0, nodeid],
             "keywords": {{}}, "outcome": outcome, "longrepr": None if outcome == "passed" else "boom",
             "when": when, "sections": [], "duration": 0.0, "user_properties": []}}


class Scripted:
    def __init__(self, pending):
        self.messages = []
        for step in SCRIPT[len(STARTS) - 1]:
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
            else:
                self.messages.append({{"type": kind}})

    def next_message(self, timeout):
        if not self.messages:
            raise SessionEnded("node exited with status 3")
        return self.messages.pop(0)

    def console(self):
        return "LAST WORDS"

    def close(self):
        pass


def fake_start(runtime, spec, item):
    STARTS.append([b["nodeids"] for b in spec["session"]["batches"]])
    return Scripted(STARTS[-1])


sessions.start_session = fake_start


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line("STARTS " + json.dumps(STARTS))
"""


def run_scripted(tmp_path: Path, script: list[list[list[str]]], *args: str) -> tuple[dict[str, str], str]:
    import json

    (tmp_path / "tests").mkdir()
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
