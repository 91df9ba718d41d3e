"""Test ids in security/policy.json: which tool runs them, in which runtimes, and how to name them.

    tests/test_x.py::test_y[param]                 pytest: host, node, chrome (--run-in-pyodide)
    tests/browser/test_x.py::test_y                pytest-pyodide browser fixtures: node, chrome
    tests/js/x.test.mjs::suite > test              node --test: js
    e2e/x.spec.js::describe > test                 Playwright: e2e (Chromium), e2e-firefox, e2e-webkit

A pytest id without `[...]` stands for every parametrization of the test; a node or Playwright
id that names a suite stands for every test in it. Either way each one must run and pass.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

RUNTIMES = ("host", "node", "chrome", "js", "e2e", "e2e-firefox", "e2e-webkit")
"""Every runtime the gate knows, in the order it runs them."""

PLAYWRIGHT_PROJECTS = {"e2e": "chromium", "e2e-firefox": "firefox", "e2e-webkit": "webkit"}
"""The playwright.config.js project (the engine) each e2e runtime runs."""

PATH_SEPARATOR = " > "
"""Joins suite and test titles in node --test and Playwright ids."""


class Kind(enum.Enum):
    """The tool that runs a test, which decides the runtimes it may name."""

    PYTEST = "pytest"
    BROWSER = "pytest-browser"
    NODE_TEST = "node-test"
    PLAYWRIGHT = "playwright"


ALLOWED_RUNTIMES: dict[Kind, frozenset[str]] = {
    Kind.PYTEST: frozenset({"host", "node", "chrome"}),
    Kind.BROWSER: frozenset({"node", "chrome"}),
    Kind.NODE_TEST: frozenset({"js"}),
    Kind.PLAYWRIGHT: frozenset(PLAYWRIGHT_PROJECTS),
}

_PYTEST_FILE = re.compile(r"^tests/(?:[A-Za-z0-9_]+/)*test_[A-Za-z0-9_]+\.py$")
_NODE_FILE = re.compile(r"^tests/js/[A-Za-z0-9_.-]+\.test\.mjs$")
_E2E_FILE = re.compile(r"^e2e/[A-Za-z0-9_.-]+\.spec\.js$")


class TestIdError(ValueError):
    """A test id that no runner understands; the message says which forms exist."""

    __test__ = False  # not a test class, whatever pytest guesses from the name


@dataclass(frozen=True)
class TestId:
    """One test id, split into its file and the names inside the file."""

    __test__ = False

    text: str
    path: str
    names: tuple[str, ...]
    kind: Kind


def parse_test_id(text: str) -> TestId:
    """Split and classify an id; TestIdError when it fits none of the four forms."""
    if not isinstance(text, str) or not text or text != text.strip():
        raise TestIdError(f"test id must be a non-empty string without outer spaces, got {text!r}")
    path, _, rest = text.partition("::")
    if _PYTEST_FILE.match(path):
        kind = Kind.BROWSER if path.startswith("tests/browser/") else Kind.PYTEST
        names = tuple(rest.split("::")) if rest else ()
    elif _NODE_FILE.match(path):
        kind = Kind.NODE_TEST
        names = tuple(rest.split(PATH_SEPARATOR)) if rest else ()
    elif _E2E_FILE.match(path):
        kind = Kind.PLAYWRIGHT
        names = tuple(rest.split(PATH_SEPARATOR)) if rest else ()
    else:
        raise TestIdError(
            f"{text!r}: expected tests/**/test_*.py::name, tests/js/*.test.mjs::suite > name "
            "or e2e/*.spec.js::describe > name"
        )
    if any(not name for name in names):
        raise TestIdError(f"{text!r}: an empty name between separators")
    if not names:
        raise TestIdError(f"{text!r}: name a test in the file (file::test), not the whole file")
    return TestId(text, path, names, kind)


def junit_address(test_id: TestId) -> tuple[str, str]:
    """The (classname, name) pytest's JUnit XML gives this id (pytest's own mangling)."""
    module = re.sub(r"\.py$", "", test_id.path.replace("/", "."))
    classname = ".".join([module, *test_id.names[:-1]])
    return classname, test_id.names[-1]


def pytest_case_matches(test_id: TestId, classname: str, name: str) -> bool:
    """True when a JUnit case is this id, or one parametrization of it."""
    want_class, want_name = junit_address(test_id)
    if classname != want_class:
        return False
    if "[" in want_name:
        return name == want_name
    return name == want_name or name.startswith(want_name + "[")


def titles_match(test_id: TestId, titles: tuple[str, ...]) -> bool:
    """True when a node/Playwright case (its suite titles, then its own) is this id or under it."""
    return titles[: len(test_id.names)] == test_id.names
