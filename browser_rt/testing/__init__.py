"""`pytest --run-in-pyodide` made honest for any project, and `browser-rt test` for the matrix.

pytest-pyodide 0.59.2 forwards each test to its own pytest run inside Pyodide, but out of the
box a test that did not run counts as passed (upstream issue pyodide/pytest-pyodide#81),
parametrized tests and fixtures error in setup, Hypothesis is never loaded and the code under
test is not copied. The plugin here (`browser_rt.testing.plugin`, loaded through the
`browser_rt_testing` pytest11 entry point) replaces that with one pytest session per
interpreter over the project's own folders (`forward`, `project`, `inner`), whose reports reach
the host one by one through pytest's own serialization. Each repair is a named fix
(`browser_rt.testing.fixes`) that the planted-fault self-test (`browser-rt test --self-test`)
turns off in turn.
"""

from __future__ import annotations

from browser_rt.testing.fixes import FIXES, Fix, enabled

EXPECTED_RUNTIME_VARIABLE = "BROWSER_RT_EXPECTED_RUNTIME"
"""Set inside each Pyodide session to `node` or `chrome`, so a test can check where it runs.
An environment variable of that interpreter, not a file beside the tests, so runs in two
runtimes from one checkout cannot overwrite each other's."""

__all__ = ["EXPECTED_RUNTIME_VARIABLE", "FIXES", "Fix", "enabled"]
