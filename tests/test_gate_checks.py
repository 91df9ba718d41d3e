"""The security gate itself: its policy file, its test runners, its checks and the command.

Each check is shown to pass on clean input and to fail when its input is broken; the runners
are fed real pytest and node --test runs of small projects. `browser-rt gate --self-test` does
the same against the real bundle and the real suite.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from browser_rt.cli import build_parser
from browser_rt.gate.bounds import KNOWN_BOUNDS, check_bounds, measure_python
from browser_rt.gate.config import (
    CHECK_IDS,
    REQUIRED_SCENARIOS,
    AllowedPackage,
    Bound,
    GateConfigError,
    MappedTest,
    Scenario,
    load_config,
    parse_config,
)
from browser_rt.gate.deps import check_dependencies
from browser_rt.gate.engine import GateOptions, run_gate
from browser_rt.gate.integrity import check_integrity, current_manifest
from browser_rt.gate.redaction import check_redaction
from browser_rt.gate.report import EVENTS_NAME, REPORT_NAME, CheckResult, EventLog, gate_passed, summary
from browser_rt.gate.results import read_playwright_json
from browser_rt.gate.runners import Toolchain
from browser_rt.gate.scenarios import check_scenarios
from browser_rt.gate.selftest import CONFTEST_FILES
from browser_rt.gate.testids import (
    Kind,
    TestIdError,
    junit_address,
    parse_test_id,
    pytest_case_matches,
    titles_match,
)
from browser_rt.tooling.bundle import MANIFEST_NAME, PYODIDE_CORE_FILES

pytestmark = pytest.mark.host_only(
    reason="reads the repository, builds temporary projects and starts subprocesses"
)

ROOT = Path(__file__).resolve().parents[1]


# -- config ------------------------------------------------------------

POLICY = ROOT / "security" / "policy.json"


def document() -> dict:
    return json.loads(POLICY.read_text(encoding="utf-8"))


def test_the_shipped_policy_is_complete() -> None:
    config = load_config(POLICY, ROOT)
    assert [s.id for s in config.scenarios] == list(REQUIRED_SCENARIOS)
    assert {c.id for c in config.checks} == set(CHECK_IDS) and all(c.blocking for c in config.checks)
    for scenario in config.scenarios:
        runtimes = {r for t in scenario.tests for r in t.runtimes}
        assert runtimes & {"node", "chrome", "e2e"}, f"{scenario.id} is proven in a browser runtime too"


def _python_functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}


def test_every_mapped_test_exists_in_its_file() -> None:
    """A cheap early check; the gate itself fails on a missing test when it runs them."""
    missing = []
    for scenario in load_config(POLICY, ROOT).scenarios:
        for mapped in scenario.tests:
            test = mapped.test
            source = ROOT / test.path
            if test.kind in (Kind.PYTEST, Kind.BROWSER):
                name = re.sub(r"\[.*$", "", test.names[-1])
                if name not in _python_functions(source):
                    missing.append(test.text)
            elif not all(
                json.dumps(title)[1:-1] in source.read_text(encoding="utf-8") for title in test.names
            ):
                missing.append(test.text)
    assert missing == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["scenarios"].pop(4), "ADV-05 missing"),
        (lambda d: d["checks"].pop(), "fuzz missing"),
        (lambda d: d.update(schema="v0"), "schema"),
        (lambda d: d.update(extra=1), "unknown key 'extra'"),
        (lambda d: d["scenarios"][0].update(tests=[]), "maps no tests"),
        (lambda d: d["scenarios"].append(copy.deepcopy(d["scenarios"][0])), "listed twice"),
        (lambda d: d["scenarios"][0]["tests"][0].update(runtimes=["js"]), "cannot run in 'js'"),
        (lambda d: d["scenarios"][0]["tests"][0].update(runtimes=["firefox"]), "unknown runtime"),
        (lambda d: d["scenarios"][0]["tests"][0].update(id="tests/test_gone.py::test_x"), "does not exist"),
        (lambda d: d["scenarios"][0]["tests"][0].update(id="tests/test_smoke.py"), "name a test"),
        (lambda d: d["checks"][0].update(blocking="yes"), "true or false"),
        (lambda d: d["dependencies"]["allowed"].pop(0), "role 'project'"),
        (lambda d: d["fuzz"].update(timeout_seconds=0), "positive integer"),
    ],
)
def test_broken_policies_are_refused_by_name(change, message: str) -> None:
    broken = document()
    change(broken)
    with pytest.raises(GateConfigError, match=re.escape(message)):
        parse_config(broken, POLICY, ROOT)


@pytest.mark.parametrize(
    ("text", "kind", "names"),
    [
        ("tests/test_x.py::test_y[a-b]", Kind.PYTEST, ("test_y[a-b]",)),
        ("tests/test_x.py::TestC::test_y", Kind.PYTEST, ("TestC", "test_y")),
        ("tests/browser/test_x.py::test_y", Kind.BROWSER, ("test_y",)),
        ("tests/js/a.test.mjs::suite > test one", Kind.NODE_TEST, ("suite", "test one")),
        ("e2e/a.spec.js::worker mode > denials", Kind.PLAYWRIGHT, ("worker mode", "denials")),
    ],
)
def test_test_ids_are_classified(text: str, kind: Kind, names: tuple[str, ...]) -> None:
    parsed = parse_test_id(text)
    assert (parsed.kind, parsed.names) == (kind, names)


@pytest.mark.parametrize(
    "text",
    [
        "",
        " tests/test_x.py::t",
        "src/test_x.py::t",
        "tests/js/a.mjs::t",
        "e2e/a.js::t",
        "tests/js/a.test.mjs::a >  > b",
    ],
)
def test_unusable_test_ids_are_refused(text: str) -> None:
    with pytest.raises(TestIdError):
        parse_test_id(text)


def test_junit_matching_follows_pytest_mangling() -> None:
    plain = parse_test_id("tests/sub/test_x.py::TestC::test_y")
    assert junit_address(plain) == ("tests.sub.test_x.TestC", "test_y")
    assert pytest_case_matches(plain, "tests.sub.test_x.TestC", "test_y[1]")
    assert not pytest_case_matches(plain, "tests.sub.test_x.TestC", "test_yz")
    assert not pytest_case_matches(plain, "tests.sub.test_x", "test_y")
    one = parse_test_id("tests/test_x.py::test_y[1]")
    assert pytest_case_matches(one, "tests.test_x", "test_y[1]")
    assert not pytest_case_matches(one, "tests.test_x", "test_y[2]")
    suite = parse_test_id("tests/js/a.test.mjs::suite")
    assert titles_match(suite, ("suite", "inner", "t")) and not titles_match(suite, ("suites", "t"))


# -- runner ------------------------------------------------------------


PYTEST_FILE = """
import pytest

