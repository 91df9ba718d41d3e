"""Where the bundle builder finds its own inputs: in a checkout, or inside the installed wheel.

A checkout of browser_rt holds `js_bridge/` and `requirements/pyodide-*.txt` beside the
package. An installed wheel cannot reach those, so the wheel build copies them into the package
as `browser_rt/_data/` (hatchling `force-include` in pyproject.toml; nothing is committed
twice). Every reader goes through this module, so the two layouts cannot drift apart.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = PACKAGE_DIR / "_data"
"""The copy the wheel build makes; absent in a checkout and in an editable install."""

PYODIDE_NPM_VERSION = "314.0.7"
"""The npm `pyodide` release this browser_rt is built and tested with (the root package.json
pins the same; a test keeps them equal)."""

PIN_FILES = ("pyodide-runtime.txt", "pyodide-test.txt")


class PackageDataError(RuntimeError):
    """The installed browser_rt lacks a file it needs; the message says which and how to fix it."""


@dataclass(frozen=True)
class DataFiles:
    """The bundle builder's own inputs, wherever they live."""

    js_bridge_dir: Path
    runtime_pins: Path
    test_pins: Path
    origin: str
    """`checkout` or `installed`, for messages and for `browser-rt doctor`."""


def is_checkout(root: Path) -> bool:
    """True when `root` is a browser_rt source tree (its pyproject names browser_rt, and it
    has the js_bridge sources and the pinned wheel lists)."""
    pyproject = root / "pyproject.toml"
    if not (
        (root / "js_bridge" / "index.mjs").is_file()
        and (root / "requirements" / PIN_FILES[0]).is_file()
        and pyproject.is_file()
    ):
        return False
    try:
        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
    except (OSError, tomllib.TOMLDecodeError):
        return False
    return isinstance(project, dict) and project.get("name") == "browser_rt"


def source_checkout() -> Path | None:
    """The checkout the running package was imported from (a plain or editable install of a
    source tree), or None for a package installed from a wheel."""
    root = PACKAGE_DIR.parent
    return root if is_checkout(root) else None


def data_files() -> DataFiles:
    """The installed package's copy of js_bridge and the pins; the source tree's when the
    package runs from one (an editable install has no copy)."""
    if (DATA_DIR / "js_bridge" / "index.mjs").is_file():
        requirements = DATA_DIR / "requirements"
        return DataFiles(
            DATA_DIR / "js_bridge", requirements / PIN_FILES[0], requirements / PIN_FILES[1], "installed"
        )
    root = source_checkout()
    if root is None:
        raise PackageDataError(
            f"{DATA_DIR} is missing: this browser_rt was installed without its package data "
            "(js_bridge and the pinned wheel lists); reinstall it from a wheel built with "
            "`python -m build --wheel`"
        )
    return DataFiles(
        root / "js_bridge",
        root / "requirements" / PIN_FILES[0],
        root / "requirements" / PIN_FILES[1],
        "checkout",
    )


def js_bridge_version(js_bridge_dir: Path) -> str | None:
    """The `version` of js_bridge/package.json, or None if it cannot be read."""
    try:
        data = json.loads((js_bridge_dir / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    version = data.get("version") if isinstance(data, dict) else None
    return version if isinstance(version, str) else None
