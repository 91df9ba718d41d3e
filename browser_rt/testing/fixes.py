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
        "pytest inside Pyodide starts in Pyodide's home, where the host's node ids name no file: "
        "it exits 'file not found' and runs nothing",
    ),
    Fix(
        "report",
        "a test the session inside never reported counts as passed, so a test that did not run "
        "and a collection error inside pass (upstream issue #81)",
    ),
    Fix(
        "session",
        "each test runs in a pytest session of its own: session fixtures are set up once per "
        "test, and a test that relies on an earlier one in the same session fails",
    ),
    Fix("imports", "only pytest is loaded, so Hypothesis (or any other bundled package) cannot be imported"),
    Fix(
        "project",
        "only the test files' folders are given to Pyodide: the pytest config, parent "
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
