"""The parts of pytest-pyodide the plugin touches, in one place; several are private.

They were read from pytest-pyodide 0.59.2 (the version `browser_rt[test]` pins). Importing
through `importlib` keeps the untyped package out of mypy's way; every use is listed here, so a
new upstream version is checked against one file.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from pathlib import Path
from typing import Any

WRITTEN_FOR = "0.59."


def version() -> str:
    try:
        return importlib.metadata.version("pytest-pyodide")
    except importlib.metadata.PackageNotFoundError:
        return "none"


def module(name: str = "") -> Any:
    """`pytest_pyodide` or one of its submodules (`.hook`, `.server`, ...)."""
    return importlib.import_module(f"pytest_pyodide{name}")


def global_config() -> Any:
    """Its `Config` singleton: browser flags and Node's extra globals."""
    return module().get_global_config()


def unwrapper_class() -> Any:
    return module(".run_tests_inside_pyodide").ContextManagerUnwrapper


def chrome_runner_class() -> Any:
    """Its Selenium Chromium runner: opens `module_test.html` from a server and loads Pyodide."""
    return module(".runner").SeleniumChromeRunner


def templates_dir() -> Path:
    """Its page templates (`module_test.html` and the scripts beside it)."""
    return Path(module().__file__).with_name("_templates")
