"""Which host options the pytest plugin passes on to pytest inside Pyodide."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.host_only(reason="browser_rt.testing drives pytest-pyodide from the host")


class Options:
    """The part of pytest.Config that forwarded_options reads."""

    def __init__(self, **values: Any) -> None:
        self.values = values

    def getoption(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)


def forwarded(**values: Any) -> list[str]:
    from browser_rt.testing.forward import forwarded_options

    return list(forwarded_options(Options(**values)))  # type: ignore[arg-type]


def test_blocked_plugins_are_blocked_inside_and_loaded_ones_are_not_passed():
    got = forwarded(plugins=["no:unraisableexception", "my_local_plugin", "no:randomly"])
    assert got == ["-p", "no:unraisableexception", "-p", "no:randomly"]


def test_values_flags_and_lists_keep_their_form():
    # pytest's getoption takes a dest or an option string, as the plugin passes them.
    got = forwarded(tbstyle="short", pythonwarnings=["error"], plugins=[], **{"--strict-markers": True})
    assert got == ["--tb=short", "-W", "error", "--strict-markers"]
