"""`browser-rt gate --self-test`: break each check on purpose and show that the gate notices.

Every sabotage runs the real check code against a temporary copy (of the policy, the bundle,
the js_bridge, a tiny test project) or with an injected fault (a `sitecustomize` that disables
the Python CI guard), and must produce the expected blocking finding. Each group also has a
control on the unbroken input that must pass, so a check that fails on everything proves
nothing. The self-test exits non-zero when a sabotage goes unnoticed or a control fails.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from browser_rt.gate.bounds import check_bounds, measure_js, measure_python
from browser_rt.gate.config import GateConfigError, MappedTest, Scenario, load_config, parse_config
from browser_rt.gate.deps import check_dependencies
from browser_rt.gate.engine import GateOptions, run_gate
from browser_rt.gate.fuzz import check_fuzz
from browser_rt.gate.integrity import check_integrity, check_provenance, current_manifest
from browser_rt.gate.prior import PYTEST_JUNIT, load_prior_reports, stamp_path, tree_state, write_stamp
from browser_rt.gate.redaction import check_redaction
from browser_rt.gate.report import REPORT_NAME, CheckResult, EventLog
from browser_rt.gate.runners import Toolchain
from browser_rt.gate.scenarios import check_scenarios
from browser_rt.gate.testids import parse_test_id
from browser_rt.tooling.bundle import WHEEL_CACHE
from browser_rt.tooling.hashing import sha256_file

SELFTEST_NAME = "security_gate_selftest.json"


@dataclass
class Trial:
    """One sabotage (or control) and whether the gate reacted as it must."""

    name: str
    check: str
    control: bool
    expected: str
    ok: bool = False
    seen: list[str] = field(default_factory=list)
    note: str = ""


class SabotageNotApplied(RuntimeError):
    """The fault could not be put in place, so the trial proves nothing (and fails)."""


@dataclass
class Lab:
    """The temporary workspace and everything the trials share."""

    options: GateOptions
    work: Path
    document: dict[str, Any]
    events: EventLog
    trials: list[Trial] = field(default_factory=list)

    def tools(self, root: Path | None = None, **changes: Any) -> Toolchain:
        base = Toolchain(
            root=root or self.options.root,
            python=self.options.python,
            bundle=self.options.bundle,
            logs=self.work / "logs",
            node=self.options.node,
            npx=self.options.npx,
            timeout_s=600,
        )
        return replace(base, **changes)

    def config(self, document: dict[str, Any] | None = None, root: Path | None = None) -> Any:
        return parse_config(document or self.document, self.options.policy, root or self.options.root)

    def trial(
        self,
        name: str,
        check: str,
        expected: str,
        run: Callable[[CheckResult], None],
        *,
        control: bool = False,
    ) -> None:
        """Run one trial: a control must pass, a sabotage must fail with the `expected` finding."""
        record = Trial(name, check, control, expected)
        result = CheckResult(check, blocking=True)
        started = time.monotonic()
        try:
            run(result)
        except SabotageNotApplied as exc:
            record.note = f"sabotage not applied: {exc}"
        except GateConfigError as exc:
            record.seen = ["policy_invalid"]
            record.note = str(exc)
        except Exception as exc:  # a crash is neither detection nor a pass
            record.note = f"crashed: {type(exc).__name__}: {exc}"
        else:
            record.seen = sorted({f.code for f in result.findings if f.blocking})
            if record.seen and not record.note:
                record.note = next(f.message for f in result.findings if f.blocking)[:200]
        if not record.note.startswith(("sabotage not applied", "crashed")):
            record.ok = (not record.seen) if control else bool(set(expected.split("|")) & set(record.seen))
        self.trials.append(record)
        self.events.emit(
            "selftest.trial",
            name=name,
            check=check,
            control=control,
            ok=record.ok,
            seen=record.seen,
            duration_s=round(time.monotonic() - started, 3),
        )


def run_self_test(options: GateOptions, echo: Callable[[str], None] = print) -> int:
    """0 when every sabotage was detected and every control passed; 1 otherwise; 2 if unusable."""
    try:
        load_config(options.policy, options.root)
    except GateConfigError as exc:
        echo(f"browser-rt gate --self-test: the policy itself is invalid: {exc}")
        return 2
    document = json.loads(options.policy.read_text(encoding="utf-8"))
    options.out.mkdir(parents=True, exist_ok=True)
    events = EventLog(options.out / "security_gate_selftest_events.ndjson")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="gate-selftest-", dir=options.out) as work:
        lab = Lab(options, Path(work), document, events)
        for group in (
            _config_trials,
            _scenario_trials,
            _prior_report_trials,
            _bounds_trials,
            _dependency_trials,
            _integrity_trials,
            _redaction_trials,
            _fuzz_trials,
            _exit_code_trials,
        ):
            echo(f"[self-test] {group.__doc__}")
            group(lab)
    events.close()
    return _report(lab.trials, options, time.monotonic() - started, echo)


def _report(trials: list[Trial], options: GateOptions, duration: float, echo: Callable[[str], None]) -> int:
    lines = ["", "gate self-test"]
    for t in trials:
        kind = "control " if t.control else "sabotage"
        verdict = "ok " if t.ok else "BAD"
        what = "passed" if t.control and t.ok else (", ".join(t.seen) or "nothing detected")
        lines.append(f"  {verdict} {kind} {t.check:<16} {t.name}: {what}")
        if not t.ok:
            lines.append(f"        expected {'a pass' if t.control else t.expected}; {t.note}")
    undetected = [t for t in trials if not t.ok]
    lines.append(
        f"self-test {'PASSED' if not undetected else 'FAILED'}: "
        f"{sum(t.ok for t in trials)}/{len(trials)} trials as expected in {duration:.1f}s"
    )
    echo("\n".join(lines))
    (options.out / SELFTEST_NAME).write_text(
        json.dumps(
            {"passed": not undetected, "duration_s": round(duration, 3), "trials": [vars(t) for t in trials]},
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    return 0 if not undetected else 1


# -- the policy file -----------------------------------------------------------------------------


def _config_trials(lab: Lab) -> None:
    """policy file: missing scenarios, checks and tests are refused"""

    def shipped(result: CheckResult) -> None:
        lab.config()

    lab.trial("the shipped policy loads", "policy", "", shipped, control=True)

    def without_scenario(result: CheckResult) -> None:
        document = copy.deepcopy(lab.document)
        document["scenarios"] = [s for s in document["scenarios"] if s["id"] != "ADV-05"]
        lab.config(document)

    def without_check(result: CheckResult) -> None:
        document = copy.deepcopy(lab.document)
        document["checks"] = [c for c in document["checks"] if c["id"] != "redaction"]
        lab.config(document)

    def missing_file(result: CheckResult) -> None:
        document = copy.deepcopy(lab.document)
        document["scenarios"][0]["tests"][0]["id"] = "tests/test_adversarial_gone.py::test_x"
        lab.config(document)

    def wrong_runtime(result: CheckResult) -> None:
        document = copy.deepcopy(lab.document)
        js = next(t for s in document["scenarios"] for t in s["tests"] if t["id"].startswith("tests/js/"))
        js["runtimes"] = ["host"]
        lab.config(document)

    lab.trial("scenario ADV-05 removed", "policy", "policy_invalid", without_scenario)
    lab.trial("the redaction check removed", "policy", "policy_invalid", without_check)
    lab.trial("a mapped test file that does not exist", "policy", "policy_invalid", missing_file)
    lab.trial("a node --test id mapped to the host runtime", "policy", "policy_invalid", wrong_runtime)


# -- running tests ---------------------------------------------------------------------------------

_PYTEST_PROJECT = """
import pytest

