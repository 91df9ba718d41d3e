"""Fuzz data that needs no Hypothesis: the regression file and a fast WHATWG `URL` oracle.

Kept apart from tests/fuzz_support.py so the regression replay runs wherever the tests run,
even where Hypothesis is not installed.
"""

from __future__ import annotations

import atexit
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

IN_PYODIDE = sys.platform == "emscripten"
FUZZ_DIR = Path(__file__).parent / "fuzz"
REGRESSIONS = FUZZ_DIR / "regressions.json"


def load_regressions(target: str) -> list[dict[str, Any]]:
    document = json.loads(REGRESSIONS.read_text(encoding="utf-8"))
    assert document["schema"] == "browser-rt-fuzz-regressions-v1"
    return [case for case in document["cases"] if case["target"] == target]


# -- the WHATWG oracle ------------------------------------------------------------------------------

_ORACLE_LOOP = r"""
const rl = require("readline").createInterface({ input: process.stdin });
rl.on("line", (line) => {
  const items = JSON.parse(line);
  process.stdout.write(JSON.stringify(items.map(([url, base]) => {
    try { return (base === null ? new URL(url) : new URL(url, base)).origin; } catch { return null; }
  })) + "\n");
});
"""


class _NodeOracle:
    """One long-lived `node` answering batches, so thousands of small batches stay cheap."""

    def __init__(self) -> None:
        node = shutil.which("node")
        assert node is not None, "node is needed on the host for the WHATWG oracle"
        self._process = subprocess.Popen(
            [node, "-e", _ORACLE_LOOP],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        atexit.register(self.close)

    def origins(self, pairs: list[tuple[str, str | None]]) -> list[str | None]:
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write(json.dumps(pairs) + "\n")
        self._process.stdin.flush()
        answer: list[str | None] = json.loads(self._process.stdout.readline())
        return answer

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.stdin.close()  # type: ignore[union-attr]
            self._process.wait(timeout=10)


_oracle: _NodeOracle | None = None


def whatwg_origins_fast(pairs: list[tuple[str, str | None]]) -> list[str | None]:
    """`new URL(url, base).origin` per pair (None where it throws): the engine's own in Pyodide."""
    global _oracle
    if IN_PYODIDE:
        from policy_helpers import whatwg_origins

        return whatwg_origins(pairs)
    if _oracle is None:
        _oracle = _NodeOracle()
    return _oracle.origins(pairs)
