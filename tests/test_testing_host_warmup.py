"""The host imports, on a background thread, what a loaded plugin imports at the end of the run
(`browser_rt.testing.host_warmup`): Hypothesis' terminal summary imports all of `hypothesis`."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from browser_rt.testing import host_warmup

pytestmark = pytest.mark.host_only(reason="starts threads, which Pyodide does not have")


def config_with(plugins: set[str]) -> Any:
    return SimpleNamespace(pluginmanager=SimpleNamespace(hasplugin=lambda name: name in plugins))


@pytest.fixture
def later_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    (tmp_path / "browser_rt_warmup_probe.py").write_text("LOADED = True\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(host_warmup, "LATER_IMPORTS", {"someplugin": "browser_rt_warmup_probe"})
    monkeypatch.delitem(sys.modules, "browser_rt_warmup_probe", raising=False)
    return "browser_rt_warmup_probe"


def test_a_loaded_plugin_s_later_import_is_made_in_the_background(later_module: str) -> None:
    thread = host_warmup.import_in_background(config_with({"someplugin"}))
    assert thread is not None
    thread.join(30)
    assert later_module in sys.modules


def test_nothing_starts_without_the_plugin_or_when_already_imported(later_module: str) -> None:
    assert host_warmup.import_in_background(config_with(set())) is None
    assert later_module not in sys.modules
    __import__(later_module)
    assert host_warmup.import_in_background(config_with({"someplugin"})) is None


def test_a_failing_import_is_left_for_its_own_place(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(host_warmup, "LATER_IMPORTS", {"someplugin": "browser_rt_no_such_module"})
    thread = host_warmup.import_in_background(config_with({"someplugin"}))
    assert thread is not None
    thread.join(30)
    assert not thread.is_alive() and "browser_rt_no_such_module" not in sys.modules


def test_the_hypothesis_plugin_is_known_by_its_registered_name(pytestconfig: pytest.Config) -> None:
    if not pytestconfig.pluginmanager.hasplugin(host_warmup.HYPOTHESIS_PLUGIN):
        pytest.skip("Hypothesis' pytest plugin is not installed here")
    assert "hypothesis" in host_warmup.LATER_IMPORTS[host_warmup.HYPOTHESIS_PLUGIN]
