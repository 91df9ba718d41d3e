"""The gate takes passed tests from stamped reports of earlier runs only when the stamp matches.

Each test builds a small git project, records a real pytest run of it with `record_run`, and
feeds the report to the scenarios check. The sample test passes only while SAMPLE_PASS is set,
so a test the gate runs itself fails, and a pass can only have come from the report.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from browser_rt.cli import build_parser
from browser_rt.gate.config import MappedTest, Scenario
from browser_rt.gate.engine import GateOptions, run_gate
from browser_rt.gate.prior import (
    PYTEST_JUNIT,
    load_prior_reports,
    record_run,
    stamp_path,
    tree_state,
)
from browser_rt.gate.report import REPORT_NAME, CheckResult, EventLog
from browser_rt.gate.results import read_playwright_json
from browser_rt.gate.runners import Toolchain
from browser_rt.gate.scenarios import check_scenarios
from browser_rt.gate.testids import parse_test_id

pytestmark = pytest.mark.host_only(reason="builds git projects and starts pytest subprocesses")

SAMPLE = """
import os

def test_taken():
    assert os.environ.get("SAMPLE_PASS"), "passes only in the recorded run"

def test_left_out():
    assert os.environ.get("SAMPLE_PASS"), "passes only in the recorded run"
"""
TAKEN = "tests/test_sample.py::test_taken"
LEFT_OUT = "tests/test_sample.py::test_left_out"


def _git(project: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@invalid", "-c", "commit.gpgsign=false", *args],
        cwd=project,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # The sample needs no plugin; without autoloading, each pytest it starts is several times faster.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    root = tmp_path / "project"
    (root / "tests").mkdir(parents=True)
    (root / "tests" / "test_sample.py").write_text(SAMPLE, encoding="utf-8")
    (root / ".gitignore").write_text("/reports/\n/bundle/\n", encoding="utf-8")
    (root / "bundle").mkdir()
    (root / "bundle" / "runtime.mjs").write_text("export {};\n", encoding="utf-8")
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "sample")
    return root


def _record(project: Path, monkeypatch: pytest.MonkeyPatch, *tests: str) -> Path:
    """Record a passing run of `tests` (SAMPLE_PASS set only for it); return the report."""
    report = project / "reports" / "host.xml"
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *tests, f"--junitxml={report}"]
    with monkeypatch.context() as patch:
        patch.setenv("SAMPLE_PASS", "1")
        code = record_run(report, PYTEST_JUNIT, ("host",), command, project, project / "bundle")
    assert code == 0
    return report


def _gate(project: Path, tmp_path: Path, ids: list[str], reports: Path | None) -> CheckResult:
    tools = Toolchain(root=project, python=sys.executable, bundle=project / "bundle", logs=tmp_path / "logs")
    scenario = Scenario("ADV-99", "t", "t", tuple(MappedTest(parse_test_id(t), ("host",)) for t in ids))
    prior = None if reports is None else load_prior_reports(reports, tree_state(project, project / "bundle"))
    result = CheckResult("scenarios", True)
    check_scenarios(result, [scenario], ("host",), tools, EventLog(None), prior)
    return result


def _rows(result: CheckResult) -> dict[str, tuple[str, str]]:
    return {r["test"]: (r["state"], r["source"]) for r in result.details["scenarios"][0]["tests"]}


def test_a_matching_report_is_taken_and_only_what_it_lacks_runs(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = _record(project, monkeypatch, "tests/test_sample.py::test_taken")
    stamp = json.loads(stamp_path(report).read_text(encoding="utf-8"))
    assert stamp["runtimes"] == ["host"] and stamp["exit_code"] == 0 and len(stamp["commit"]) == 40

    result = _gate(project, tmp_path, [TAKEN, LEFT_OUT], report.parent)
    assert _rows(result) == {TAKEN: ("passed", "host.xml"), LEFT_OUT: ("failed", "run")}
    ran = [" ".join(r["command"]) for r in result.details["runs"] if not r["group"].endswith(".collect")]
    assert len(ran) == 1 and LEFT_OUT in ran[0] and TAKEN not in ran[0]


def test_without_reports_every_test_runs(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _record(project, monkeypatch, "tests")
    result = _gate(project, tmp_path, [TAKEN, LEFT_OUT], None)
    assert _rows(result) == {TAKEN: ("failed", "run"), LEFT_OUT: ("failed", "run")}
    assert "reports" not in result.details


def _other_commit(project: Path, report: Path, stamp: dict[str, Any]) -> None:
    stamp["commit"] = "0" * 40


def _other_bundle(project: Path, report: Path, stamp: dict[str, Any]) -> None:
    (project / "bundle" / "runtime.mjs").write_text("export const changed = 1;\n", encoding="utf-8")


def _uncommitted_change(project: Path, report: Path, stamp: dict[str, Any]) -> None:
    (project / "tests" / "test_sample.py").write_text(SAMPLE + "\n# edited\n", encoding="utf-8")


def _untracked_file(project: Path, report: Path, stamp: dict[str, Any]) -> None:
    (project / "tests" / "conftest.py").write_text("", encoding="utf-8")


def _edited_report(project: Path, report: Path, stamp: dict[str, Any]) -> None:
    report.write_text(report.read_text(encoding="utf-8") + "\n", encoding="utf-8")


def _stamp_of_another_file(project: Path, report: Path, stamp: dict[str, Any]) -> None:
    stamp["report"] = "node.xml"


def _no_stamp(project: Path, report: Path, stamp: dict[str, Any]) -> None:
    stamp_path(report).unlink()


def _not_a_stamp(project: Path, report: Path, stamp: dict[str, Any]) -> None:
    stamp["schema"] = "something-else"


def _format_cannot_hold_runtime(project: Path, report: Path, stamp: dict[str, Any]) -> None:
    stamp["runtimes"] = ["e2e"]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (_other_commit, "report_stale_commit"),
        (_other_bundle, "report_stale_bundle"),
        (_uncommitted_change, "report_stale_changes"),
        (_untracked_file, "report_stale_changes"),
        (_edited_report, "report_edited"),
        (_stamp_of_another_file, "report_foreign"),
        (_no_stamp, "report_unstamped"),
        (_not_a_stamp, "stamp_unreadable"),
        (_format_cannot_hold_runtime, "stamp_unreadable"),
    ],
)
def test_a_stale_foreign_or_edited_report_is_refused_and_its_tests_run_again(
    project: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    change: Callable[[Path, Path, dict[str, Any]], None],
    code: str,
) -> None:
    report = _record(project, monkeypatch, "tests")
    stamp = json.loads(stamp_path(report).read_text(encoding="utf-8"))
    change(project, report, stamp)
    if stamp_path(report).is_file():
        stamp_path(report).write_text(json.dumps(stamp), encoding="utf-8")

    result = _gate(project, tmp_path, [TAKEN], report.parent)
    assert _rows(result) == {TAKEN: ("failed", "run")}
    assert [r["code"] for r in result.details["reports"]["refused"]] == [code]
    warnings = [f for f in result.findings if not f.blocking]
    assert [f.code for f in warnings] == [code] and warnings[0].subject == "host.xml"


def test_a_report_of_another_runtime_is_not_taken(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = project / "reports" / "node.xml"
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-q",
        "tests",
        f"--junitxml={report}",
    ]
    monkeypatch.setenv("SAMPLE_PASS", "1")
    assert record_run(report, PYTEST_JUNIT, ("node",), command, project, project / "bundle") == 0
    monkeypatch.delenv("SAMPLE_PASS")
    assert _rows(_gate(project, tmp_path, [TAKEN], report.parent)) == {TAKEN: ("failed", "run")}


def test_a_failing_run_is_stamped_but_its_failures_run_again(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = project / "reports" / "host.xml"
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-q",
        "tests",
        f"--junitxml={report}",
    ]
    assert record_run(report, PYTEST_JUNIT, ("host",), command, project, project / "bundle") == 1
    assert json.loads(stamp_path(report).read_text(encoding="utf-8"))["exit_code"] == 1
    monkeypatch.setenv("SAMPLE_PASS", "1")  # now it would pass: so it must have run again
    assert _rows(_gate(project, tmp_path, [TAKEN], report.parent)) == {TAKEN: ("passed", "run")}


def test_recording_clears_the_old_report_and_stamps_only_what_the_run_wrote(project: Path) -> None:
    report = project / "reports" / "host.xml"
    report.parent.mkdir()
    report.write_text("<testsuites/>", encoding="utf-8")
    stamp_path(report).write_text("{}", encoding="utf-8")
    code = record_run(
        report, PYTEST_JUNIT, ("host",), [sys.executable, "-c", "exit(3)"], project, project / "bundle"
    )
    assert code == 3 and not report.exists() and not stamp_path(report).exists()


def test_no_stamp_when_the_tree_changes_during_the_run(project: Path) -> None:
    report = project / "reports" / "host.xml"
    script = (
        "import pathlib; pathlib.Path('reports').mkdir(exist_ok=True);"
        "pathlib.Path('reports/host.xml').write_text('<testsuites/>');"
        "pathlib.Path('tests/new_file.py').write_text('')"
    )
    assert (
        record_run(
            report, PYTEST_JUNIT, ("host",), [sys.executable, "-c", script], project, project / "bundle"
        )
        == 0
    )
    assert report.is_file() and not stamp_path(report).exists()


@pytest.mark.parametrize(
    ("fmt", "runtimes", "message"),
    [
        ("junit", ("host",), "report format 'junit'"),
        (PYTEST_JUNIT, ("e2e",), "runtime 'e2e' cannot come from a pytest-junit report"),
        ("playwright-json", ("host",), "runtime 'host' cannot come from a playwright-json report"),
        (PYTEST_JUNIT, (), "name the runtimes"),
        (PYTEST_JUNIT, ("host", "node"), "name exactly one runtime"),
    ],
)
def test_recording_refuses_a_format_and_runtime_that_do_not_fit(
    project: Path, fmt: str, runtimes: tuple[str, ...], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        record_run(project / "r.xml", fmt, runtimes, ["true"], project, project / "bundle")


def test_a_missing_reports_folder_runs_everything(project: Path, tmp_path: Path) -> None:
    result = _gate(project, tmp_path, [TAKEN], project / "no-such-folder")
    assert _rows(result) == {TAKEN: ("failed", "run")}
    assert [r["code"] for r in result.details["reports"]["refused"]] == ["reports_missing"]


def test_a_playwright_report_is_read_per_project(tmp_path: Path) -> None:
    def spec(project: str, status: str) -> dict[str, Any]:
        result = {"status": status}
        return {"projectName": project, "expectedStatus": "passed", "status": "expected", "results": [result]}

    document = {
        "suites": [
            {
                "file": "security.spec.js",
                "title": "security.spec.js",
                "specs": [
                    {"title": "holds", "tests": [spec("chromium", "passed"), spec("webkit", "failed")]}
                ],
            }
        ]
    }
    path = tmp_path / "e2e.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    assert [c.state for c in read_playwright_json(path, project="chromium")] == ["passed"]
    assert [c.state for c in read_playwright_json(path, project="webkit")] == ["failed"]
    assert len(read_playwright_json(path)) == 2


def test_the_cli_takes_reports_only_when_asked(tmp_path: Path) -> None:
    parser = build_parser()
    assert parser.parse_args(["gate"]).reports is None
    assert parser.parse_args(["gate", "--reports", "artifacts/test-reports"]).reports == Path(
        "artifacts/test-reports"
    )
    record = parser.parse_args(
        [
            "gate-record",
            "--report",
            "r.xml",
            "--format",
            "pytest-junit",
            "--runtimes",
            "host",
            "--",
            "pytest",
            "-q",
        ]
    )
    assert record.command == ["--", "pytest", "-q"] and record.runtimes == ("host",)


def test_the_gate_report_says_which_reports_it_was_given(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[1]
    out = tmp_path / "out"
    options = GateOptions(
        root=root,
        policy=root / "security" / "policy.json",
        bundle=tmp_path / "bundle",
        out=out,
        only=("protocol_bounds",),
        quiet=True,
        reports=tmp_path / "reports",
    )
    run_gate(options)
    assert json.loads((out / REPORT_NAME).read_text(encoding="utf-8"))["reports"] == str(tmp_path / "reports")
