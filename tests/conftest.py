"""Shared test configuration; loaded on the host and again inside Pyodide.

Forwarding tests into Pyodide (`--run-in-pyodide`) is browser_rt's own pytest plugin
(`browser_rt.testing`, loaded through its entry point); this file only sets this repository's
choices: a skip inside Pyodide is a failure here (`--pyodide-skips=fail`), so a test that
cannot run in a runtime must say so with `@pytest.mark.host_only(reason=...)`, which the host
turns into a visible skip; Chromium starts with tests/chromium-flags.json, the list the
Playwright config and the benchmarks read too; its log goes to artifacts/chromium/.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

IN_PYODIDE = sys.platform == "emscripten"
HERE = Path(__file__).resolve().parent

try:
    from hypothesis import settings
except ImportError:  # pragma: no cover - hypothesis is part of the test extra and bundle
    pass
else:
    settings.register_profile("pyodide", max_examples=40, deadline=None)
    settings.register_profile("host", max_examples=200, deadline=None)
    settings.register_profile("fuzz", max_examples=20_000, deadline=None)
    settings.register_profile("ci-fuzz", max_examples=500, deadline=None, print_blob=True)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "pyodide" if IN_PYODIDE else "host"))


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Before the plugin reads its options (it configures pytest-pyodide in pytest_configure)."""
    option = config.option
    if getattr(option, "pyodide_skips", "unset") is None:
        option.pyodide_skips = "fail"
    if getattr(option, "pyodide_chrome_flags", "unset") is None:
        option.pyodide_chrome_flags = HERE / "chromium-flags.json"
    if getattr(option, "pyodide_chrome_log_dir", "unset") is None:
        option.pyodide_chrome_log_dir = HERE.parent / "artifacts" / "chromium"
