"""One plain `pytest.main()` over a project's folder, run inside Pyodide by the peers the plugin is
timed against (bench/plain_session.mjs in Node, bench/plain_session_chrome.mjs in Chromium)."""

import os
import sys

import pytest


class NoDeadline:
    """Hypothesis without a deadline (the interpreter is slow), set as the plugin sets it."""

    def pytest_configure(self, config: object) -> None:
        try:
            from hypothesis import settings
        except ImportError:
            return
        if settings.get_current_profile_name() == "default":
            settings.register_profile("slow-interpreter", deadline=None)
            settings.load_profile("slow-interpreter")


def run(root: str, entry: str, junit: str) -> int:
    """The session, from `root`, with `root/entry` first on sys.path when `entry` is given."""
    sys.dont_write_bytecode = True
    os.chdir(root)
    if entry:
        sys.path.insert(0, os.path.join(root, entry))
    return int(pytest.main(["-p", "no:cacheprovider", f"--junitxml={junit}"], plugins=[NoDeadline()]))