def test_passes():
    assert True

def test_skips():
    pytest.skip("skipped on purpose")

def test_fails():
    assert False, "failed on purpose"

@pytest.mark.xfail(reason="expected to fail")
def test_xfails():
    assert False

@pytest.mark.parametrize("n", [1, 2])
def test_one_param_skips(n):
    if n == 2:
        pytest.skip("one parametrization skipped")
"""

_NODE_PROJECT = """
import { describe, test } from "node:test";
import assert from "node:assert/strict";
describe("suite", () => {
  test("passes", () => {});
  test("skips", { skip: "on purpose" }, () => {});
  test("todo", { todo: true }, () => {});
  test("fails", () => { assert.equal(1, 2); });
});
"""

_PLAYWRIGHT_CONFIG = (
    'module.exports = { testDir: "./e2e", reporter: [["list"]], workers: 1,\n'
    '  projects: [{ name: "chromium" }] };\n'
)
_PLAYWRIGHT_SPEC = """
const { test, expect } = require("@playwright/test");
test.describe("suite", () => {
  test("passes", () => { expect(1).toBe(1); });
  test("skips", () => { test.skip(true, "on purpose"); });
  test("fails", () => { expect(1).toBe(2); });
});
"""


def _scenario_with(tests: list[tuple[str, tuple[str, ...]]]) -> Scenario:
    return Scenario(
        "ADV-99", "self-test", "self-test", tuple(MappedTest(parse_test_id(t), rts) for t, rts in tests)
    )


def _scenario_states(lab: Lab, tools: Toolchain, tests: list[tuple[str, tuple[str, ...]]]) -> dict[str, str]:
    result = CheckResult("scenarios", True)
    check_scenarios(
        result, [_scenario_with(tests)], ("host", "node", "chrome", "js", "e2e"), tools, lab.events
    )
    return {
        f"{row['test']}@{row['runtime']}": row["state"] for row in result.details["scenarios"][0]["tests"]
    }


def _scenario_trials(lab: Lab) -> None:
    """scenarios: a missing, skipped, failing or unrun test fails its scenario"""
    project = lab.work / "project"
    (project / "tests" / "js").mkdir(parents=True)
    (project / "e2e").mkdir()
    (project / "tests" / "test_sabotage.py").write_text(_PYTEST_PROJECT, encoding="utf-8")
    (project / "tests" / "js" / "sabotage.test.mjs").write_text(_NODE_PROJECT, encoding="utf-8")
    (project / "e2e" / "sabotage.spec.js").write_text(_PLAYWRIGHT_SPEC, encoding="utf-8")
    (project / "playwright.config.js").write_text(_PLAYWRIGHT_CONFIG, encoding="utf-8")
    modules = lab.options.root / "node_modules"
    if modules.is_dir():
        (project / "node_modules").symlink_to(modules, target_is_directory=True)
    tools = lab.tools(root=project)
    py = "tests/test_sabotage.py::"
    pytest_states = _scenario_states(
        lab,
        tools,
        [
            (py + name, ("host",))
            for name in (
                "test_passes",
                "test_skips",
                "test_fails",
                "test_xfails",
                "test_one_param_skips",
                "test_not_there",
                "test_one_param_skips[1]",
            )
        ],
    )
    js = "tests/js/sabotage.test.mjs::suite > "
    node_states = _scenario_states(
        lab, tools, [(js + n, ("js",)) for n in ("passes", "skips", "todo", "fails", "gone")]
    )
    e2e = "e2e/sabotage.spec.js::suite > "
    e2e_states = _scenario_states(
        lab, tools, [(e2e + n, ("e2e",)) for n in ("passes", "skips", "fails", "gone")]
    )

    def expect(states: dict[str, str], key: str) -> Callable[[CheckResult], None]:
        def run(result: CheckResult) -> None:
            got = states.get(key, "absent")
            if got != "passed":
                result.fail(f"test_{got}", f"state {got}", key)

        return run

    for states, key, state in (
        (pytest_states, py + "test_passes@host", "passed"),
        (pytest_states, py + "test_one_param_skips[1]@host", "passed"),
        (node_states, js + "passes@js", "passed"),
        (e2e_states, e2e + "passes@e2e", "passed"),
        (pytest_states, py + "test_skips@host", "skipped"),
        (pytest_states, py + "test_xfails@host", "skipped"),
        (pytest_states, py + "test_one_param_skips@host", "skipped"),
        (pytest_states, py + "test_fails@host", "failed"),
        (pytest_states, py + "test_not_there@host", "missing"),
        (node_states, js + "skips@js", "skipped"),
        (node_states, js + "todo@js", "skipped"),
        (node_states, js + "fails@js", "failed"),
        (node_states, js + "gone@js", "missing"),
        (e2e_states, e2e + "skips@e2e", "skipped"),
        (e2e_states, e2e + "fails@e2e", "failed"),
        (e2e_states, e2e + "gone@e2e", "missing"),
    ):
        name = f"{key.split('::', 1)[1]} reported {state}"
        lab.trial(name, "scenarios", f"test_{state}", expect(states, key), control=state == "passed")

    def no_interpreter(result: CheckResult) -> None:
        states = _scenario_states(
            lab,
            lab.tools(root=project, python=str(lab.work / "no-python")),
            [(py + "test_passes", ("host",))],
        )
        expect(states, py + "test_passes@host")(result)

    lab.trial("the test tool cannot start", "scenarios", "test_missing", no_interpreter)

    def real_missing(result: CheckResult) -> None:
        real = "tests/test_policy_authority.py::test_untrusted_origin_is_denied"
        states = _scenario_states(lab, lab.tools(), [(real, ("host",)), (real + "_nope", ("host",))])
        if states.get(real + "@host") != "passed":
            raise SabotageNotApplied(f"the real test beside it did not pass ({states})")
        expect(states, real + "_nope@host")(result)

    lab.trial(
        "a real file with a missing test id (its neighbour passes)", "scenarios", "test_missing", real_missing
    )

    if "node" not in lab.options.runtimes:
        return

    def host_only_in_pyodide(result: CheckResult) -> None:
        if not (lab.options.bundle / "pyodide" / "pyodide.mjs").is_file():
            raise SabotageNotApplied(f"no Pyodide in {lab.options.bundle}; build the bundle")
        test = (
            "tests/test_diagnostics_schema.py::test_the_repository_copy_is_identical_to_the_packaged_schema"
        )
        states = _scenario_states(lab, lab.tools(), [(test, ("host", "node"))])
        if states.get(test + "@host") != "passed":
            raise SabotageNotApplied(f"the test does not pass on the host ({states})")
        expect(states, test + "@node")(result)

    lab.trial("a host_only test mapped to Pyodide in Node", "scenarios", "test_skipped", host_only_in_pyodide)
    _pyodide_truth_trials(lab)


_PYODIDE_PROJECT = """
import sys

