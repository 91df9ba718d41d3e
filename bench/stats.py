"""Summary statistics and machine facts shared by every benchmark."""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def median(values: Sequence[float]) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2.0


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (p95 is `percentile(v, 0.95)`)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return float(ordered[rank - 1])


def ratio(subject: float, peer: float) -> float:
    if peer == 0 or math.isnan(peer) or math.isnan(subject):
        return math.nan
    return subject / peer


def summary(values: Sequence[float]) -> dict[str, float]:
    return {"median": median(values), "p95": percentile(values, 0.95), "n": float(len(values))}


def rounded(value: float, digits: int = 4) -> float:
    """Finite floats rounded for JSON; NaN stays NaN-free (None is written instead)."""
    return round(value, digits) if math.isfinite(value) else value


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _command_version(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unavailable"
    text = (done.stdout or done.stderr).strip().splitlines()
    return text[0] if text else "unavailable"


def package_version(package_json: Path) -> str:
    try:
        return str(json.loads(package_json.read_text(encoding="utf-8"))["version"])
    except (OSError, ValueError, KeyError):
        return "unavailable"


def machine_info() -> dict[str, Any]:
    """What the figures were measured on. Absolute numbers only make sense next to this."""
    try:
        load = list(os.getloadavg())
    except OSError:
        load = []
    return {
        "cpu_model": cpu_model(),
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "python_executable": sys.executable,
        "node": _command_version(["node", "--version"]),
        "pyodide": package_version(ROOT / "node_modules" / "pyodide" / "package.json"),
        "playwright_node": package_version(ROOT / "node_modules" / "@playwright" / "test" / "package.json"),
        "load_average_at_start": load,
    }