def test_passes():
    pass

def test_skips():
    pytest.skip("no")

def test_fails():
    assert False

@pytest.mark.parametrize("n", [1, 2])
def test_params(n):
    if n == 2:
        pytest.skip("second")
"""

NODE_FILE = """
import { describe, test } from "node:test";
describe("suite", () => {
  test("passes", () => {});
  test("skips", { skip: true }, () => {});
  test("fails", () => { throw new Error("no"); });
});
"""


def run_states(tmp_path: Path, tests: list[tuple[str, str]]) -> dict[str, str]:
    (tmp_path / "tests" / "js").mkdir(parents=True, exist_ok=True)
    (tmp_path / "tests" / "test_sample.py").write_text(PYTEST_FILE, encoding="utf-8")
    (tmp_path / "tests" / "js" / "sample.test.mjs").write_text(NODE_FILE, encoding="utf-8")
    scenario = Scenario("ADV-99", "t", "c", tuple(MappedTest(parse_test_id(t), (r,)) for t, r in tests))
    tools = Toolchain(
        root=tmp_path, python=sys.executable, bundle=tmp_path / "bundle", logs=tmp_path / "logs"
    )
    result = CheckResult("scenarios", True)
    check_scenarios(result, [scenario], ("host", "js"), tools, EventLog(None))
    return {row["test"].split("::")[1]: row["state"] for row in result.details["scenarios"][0]["tests"]}


WRAPPED_DRIVER_TEST = """
import os, shutil

def test_one():
    driver = os.environ.get("SE_CHROMEDRIVER")
    assert shutil.which("chromedriver") is None or os.access(driver, os.X_OK)
