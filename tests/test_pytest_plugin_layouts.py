"""`pytest --run-in-pyodide` on the project layouts published packages use, test for test.

For each layout of tests/layout_projects.py, the control is one plain `pytest.main()` inside
Pyodide in Node over the same files (the folder mounted with NODEFS, as `pyodide venv` runs a
suite); the plugin's run must end every test exactly as the control does, as the host reports
it in its JUnit file. The package under test is put on the host's path as an editable install
would put it (or by pytest's own `pythonpath`), and never built: the flat layout declares
setuptools as its backend, and no wheel may appear.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from layout_projects import HOST_PATH, LAYOUTS

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = ROOT / "build" / "bundle" / "pyodide"

PLAIN_SESSION = ROOT / "bench" / "plain_session.mjs"
"""The control: one plain pytest.main() inside Pyodide in Node over the project's folder."""


def outcomes(junit: Path) -> list[tuple[str, str, str]]:
    """(classname, name, outcome) of every case, sorted; errors count as failures."""
    found = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            state = "failed"
        elif (skipped := case.find("skipped")) is not None:
            state = "xfailed" if skipped.get("type") == "pytest.xfail" else "skipped"
        else:
            state = "passed"
        found.append((case.get("classname") or "", case.get("name") or "", state))
    return sorted(found)


def write_project(dest: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = dest / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


@pytest.mark.host_only(reason="drives Pyodide in Node itself, and pytest in a subprocess")
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_each_test_ends_as_in_one_plain_session_inside_pyodide(tmp_path: Path, layout: str) -> None:
    if not (BUNDLE / "pyodide.mjs").is_file():
        pytest.skip(f"no Pyodide bundle at {BUNDLE}: make bundle")
    project = tmp_path / layout
    write_project(project, LAYOUTS[layout])
    control_xml = tmp_path / "control-out" / "control.xml"
    control_xml.parent.mkdir()
    # The control can write only into the project; its report is moved out before the plugin runs.
    subprocess.run(
        [
            "node",
            str(PLAIN_SESSION),
            str(BUNDLE),
            str(project),
            HOST_PATH[layout],
            str(project / "control.xml"),
        ],
        check=True,
        timeout=600,
        capture_output=True,
    )
    (project / "control.xml").rename(control_xml)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", "PYTHONPATH")}
    if HOST_PATH[layout]:
        env["PYTHONPATH"] = str(project / HOST_PATH[layout])
    plugin_xml = tmp_path / "plugin.xml"
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
            f"--junitxml={plugin_xml}",
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    control = outcomes(control_xml)
    states = {state for _, _, state in control}
    assert {"passed", "failed", "skipped", "xfailed"} <= states, control
    assert outcomes(plugin_xml) == control, run.stdout[-6000:]
    assert run.returncode == 1, "the planted failure fails the run"
    assert not (project / ".browser-rt").exists(), "the package was importable: no wheel is built"
    assert not list(project.rglob("*.cpython-314.pyc")), "the interpreter left no bytecode behind"


HANGING = {
    "pyproject.toml": "[tool.pytest.ini_options]\n",
    "tests/test_hang.py": """\
import time


def test_before():
    pass


def test_hangs():
    while True:
        time.sleep(0.01)


def test_after():
    pass
""",
}


@pytest.mark.host_only(reason="drives Pyodide in Node itself, and pytest in a subprocess")
def test_a_test_that_hangs_loses_itself_and_a_fresh_interpreter_goes_on(tmp_path: Path) -> None:
    if not (BUNDLE / "pyodide.mjs").is_file():
        pytest.skip(f"no Pyodide bundle at {BUNDLE}: make bundle")
    write_project(tmp_path, HANGING)
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
            f"--dist-dir={BUNDLE}",
            "--pyodide-timeout=8",
            f"--junitxml={xml}",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert outcomes(xml) == [
        ("tests.test_hang", "test_after", "passed"),
        ("tests.test_hang", "test_before", "passed"),
        ("tests.test_hang", "test_hangs", "failed"),
    ], run.stdout[-4000:]
    assert "hung (silent past --pyodide-timeout=8 s) while running this test" in run.stdout
    assert "1 interpreter(s) lost and replaced" in run.stdout
