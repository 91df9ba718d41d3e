"""browser_rt.testing: the plugin that makes `pytest --run-in-pyodide` honest, and `browser-rt test`.

The reading of inner reports, the fix switches and the project plan are checked directly. The
outcomes are checked on a real sample project (browser_rt.testing.sample) written into a
temporary folder and run by pytest in its own process, on the host, in Pyodide in Node and in
Pyodide in Chromium: those tests drive Pyodide themselves, so they are host_only.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from browser_rt.testing import fixes
from browser_rt.testing.chromium import DEFAULT_FLAGS, read_flags
from browser_rt.testing.project import PlanInputs, make_plan, unimportable_message
from browser_rt.testing.sample import HOST, PYODIDE, RAN_MARKER, expected, outcomes_from_junit, write_sample
from browser_rt.testing.selftest import Trial
from browser_rt.testing.verdict import DID_NOT_RUN, read_verdict

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = ROOT / "build" / "bundle" / "pyodide"
NODE_ID = "tests/test_x.py::test_y[1]"


def junit(*cases: str) -> str:
    return f'<testsuites><testsuite name="pytest">{"".join(cases)}</testsuite></testsuites>'


# -- reading the inner JUnit report ------------------------------------------------------------


def test_a_clean_case_with_exit_status_0_passes() -> None:
    report = junit(
        '<testcase classname="tests.test_x" name="test_y[1]"><system-out>hi</system-out></testcase>'
    )
    verdict = read_verdict(NODE_ID, 0, report)
    assert (verdict.outcome, verdict.stdout) == ("passed", "hi")


def test_a_failure_carries_its_traceback() -> None:
    failure = '<failure message="no">def test_y():\n&gt;  assert 0, "no"\nE  AssertionError</failure>'
    verdict = read_verdict(NODE_ID, 1, junit(f'<testcase name="test_y[1]">{failure}</testcase>'))
    assert verdict.outcome == "failed"
    assert 'assert 0, "no"' in verdict.message


@pytest.mark.parametrize(
    ("exit_code", "report", "words"),
    [
        (4, junit(), "no test in its report"),
        (4, "", "pytest wrote no JUnit report"),
        (0, junit('<testcase name="test_other" />'), "its report names no test 'test_y[1]'"),
        (3, "<testsuites><broken", "unreadable"),
    ],
)
def test_a_test_that_did_not_run_fails(exit_code: int, report: str, words: str) -> None:
    verdict = read_verdict(NODE_ID, exit_code, report, "ERROR: file or directory not found")
    assert verdict.outcome == "failed"
    assert DID_NOT_RUN in verdict.message and words in verdict.message


def test_a_collection_error_fails_with_its_import_error() -> None:
    error = "<error message=\"collection failure\">E   ModuleNotFoundError: No module named 'gone'</error>"
    verdict = read_verdict(
        NODE_ID, 2, junit(f'<testcase classname="" name="tests.test_x">{error}</testcase>')
    )
    assert verdict.outcome == "failed"
    assert "collection failure" in verdict.message and "No module named 'gone'" in verdict.message


def test_skips_and_xfails_keep_their_reasons() -> None:
    reason = '<skipped type="pytest.skip" message="no network">x:1: no network</skipped>'
    skip = junit(f'<testcase name="test_y[1]">{reason}</testcase>')
    xfail = junit('<testcase name="test_y[1]"><skipped type="pytest.xfail" message="known bug" /></testcase>')
    skipped, xfailed = read_verdict(NODE_ID, 0, skip), read_verdict(NODE_ID, 0, xfail)
    assert (skipped.outcome, skipped.message) == ("skipped", "no network")
    assert (xfailed.outcome, xfailed.message) == ("xfailed", "known bug")


def test_a_pass_with_a_failing_exit_status_fails() -> None:
    verdict = read_verdict(NODE_ID, 3, junit('<testcase name="test_y[1]" />'), "INTERNALERROR> boom")
    assert (
        verdict.outcome == "failed"
        and "exited with status 3" in verdict.message
        and "boom" in verdict.message
    )


def test_the_upstream_reading_is_what_the_report_fix_repairs() -> None:
    """pytest-pyodide's own rule, kept for the self-test: no <failure>, so a pass."""
    for report in (junit(), junit('<testcase name="x"><error message="collection failure" /></testcase>')):
        assert read_verdict(NODE_ID, 4, report, strict=False).outcome == "passed"


# -- fix switches, flags, self-test bookkeeping ------------------------------------------------


