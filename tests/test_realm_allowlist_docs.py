"""The isolation docs name exactly what the worker's realm keeps: js_bridge/realm_allowlist.mjs.

The allowlist is the product's promise (everything else is removed before user code runs), so a
name added to it, or dropped from it, without the docs saying so fails here.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "isolation.md"
BLOCK = re.compile(r"<!-- realm-allowlist -->(.*?)<!-- /realm-allowlist -->", re.S)

pytestmark = pytest.mark.host_only(reason="reads the allowlist with Node, on the host")


def allowlist_names() -> set[str]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed to read js_bridge/realm_allowlist.mjs")
    script = (
        'const m = await import("./js_bridge/realm_allowlist.mjs");'
        "console.log(JSON.stringify([Object.keys(m.GLOBAL_ALLOWLIST), Object.keys(m.NAVIGATOR_ALLOWLIST)]));"
    )
    out = subprocess.run(
        [node, "--input-type=module", "-e", script], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    globals_, navigator = json.loads(out)
    return set(globals_) | {f"navigator.{name}" for name in navigator}


def documented_names(text: str) -> set[str]:
    match = BLOCK.search(text)
    if match is None:
        pytest.fail(f"{DOC.relative_to(ROOT)} has no <!-- realm-allowlist --> block")
    rows = [line for line in match.group(1).splitlines() if line.startswith("|")]
    # The first cell of each row names what is kept; the reason may quote other code.
    return {name for row in rows for name in re.findall(r"`([^`]+)`", row.split("|")[1])}


def test_the_docs_name_exactly_what_the_allowlist_keeps() -> None:
    kept = allowlist_names()
    documented = documented_names(DOC.read_text(encoding="utf-8"))
    assert documented - kept == set(), "documented as kept, but removed by the worker"
    assert kept - documented == set(), "kept by the worker, but not in the docs"


def test_a_name_missing_from_the_docs_is_caught() -> None:
    text = DOC.read_text(encoding="utf-8").replace("| `crossOriginIsolated` |", "| crossOriginIsolated |", 1)
    assert "crossOriginIsolated" in allowlist_names() - documented_names(text)
