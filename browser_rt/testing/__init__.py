"""`pytest --run-in-pyodide` made honest for any project, and `browser-rt test` for the matrix.

pytest-pyodide 0.59.2 forwards each test to pytest inside Pyodide, but out of the box a test
that did not run counts as passed (upstream issue pyodide/pytest-pyodide#81), parametrized tests
and fixtures error in setup, Hypothesis is never loaded and the code under test is not copied.
The plugin here (`browser_rt.testing.plugin`, loaded through the `browser_rt_testing` pytest11
entry point) replaces the forwarding step with one that copies the project, makes its code
importable, runs each test from the copied project root and reads the inner JUnit report
strictly. Each repair is a named fix (`browser_rt.testing.fixes`) that the planted-fault
self-test (`browser-rt test --self-test`) turns off in turn.
"""

from __future__ import annotations

from browser_rt.testing.fixes import FIXES, Fix, enabled
from browser_rt.testing.verdict import Verdict, read_verdict

EXPECTED_RUNTIME_VARIABLE = "BROWSER_RT_EXPECTED_RUNTIME"
"""Set inside each Pyodide session to `node` or `chrome`, so a test can check where it runs.
An environment variable of that interpreter, not a file beside the tests, so runs in two
runtimes from one checkout cannot overwrite each other's."""

__all__ = ["EXPECTED_RUNTIME_VARIABLE", "FIXES", "Fix", "Verdict", "enabled", "read_verdict"]
