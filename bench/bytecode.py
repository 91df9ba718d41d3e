"""A copy of the bundle's Pyodide folder whose browser_rt and idna wheels hold bytecode, not sources.

The bytecode is compiled by the bundle's own Pyodide (CPython 3.14 in WebAssembly, in Node), so
it matches the interpreter that loads it; `.pyc` files sit where the `.py` files were, which
CPython imports without sources. The lock file is updated with the new names and sha256.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PRECOMPILED = ("browser-rt", "idna")


@dataclass
class PrecompilePlan:
    """The Node job that compiles the wheels, and what to do once it has run."""

    job: dict[str, Any]
    out_dir: Path
    lock: dict[str, Any]
    wheels: list[tuple[str, Path, Path]]

    def finish(self) -> dict[str, Any]:
        """Swap the new wheels in, update the lock, and return the sizes before and after."""
        sizes: dict[str, Any] = {}
        for name, source, target in self.wheels:
            (self.out_dir / source.name).unlink()
            data = target.read_bytes()
            entry = self.lock["packages"][name]
            entry["file_name"] = target.name
            entry["sha256"] = hashlib.sha256(data).hexdigest()
            sizes[name] = {"source_wheel_bytes": source.stat().st_size, "bytecode_wheel_bytes": len(data)}
        lock_path = self.out_dir / "pyodide-lock.json"
        lock_path.write_text(json.dumps(self.lock, indent=2, sort_keys=True), encoding="utf-8")
        return sizes


def plan_precompiled(bundle_pyodide: Path, out_dir: Path) -> PrecompilePlan:
    """Copy the Pyodide folder to `out_dir` and describe the compile job for the Node runner."""
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    for item in bundle_pyodide.iterdir():
        if item.is_file():
            shutil.copy2(item, out_dir / item.name)
    lock = json.loads((out_dir / "pyodide-lock.json").read_text(encoding="utf-8"))
    python_tag = "cp" + "".join(lock["info"]["python"].split(".")[:2])
    wheels: list[tuple[str, Path, Path]] = []
    for name in PRECOMPILED:
        entry = lock["packages"][name]
        source = bundle_pyodide / entry["file_name"]
        stem = entry["file_name"].removesuffix(".whl").split("-")
        target_name = "-".join([stem[0], stem[1], python_tag, "none", "any"]) + ".whl"
        wheels.append((name, source, out_dir / target_name))
    job = {"workload": "precompile", "params": {"wheels": [[str(s), str(t)] for _, s, t in wheels]}}
    return PrecompilePlan(job=job, out_dir=out_dir, lock=lock, wheels=wheels)


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
