"""The Pyodide folder `browser-rt test` runs the Node and Chromium suites in.

With `--dist-dir` it is checked and used as it is. Without, it is built (or brought up to date;
the builder is incremental) with browser_rt's own bundle builder into `.browser-rt/bundle` of
the project. That needs what the builder needs: browser_rt's source checkout (the hash-pinned
wheel lists in requirements/ and js_bridge/), a Pyodide core from npm (`node_modules/pyodide`,
the project's own or the checkout's), a browser_rt wheel (in dist/) and `pyodide-lock`; outside
a checkout, an installed browser_rt that carries js_bridge and the pins as package data stands
in for the first and the third. When something is missing, an existing bundle is reused;
otherwise the error lists everything that is missing.
The test bundle ships sources, not bytecode, so tracebacks inside Pyodide show source lines.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import browser_rt

TEST_BUNDLE = Path(".browser-rt") / "bundle"
REQUIRED_PACKAGES = ("pytest", "micropip")


class BundleUnavailable(RuntimeError):
    """No usable Pyodide folder; the message names what is missing and how to get it."""


def checkout_root() -> Path | None:
    """browser_rt's source checkout, when browser_rt is imported from one (an editable install)."""
    root = Path(browser_rt.__file__).resolve().parent.parent
    wanted = (root / "requirements" / "pyodide-test.txt", root / "js_bridge" / "index.mjs")
    return root if all(path.is_file() for path in wanted) else None


def check_pyodide_dir(pyodide_dir: Path) -> None:
    """A folder that can run forwarded tests: the core, and pytest and micropip in its lock."""
    lock_path = pyodide_dir / "pyodide-lock.json"
    if not (pyodide_dir / "pyodide.mjs").is_file() or not lock_path.is_file():
        raise BundleUnavailable(
            f"{pyodide_dir} is not a Pyodide folder (no pyodide.mjs or pyodide-lock.json)"
        )
    try:
        packages = json.loads(lock_path.read_text(encoding="utf-8")).get("packages", {})
    except (OSError, ValueError, AttributeError) as exc:
        raise BundleUnavailable(f"{lock_path}: {exc}") from None
    missing = [name for name in REQUIRED_PACKAGES if name not in packages]
    absent = [
        name
        for name in REQUIRED_PACKAGES
        if name in packages and not (pyodide_dir / str(packages[name].get("file_name", ""))).is_file()
    ]
    if missing or absent:
        raise BundleUnavailable(
            f"{pyodide_dir} cannot run tests: {', '.join(missing + absent)} missing from it "
            "(a bundle built with --production leaves the test wheels out)"
        )


def ensure_test_bundle(project: Path, echo: Callable[[str], None] = print) -> Path:
    """The Pyodide folder of the project's test bundle, built or refreshed as needed."""
    from browser_rt.tooling.bundle import BundleError, BundleInputs, build_bundle
    from browser_rt.tooling.requirements import RequirementsError

    out = project / TEST_BUNDLE
    source = checkout_root()
    missing: list[str] = []
    pyodide_dir = _first_dir(
        [project / "node_modules" / "pyodide", *([source / "node_modules" / "pyodide"] if source else [])],
        "pyodide.mjs",
    )
    if pyodide_dir is None:
        missing.append(
            "the Pyodide core: node_modules/pyodide (npm install pyodide, in the project or the checkout)"
        )
    if importlib.util.find_spec("pyodide_lock") is None:
        missing.append(
            "the pyodide-lock package on the host (pip install pyodide-lock pkginfo; browser_rt's dev extra)"
        )
    options: dict[str, Any] = {"pyodide_dir": pyodide_dir, "include_test_wheels": True, "bytecode": False}
    inputs: Any = None
    wheel: Path | None = None
    if source is not None:
        wheel = _newest_wheel([project / "dist", source / "dist"])
        if wheel is None:
            missing.append(
                "a browser_rt wheel in dist/ (make wheel, or python -m build --wheel in the checkout)"
            )
        else:
            inputs = BundleInputs.for_checkout(source, project_wheel=wheel, **options)
    else:
        # An installed wheel may carry js_bridge and the pins as package data; then the builder
        # makes the browser_rt wheel from the installed package.
        for_installed = getattr(BundleInputs, "for_installed", None)
        try:
            inputs = None if for_installed is None else for_installed(project, **options)
        except Exception as exc:
            missing.append(f"browser_rt's package data ({exc})")
        if for_installed is None:
            missing.append(
                "browser_rt's source checkout (requirements/pyodide-*.txt and js_bridge/; browser_rt "
                f"is imported from {Path(browser_rt.__file__).parent}, not a checkout)"
            )
    if missing or inputs is None:
        if (out / "pyodide" / "pyodide.mjs").is_file():
            echo(f"[browser-rt test] reusing {out} (cannot refresh it: missing {'; '.join(missing)})")
            check_pyodide_dir(out / "pyodide")
            return out / "pyodide"
        raise BundleUnavailable(
            "cannot build the test bundle "
            + str(out)
            + ", missing:\n  - "
            + "\n  - ".join(missing)
            + "\nor pass --dist-dir with the pyodide/ folder of a bundle built by `browser-rt bundle`"
        )
    lines: list[str] = []
    try:
        build_bundle(inputs, out, progress=lines.append)
    except (BundleError, RequirementsError, OSError, RuntimeError) as exc:
        raise BundleUnavailable(f"building the test bundle {out}: {exc}") from None
    built_from = f"browser_rt from {wheel.name}" if wheel else "browser_rt from the installed package"
    echo(f"[browser-rt test] {lines[-1] if lines else out} ({built_from})")
    check_pyodide_dir(out / "pyodide")
    ignore = project / ".browser-rt" / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# browser-rt test's caches\n*\n", encoding="utf-8")
    return out / "pyodide"


def _first_dir(candidates: list[Path], marker: str) -> Path | None:
    return next((c for c in candidates if (c / marker).is_file()), None)


def _newest_wheel(folders: list[Path]) -> Path | None:
    wheels = [w for folder in folders for w in folder.glob("browser_rt-*-py3-none-any.whl")]
    return max(wheels, key=lambda w: w.stat().st_mtime) if wheels else None
