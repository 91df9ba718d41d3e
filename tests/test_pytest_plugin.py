"""browser_rt.testing: the plugin that makes `pytest --run-in-pyodide` honest, and `browser-rt test`.

The fix switches and the project plan are checked directly. The
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
from browser_rt.testing.project import PlanInputs, ProjectError, make_plan, unimportable_message
from browser_rt.testing.sample import (
    FILES,
    HOST,
    PYODIDE,
    RAN_MARKER,
    expected,
    outcomes_from_junit,
    write_sample,
)
from browser_rt.testing.selftest import Trial

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = ROOT / "build" / "bundle" / "pyodide"


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
        "dist_dirs": (),
        "pyodide_dir": pyodide,
        "cache_dir": root / ".browser-rt" / "wheels",
    }
    values.update(overrides)
    return PlanInputs(**values)  # type: ignore[arg-type]


def test_the_plan_gives_the_whole_tree_and_loads_what_the_tests_import(tmp_path: Path) -> None:
    root = tmp_path / "project"
    write(root / "pytest.ini", "[pytest]\npythonpath = helpers\n")
    write(root / "tests" / "unit" / "test_a.py", "from hypothesis import given\nimport os\n")
    write(root / "helpers" / "helper.py")
    plan = make_plan(plan_inputs(root, lock(tmp_path)))
    assert plan.folders == [root.resolve()]
    assert plan.packages == ["pytest", "browser-rt", "hypothesis"]
    assert plan.wheels == [] and plan.import_names == []


def test_folders_outside_the_root_are_given_too_and_nested_ones_once(tmp_path: Path) -> None:
    root = tmp_path / "project"
    write(root / "tests" / "unit" / "test_a.py")
    write(tmp_path / "shared" / "lib.py")
    ini = write(tmp_path / "ci" / "pytest.ini", "[pytest]\n")
    pythonpath = (tmp_path / "shared", root / "helpers")
    write(root / "helpers" / "x.py")
    plan = make_plan(plan_inputs(root, lock(tmp_path), inifile=ini, pythonpath=pythonpath))
    assert sorted(plan.folders) == sorted([root, tmp_path / "shared", tmp_path / "ci"])


def test_the_package_is_imported_from_where_the_host_imports_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A src/ layout found on the host (as an editable install finds it): no wheel is built,
    even though the declared build backend does not exist."""
    root = tmp_path / "project"
    write(
        root / "pyproject.toml",
        '[build-system]\nrequires = ["no_such_backend"]\nbuild-backend = "no_such_backend"\n\n'
        '[project]\nname = "src-pkg"\nversion = "1.0"\n',
    )
    write(root / "src" / "src_pkg" / "__init__.py", "import hypothesis\n")
    write(root / "tests" / "unit" / "test_a.py")
    monkeypatch.syspath_prepend(str(root / "src"))
    plan = make_plan(plan_inputs(root, lock(tmp_path), inifile=None, pythonpath=()))
    assert plan.import_names == ["src_pkg"]
    assert plan.sys_path == [str((root / "src").resolve())]
    assert plan.wheels == [] and plan.unavailable == ""
    assert "hypothesis" in plan.packages, "the package's own imports are loaded too"


@pytest.mark.host_only(reason="builds a wheel with pip in a subprocess")
def test_a_project_that_cannot_be_built_is_named_with_the_reason(tmp_path: Path) -> None:
    root = tmp_path / "project"
    write(
        root / "pyproject.toml",
        '[build-system]\nrequires = ["no_such_backend"]\nbuild-backend = "no_such_backend"\n\n'
        '[project]\nname = "ghost-pkg"\nversion = "1.0"\n',
    )
    write(root / "tests" / "unit" / "test_a.py")
    plan = make_plan(plan_inputs(root, lock(tmp_path), inifile=None, pythonpath=()))
    assert plan.import_names == ["ghost_pkg"]
    message = unimportable_message(plan, ["ghost_pkg"])
    assert "ghost_pkg" in message and str(root / "pyproject.toml") in message
    assert "its wheel could not be built" in message and "no_such_backend" in message


def test_a_bundle_without_pytest_is_refused_by_name(tmp_path: Path) -> None:
    write(tmp_path / "pyodide" / "pyodide-lock.json", json.dumps({"packages": {}}))
    root = tmp_path / "project"
    write(root / "tests" / "unit" / "test_a.py")
    with pytest.raises(ProjectError, match="has no pytest: build the bundle with its test wheels"):
        make_plan(plan_inputs(root, tmp_path / "pyodide", inifile=None, pythonpath=()))


def test_test_dependencies_come_from_the_lock_and_a_missing_one_is_named(tmp_path: Path) -> None:
    root = tmp_path / "project"
    write(root / "tests" / "unit" / "test_a.py")
    plan = make_plan(plan_inputs(root, lock(tmp_path), test_dependencies=("Hypothesis",)))
    assert plan.packages == ["pytest", "browser-rt", "hypothesis"]
    with pytest.raises(ProjectError, match="pyodide_test_dependencies: 'no-such-dist' is not in the bundle"):
        make_plan(plan_inputs(root, lock(tmp_path), test_dependencies=("no-such-dist",)))


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


def sample_line(text: str) -> int:
    """The line of test_sample.py that holds `text`."""
    lines = FILES["tests/test_sample.py"].splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


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
    assert f"{runtime}: one pytest session per interpreter" in output
    assert f"the project's own source is imported from {sample.resolve() / 'src'}" in output
    # Failures come back with the inner message and traceback; skips with their reason.
    assert (
        "planted failure: 2 doubled is not 5" in output
        and f"tests/test_sample.py:{sample_line('assert double(2) == 5')}: AssertionError" in output
    )
    assert "No module named 'module_missing_inside_pyodide'" in output
    assert f"the Pyodide interpreter ({runtime}) crashed while running this test" in output
    assert f"SKIPPED [1] tests/test_sample.py:{sample_line('pytest.skip(')}: skipped on purpose" in output
    # One session: the session fixture's second user saw the first (and a crash lost one test).
    assert "1 interpreter(s) lost and replaced" in output


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
        "browser-rt test: host   FAILED (pytest exit status 1): 9 passed, 1 failed, 2 skipped in"
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


@pytest.mark.host_only(reason="drives Pyodide in Node itself, through pytest in a subprocess")
def test_the_hosts_selection_and_stop_options_hold_for_forwarded_tests(sample: Path) -> None:
    """-k selects on the host and only those run inside; -x stops at the first failure."""
    if not (BUNDLE / "pyodide.mjs").is_file():
        pytest.skip(f"no Pyodide bundle at {BUNDLE}: make bundle")
    inside = ("--run-in-pyodide", "--rt=node", f"--dist-dir={BUNDLE}")
    selected = run_sample(sample, "-v", "-k", "parametrized or session", *inside)
    assert selected.returncode == 0, selected.stdout[-4000:]
    assert "4 passed, 8 deselected" in selected.stdout
    assert "tests/test_sample.py::test_parametrized[2] PASSED" in selected.stdout
    stopped = run_sample(sample, "-x", "-rA", *inside)
    assert stopped.returncode == 1, stopped.stdout[-4000:]
    assert "stopping after 1 failures" in stopped.stdout
    # The first test in the host's order failed to collect inside; nothing after it reported.
    assert "1 failed in" in stopped.stdout and "passed" not in stopped.stdout.splitlines()[-1]
