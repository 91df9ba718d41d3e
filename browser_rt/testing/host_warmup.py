"""Imports the host will need after the forwarded tests, done while it waits for them.

While the interpreters run the suite, the host's main thread mostly waits for their messages,
so work it must do later anyway can run beside them. Hypothesis' pytest plugin imports the whole
of `hypothesis` in its terminal summary (for `hypothesis.internal.observability`), about 0.7 s
on a quiet machine, even when no test used Hypothesis; imported during the run, the summary
finds it loaded. An import that fails here fails again, in its own place, when the summary makes
it, so nothing is hidden.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
import threading

import pytest

HYPOTHESIS_PLUGIN = "hypothesispytest"
"""The name Hypothesis' pytest plugin registers under (its pytest11 entry point)."""
LATER_IMPORTS = {HYPOTHESIS_PLUGIN: "hypothesis.internal.observability"}
"""Plugin name -> the module that plugin imports at the end of a run."""


def import_in_background(config: pytest.Config) -> threading.Thread | None:
    """Start importing what the loaded plugins will import at the end of the run."""
    wanted = [
        module
        for plugin, module in LATER_IMPORTS.items()
        if config.pluginmanager.hasplugin(plugin) and module not in sys.modules
    ]
    if not wanted:
        return None
    thread = threading.Thread(target=_import_all, args=(wanted,), name="browser-rt-host-imports", daemon=True)
    thread.start()
    return thread


def _import_all(modules: list[str]) -> None:
    for module in modules:
        with contextlib.suppress(Exception):
            importlib.import_module(module)
