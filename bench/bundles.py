"""The bundles the cold-start figure compares, and the sizes it reports.

The bundle ships browser_rt and idna as bytecode compiled by its own Pyodide; the comparison
variant is the same bundle built with `browser-rt bundle --sources`, by the same code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from browser_rt.tooling.bundle import BundleInputs, build_bundle


def build_sources_variant(root: Path, out: Path) -> Path:
    """The bundle as `browser-rt bundle --sources` builds it from this checkout; its pyodide/."""
    inputs = BundleInputs.for_checkout(root, include_test_wheels=False, bytecode=False)
    build_bundle(inputs, out, progress=lambda _line: None)
    return out / "pyodide"


def bundle_sizes(bundle: Path) -> dict[str, Any]:
    """The browser_rt wheel, the whole bundle, and the bundle without the test-only wheels."""
    pyodide = bundle / "pyodide"
    lock = json.loads((pyodide / "pyodide-lock.json").read_text(encoding="utf-8"))
    wheel = pyodide / lock["packages"]["browser-rt"]["file_name"]
    total = sum(p.stat().st_size for p in bundle.rglob("*") if p.is_file())
    runtime_names = _runtime_closure(lock, "browser-rt")
    test_only = sum(
        (pyodide / entry["file_name"]).stat().st_size
        for name, entry in lock["packages"].items()
        if name not in runtime_names and (pyodide / entry["file_name"]).is_file()
    )
    core = sum(
        (pyodide / name).stat().st_size
        for name in ("pyodide.asm.wasm", "pyodide.asm.mjs", "python_stdlib.zip", "pyodide.mjs")
        if (pyodide / name).is_file()
    )
    return {
        "browser_rt_wheel_bytes": wheel.stat().st_size,
        "bundle_bytes": total,
        "bundle_without_test_wheels_bytes": total - test_only,
        "pyodide_core_bytes": core,
        "runtime_packages": sorted(runtime_names),
    }


def _runtime_closure(lock: dict[str, Any], root: str) -> set[str]:
    seen: set[str] = set()
    stack = [root]
    while stack:
        name = stack.pop()
        if name in seen or name not in lock["packages"]:
            continue
        seen.add(name)
        stack.extend(lock["packages"][name].get("depends", []))
    return seen
