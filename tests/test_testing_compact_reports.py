"""The session's message stream: compact passed reports, and lines held back only while harmless.

`browser_rt.testing.inner` runs a real pytest session (on the host here, as it runs inside
Pyodide) over a project with every kind of report, beside a recorder that keeps pytest's own
serialization of each. The host's reading of each compact message must give exactly what
pytest would have sent, and every line must be sent before the next phase of a test runs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from browser_rt.testing.forward import INNER_SOURCE, passed_report_data

pytestmark = pytest.mark.host_only(reason="runs the inner session in a host subprocess, on a scratch project")

CONFTEST = """
import builtins
import pytest

@pytest.fixture(autouse=True)
def timeline(request):
    builtins.browser_rt_timeline.append(("setup", request.node.nodeid))
    yield
    builtins.browser_rt_timeline.append(("teardown", request.node.nodeid))

def pytest_runtest_call(item):
    builtins.browser_rt_timeline.append(("call", item.nodeid))
"""

TESTS = """
import unittest
import pytest

@pytest.fixture(scope="module")
def table():
    return {1: 1}

@pytest.mark.parametrize("n", range(3))
def test_plain(table, n):
    assert table[1] == 1

def test_prints():
    print("some output")

def test_property(record_property):
    record_property("key", "value")

@pytest.mark.xfail(reason="not yet")
def test_xpass():
    pass

@pytest.fixture
def noisy():
    print("set up")

def test_setup_prints(noisy):
    pass

@pytest.mark.xfail(reason="not yet")
def test_xfail():
    assert False

def test_skip():
    pytest.skip("no reason to run")

def test_fails():
    assert 1 == 2

def test_marked_while_it_runs(request):
    request.node.add_marker(pytest.mark.slow)

class TestGroup:
    def test_one(self):
        pass

    def test_two(self):
        pass

class Case(unittest.TestCase):
    def test_case(self):
        self.assertEqual(1, 1)
"""

SERIALIZER_PLUGIN = """
import pytest

@pytest.hookimpl(tryfirst=True)
def pytest_report_to_serializable(config, report):
    data = report._to_json()
    data["$report_type"] = type(report).__name__
    data["added"] = True
    return data
"""

HARNESS = """
import builtins, json, sys
import pytest

runner = {}
exec(compile(open(sys.argv[1], encoding="utf-8").read(), "inner.py", "exec"), runner)
timeline = builtins.browser_rt_timeline = []
full = []

class Collect:
    def __init__(self):
        self.nodeids = []
    def pytest_collection_modifyitems(self, items):
        self.nodeids = [item.nodeid for item in items]

class Record:
    def pytest_configure(self, config):
        self.config = config
    def pytest_runtest_logreport(self, report):
        data = self.config.hook.pytest_report_to_serializable(config=self.config, report=report)
        full.append(json.loads(json.dumps(data, default=repr)))