import pytest


def test_passes_inside_pyodide():
    assert sys.platform == "emscripten"


def test_fails_inside_pyodide():
    assert False, "failed on purpose inside Pyodide"


def test_skips_inside_pyodide():
    pytest.skip("skipped on purpose inside Pyodide")
"""


CONFTEST_FILES = ("conftest.py", "chromium-flags.json")
"""tests/conftest.py and what it reads (the forwarding itself is browser_rt.testing's plugin)."""


def _pyodide_truth_trials(lab: Lab) -> None:
    """A failure or a skip inside Pyodide must reach the gate as such, never as a pass.

    The project is a copy of the repository's tests/conftest.py (which turns on the plugin's
    strict rule for skips), the files it reads, and pyproject.toml, with three tests of its own,
    run in Node; browser_rt.testing's plugin makes the forwarded tests really run.
    """
    project = lab.work / "pyodide-project"
    (project / "tests").mkdir(parents=True)
    for name in CONFTEST_FILES:
        shutil.copy2(lab.options.root / "tests" / name, project / "tests" / name)
    shutil.copy2(lab.options.root / "pyproject.toml", project / "pyproject.toml")
    (project / "tests" / "test_truth.py").write_text(_PYODIDE_PROJECT, encoding="utf-8")
    tests = [f"tests/test_truth.py::test_{name}_inside_pyodide" for name in ("passes", "fails", "skips")]
    states: dict[str, str] = {}

    def run_once() -> dict[str, str]:
        if not states:
            if not (lab.options.bundle / "pyodide" / "pyodide.mjs").is_file():
                raise SabotageNotApplied(f"no Pyodide in {lab.options.bundle}; build the bundle")
            states.update(_scenario_states(lab, lab.tools(root=project), [(t, ("node",)) for t in tests]))
        return states

    def state_of(test: str) -> Callable[[CheckResult], None]:
        def run(result: CheckResult) -> None:
            got = run_once().get(f"{test}@node", "absent")
            if got != "passed":
                result.fail(f"test_{got}", f"state {got}", test)

        return run

    lab.trial("a passing test inside Pyodide in Node", "scenarios", "", state_of(tests[0]), control=True)
    lab.trial("a failing test inside Pyodide in Node", "scenarios", "test_failed", state_of(tests[1]))
    lab.trial(
        "a skipping test inside Pyodide in Node", "scenarios", "test_failed|test_skipped", state_of(tests[2])
    )


# -- reports of earlier runs ----------------------------------------------------------------------

_FORGED_JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="2">
<testcase classname="tests.test_sabotage" name="test_passes"/>
<testcase classname="tests.test_sabotage" name="test_fails"/>
</testsuite></testsuites>
"""
"""A report claiming that test_fails passed: it fails whenever it really runs."""


def _prior_report_trials(lab: Lab) -> None:
    """reports of earlier runs: a stale, foreign, edited or unstamped report is refused"""
    project = lab.work / "prior-project"
    (project / "tests").mkdir(parents=True)
    (project / "tests" / "test_sabotage.py").write_text(_PYTEST_PROJECT, encoding="utf-8")
    bundle = lab.work / "prior-bundle"
    bundle.mkdir()
    (bundle / "runtime.mjs").write_text("export {};\n", encoding="utf-8")
    git = ["git", "-c", "user.name=gate", "-c", "user.email=gate@invalid", "-c", "commit.gpgsign=false"]
    for step in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "sample"]):
        done = subprocess.run([*git, *step], cwd=project, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            lab.trials.append(
                Trial("a git repository for the sample", "scenarios", False, "", note=done.stderr)
            )
            return
    # The sample needs no pytest plugin; without autoloading each run starts several times faster.
    tools = lab.tools(root=project, bundle=bundle, extra_env={"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"})
    test = "tests/test_sabotage.py::test_fails"

    def with_report(
        name: str, change: Callable[[Path, dict[str, Any]], None], *, runtimes: tuple[str, ...] = ("host",)
    ) -> Callable[[CheckResult], None]:
        def run(result: CheckResult) -> None:
            folder = lab.work / f"reports-{name}"
            folder.mkdir()
            report = folder / "host.xml"
            report.write_text(_FORGED_JUNIT, encoding="utf-8")
            write_stamp(
                report, PYTEST_JUNIT, runtimes, tree_state(project, bundle), exit_code=0, duration_s=1
            )
            stamp = json.loads(stamp_path(report).read_text(encoding="utf-8"))
            change(report, stamp)
            if stamp_path(report).is_file():
                stamp_path(report).write_text(json.dumps(stamp), encoding="utf-8")
            prior = load_prior_reports(folder, tree_state(project, bundle))
            check_scenarios(
                result, [_scenario_with([(test, ("host",))])], ("host",), tools, lab.events, prior
            )
            row = result.details["scenarios"][0]["tests"][0]
            if row["source"] == "run" and row["state"] == "failed":
                for refusal in prior.refused:  # refused, and the test ran again: say why
                    result.fail(refusal.code, refusal.message, refusal.report)
            elif row["source"] != "run":
                result.findings.clear()  # the forged pass was taken: nothing detected

        return run

    def unchanged(report: Path, stamp: dict[str, Any]) -> None:
        pass

    def other_commit(report: Path, stamp: dict[str, Any]) -> None:
        stamp["commit"] = "0" * 40

    def other_bundle(report: Path, stamp: dict[str, Any]) -> None:
        stamp["bundle_sha256"] = "f" * 64

    def uncommitted(report: Path, stamp: dict[str, Any]) -> None:
        sample = project / "tests" / "test_sabotage.py"
        sample.write_text(
            sample.read_text(encoding="utf-8") + "\n# changed after the run\n", encoding="utf-8"
        )

    def restore(result: CheckResult, trial: Callable[[CheckResult], None]) -> None:
        try:
            trial(result)
        finally:
            subprocess.run(["git", "checkout", "-q", "--", "."], cwd=project, check=False)

    def edited(report: Path, stamp: dict[str, Any]) -> None:
        report.write_text(_FORGED_JUNIT.replace('tests="2"', 'tests="2" '), encoding="utf-8")

    def unstamped(report: Path, stamp: dict[str, Any]) -> None:
        stamp_path(report).unlink()

    def claims_pass(result: CheckResult) -> None:
        with_report("control", unchanged)(result)
        row = result.details["scenarios"][0]["tests"][0]
        if row["source"] != "host.xml":
            result.fail("report_not_taken", f"the matching report was not taken ({row})", test)

    lab.trial(
        "a report stamped for this tree is taken (test_fails, which it shows passed, does not run)",
        "scenarios",
        "",
        claims_pass,
        control=True,
    )
    lab.trial(
        "the report of another commit",
        "scenarios",
        "report_stale_commit",
        with_report("commit", other_commit),
    )
    lab.trial(
        "the report of another bundle",
        "scenarios",
        "report_stale_bundle",
        with_report("bundle", other_bundle),
    )
    lab.trial(
        "a report from before an uncommitted change",
        "scenarios",
        "report_stale_changes",
        lambda r: restore(r, with_report("changes", uncommitted)),
    )
    lab.trial("a report edited after its stamp", "scenarios", "report_edited", with_report("edited", edited))
    lab.trial(
        "a report without a stamp", "scenarios", "report_unstamped", with_report("unstamped", unstamped)
    )
    lab.trial(
        "a report of the node runtime offered for host",
        "scenarios",
        "test_failed",
        with_report("runtime", unchanged, runtimes=("node",)),
    )


# -- protocol bounds -------------------------------------------------------------------------------


def _bounds_trials(lab: Lab) -> None:
    """protocol_bounds: a wrong, missing or non-positive limit, and a changed limit in the JS code"""
    bridge = lab.options.bundle / "js_bridge"
    python = measure_python()
    js = measure_js(bridge / "policy.mjs", lab.options.node)

    def with_bounds(
        change: Callable[[dict[str, Any]], None], js_measured: dict[str, Any] | None = None
    ) -> Callable[[CheckResult], None]:
        def run(result: CheckResult) -> None:
            document = copy.deepcopy(lab.document)
            change(document["protocol_bounds"])
            check_bounds(
                result, lab.config(document).bounds, python, js if js_measured is None else js_measured
            )

        return run

    def unchanged(bounds: dict[str, Any]) -> None:
        pass

    def header_default(bounds: dict[str, Any]) -> None:
        bounds["policy.max_header_count"]["default"] = 17

    def drop_url(bounds: dict[str, Any]) -> None:
        del bounds["request.max_url_length"]

    def zero_origins(bounds: dict[str, Any]) -> None:
        bounds["policy.max_origins"]["value"] = 0

    def cleanup(bounds: dict[str, Any]) -> None:
        bounds["runtime.cleanup_seconds"]["value"] = 2.0

    lab.trial("the shipped limits", "protocol_bounds", "", with_bounds(unchanged), control=True)
    lab.trial(
        "max_header_count default 17 in the policy",
        "protocol_bounds",
        "bound_mismatch",
        with_bounds(header_default),
    )
    lab.trial("request.max_url_length left out", "protocol_bounds", "bound_missing", with_bounds(drop_url))
    lab.trial("max_origins set to 0", "protocol_bounds", "bound_not_positive", with_bounds(zero_origins))
    lab.trial(
        "cleanup default 2.0 s in the policy", "protocol_bounds", "bound_mismatch", with_bounds(cleanup)
    )

    def js_code_changed(result: CheckResult) -> None:
        copied = lab.work / "bounds-bridge"
        shutil.copytree(bridge, copied)
        module = copied / "policy" / "authority.mjs"
        text = module.read_text(encoding="utf-8")
        entry = re.compile(r'(\["max_header_count", \{[^}]*high: )(\d+)')
        broken = entry.sub(lambda m: f"{m[1]}{int(m[2]) + 1}", text, count=1)
        if broken == text:
            raise SabotageNotApplied("no LIMITS entry for max_header_count in policy/authority.mjs")
        module.write_text(broken, encoding="utf-8")
        check_bounds(result, lab.config().bounds, python, measure_js(copied / "policy.mjs", lab.options.node))

    lab.trial("the JS bridge accepts one header more", "protocol_bounds", "bound_mismatch", js_code_changed)


# -- dependencies ---------------------------------------------------------------------------------


def _clone_bundle(lab: Lab, name: str) -> Path:
    target = lab.work / name
    if not (lab.options.bundle / "pyodide" / "pyodide-lock.json").is_file():
        raise SabotageNotApplied(f"no bundle at {lab.options.bundle}; run make bundle")
    shutil.copytree(lab.options.bundle, target)
    return target


def _lock(bundle: Path) -> tuple[Path, dict[str, Any]]:
    path = bundle / "pyodide" / "pyodide-lock.json"
    return path, json.loads(path.read_text(encoding="utf-8"))


def _dependency_trials(lab: Lab) -> None:
    """dependencies: a changed wheel, an extra package, a stray wheel, an edited lock hash"""
    config = lab.config()
    pins = [lab.options.root / p for p in config.pin_files]

    def check(bundle: Path, result: CheckResult) -> None:
        check_dependencies(result, bundle, config.packages, pins, lab.options.root / WHEEL_CACHE)

    def clean(result: CheckResult) -> None:
        check(_clone_bundle(lab, "deps-clean"), result)

    def wheel_changed(result: CheckResult) -> None:
        bundle = _clone_bundle(lab, "deps-wheel")
        _, lock = _lock(bundle)
        wheel = bundle / "pyodide" / lock["packages"]["idna"]["file_name"]
        wheel.write_bytes(wheel.read_bytes() + b"\0")
        check(bundle, result)

    def extra_package(result: CheckResult) -> None:
        bundle = _clone_bundle(lab, "deps-extra")
        path, lock = _lock(bundle)
        # A package the allowlist does not name (requests is on it: the test bundle ships it).
        wheel = bundle / "pyodide" / "leftpad-1.0.0-py3-none-any.whl"
        wheel.write_bytes(b"PK\x05\x06" + b"\0" * 18)
        entry = dict(
            lock["packages"]["idna"],
            name="leftpad",
            version="1.0.0",
            file_name=wheel.name,
            sha256=sha256_file(wheel),
            depends=[],
        )
        lock["packages"]["leftpad"] = entry
        path.write_text(json.dumps(lock), encoding="utf-8")
        check(bundle, result)

    def stray_wheel(result: CheckResult) -> None:
        bundle = _clone_bundle(lab, "deps-stray")
        (bundle / "pyodide" / "evil-1.0-py3-none-any.whl").write_bytes(b"PK\x05\x06" + b"\0" * 18)
        check(bundle, result)

    def lock_hash(result: CheckResult) -> None:
        bundle = _clone_bundle(lab, "deps-lock")
        path, lock = _lock(bundle)
        lock["packages"]["idna"]["sha256"] = "0" * 64
        path.write_text(json.dumps(lock), encoding="utf-8")
        check(bundle, result)

    def bytecode_tampered(result: CheckResult) -> None:
        bundle = _clone_bundle(lab, "deps-bytecode")
        path, lock = _lock(bundle)
        wheel = bundle / "pyodide" / lock["packages"]["idna"]["file_name"]
        _break_first_pyc(wheel)
        lock["packages"]["idna"]["sha256"] = sha256_file(wheel)
        path.write_text(json.dumps(lock), encoding="utf-8")
        check(bundle, result)

    lab.trial("the built bundle", "dependencies", "", clean, control=True)
    lab.trial("idna wheel changed by one byte", "dependencies", "hash_mismatch", wheel_changed)
    lab.trial("'leftpad' added to the lock", "dependencies", "package_not_allowed", extra_package)
    lab.trial("an unlisted wheel in pyodide/", "dependencies", "unlisted_file", stray_wheel)
    lab.trial("the lock's sha256 for idna edited", "dependencies", "hash_mismatch", lock_hash)
    lab.trial(
        "idna bytecode that is not of the pinned wheel",
        "dependencies",
        "bytecode_mismatch",
        bytecode_tampered,
    )


def _break_first_pyc(wheel: Path) -> None:
    """Rewrite the wheel with its first `.pyc` claiming another source (a zeroed source hash)."""
    with zipfile.ZipFile(wheel) as archive:
        members = [(info, archive.read(info)) for info in archive.infolist()]
    target = next((info.filename for info, _ in members if info.filename.endswith(".pyc")), None)
    if target is None:
        raise SabotageNotApplied(f"{wheel.name} holds no bytecode (a --sources bundle)")
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in members:
            archive.writestr(info, data[:8] + bytes(8) + data[16:] if info.filename == target else data)


# -- integrity ------------------------------------------------------------------------------------


def _integrity_trials(lab: Lab) -> None:
    """integrity: a changed bridge file, lock or wheel hash against the manifest"""
    root = lab.options.root

    def against_fresh_manifest(
        bundle: Path, result: CheckResult, edit: Callable[[dict[str, Any]], None] | None = None
    ) -> None:
        manifest = current_manifest(lab.options.bundle)
        if edit is not None:
            edit(manifest)
        path = lab.work / f"manifest-{len(lab.trials)}.json"
        path.write_text(json.dumps(manifest), encoding="utf-8")
        check_integrity(result, bundle, root, path)

    def clean(result: CheckResult) -> None:
        against_fresh_manifest(_clone_bundle(lab, "integrity-clean"), result)

    def bridge_changed(result: CheckResult) -> None:
        bundle = _clone_bundle(lab, "integrity-bridge")
        module = bundle / "js_bridge" / "fetch_bridge.mjs"
        module.write_text(module.read_text(encoding="utf-8") + "\n// changed\n", encoding="utf-8")
        against_fresh_manifest(bundle, result)

    def lock_changed(result: CheckResult) -> None:
        bundle = _clone_bundle(lab, "integrity-lock")
        path, lock = _lock(bundle)
        lock["info"]["python"] = "0.0.0"
        path.write_text(json.dumps(lock, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        against_fresh_manifest(bundle, result)

    def manifest_wheel(result: CheckResult) -> None:
        def edit(manifest: dict[str, Any]) -> None:
            wheel = next(name for name in manifest["files"] if name.endswith(".whl"))
            manifest["files"][wheel] = "f" * 64

        against_fresh_manifest(_clone_bundle(lab, "integrity-manifest"), result, edit)

    def bytecode_not_of_tree(result: CheckResult) -> None:
        bundle = _clone_bundle(lab, "integrity-bytecode")
        wheel = next((bundle / "pyodide").glob("browser_rt-*.whl"))
        _break_first_pyc(wheel)
        check_provenance(result, bundle, root)

    lab.trial("the built bundle against a fresh manifest", "integrity", "", clean, control=True)
    lab.trial("fetch_bridge.mjs changed after the build", "integrity", "artifact_changed", bridge_changed)
    lab.trial("pyodide-lock.json changed after the build", "integrity", "artifact_changed", lock_changed)
    lab.trial("a manifest that pins another wheel", "integrity", "artifact_changed", manifest_wheel)
    lab.trial("browser_rt bytecode that is not of the tree", "integrity", "wheel_stale", bytecode_not_of_tree)


# -- redaction ------------------------------------------------------------------------------------

_DISABLE_PYTHON_GUARD = (
    "import browser_rt.diagnostics.core as _core\n_core.check_unredacted_allowed = lambda ci, allow: None\n"
)


def _redaction_trials(lab: Lab) -> None:
    """redaction: mode 'none' accepted under CI in Python or JS, or requested by a page"""
    root = lab.options.root
    bridge = lab.options.bundle / "js_bridge"
    empty = lab.work / "empty-root"
    empty.mkdir()

    def clean(result: CheckResult) -> None:
        check_redaction(result, root=root, js_bridge=bridge, python=lab.options.python, node=lab.options.node)

    def python_guard(result: CheckResult) -> None:
        site = lab.work / "sabotaged-site"
        site.mkdir()
        (site / "sitecustomize.py").write_text(_DISABLE_PYTHON_GUARD, encoding="utf-8")
        check_redaction(
            result,
            root=empty,
            js_bridge=bridge,
            python=lab.options.python,
            node=lab.options.node,
            python_env={"PYTHONPATH": str(site)},
        )

    def js_guard(result: CheckResult) -> None:
        copied = lab.work / "redaction-bridge"
        shutil.copytree(bridge, copied)
        module = copied / "diagnostics_options.mjs"
        text = module.read_text(encoding="utf-8")
        broken = "\n".join(line for line in text.splitlines() if "refused when CI is set" not in line)
        if broken == text.rstrip("\n") or broken == text:
            raise SabotageNotApplied("the CI refusal line was not found in diagnostics_options.mjs")
        module.write_text(broken + "\n", encoding="utf-8")
        check_redaction(
            result, root=empty, js_bridge=copied, python=lab.options.python, node=lab.options.node
        )

    def page_none(result: CheckResult) -> None:
        site = lab.work / "page-root" / "site"
        site.mkdir(parents=True)
        (site / "demo.mjs").write_text(
            'createRuntime({ diagnostics: { mode: "none", allowUnredacted: true } });\n', encoding="utf-8"
        )
        check_redaction(
            result, root=site.parent, js_bridge=bridge, python=lab.options.python, node=lab.options.node
        )

    lab.trial("the shipped guards", "redaction", "", clean, control=True)
    lab.trial("Python CI guard disabled by injection", "redaction", "none_accepted_under_ci", python_guard)
    lab.trial("JS CI guard removed from a bridge copy", "redaction", "none_accepted_under_ci", js_guard)
    lab.trial("a demo page asks for mode 'none'", "redaction", "page_requests_none", page_none)


# -- fuzz -----------------------------------------------------------------------------------------

_FAILING_FUZZ = """
from hypothesis import given, strategies as st

@given(st.integers())
def test_finds_a_counterexample(n):
    assert n < 10
"""


def _fuzz_trials(lab: Lab) -> None:
    """fuzz: a target that finds a counterexample, and a run with no targets"""
    project = lab.work / "fuzz-project"
    (project / "tests").mkdir(parents=True)
    (project / "tests" / "test_fuzz_sabotage.py").write_text(_FAILING_FUZZ, encoding="utf-8")
    (project / "tests" / "test_fuzz_empty.py").write_text("", encoding="utf-8")
    tools = lab.tools(root=project)
    lab.trial(
        "a fuzz target with a counterexample",
        "fuzz",
        "fuzz_failed",
        lambda r: check_fuzz(r, ("tests/test_fuzz_sabotage.py",), "default", 300, tools, lab.events),
    )
    lab.trial(
        "no fuzz target collected",
        "fuzz",
        "fuzz_did_not_run",
        lambda r: check_fuzz(r, ("tests/test_fuzz_empty.py",), "default", 300, tools, lab.events),
    )


# -- the whole command ----------------------------------------------------------------------------


def _exit_code_trials(lab: Lab) -> None:
    """exit code: the command fails, and says so in its report, when a blocking check fails"""

    def gate_with(document: dict[str, Any], name: str) -> tuple[int, dict[str, Any]]:
        policy = lab.work / f"{name}.json"
        policy.write_text(json.dumps(document), encoding="utf-8")
        out = lab.work / f"{name}-out"
        options = replace(lab.options, policy=policy, out=out, only=("protocol_bounds",), quiet=True)
        code = run_gate(options)
        report: dict[str, Any] = json.loads((out / REPORT_NAME).read_text(encoding="utf-8"))
        return code, report

    def clean(result: CheckResult) -> None:
        code, report = gate_with(lab.document, "exit-clean")
        if code != 0 or not report["passed"]:
            result.fail("gate_failed", f"exit code {code}")

    def broken(result: CheckResult) -> None:
        document = copy.deepcopy(lab.document)
        document["protocol_bounds"]["policy.timeout_ms"]["high"] = 300_001
        code, report = gate_with(document, "exit-broken")
        if code != 0 and report["passed"] is False:
            result.fail("gate_exit_nonzero", f"exit code {code}, report passed=false")

    lab.trial("browser-rt gate --only protocol_bounds", "exit_code", "", clean, control=True)
    lab.trial("the same with a wrong timeout limit", "exit_code", "gate_exit_nonzero", broken)


if __name__ == "__main__":  # pragma: no cover
    sys.exit("run `browser-rt gate --self-test`")
