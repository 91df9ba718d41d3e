"""One Pyodide in headless Chromium running one pytest session; its reports read as they come.

The page is one the plugin booted while the host collected (`chrome_warm`), if one was booted
for the same Pyodide folder and runner, else a fresh one. A page cannot mount the host's disk, so
the spec's folders are copied whole (pruned as pytest prunes its own walk: `norecursedirs`,
caches, virtualenvs) into the interpreter's filesystem at the same absolute paths, from one
archive fetched from the page's own loopback server.

The session then runs in the page without the host waiting for it (`snippets.start_session`).
Each message goes to a JavaScript outbox, and before each test the session pauses (JSPI's
`run_sync`) until the host has taken every line, so the page's thread is free between tests. A
reader thread takes lines with short calls and queues them; `next_message` waits on that queue
with a deadline, as for Node. A test that keeps the page's thread busy stops the reader (the
page cannot answer); the host hears nothing past `--pyodide-timeout`, counts it as hung, and
`close` closes the tab. When Pyodide dies, the page still answers: every line pushed before the
crash is taken, then the outbox's end says why.
"""

from __future__ import annotations

import collections
import contextlib
import fnmatch
import json
import os
import queue
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium.common.exceptions import TimeoutException
from urllib3.exceptions import ReadTimeoutError

from browser_rt.testing import chrome_warm, snippets
from browser_rt.testing.chrome_page import DEVTOOLS_TIMEOUT_S, ChromePage
from browser_rt.testing.chromium import LOG_VARIABLE, crash_evidence
from browser_rt.testing.node_session import CONSOLE_LINES, LINE_CHARS, SessionEnded
from browser_rt.testing.page_server import SESSION_PREFIX
from browser_rt.testing.project import ProjectError

MAX_COPY_BYTES = 64 * 1024 * 1024
"""More than this is almost always a virtualenv or build output under a copied folder."""
ALWAYS_PRUNED = ("__pycache__", ".browser-rt", ".git", ".hypothesis", ".pytest_cache", "node_modules")
TAKE_WAIT_MS = 1000
"""How long one `take` waits in the page for a line: short, so a closed session stops quickly."""
TAKE_TIMEOUT_S = 30.0
"""Script timeout of one `take`. chromedriver does not apply it to a page whose thread is busy
(the call then waits for Selenium's HTTP timeout); either way the reader asks again, and the
host's own deadline decides whether the test hung."""
TAKE_ATTEMPTS = 3
TAKE_RETRY_S = 0.5
"""A `take` that fails for another reason than a gone page is tried again, this often."""
PAGE_GONE = ("tab crashed", "no such window", "invalid session id", "chrome not reachable", "target closed")
"""Words of WebDriver errors after which the page will never answer again."""
PREPARE_TIMEOUT_S = 110.0
"""Each preparing step (unpack, load packages, install wheels) must end within this; below
Selenium's own two-minute limit on one call."""


