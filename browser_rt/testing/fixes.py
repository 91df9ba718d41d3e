"""The repairs the plugin makes to pytest-pyodide's `--run-in-pyodide`, each with a name.

Every fix is on. The planted-fault self-test turns one off at a time through
`BROWSER_RT_TESTING_UNFIX` and checks that the sample project's results then go wrong, so a
fix that no longer matters (or no longer works) is noticed. Nothing else should set it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

UNFIX_VARIABLE = "BROWSER_RT_TESTING_UNFIX"
"""Comma-separated fix names to turn off; for the self-test only."""


@dataclass(frozen=True)
class Fix:
    """One repair: its name, and what goes wrong without it (pytest-pyodide's own behaviour)."""

    name: str
    without_it: str


FIXES: tuple[Fix, ...] = (
    Fix(
        "rundir",
        "pytest inside Pyodide starts in Pyodide's home, where the host's node id names no file: "
        "it exits 'file not found' and runs nothing",
    ),
    Fix(
        "report",
        "only a <failure> in the inner JUnit report fails the test, so a test that did not run, "
        "a collection error and a skip all count as passed (upstream issue #81)",
    ),
    Fix(
        "fixtures",
        "each forwarded test is a shallow copy sharing its original's fixture request, and its "
        "fixtures are set up on the host too: parametrized tests and fixtures error in setup",
    ),
    Fix("imports", "only pytest is loaded, so Hypothesis (or any other bundled package) cannot be imported"),
    Fix(
        "project",
        "only the test file's folder and ./dist/*.whl are copied: the pytest config, parent "
        "conftest.py files, pythonpath entries, src/ and the project itself are missing",
    ),
    Fix(
        "marks",
        "skip, skipif and xfail marks are evaluated on the host, so skipif(sys.platform != "
        "'emscripten') skips a Pyodide-only test instead of running it",
    ),
    Fix(
        "crash",
        "after a test crashes the interpreter, every later test in that runtime fails because "
        "Pyodide 'can no longer be used'",
    ),
)

FIX_NAMES = frozenset(fix.name for fix in FIXES)


def disabled_fixes() -> frozenset[str]:
    """The fix names `BROWSER_RT_TESTING_UNFIX` turns off; an unknown name is an error."""
    raw = os.environ.get(UNFIX_VARIABLE, "")
    names = frozenset(part.strip() for part in raw.split(",") if part.strip())
    unknown = names - FIX_NAMES
    if unknown:
        known = ", ".join(sorted(FIX_NAMES))
        raise ValueError(f"{UNFIX_VARIABLE}: unknown fix {', '.join(sorted(unknown))} (known: {known})")
    return names


def enabled(name: str) -> bool:
    """Whether fix `name` is on (always, except in a self-test trial)."""
    if name not in FIX_NAMES:
        raise KeyError(name)
    return name not in disabled_fixes()
