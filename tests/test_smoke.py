"""The package imports, and each run proves it runs in the runtime it claims."""

from __future__ import annotations

import os
import sys

import pytest

import browser_rt

EXPECTED_RUNTIME_VARIABLE = "BROWSER_RT_EXPECTED_RUNTIME"
"""Set by tests/conftest.py inside each Pyodide session it forwards tests to."""


def test_package_imports_and_has_version() -> None:
    assert browser_rt.__version__.count(".") == 2


def test_runs_in_the_runtime_it_claims(pytestconfig: pytest.Config) -> None:
    if sys.platform != "emscripten":
        # With --run-in-pyodide the host only forwards tests; a body running here ran in the wrong place.
        assert not getattr(pytestconfig.option, "run_in_pyodide", False)
        return
    expected = os.environ.get(EXPECTED_RUNTIME_VARIABLE)
    assert expected in ("node", "chrome"), f"{EXPECTED_RUNTIME_VARIABLE} is {expected!r}"
    import js
    import pyodide

    assert pyodide.__version__.startswith("314.")
    assert sys.version_info[:2] == (3, 14)
    in_node = hasattr(js, "process") and hasattr(js.process, "versions")
    assert expected == ("node" if in_node else "chrome")
    if not in_node:
        assert "Chrome" in str(js.navigator.userAgent)