def test_every_fix_can_be_turned_off_by_name_and_only_by_a_known_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert all(fixes.enabled(fix.name) for fix in fixes.FIXES)
    monkeypatch.setenv(fixes.UNFIX_VARIABLE, "report, crash")
    assert not fixes.enabled("report") and not fixes.enabled("crash") and fixes.enabled("rundir")
    monkeypatch.setenv(fixes.UNFIX_VARIABLE, "reprot")
    with pytest.raises(ValueError, match="unknown fix reprot"):
        fixes.enabled("report")


def test_the_plugins_chromium_flags_are_the_repositorys() -> None:
    """Users get the same browser as this repository's suites, Playwright and benchmarks."""
    assert list(DEFAULT_FLAGS) == read_flags(ROOT / "tests" / "chromium-flags.json")


def test_a_trial_is_ok_only_when_a_control_holds_or_a_fault_changes_something() -> None:
    assert Trial("node", None).ok
    assert not Trial("node", None, {"t": ("passed", "failed")}).ok
    assert not Trial("node", "report").ok
    assert Trial("node", "report", {"t": ("skipped", "passed")}).ok
    assert "nothing shows this fix matters" in Trial("node", "report").line()


# -- what is copied into Pyodide ---------------------------------------------------------------


def write(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def lock(tmp_path: Path) -> Path:
    packages = {
        "pytest": {"imports": ["pytest", "_pytest"], "file_name": "pytest.whl"},
        "hypothesis": {"imports": ["hypothesis"], "file_name": "hypothesis.whl"},
        "browser-rt": {"imports": ["browser_rt"], "file_name": "browser_rt.whl"},
    }
    write(tmp_path / "pyodide" / "pyodide-lock.json", json.dumps({"packages": packages}))
    return tmp_path / "pyodide"


def plan_inputs(root: Path, pyodide: Path, **overrides: object) -> PlanInputs:
    values: dict[str, object] = {
        "root": root,
        "test_paths": (root / "tests" / "unit" / "test_a.py",),
        "inifile": root / "pytest.ini",
        "pythonpath": (root / "helpers",),
        "norecursedirs": ("build", ".*", "venv"),
        "dist_dirs": (),
        "pyodide_dir": pyodide,
        "cache_dir": root / ".browser-rt" / "wheels",
        "build_project": False,
    }
    values.update(overrides)
    return PlanInputs(**values)  # type: ignore[arg-type]


def test_the_plan_copies_what_pytest_reads_on_the_host(tmp_path: Path) -> None:
    root = tmp_path / "project"
    write(root / "pytest.ini", "[pytest]\npythonpath = helpers\n")
    write(root / "conftest.py")
    write(root / "tests" / "conftest.py")
    write(root / "tests" / "unit" / "test_a.py", "from hypothesis import given\nimport mypkg\n")
    write(root / "tests" / "unit" / "data" / "vector.json", "{}")
    write(root / "tests" / "unit" / "build" / "huge.bin")
    write(root / "tests" / "unit" / "__pycache__" / "test_a.cpython-314.pyc")
    write(root / "helpers" / "helper.py")
    write(root / "src" / "mypkg" / "__init__.py")
    write(root / "docs" / "index.md")
    plan = make_plan(plan_inputs(root, lock(tmp_path)))
    assert sorted(plan.files) == [
        "conftest.py",
        "helpers/helper.py",
        "pytest.ini",
        "src/mypkg/__init__.py",
        "tests/conftest.py",
        "tests/unit/data/vector.json",
        "tests/unit/test_a.py",
    ]
    assert plan.sys_path == ["src"]
    assert plan.packages == ["pytest", "browser-rt", "hypothesis"]


def test_files_from_outside_the_root_get_a_place_of_their_own(tmp_path: Path) -> None:
    root = tmp_path / "project"
    write(root / "tests" / "unit" / "test_a.py")
    write(tmp_path / "shared" / "lib.py")
    ini = write(tmp_path / "ci" / "pytest.ini", "[pytest]\n")
    plan = make_plan(plan_inputs(root, lock(tmp_path), inifile=ini, pythonpath=(tmp_path / "shared",)))
    assert plan.inifile == "_outside_root/ini/pytest.ini"
    assert plan.files["_outside_root/pythonpath0/lib.py"] == tmp_path / "shared" / "lib.py"
    assert plan.sys_path == ["_outside_root/pythonpath0"]


@pytest.mark.host_only(reason="builds a wheel with pip in a subprocess")
def test_a_project_that_cannot_be_built_is_named_with_the_reason(tmp_path: Path) -> None:
    root = tmp_path / "project"
    write(
        root / "pyproject.toml",
        '[build-system]\nrequires = ["no_such_backend"]\nbuild-backend = "no_such_backend"\n\n'
        '[project]\nname = "ghost-pkg"\nversion = "1.0"\n',
    )
    write(root / "tests" / "unit" / "test_a.py")
    plan = make_plan(plan_inputs(root, lock(tmp_path), build_project=True, inifile=None, pythonpath=()))
    assert plan.import_names == ["ghost_pkg"]
    message = unimportable_message(plan, ["ghost_pkg"])
    assert "ghost_pkg" in message and str(root / "pyproject.toml") in message
    assert "could not build the project's wheel" in message and "no_such_backend" in message


def test_a_bundle_without_pytest_is_refused_by_name(tmp_path: Path) -> None:
    from browser_rt.testing.project import ProjectError

    write(tmp_path / "pyodide" / "pyodide-lock.json", json.dumps({"packages": {}}))
    root = tmp_path / "project"
    write(root / "tests" / "unit" / "test_a.py")
    with pytest.raises(ProjectError, match="has no pytest: build the bundle with its test wheels"):
        make_plan(plan_inputs(root, tmp_path / "pyodide", inifile=None, pythonpath=()))


# -- the sample project, for real --------------------------------------------------------------

CRASH = "test_sample.py::test_crash"


def run_sample(
    project: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", fixes.UNFIX_VARIABLE)}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    project = tmp_path / "sample"
    write_sample(project)
    return project


@pytest.mark.host_only(reason="runs the sample project with pytest in a subprocess")
def test_the_sample_on_the_host_ends_as_expected(sample: Path) -> None:
    run = run_sample(sample, f"--junitxml={sample / 'host.xml'}")
    assert outcomes_from_junit((sample / "host.xml").read_text(encoding="utf-8")) == expected(HOST), (
        run.stdout
    )


@pytest.mark.host_only(reason="drives Pyodide in Node and Chromium itself, through pytest-pyodide")
@pytest.mark.parametrize("runtime", ["node", "chrome"])
def test_the_sample_inside_pyodide_ends_as_expected(sample: Path, runtime: str) -> None:
    if not (BUNDLE / "pyodide.mjs").is_file():
        pytest.skip(f"no Pyodide bundle at {BUNDLE}: make bundle")
    if runtime == "chrome" and shutil.which("chromedriver") is None:
        pytest.skip("no chromedriver on PATH (apt-get install chromium-driver)")
    xml = sample / f"{runtime}.xml"
    run = run_sample(
        sample,
        "-rA",
        "--run-in-pyodide",
        f"--rt={runtime}",
        f"--dist-dir={BUNDLE}",
        f"--junitxml={xml}",
        env={"SE_OFFLINE": "true"},
    )
    output = run.stdout + run.stderr
    assert outcomes_from_junit(xml.read_text(encoding="utf-8")) == expected(PYODIDE), output[-6000:]
    assert run.returncode == 1
    # The package was imported inside Pyodide: the test asserted sys.platform there and printed it.
    assert RAN_MARKER in output
    assert f"{runtime}: copied" in output and "importable: samplepkg" in output
    # Failures come back with the inner message and traceback; skips with their reason.
    assert (
        "planted failure: 2 doubled is not 5" in output
        and "tests/test_sample.py:24: AssertionError" in output
    )
    assert "No module named 'module_missing_inside_pyodide'" in output
    assert f"the Pyodide interpreter ({runtime}) crashed or hung" in output
    assert f"tests/test_sample.py:37: skipped on purpose (inside Pyodide ({runtime}))" in output


@pytest.mark.host_only(reason="starts the browser-rt console script in a subprocess")
def test_browser_rt_test_prints_a_line_per_runtime_and_fails_when_one_fails(sample: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "browser_rt", "test", "--rt", "host", "--project", str(sample), "--", "-q"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert (
        "browser-rt test: host   FAILED (pytest exit status 1): 7 passed, 1 failed, 2 skipped in"
        in run.stdout
    )
    selected = subprocess.run(
        [
            sys.executable,
            "-m",
            "browser_rt",
            "test",
            "--rt=host",
            "--project",
            str(sample),
            "--",
            "-k",
            "parametrized",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert selected.returncode == 0, selected.stdout + selected.stderr
    assert "browser-rt test: host   passed: 2 passed in" in selected.stdout


@pytest.mark.host_only(reason="writes the sample project through the console script")
def test_browser_rt_test_writes_the_sample_and_refuses_a_full_folder(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "browser_rt", "test", "--sample", str(tmp_path / "demo")]
    first = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert first.returncode == 0 and (tmp_path / "demo" / "tests" / "test_sample.py").is_file()
    again = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert again.returncode == 2 and "is not empty" in again.stderr


def test_parameters_holding_double_colons_still_name_their_case() -> None:
    nodeid = "tests/test_x.py::TestA::test_y[https://[::1]:8443-x::y]"
    report = junit('<testcase classname="tests.test_x.TestA" name="test_y[https://[::1]:8443-x::y]" />')
    assert read_verdict(nodeid, 0, report).outcome == "passed"
