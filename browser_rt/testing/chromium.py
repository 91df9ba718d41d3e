"""How pytest-pyodide starts Chromium, and what a crashed tab leaves behind.

pytest-pyodide starts Chrome with only `--headless --no-sandbox --js-flags=--expose-gc`. On a
machine with no GPU and a closed network Debian's Chromium then looks for a GPU process, makes
background lookups, and may put shared memory in a /dev/shm too small for it. The plugin adds
`DEFAULT_FLAGS` (or the flags in a JSON file `{"flags": [...]}` named by
`--pyodide-chrome-flags`). Selenium also discards the browser's stderr, and with it why a tab
crashed ("V8 javascript OOM", a failed CHECK): chromedriver is started through a small wrapper
that appends that stderr to one log per pytest process, and a failing test's report carries
the log's last lines.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
from pathlib import Path

HEAP_SAMPLER_OFF = "--disable-features=HeapProfilerReporting"
"""Chromium's sampling heap profiler, on by default for a share of renderers, records each
sampled allocation's stack by walking frame pointers. Run on a WebAssembly JSPI stack (Pyodide's
`runPythonAsync`, a session's whole run) in a page restored from a memory snapshot, that walk
reads past the stack's end and the tab crashes ("tab crashed", SIGSEGV in the walker; seen in
Chromium 156). A test browser does not need the profiler; chromedriver merges this list with
its own `--disable-features`."""
DEFAULT_FLAGS: tuple[str, ...] = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    HEAP_SAMPLER_OFF,
)
"""The browser_rt repository keeps the same list in tests/chromium-flags.json (read by its
Playwright config and benchmarks too); a test checks that the two agree."""

LOG_VARIABLE = "BROWSER_RT_CHROMIUM_LOG"
DRIVER_VARIABLE = "BROWSER_RT_CHROMEDRIVER"
DRIVER_NAME = "chromedriver-logged"
_WRAPPER = f"""#!/bin/sh
# chromedriver, with the browser's own stderr appended to ${LOG_VARIABLE}; written by
# browser_rt.testing.chromium. Selenium would otherwise discard that stderr, and with it why a
# tab crashed.
exec "${DRIVER_VARIABLE}" "$@" --enable-chrome-logs >>"${LOG_VARIABLE}" 2>&1
"""
LOG_NOISE = (
    "dbus",
    "D-Bus",
    "Floss manager",
    "Starting ChromeDriver",
    "ChromeDriver was started",
    "Only local connections",
    "chromedriver.chromium.org/security-considerations",
    "DevTools listening",
)
"""Lines every start writes (chromedriver's greeting, D-Bus missing here); they explain nothing."""


def read_flags(path: Path) -> list[str]:
    """The `flags` list of a flags file; a broken file is reported by name."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: {exc}") from None
    flags = document.get("flags") if isinstance(document, dict) else None
    if not (isinstance(flags, list) and all(isinstance(flag, str) for flag in flags)):
        raise ValueError(f"{path}: 'flags' must be a list of strings")
    return flags


def for_playwright(flags: list[str]) -> list[str]:
    """`flags` as Playwright is given them: it passes a `--disable-features` list of its own, and
    Chromium keeps only the last list it is given, so a second one would switch Playwright's back
    on."""
    return [flag for flag in flags if not flag.startswith("--disable-features=")]


def default_log_dir() -> Path:
    """A folder of this user's in the temp folder, so a plain pytest run writes nothing into the
    project (browser_rt's own suite keeps its logs in artifacts/chromium)."""
    user = f"-{os.getuid()}" if hasattr(os, "getuid") else ""
    return Path(tempfile.gettempdir()) / f"browser-rt-chromium{user}"


def log_path(log_dir: Path) -> Path:
    """One log per pytest process, so parallel runs (Node beside Chromium, the gate) keep theirs."""
    return log_dir / f"pytest-{os.getpid()}.log"


def configure(flags: list[str], log_dir: Path) -> Path | None:
    """Give pytest-pyodide's Chrome `flags` and, if chromedriver is on PATH, a logging driver.

    Returns the log file, or None when the caller named a driver of their own (SE_CHROMEDRIVER)
    or there is none: Selenium then looks for it and says if it fails.
    """
    from browser_rt.testing import upstream

    config = upstream.global_config()
    theirs = [flag for flag in config.get_flags("chrome") if flag not in flags]
    config.set_flags("chrome", [*theirs, *flags])
    wrapper = log_dir / DRIVER_NAME
    real_driver = shutil.which("chromedriver")
    if real_driver is None or os.environ.get("SE_CHROMEDRIVER", str(wrapper)) != str(wrapper):
        return None
    log_dir.mkdir(parents=True, exist_ok=True)
    if not wrapper.is_file() or wrapper.read_text(encoding="utf-8") != _WRAPPER:
        wrapper.write_text(_WRAPPER, encoding="utf-8")
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    log = log_path(log_dir)
    os.environ.update({"SE_CHROMEDRIVER": str(wrapper), DRIVER_VARIABLE: real_driver, LOG_VARIABLE: str(log)})
    return log


def crash_evidence(log: Path, max_lines: int = 40) -> str:
    """The log's last lines (the newest browser's) without start-up noise; '' if there are none."""
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return ""
    telling = [line for line in lines if not any(noise in line for noise in LOG_NOISE)]
    return "\n".join(telling[-max_lines:])
