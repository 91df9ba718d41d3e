"""`browser-rt doctor`: what `make setup` would install or fix, checked without changing anything.

Each check names one thing `make setup` provides (or an embedder needs to build a bundle), says
what was found, and on a problem says how to fix it. Nothing is installed, downloaded or
started beyond `--version` calls, so the command is safe to run anywhere, and its exit status
(1 when anything is missing) makes it usable as a CI preflight.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from browser_rt.tooling.bundle import PYODIDE_CORE_FILES
from browser_rt.tooling.package_data import PYODIDE_NPM_VERSION, PackageDataError, data_files, is_checkout

MIN_PYTHON = (3, 12)
"""pyodide-lock and the host tooling need it (see docs/development.md)."""
MIN_NODE = 20
APT_FIX = "apt-get install chromium chromium-driver firefox-esr webkit2gtk-driver xvfb xauth (make setup)"

ENGINE_BINARIES: tuple[tuple[str, str, str, str], ...] = (
    ("chromium", "CHROMIUM_PATH", "/usr/bin/chromium", "chromium"),
    ("chromedriver", "CHROMEDRIVER_PATH", "/usr/bin/chromedriver", "chromium-driver"),
    ("firefox-esr", "FIREFOX_PATH", "/usr/bin/firefox-esr", "firefox-esr"),
    ("WebKitWebDriver", "WEBKIT_DRIVER_PATH", "/usr/bin/WebKitWebDriver", "webkit2gtk-driver"),
    (
        "MiniBrowser",
        "WEBKIT_BROWSER_PATH",
        "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser",
        "webkit2gtk-driver",
    ),
    ("xvfb-run", "XVFB_RUN_PATH", "/usr/bin/xvfb-run", "xvfb"),
    ("xauth", "XAUTH_PATH", "/usr/bin/xauth", "xauth"),
)
"""(name, environment override, default path, Debian package): the paths e2e/engines.js uses."""


@dataclass(frozen=True)
class Check:
    """One line of the report."""

    name: str
    ok: bool
    detail: str
    fix: str = ""


Which = Callable[[str], str | None]
Run = Callable[[list[str]], str | None]


def _run_version(command: list[str]) -> str | None:
    """The first line a `--version` call prints, or None if the program cannot run."""
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if result.returncode != 0:
        return None
    lines = (result.stdout or result.stderr).strip().splitlines()
    return lines[0] if lines else ""


def run_checks(
    root: Path,
    *,
    bundle: Path | None = None,
    engines: bool = True,
    which: Which = shutil.which,
    run: Run = _run_version,
    env: Mapping[str, str] = os.environ,
    python: tuple[int, int, int] = (sys.version_info.major, sys.version_info.minor, sys.version_info.micro),
) -> list[Check]:
    """Every check, in the order `make setup` does the work."""
    checkout = is_checkout(root)
    checks = [_python(python), _package_data()]
    checks += _node_and_npm(which, run)
    checks += _npm_packages(root, checkout)
    if engines:
        checks += [
            _binary(name, Path(env.get(var, default)), package)
            for name, var, default, package in ENGINE_BINARIES
        ]
    if checkout:
        venv_script = root / ".venv" / "bin" / "browser-rt"
        checks.append(
            Check("venv", True, str(venv_script))
            if venv_script.is_file()
            else Check(
                "venv", False, f"{venv_script} missing", "make setup (creates .venv and installs -e .)"
            )
        )
    if bundle is None and checkout:
        bundle = root / "build" / "bundle"
    if bundle is not None:
        checks.append(_bundle(bundle, checkout))
    return checks


def _python(version: tuple[int, int, int]) -> Check:
    text = ".".join(map(str, version))
    if version[:2] >= MIN_PYTHON:
        return Check("python", True, f"{text} ({sys.executable})")
    return Check(
        "python",
        False,
        f"{text} is older than {'.'.join(map(str, MIN_PYTHON))}",
        "use Python >= 3.12 (pyenv install 3.13)",
    )


def _package_data() -> Check:
    """The bundle builder's own inputs: the installed package's copy, or the source tree's."""
    from browser_rt import __version__

    try:
        data = data_files()
    except PackageDataError as exc:
        return Check("browser_rt", False, str(exc), "pip install --force-reinstall browser_rt")
    return Check(
        "browser_rt", True, f"{__version__}, js_bridge and pins from the {data.origin} ({data.js_bridge_dir})"
    )