"""


def test_the_self_tests_pyodide_project_has_all_that_the_conftest_needs(tmp_path: Path) -> None:
    """The self-test runs its Pyodide trials in a project holding only CONFTEST_FILES from tests/."""
    (tmp_path / "tests").mkdir()
    for name in CONFTEST_FILES:
        shutil.copy2(ROOT / "tests" / name, tmp_path / "tests" / name)
    (tmp_path / "tests" / "test_one.py").write_text(WRAPPED_DRIVER_TEST, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "SE_CHROMEDRIVER"}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "1 passed" in run.stdout


def test_pytest_states_come_from_junit(tmp_path: Path) -> None:
    names = ["test_passes", "test_skips", "test_fails", "test_params", "test_params[1]", "test_nope"]
    states = run_states(tmp_path, [(f"tests/test_sample.py::{n}", "host") for n in names])
    assert states == {
        "test_passes": "passed",
        "test_skips": "skipped",
        "test_fails": "failed",
        "test_params": "skipped",
        "test_params[1]": "passed",
        "test_nope": "missing",
    }


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node")
def test_node_test_states_come_from_junit(tmp_path: Path) -> None:
    names = ["suite > passes", "suite > skips", "suite > fails", "suite > gone", "suite"]
    states = run_states(tmp_path, [(f"tests/js/sample.test.mjs::{n}", "js") for n in names])
    assert states == {
        "suite > passes": "passed",
        "suite > skips": "skipped",
        "suite > fails": "failed",
        "suite > gone": "missing",
        "suite": "failed",
    }


def test_playwright_json_states(tmp_path: Path) -> None:
    def spec(title: str, status: str, result: str, expected: str = "passed") -> dict:
        results = [{"status": result}] if result else []
        return {
            "title": title,
            "file": "a.spec.js",
            "tests": [{"status": status, "expectedStatus": expected, "results": results}],
        }

    report = {
        "suites": [
            {
                "title": "a.spec.js",
                "file": "a.spec.js",
                "specs": [spec("top", "expected", "passed")],
                "suites": [
                    {
                        "title": "mode",
                        "specs": [
                            spec("ok", "expected", "passed"),
                            spec("skip", "skipped", "skipped"),
                            spec("bad", "unexpected", "failed"),
                            spec("flaky", "flaky", "passed"),
                            spec("meant to fail", "expected", "failed", expected="failed"),
                            spec("never ran", "expected", ""),
                        ],
                    }
                ],
            }
        ]
    }
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report), encoding="utf-8")
    states = {case.titles: case.state for case in read_playwright_json(path)}
    assert states == {
        ("top",): "passed",
        ("mode", "ok"): "passed",
        ("mode", "skip"): "skipped",
        ("mode", "bad"): "failed",
        ("mode", "flaky"): "failed",
        ("mode", "meant to fail"): "failed",
        ("mode", "never ran"): "failed",
    }


def gate(tmp_path: Path, policy: dict, only: tuple[str, ...]) -> tuple[int, dict, list[dict]]:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(policy), encoding="utf-8")
    out = tmp_path / "out"
    options = GateOptions(
        root=ROOT, policy=path, bundle=ROOT / "build" / "bundle", out=out, only=only, quiet=True
    )
    code = run_gate(options)
    report = json.loads((out / REPORT_NAME).read_text(encoding="utf-8"))
    events = [json.loads(line) for line in (out / EVENTS_NAME).read_text(encoding="utf-8").splitlines()]
    return code, report, events


def test_the_command_exits_by_the_result_and_writes_report_and_events(tmp_path: Path) -> None:
    policy = json.loads((ROOT / "security" / "policy.json").read_text(encoding="utf-8"))
    code, report, events = gate(tmp_path, policy, ("protocol_bounds",))
    assert code == 0 and report["passed"] is True
    assert events[0]["event"] == "gate.start" and events[-1]["event"] == "gate.end"
    policy["protocol_bounds"]["policy.timeout_ms"]["default"] = 29_999
    code, report, _ = gate(tmp_path, policy, ("protocol_bounds",))
    assert code == 1 and report["passed"] is False
    [bounds] = [c for c in report["checks"] if c["id"] == "protocol_bounds"]
    assert {f["code"] for f in bounds["findings"]} == {"bound_mismatch", "bound_declared_mismatch"}
    del policy["scenarios"][9]
    code, report, _ = gate(tmp_path, policy, ())
    assert code == 2 and "ADV-10 missing" in report["checks"][0]["findings"][0]["message"]


def test_unknown_only_names_are_usage_errors(tmp_path: Path) -> None:
    policy = json.loads((ROOT / "security" / "policy.json").read_text(encoding="utf-8"))
    code, report, _ = gate(tmp_path, policy, ("ADV-42",))
    assert code == 2 and report["checks"][0]["findings"][0]["code"] == "usage"


def test_the_subcommand_is_registered() -> None:
    args = build_parser().parse_args(["gate", "--only", "ADV-03,protocol_bounds", "--runtimes", "host,node"])
    assert args.only == ("ADV-03", "protocol_bounds") and args.runtimes == ("host", "node")
    assert args.policy == Path("security/policy.json") and args.out == Path("artifacts")


# -- checks ------------------------------------------------------------

ALLOWED = (AllowedPackage("browser-rt", None, "project"), AllowedPackage("idna", "3.20", "runtime"))


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_bundle(tmp_path: Path) -> tuple[Path, Path]:
    """A bundle with the core files, idna and a project wheel, a lock and a bundle manifest."""
    bundle = tmp_path / "bundle"
    pyodide = bundle / "pyodide"
    pyodide.mkdir(parents=True)
    for name in PYODIDE_CORE_FILES:
        (pyodide / name).write_bytes(name.encode())
    wheels = {
        "idna": ("idna-3.20-py3-none-any.whl", b"idna", "3.20"),
        "browser-rt": ("browser_rt-0.1.0-py3-none-any.whl", b"rt", "0.1.0"),
    }
    packages = {}
    for name, (file_name, data, version) in wheels.items():
        (pyodide / file_name).write_bytes(data)
        packages[name] = {
            "name": name,
            "version": version,
            "file_name": file_name,
            "sha256": sha(data),
            "depends": [],
        }
    packages["browser-rt"]["depends"] = ["idna"]
    (pyodide / "pyodide-lock.json").write_text(
        json.dumps({"info": {}, "packages": packages}), encoding="utf-8"
    )
    pins = tmp_path / "pins.txt"
    pins.write_text(f"idna==3.20 --hash=sha256:{sha(b'idna')}\n", encoding="utf-8")
    refresh_bundle_manifest(bundle)
    return bundle, pins


def refresh_bundle_manifest(bundle: Path) -> None:
    files = {
        p.relative_to(bundle).as_posix(): sha(p.read_bytes())
        for p in bundle.rglob("*")
        if p.is_file() and p.name != MANIFEST_NAME
    }
    (bundle / MANIFEST_NAME).write_text(json.dumps({"files": files}), encoding="utf-8")


def codes(result: CheckResult) -> set[str]:
    return {f.code for f in result.findings if f.blocking}


def deps(bundle: Path, pins: Path) -> CheckResult:
    result = CheckResult("dependencies", True)
    check_dependencies(result, bundle, ALLOWED, [pins])
    return result


def edit_lock(bundle: Path, change) -> None:  # type: ignore[no-untyped-def]
    path = bundle / "pyodide" / "pyodide-lock.json"
    lock = json.loads(path.read_text(encoding="utf-8"))
    change(lock["packages"])
    path.write_text(json.dumps(lock), encoding="utf-8")


def test_dependencies_clean_bundle_passes(tmp_path: Path) -> None:
    assert deps(*make_bundle(tmp_path)).passed


def test_dependencies_catch_a_changed_wheel(tmp_path: Path) -> None:
    bundle, pins = make_bundle(tmp_path)
    (bundle / "pyodide" / "idna-3.20-py3-none-any.whl").write_bytes(b"idna!")
    assert {"hash_mismatch", "pin_mismatch"} <= codes(deps(bundle, pins))


def test_dependencies_catch_an_extra_package_and_a_stray_file(tmp_path: Path) -> None:
    bundle, pins = make_bundle(tmp_path)
    (bundle / "pyodide" / "requests-2.0-py3-none-any.whl").write_bytes(b"r")
    (bundle / "pyodide" / "stray.so").write_bytes(b"x")

    def add(packages: dict) -> None:
        packages["requests"] = {
            "name": "requests",
            "version": "2.0",
            "file_name": "requests-2.0-py3-none-any.whl",
            "sha256": sha(b"r"),
        }

    edit_lock(bundle, add)
    found = deps(bundle, pins).findings
    assert ("package_not_allowed", "requests") in {(f.code, f.subject) for f in found}
    assert ("unlisted_file", "stray.so") in {(f.code, f.subject) for f in found}


def test_dependencies_catch_versions_missing_dependencies_and_missing_runtime_packages(
    tmp_path: Path,
) -> None:
    bundle, pins = make_bundle(tmp_path)

    def change(packages: dict) -> None:
        packages["idna"]["version"] = "3.21"
        packages["browser-rt"]["depends"] = ["idna", "six"]

    edit_lock(bundle, change)
    assert {"version_not_allowed", "dependency_not_shipped"} <= codes(deps(bundle, pins))
    edit_lock(bundle, lambda packages: packages.pop("idna"))
    assert "runtime_package_missing" in codes(deps(bundle, pins))


def test_integrity_passes_against_its_own_manifest_and_fails_on_any_change(tmp_path: Path) -> None:
    bundle, _ = make_bundle(tmp_path)
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps(current_manifest(bundle)), encoding="utf-8")
    pinned = CheckResult("integrity", True)
    check_integrity(pinned, bundle, tmp_path, manifest)
    assert "artifact_changed" not in codes(pinned) and "artifact_unlisted" not in codes(pinned)
    (bundle / "pyodide" / "pyodide-lock.json").write_text("{}", encoding="utf-8")
    changed = CheckResult("integrity", True)
    check_integrity(changed, bundle, tmp_path, manifest)
    assert {"artifact_changed", "bundle_file_changed"} <= codes(changed)


def test_integrity_checks_provenance_against_the_repository(tmp_path: Path) -> None:
    bundle, _ = make_bundle(tmp_path)
    result = CheckResult("integrity", True)
    check_integrity(result, bundle, ROOT, tmp_path / "absent.json")
    assert {"bridge_file_missing", "wheel_unreadable", "manifest_unreadable"} <= codes(result)


def bounds(change=None) -> CheckResult:  # type: ignore[no-untyped-def]
    config = load_config(ROOT / "security" / "policy.json", ROOT)
    measured = measure_python()
    js = {name: {k: v for k, v in value.items() if k != "declared"} for name, value in measured.items()}
    configured = list(config.bounds)
    if change is not None:
        configured = change(configured)
    result = CheckResult("protocol_bounds", True)
    check_bounds(result, tuple(configured), measured, js)
    return result


def test_bounds_match_the_python_code() -> None:
    assert bounds().passed


def test_bounds_findings() -> None:
    assert "bound_missing" in codes(bounds(lambda b: b[1:]))
    assert "bound_unknown" in codes(
        bounds(lambda b: [*b, Bound("policy.max_retries", 3, None, None, None, True, "")])
    )
    wrong = bounds(
        lambda b: [
            Bound(x.name, x.value, x.default, x.low, (x.high or 0) + 1 if x.high else None, True, "")
            for x in b
        ]
    )
    assert "bound_mismatch" in codes(wrong)
    zero = bounds(
        lambda b: [
            Bound(x.name, 0, None, None, None, True, "") if x.name == "policy.max_origins" else x for x in b
        ]
    )
    assert "bound_not_positive" in codes(zero)
    soft = bounds(
        lambda b: [
            Bound(x.name, 7, None, None, None, False, "") if x.name == "policy.max_origins" else x for x in b
        ]
    )
    assert soft.passed and any(f.code == "bound_mismatch" and not f.blocking for f in soft.findings)
    assert set(KNOWN_BOUNDS) == {b.name for b in load_config(ROOT / "security" / "policy.json", ROOT).bounds}


def test_redaction_probes_pass_and_notice_a_disabled_guard(tmp_path: Path) -> None:
    clean = CheckResult("redaction", True)
    check_redaction(clean, root=tmp_path, js_bridge=ROOT / "js_bridge", python=sys.executable)
    assert clean.passed, clean.findings
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        "import browser_rt.diagnostics.core as c\nc.check_unredacted_allowed = lambda ci, allow: None\n",
        encoding="utf-8",
    )
    (site / "page.mjs").write_text('createRuntime({ diagnostics: { mode: "none" } })\n', encoding="utf-8")
    broken = CheckResult("redaction", True)
    check_redaction(
        broken,
        root=tmp_path,
        js_bridge=ROOT / "js_bridge",
        python=sys.executable,
        python_env={"PYTHONPATH": str(site)},
    )
    assert {"none_accepted_under_ci", "page_requests_none"} <= codes(broken)


def test_report_helpers(tmp_path: Path) -> None:
    good, bad, soft = CheckResult("a", True), CheckResult("b", True), CheckResult("c", False)
    bad.fail("x", "broken", "subject")
    soft.fail("y", "broken too")
    assert gate_passed([good, soft]) and not gate_passed([good, bad])
    assert "FAIL" in summary([good, bad, soft], 1.0) and "gate FAILED" in summary([bad], 1.0)
    log = EventLog(tmp_path / "events.ndjson")
    log.emit("one", n=1)
    log.emit("two")
    log.close()
    lines = [json.loads(line) for line in (tmp_path / "events.ndjson").read_text().splitlines()]
    assert [(e["seq"], e["event"]) for e in lines] == [(1, "one"), (2, "two")]
