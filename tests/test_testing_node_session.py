"""Node interpreters booted before their spec is known (`browser_rt.testing.node_session`).

The plugin boots them while the host collects; a session takes one only if it was booted for
the same Pyodide and the same session runner, and one nobody takes is stopped at the end.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from browser_rt.testing import node_session as module

pytestmark = pytest.mark.host_only(reason="starts Node processes from the host")


def test_a_booted_interpreter_serves_only_its_own_pyodide_and_runner(tmp_path: Path) -> None:
    module.prewarm(str(tmp_path / "a"), "RUNNER", 2)
    try:
        booted = list(module._WARM)
        assert len(booted) == 2
        same = module.node_session({"pyodideDir": str(tmp_path / "a"), "runner": "RUNNER"})
        assert same is booted[0], "the first booted interpreter is taken"
        other = module.node_session({"pyodideDir": str(tmp_path / "b"), "runner": "RUNNER"})
        assert other not in booted, "one booted for another Pyodide is never used"
        assert module._WARM == [] and not booted[1].alive(), "and it was stopped"
        for session in (same, other):
            session.close()
    finally:
        module.discard_warm()


def test_the_ones_no_session_took_are_stopped(tmp_path: Path) -> None:
    module.prewarm(str(tmp_path), "RUNNER", 1)
    booted = list(module._WARM)
    module.discard_warm()
    assert module._WARM == [] and not booted[0].alive()


def test_a_dead_booted_interpreter_reports_its_end_to_the_session(tmp_path: Path) -> None:
    session = module.node_session({"pyodideDir": str(tmp_path / "missing"), "runner": "RUNNER"})
    try:
        with pytest.raises(module.SessionEnded, match="node exited with status"):
            session.next_message(60)
        assert "pyodide.mjs" in session.console(), "the interpreter's own words say why"
    finally:
        session.close()
