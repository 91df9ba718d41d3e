"""The package imports, and each run proves it runs in the runtime it claims."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import browser_rt

EXPECTATION_FILE = Path(__file__).parent / "_expected_runtime.json"


def test_package_imports_and_has_version() -> None:
    assert browser_rt.__version__.count(".") == 2


def test_runs_in_the_runtime_it_claims() -> None:
    expected = json.loads(EXPECTATION_FILE.read_text(encoding="utf-8"))
    assert sys.platform == expected["platform"]
    if expected["runtime"] == "host":
        return
    import js
    import pyodide

    assert pyodide.__version__.startswith("314.")
    assert sys.version_info[:2] == (3, 14)
    in_node = hasattr(js, "process") and hasattr(js.process, "versions")
    assert expected["runtime"] == ("node" if in_node else "chrome")
    if not in_node:
        assert "Chrome" in str(js.navigator.userAgent)
