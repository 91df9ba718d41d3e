"""A small project whose suite shows, runtime by runtime, whether the plugin's fixes hold.

`browser-rt test --sample DIR` writes it; the self-test and tests/test_pytest_plugin.py run it.
It has its own package in a `src/` layout that imports browser_rt, a helper folder on pytest's
`pythonpath`, a conftest fixture, a session fixture two tests share, and tests for each outcome that
pytest-pyodide gets wrong:
a planted assertion failure, a collection error and an interpreter crash that happen only
inside Pyodide, a skip, parametrized tests, fixtures, Hypothesis and browser_rt's `lab`.
`EXPECTED` says what each test must end as on the host and inside Pyodide.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

FILES: dict[str, str] = {
    "pyproject.toml": """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "samplepkg"
version = "0.1.0"
requires-python = ">=3.12"
dependencies = ["browser_rt"]

[tool.hatch.build.targets.wheel]
packages = ["src/samplepkg"]

[tool.pytest.ini_options]
testpaths = ["tests"]
pythonpath = ["src", "helpers"]
""",
    "src/samplepkg/__init__.py": '''\
"""The package under test: a thin layer over browser_rt, as a user's project would be."""

import sys

from browser_rt import FetchAuthority, FetchRequest

AUTHORITY = FetchAuthority.from_dict({"origins": ["https://api.example.com"]})


def allowed(url: str) -> bool:
    return AUTHORITY.authorize(FetchRequest(method="GET", url=url)).allowed


def platform() -> str:
    return sys.platform
''',
    "helpers/sample_helpers.py": '''\
"""On pytest's pythonpath, not installed: it must be copied into Pyodide too."""


def double(n: int) -> int:
    return 2 * n
''',
    "tests/conftest.py": """\
import pytest


@pytest.fixture
def greeting() -> str:
    return "hello"
""",
    "tests/test_sample.py": '''\
import os
import sys

import pytest
from sample_helpers import double

import samplepkg

FORWARDED = bool(os.environ.get("BROWSER_RT_EXPECTED_RUNTIME"))
"""Set by browser_rt's plugin inside each Pyodide it forwards tests to."""


def test_package_imports():
    assert samplepkg.allowed("https://api.example.com/v1")
    assert not samplepkg.allowed("https://elsewhere.example/")
    if FORWARDED:
        assert sys.platform == "emscripten" == samplepkg.platform()
        assert samplepkg.__file__.endswith("src/samplepkg/__init__.py"), "imported from the project"
    print(f"SAMPLE-RAN-ON {sys.platform}")


def test_planted_failure():
    assert double(2) == 5, "planted failure: 2 doubled is not 5"


@pytest.mark.parametrize("n", [1, 2])
def test_parametrized(n):
    assert double(n) == n + n


def test_fixtures(greeting, tmp_path):
    (tmp_path / "greeting.txt").write_text(greeting)
    assert (tmp_path / "greeting.txt").read_text() == "hello"


def test_skipped():
    pytest.skip("skipped on purpose")


@pytest.mark.skipif(sys.platform != "emscripten", reason="it crashes only Pyodide")
def test_crash():
    os._exit(3)


def test_lab(lab):
    lab.fetch_host.respond("https://api.example.com/v1", body=b"ok")

    async def main(cx):
        response = await cx.fetch("https://api.example.com/v1")
        return await response.text()

    assert lab.run(main, authority=samplepkg.AUTHORITY) == "ok"
''',
    "tests/test_session.py": """\
import pytest


@pytest.fixture(scope="session")
def journal():
    return []


def test_first_in_the_session(journal):
    journal.append("first")


def test_sees_the_earlier_test_of_its_session(journal):
    assert journal == ["first"], "a session fixture is set up once per session"
""",
    "tests/test_property.py": """\
from hypothesis import given, strategies as st
from sample_helpers import double


@given(st.integers())
def test_double_is_even(n):
    assert double(n) % 2 == 0
""",
    "tests/test_broken_inside.py": """\
import sys

if sys.platform == "emscripten":
    import module_missing_inside_pyodide  # noqa: F401  (a collection error, inside Pyodide only)


def test_in_a_module_that_cannot_be_imported_inside():
    pass
""",
}

HOST, PYODIDE = "host", "pyodide"
EXPECTED: dict[str, dict[str, str]] = {
    "test_broken_inside.py::test_in_a_module_that_cannot_be_imported_inside": {
        HOST: "passed",
        PYODIDE: "failed",
    },
    "test_property.py::test_double_is_even": {HOST: "passed", PYODIDE: "passed"},
    "test_session.py::test_first_in_the_session": {HOST: "passed", PYODIDE: "passed"},
    "test_session.py::test_sees_the_earlier_test_of_its_session": {HOST: "passed", PYODIDE: "passed"},
    "test_sample.py::test_package_imports": {HOST: "passed", PYODIDE: "passed"},
    "test_sample.py::test_planted_failure": {HOST: "failed", PYODIDE: "failed"},
    "test_sample.py::test_parametrized[1]": {HOST: "passed", PYODIDE: "passed"},
    "test_sample.py::test_parametrized[2]": {HOST: "passed", PYODIDE: "passed"},
    "test_sample.py::test_fixtures": {HOST: "passed", PYODIDE: "passed"},
    "test_sample.py::test_skipped": {HOST: "skipped", PYODIDE: "skipped"},
    "test_sample.py::test_crash": {HOST: "skipped", PYODIDE: "failed"},
    "test_sample.py::test_lab": {HOST: "passed", PYODIDE: "passed"},
}
"""Each test's outcome on the host and inside Pyodide (Node and Chromium alike)."""

RAN_MARKER = "SAMPLE-RAN-ON emscripten"
"""test_package_imports prints this inside Pyodide; its captured output reaches the host."""


def expected(where: str) -> dict[str, str]:
    """The outcome of every test for `host` or `pyodide`."""
    return {test: outcomes[where] for test, outcomes in EXPECTED.items()}


def write_sample(dest: Path) -> list[Path]:
    """Write the project into `dest` (which must be empty or missing); return the files."""
    if dest.exists() and any(dest.iterdir()):
        raise FileExistsError(f"{dest} is not empty")
    written = []
    for name, text in FILES.items():
        path = dest / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def outcomes_from_junit(junit_xml: str) -> dict[str, str]:
    """`file.py::name` -> passed/failed/skipped/xfailed from a host JUnit report (xunit2)."""
    found: dict[str, str] = {}
    for case in ET.fromstring(junit_xml).iter("testcase"):
        module = (case.get("classname") or "").split(".")[-1]
        key = f"{module}.py::{case.get('name')}"
        if case.find("failure") is not None or case.find("error") is not None:
            state = "failed"
        elif (skipped := case.find("skipped")) is not None:
            state = "xfailed" if skipped.get("type") == "pytest.xfail" else "skipped"
        else:
            state = "passed"
        # A test that passed but errored in teardown appears twice; the worse state wins.
        if found.get(key) != "failed":
            found[key] = state
    return found
