"""Small projects in the layouts published packages use, for tests/test_pytest_plugin_layouts.py.

Each is a mapping of file name to text, written into a temporary folder by the test, so nothing
is downloaded and pytest never collects these files as part of this repository's suite. Each
suite mixes passes with a planted failure, a skip and an xfail, so that "equal outcomes" says
something. `HOST_PATH` names the folder a layout's package is imported from on the host, as an
editable install (a path entry) would put it there.
"""

from __future__ import annotations

from typing import Final

SETUPTOOLS_PYPROJECT = """\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "{name}"
version = "1.0"
"""

COMMON_TESTS = """\
import pytest


@pytest.mark.parametrize("n", [1, 2, 3])
def test_parametrized(n):
    assert n * 2 - n == n


def test_planted_failure():
    assert 1 + 1 == 3, "planted"


@pytest.mark.xfail(reason="known bug", strict=True)
def test_xfail():
    assert False


def test_skip():
    pytest.skip("no reason to run")
"""

INSIDE: Final = {
    "pyproject.toml": SETUPTOOLS_PYPROJECT.format(name="pkg-inside"),
    "pkg_inside/__init__.py": "from pkg_inside.core import add\n",
    "pkg_inside/core.py": "def add(a, b):\n    return a + b\n",
    "pkg_inside/_private/__init__.py": "SECRET = 42\n",
    "pkg_inside/tests/__init__.py": "",
    "pkg_inside/tests/conftest.py": (
        "import pytest\n\n\n@pytest.fixture(scope='module')\ndef base():\n    return 40\n"
    ),
    "pkg_inside/tests/test_core.py": """\
from pkg_inside import add
from pkg_inside._private import SECRET

from ..core import add as same


def test_submodules(base):
    assert add(base, 2) == SECRET and same is add


"""
    + COMMON_TESTS,
}

BESIDE: Final = {
    "pyproject.toml": SETUPTOOLS_PYPROJECT.format(name="beside")
    + '\n[tool.pytest.ini_options]\nmarkers = ["slow: a slow test"]\n',
    "beside/__init__.py": "def greet(name):\n    return f'hello {name}'\n",
    "conftest.py": (
        "import pytest\n\nCALLS = []\n\n\n@pytest.fixture(scope='session')\ndef session_thing():\n"
        "    CALLS.append(1)\n    return len(CALLS)\n"
    ),
    "tests/conftest.py": "import pytest\n\n\n@pytest.fixture\ndef name():\n    return 'world'\n",
    "tests/test_beside.py": """\
import pytest
from hypothesis import given, strategies as st

from beside import greet


def test_greet(name, session_thing):
    assert greet(name) == "hello world" and session_thing == 1


def test_session_fixture_once(session_thing):
    import conftest

    assert conftest.CALLS == [1]


class TestClassScope:
    @pytest.fixture(scope="class")
    def shared(self):
        return []

    def test_one(self, shared):
        shared.append(1)

    def test_two(self, shared):
        assert shared == [1]


@given(st.text())
def test_property(s):
    assert greet(s).startswith("hello ")


@pytest.mark.slow
def test_marked():
    pass


"""
    + COMMON_TESTS,
}

SRC: Final = {
    "pyproject.toml": SETUPTOOLS_PYPROJECT.format(name="src-layout"),
    "src/src_layout/__init__.py": "from .maths import square\n",
    "src/src_layout/maths.py": "def square(x):\n    return x * x\n",
    "tests/test_src.py": """\
import src_layout
from src_layout.maths import square


def test_square():
    assert square(3) == 9


def test_imported_from_src():
    assert src_layout.__file__.endswith("src/src_layout/__init__.py")


"""
    + COMMON_TESTS,
}

UNITTEST: Final = {
    "pyproject.toml": SETUPTOOLS_PYPROJECT.format(name="ut-pkg"),
    "ut_pkg/__init__.py": "def div(a, b):\n    return a / b\n",
    "ut_pkg/tests/__init__.py": "",
    "ut_pkg/tests/test_unit.py": """\
import unittest

from ut_pkg import div


class TestDiv(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.calls = []

    def setUp(self):
        self.calls.append("setUp")

    def tearDown(self):
        self.calls.append("tearDown")

    def test_div(self):
        self.assertEqual(div(6, 3), 2)

    def test_zero(self):
        with self.assertRaises(ZeroDivisionError):
            div(1, 0)

    def test_planted_failure(self):
        self.assertEqual(div(1, 1), 2)

    @unittest.skip("skipped on purpose")
    def test_skipped(self):
        pass

    @unittest.expectedFailure
    def test_expected_failure(self):
        self.assertEqual(1, 2)

    def test_subtests(self):
        for n in range(3):
            with self.subTest(n=n):
                self.assertLess(n, 2)

    def test_setup_ran_in_this_class(self):
        self.assertIn("tearDown", self.calls)
""",
}

FLAT: Final = {
    "pyproject.toml": SETUPTOOLS_PYPROJECT.format(name="flatmod")
    + '\n[tool.pytest.ini_options]\npythonpath = ["."]\n',
    "flatmod.py": "def triple(x):\n    return 3 * x\n",
    "tests/test_flat.py": """\
from flatmod import triple


def test_triple():
    assert triple(2) == 6


"""
    + COMMON_TESTS,
}

LAYOUTS: Final = {"inside": INSIDE, "beside": BESIDE, "src": SRC, "unittest": UNITTEST, "flat": FLAT}
HOST_PATH: Final = {"inside": ".", "beside": ".", "src": "src", "unittest": ".", "flat": ""}
"""What an editable install puts on the host's path ('' for none: pytest's pythonpath does it)."""