collect = Collect()
pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider"], plugins=[collect])
timeline.clear()
emit = lambda text: timeline.append(("sent", text))
plugin = runner["StreamingPlugin"](collect.nodeids, emit, False)
pytest.main(["-q", "-p", "no:cacheprovider"], plugins=[plugin, Record()])
plugin.flush()
print(json.dumps({"timeline": timeline, "full": full}))
"""


def run_session(project: Path) -> tuple[list[tuple[str, str]], list[dict[str, Any]]]:
    """(timeline of phases and sends, pytest's own serialization of each report)."""
    harness = project.parent / "harness.py"
    harness.write_text(HARNESS, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(harness), str(INNER_SOURCE)],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    out = json.loads(done.stdout.strip().splitlines()[-1])
    return [tuple(entry) for entry in out["timeline"]], out["full"]


def write_project(root: Path, extra_conftest: str = "") -> Path:
    project = root / "project"
    (project / "tests").mkdir(parents=True)
    ini = "[tool.pytest.ini_options]\nmarkers = ['slow']\n"
    (project / "pyproject.toml").write_text(ini, encoding="utf-8")
    (project / "tests" / "conftest.py").write_text(CONFTEST + extra_conftest, encoding="utf-8")
    (project / "tests" / "test_kinds.py").write_text(TESTS, encoding="utf-8")
    return project


def messages(timeline: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Every message sent but the `collected` one, in order."""
    sent = [json.loads(line) for kind, text in timeline if kind == "sent" for line in text.split("\n")]
    return [m for m in sent if m["type"] != "collected"]


def host_reading(stream: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each report as the host reads it: a full one as sent, a compact one rebuilt."""
    read: list[dict[str, Any]] = []
    previous = None
    for message in stream:
        if message["type"] == "report":
            data = message["data"]
        elif message["type"] == "passed":
            data = passed_report_data(message, previous)
            assert data is not None, f"unreadable compact report: {message}"
        else:
            continue
        previous = (data["nodeid"], data["location"], data["keywords"])
        read.append(data)
    return read


def test_every_compact_report_reads_as_pytest_s_own_serialization(tmp_path: Path) -> None:
    timeline, full = run_session(write_project(tmp_path))
    stream = messages(timeline)
    assert host_reading(stream) == full
    compact = [m for m in stream if m["type"] == "passed"]
    in_full = {(_entry(m)[1].split("::", 1)[1], _entry(m)[2]) for m in stream if m["type"] == "report"}
    # Most reports of a passing suite go compact; those with anything more go in full.
    assert len(compact) >= 30
    assert {("test_prints", "call"), ("test_property", "call"), ("test_xpass", "call")} <= in_full
    assert {("test_fails", "call"), ("test_skip", "call"), ("test_xfail", "call")} <= in_full
    assert ("test_setup_prints", "setup") in in_full
    # A marker added while the test runs changes the keywords: the next compact report carries them.
    marked = [m for m in compact if m["nodeid"].endswith("test_marked_while_it_runs")]
    assert "slow" not in marked[0]["keywords"] and "slow" in marked[1]["keywords"]
    # Keywords already sent for the same test are left out.
    assert any("keywords" not in m for m in compact)


def test_a_plugin_that_adds_to_the_serialization_gets_every_report_in_full(tmp_path: Path) -> None:
    timeline, full = run_session(write_project(tmp_path, SERIALIZER_PLUGIN))
    stream = messages(timeline)
    assert not [m for m in stream if m["type"] == "passed"]
    assert host_reading(stream) == full
    assert all(data.get("added") for data in full)


PHASES = ("setup", "call", "teardown")


def test_a_start_and_any_report_but_a_plain_pass_are_sent_before_the_next_phase_runs(tmp_path: Path) -> None:
    timeline, _ = run_session(write_project(tmp_path))
    stream = messages(timeline)
    order = list(dict.fromkeys(m["nodeid"] for m in stream if m["type"] == "logstart"))
    sent_count = 0
    checked = 0
    for kind, text in timeline:
        if kind == "sent":
            sent_count += sum(1 for line in text.split("\n") if '"collected"' not in line)
            continue
        sent = stream[:sent_count]
        nodeid = text
        earlier_tests = set(order[: order.index(nodeid)])
        # Everything of the tests before this one: their reports and their end.
        for message in stream:
            owner, phase = _entry(message)[1:]
            due = owner in earlier_tests or (
                owner == nodeid
                and (
                    message["type"] == "logstart"
                    or (message["type"] == "report" and PHASES.index(phase or "") < PHASES.index(kind))
                )
            )
            if due:
                assert message in sent, f"{kind} of {nodeid} ran before {message} was sent"
        checked += 1
    assert checked >= 40
    assert sent_count == len(stream)
    # One send per test, plus one per report that has something in it and the session's end.
    sends = sum(1 for kind, _ in timeline if kind == "sent")
    reports_in_full = sum(1 for m in stream if m["type"] == "report")
    assert sends <= len(order) + reports_in_full + 2, (sends, len(order), reports_in_full)


def _entry(message: dict[str, Any]) -> tuple[str, str, str | None]:
    """(type, nodeid, phase) of a message."""
    data = message.get("data", message)
    return message["type"], data["nodeid"], data.get("when")


def test_a_compact_report_the_host_cannot_rebuild_is_refused() -> None:
    location, keywords = ["tests/test_a.py", 3, "test_a"], {"test_a": 1}
    message = {"type": "passed", "nodeid": "tests/test_a.py::test_a", "when": "call", "duration": 0.1}
    previous = ("tests/test_a.py::test_a", location, keywords)
    assert passed_report_data(message, previous) is not None
    refused = {
        "nothing sent before it": (message, None),
        "the previous report was another test's": (message, ("tests/test_a.py::test_b", location, keywords)),
        "a phase pytest does not have": ({**message, "when": "later"}, previous),
        "keywords that are not a mapping": ({**message, "location": location, "keywords": ["test_a"]}, None),
        "a location that is not a list": ({**message, "location": "here", "keywords": keywords}, None),
    }
    for why, (bad, before) in refused.items():
        assert passed_report_data(bad, before) is None, why
