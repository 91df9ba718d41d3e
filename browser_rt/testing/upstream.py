"""The parts of pytest-pyodide the plugin touches, in one place; several are private.

They were read from pytest-pyodide 0.59.2 (the version `browser_rt[test]` pins). Importing
through `importlib` keeps the untyped package out of mypy's way; every use is listed here, so a
new upstream version is checked against one file.
"""

from __future__ import annotations

import importlib
import importlib.metadata
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


def spawn_web_server(directory: Any) -> Any:
    """A context manager serving `directory` over HTTP from a child process: (host, port, log)."""
    return module(".server").spawn_web_server(directory)


def get_browser_pyodide(request: Any, runtime: str) -> Any:
    """The shared Pyodide runner of `runtime`, started on first use."""
    return module(".run_tests_inside_pyodide").get_browser_pyodide(request=request, runtime=runtime)


def sessions() -> dict[str, Any]:
    """Its private map runtime -> (runner, file server) of running Pyodides."""
    found: dict[str, Any] = module(".run_tests_inside_pyodide")._seleniums
    return found


def unwrapper_class() -> Any:
    return module(".run_tests_inside_pyodide").ContextManagerUnwrapper
