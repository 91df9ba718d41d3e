"""How pytest-pyodide starts Chromium here, and what a crashed tab leaves behind.

pytest-pyodide starts Chrome with only `--headless --no-sandbox`; the suites share one list of
flags instead (tests/chromium-flags.json). Selenium also discards the browser's stderr, and with
it why a tab crashed ("V8 javascript OOM", a failed CHECK): chromedriver is started through
tests/chromedriver-logged, which keeps it in a log per pytest process, and the failing test's
report carries that log's last lines.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

FLAGS_FILE = Path(__file__).with_name("chromium-flags.json")
LOG_DIR = Path(__file__).resolve().parents[1] / "artifacts" / "chromium"
DRIVER = Path(__file__).with_name("chromedriver-logged")
LOG_VARIABLE = "BROWSER_RT_CHROMIUM_LOG"
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


def shared_flags() -> list[str]:
    try:
        document = json.loads(FLAGS_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{FLAGS_FILE}: {exc}") from None
    flags = document.get("flags") if isinstance(document, dict) else None
    if not (isinstance(flags, list) and all(isinstance(flag, str) for flag in flags)):
        raise ValueError(f"{FLAGS_FILE}: 'flags' must be a list of strings")
    return flags


def log_path() -> Path:
    """One log per pytest process, so parallel runs (Node beside Chromium, the gate) keep theirs."""
    return LOG_DIR / f"pytest-{os.getpid()}.log"


def configure_pytest_pyodide() -> None:
    from pytest_pyodide import get_global_config

    config = get_global_config()
    ours = shared_flags()
    theirs = [flag for flag in config.get_flags("chrome") if flag not in ours]
    config.set_flags("chrome", [*theirs, *ours])
    real_driver = shutil.which("chromedriver")
    if real_driver is None or os.environ.get("SE_CHROMEDRIVER", str(DRIVER)) != str(DRIVER):
        return  # The caller's own driver, or none: Selenium looks for it and says if it fails.
    if not os.access(DRIVER, os.X_OK):
        raise RuntimeError(f"{DRIVER} is missing or not executable")
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    os.environ.update(
        SE_CHROMEDRIVER=str(DRIVER), BROWSER_RT_CHROMEDRIVER=real_driver, **{LOG_VARIABLE: str(log_path())}
    )


def forget_log() -> None:
    """After a run with no failure the log explains nothing; only failed runs leave one."""
    log_path().unlink(missing_ok=True)


def crash_evidence(max_lines: int = 40) -> str:
    """The log's last lines (the newest browser's) without start-up noise; '' if there are none."""
    try:
        lines = log_path().read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return ""
    telling = [line for line in lines if not any(noise in line for noise in LOG_NOISE)]
    return "\n".join(telling[-max_lines:])