def _node_and_npm(which: Which, run: Run) -> list[Check]:
    checks = []
    node = which("node")
    version = run([node, "--version"]) if node else None
    if node is None or version is None:
        checks.append(
            Check(
                "node", False, "node not on PATH", f"install Node.js >= {MIN_NODE} (apt-get install nodejs)"
            )
        )
    else:
        major = version.lstrip("v").split(".", 1)[0]
        if major.isdigit() and int(major) >= MIN_NODE:
            checks.append(Check("node", True, f"{version} ({node})"))
        else:
            checks.append(
                Check("node", False, f"{version} is older than v{MIN_NODE}", f"install Node.js >= {MIN_NODE}")
            )
    npm = which("npm")
    npm_version = run([npm, "--version"]) if npm else None
    if npm is None or npm_version is None:
        checks.append(Check("npm", False, "npm not on PATH", "install npm (apt-get install npm)"))
    else:
        checks.append(Check("npm", True, f"{npm_version} ({npm})"))
    return checks


def _npm_packages(root: Path, checkout: bool) -> list[Check]:
    """The Pyodide core everywhere; in a checkout, every pinned devDependency of package.json
    at its pinned version, as `npm ci` installs them."""
    wanted = {"pyodide": PYODIDE_NPM_VERSION}
    fix = "npm ci (make setup)" if checkout else f"npm install pyodide@{PYODIDE_NPM_VERSION}"
    if checkout:
        try:
            manifest = json.loads((root / "package.json").read_text(encoding="utf-8"))
            wanted.update(manifest.get("devDependencies", {}))
        except (OSError, ValueError, AttributeError):
            return [
                Check("package.json", False, f"{root / 'package.json'} unreadable", "restore it from git")
            ]
    checks = []
    for name, version in sorted(wanted.items()):
        folder = root / "node_modules" / name
        label = "node_modules/pyodide" if name == "pyodide" else f"node_modules/{name}"
        try:
            found = str(json.loads((folder / "package.json").read_text(encoding="utf-8"))["version"])
        except (OSError, ValueError, KeyError, TypeError):
            checks.append(Check(label, False, f"{folder} missing", fix))
            continue
        if found != version:
            checks.append(Check(label, False, f"{found}, pinned {version}", fix))
            continue
        if name == "pyodide":
            missing = [n for n in PYODIDE_CORE_FILES if not (folder / n).is_file()]
            if missing:
                checks.append(Check(label, False, f"{found} lacks {', '.join(missing)}", fix))
                continue
        checks.append(Check(label, True, found))
    return checks


def _binary(name: str, path: Path, package: str) -> Check:
    if path.is_file() and os.access(path, os.X_OK):
        return Check(name, True, str(path))
    return Check(name, False, f"{path} missing", f"apt-get install {package} (make setup)")


def _bundle(folder: Path, checkout: bool) -> Check:
    from browser_rt.tooling.verify import verify_bundle

    fix = "make bundle" if checkout else f"browser-rt bundle --out {folder}"
    report = verify_bundle(folder)
    if report.problem is not None:
        return Check("bundle", False, report.problem, fix)
    if not report.ok:
        names = [*report.changed, *report.missing, *report.extra]
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        return Check("bundle", False, f"{folder} differs from its manifest: {shown}", fix)
    versions = report.versions
    pyodide = versions.get("pyodide", {}) if isinstance(versions.get("pyodide"), dict) else {}
    return Check(
        "bundle",
        True,
        f"{folder}: {report.matched} files verified (browser_rt {versions.get('browser_rt', '?')}, "
        f"Pyodide {pyodide.get('version', '?')})",
    )


def format_checks(checks: list[Check]) -> str:
    """The report: one line per check, then the verdict naming every problem."""
    width = max(len(check.name) for check in checks)
    lines = []
    for check in checks:
        status = "ok" if check.ok else "MISSING"
        fix = f"  -> {check.fix}" if check.fix and not check.ok else ""
        lines.append(f"{status:<8} {check.name:<{width}}  {check.detail}{fix}")
    problems = [check.name for check in checks if not check.ok]
    lines.append(f"{len(problems)} problems: {', '.join(problems)}" if problems else "everything is in place")
    return "\n".join(lines)