class ChromeSession:
    """A fresh Chromium Pyodide running `spec`; `next_message` returns its messages in order."""

    def __init__(self, spec: dict[str, Any], item: pytest.Item) -> None:
        runner_name = str(getattr(item.config.option, "runner", "selenium") or "selenium")
        if runner_name.lower() != "selenium":
            raise ProjectError(
                f"--runner {runner_name}: browser_rt.testing drives Chromium through selenium only"
            )
        self._queue: queue.Queue[dict[str, Any] | SessionEnded] = queue.Queue()
        self._console: collections.deque[str] = collections.deque(maxlen=CONSOLE_LINES)
        self._closing = threading.Event()
        self._reader: threading.Thread | None = None
        self._page: ChromePage | None = None
        with tempfile.TemporaryDirectory(prefix="browser-rt-chrome-session-") as scratch:
            files = {"project.zip": Path(scratch) / "project.zip"}
            files.update({Path(wheel).name: Path(wheel) for wheel in spec["wheels"]})
            # Built while a page booted early may still be booting.
            archive(files["project.zip"], [Path(f) for f in spec["folders"]], item.config)
            try:
                self._page = chrome_warm.take(spec["pyodideDir"], spec["runner"])
                if self._page is None:
                    self._page = ChromePage(Path(spec["pyodideDir"]), {})
                    chrome_warm.boot_page(self._page, spec["runner"])
                self._page.serve(files)
                started = self._prepare(self._page, spec)
            except Exception as exc:
                started = False
                self._keep_console()
                self._queue.put(SessionEnded(f"{type(exc).__name__}: {_first_lines(exc)}"))
        if started:
            self._reader = threading.Thread(target=self._read, name="browser-rt-chrome-reader", daemon=True)
            self._reader.start()

    def _prepare(self, page: ChromePage, spec: dict[str, Any]) -> bool:
        """Unpack the project, load packages and wheels, start the session; False if it cannot run."""
        base = page.base_url + SESSION_PREFIX.lstrip("/")
        runner = page.runner
        runner.set_script_timeout(PREPARE_TIMEOUT_S)
        runner.run_async(snippets.extract_archive(base + "project.zip"))
        runner.load_package(spec["packages"])
        wheels = [base + Path(wheel).name for wheel in spec["wheels"]]
        runner.run_async(snippets.prepare_session(json.dumps(spec["session"]), wheels))
        missing = json.loads(runner.run(snippets.missing_imports(spec["importNames"])))
        self._queue.put({"type": "prepared", "missing": missing})
        if missing:
            return False
        page.run_js(snippets.install_channel(), PREPARE_TIMEOUT_S)
        page.run_js(snippets.start_session(), PREPARE_TIMEOUT_S)
        return True

    def _keep_console(self) -> None:
        """The page's console so far (why preparing failed), if the page still answers."""
        if self._page is not None:
            with contextlib.suppress(Exception):
                lines = self._page.run_js(snippets.console_lines(), DEVTOOLS_TIMEOUT_S)
                self._console.extend(str(line) for line in lines or [])

    def _read(self) -> None:
        """Take the session's lines until it ends, the page is gone, or `close`."""
        assert self._page is not None
        start = 0
        failures = 0
        while not self._closing.is_set():
            try:
                batch = self._page.run_js(snippets.take(start, TAKE_WAIT_MS), TAKE_TIMEOUT_S)
            except (TimeoutException, ReadTimeoutError):
                continue  # the page is busy in a test; the host's own deadline decides
            except Exception as exc:
                failures += 1
                if failures >= TAKE_ATTEMPTS or any(word in str(exc) for word in PAGE_GONE):
                    self._queue.put(SessionEnded(self._lost_page(exc)))
                    return
                time.sleep(TAKE_RETRY_S)
                continue
            failures = 0
            self._console.extend(str(line)[:LINE_CHARS] for line in batch.get("logs") or [])
            first = int(batch["first"])
            for number, line in enumerate(batch.get("lines") or [], start=first):
                if number >= start:
                    self._put_line(line)
            start = max(start, first + len(batch.get("lines") or []))
            if batch.get("ended") is not None:
                self._queue.put(SessionEnded(_first_lines_of(str(batch["ended"]))))
                return

    def _put_line(self, line: str) -> None:
        with contextlib.suppress(ValueError):
            message = json.loads(line)
            if isinstance(message, dict) and isinstance(message.get("type"), str):
                self._queue.put(message)

    def _lost_page(self, exc: BaseException) -> str:
        why = f"{type(exc).__name__}: {_first_lines(exc)}"
        log = os.environ.get(LOG_VARIABLE)
        if "tab crashed" in why and log:
            # The page's own output ends before the crash; the browser's log says why it happened.
            self._console.append(f"--- Chromium's log ---\n{crash_evidence(Path(log)) or '(empty)'}")
        return why

    def next_message(self, timeout: float) -> dict[str, Any]:
        """The next message; TimeoutError after `timeout` s of silence, SessionEnded at the end."""
        try:
            message = self._queue.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"no word from Pyodide for {timeout:g} s") from None
        if isinstance(message, SessionEnded):
            self._queue.put(message)  # stay ended for any later call
            raise message
        return message

    def console(self) -> str:
        """The page's last console lines (pytest's own terminal output among them)."""
        return "\n".join(self._console)

    def close(self) -> None:
        """Close the tab first (a stuck page never returns a call by itself), then the browser."""
        self._closing.set()
        if self._page is not None:
            self._page.close_tab()
        if self._reader is not None:
            self._reader.join(timeout=TAKE_TIMEOUT_S)
        if self._page is not None:
            self._page.close()


def archive(path: Path, folders: list[Path], config: pytest.Config) -> None:
    """Zip every folder under its absolute path (without the leading slash), pruned."""
    patterns = (*config.getini("norecursedirs"), *ALWAYS_PRUNED)
    excluded = Path(config.option.dist_dir).resolve()
    total = 0
    # strict_timestamps=False: a file dated before 1980 (an sdist's PKG-INFO is often dated
    # 1970, for reproducible builds) is stored as 1980 instead of failing the whole copy.
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1, strict_timestamps=False) as out:
        for folder in folders:
            for file in _walk(folder, patterns, excluded):
                total += file.stat().st_size
                if total > MAX_COPY_BYTES:
                    raise ProjectError(
                        f"the folders to copy into Chromium's Pyodide hold more than "
                        f"{MAX_COPY_BYTES // 1024 // 1024} MiB (at {file}); leave folders out with "
                        "pytest's norecursedirs"
                    )
                out.write(file, file.as_posix().lstrip("/"))


def _walk(top: Path, patterns: tuple[str, ...], excluded: Path) -> Iterator[Path]:
    for current, dirs, files in os.walk(top):
        here = Path(current)
        dirs[:] = sorted(
            d
            for d in dirs
            if not any(fnmatch.fnmatch(d, p) for p in patterns)
            and here / d != excluded
            and not (here / d / "pyvenv.cfg").exists()
        )
        for name in sorted(files):
            if not name.endswith((".pyc", ".pyo")):
                yield here / name


def _first_lines_of(text: str, count: int = 30) -> str:
    lines = text.strip().splitlines()
    return "\n".join(lines[:count]) + ("\n..." if len(lines) > count else "")


def _first_lines(exc: BaseException, count: int = 30) -> str:
    return _first_lines_of(str(exc), count)
