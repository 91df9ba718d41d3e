"""One Pyodide in headless Chromium running one pytest session; its reports read as they come.

The page is one the plugin booted while the host collected (`chrome_warm`), if one was booted
for the same Pyodide folder and runner, else a fresh one. A page cannot mount the host's disk, so
the spec's folders are copied whole (pruned as pytest prunes its own walk: `norecursedirs`,
caches, virtualenvs) into the interpreter's filesystem at the same absolute paths, from one
archive fetched from the page's own loopback server.

The session then runs in the page without the host waiting for it (`snippets.start_session`:
it starts once the host's call has returned) and keeps the page's only thread to its end. Each
message line goes at once to a dedicated delivery Worker, which keeps running whatever the
page's thread does and POSTs the lines to the page's loopback server, where this session's inbox
(`chrome_channel`) queues them; `next_message` waits on that queue with a deadline, as for
Node. The line that says a test started is in the worker's hands before the test runs, so when
a test keeps the page's thread busy, the host knows which one it is: it hears nothing past
`--pyodide-timeout`, counts the test as hung, and `close` closes the tab. When Pyodide dies,
the page's thread is free again and the channel's end says why, after every line pushed before
the crash. A page that is gone altogether (its tab crashed, its window closed) sends nothing
more; a thread that asks the page now and then whether it is there notices, and ends the
session with the browser's own evidence. A busy page does not answer that question either,
which is no sign of anything.

The session does not hand the page's thread back between tests, as one bare `pytest.main()`
does not: delivery does not need it, and the crash watchdog only matters once Python has
returned. JavaScript callbacks a test leaves scheduled run after the session, or whenever a test
itself waits on a promise (`pyodide.ffi.run_sync`).
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
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium.common.exceptions import TimeoutException
from urllib3.exceptions import ReadTimeoutError

from browser_rt.testing import chrome_channel, chrome_warm, snippets
from browser_rt.testing.chrome_page import DEVTOOLS_TIMEOUT_S, ChromePage
from browser_rt.testing.chromium import LOG_VARIABLE, crash_evidence
from browser_rt.testing.node_session import CONSOLE_LINES, SessionEnded
from browser_rt.testing.page_server import SESSION_PREFIX
from browser_rt.testing.project import ProjectError

MAX_COPY_BYTES = 64 * 1024 * 1024
"""More than this is almost always a virtualenv or build output under a copied folder."""
ALWAYS_PRUNED = ("__pycache__", ".browser-rt", ".git", ".hypothesis", ".pytest_cache", "node_modules")
ALIVE_EVERY_S = 2.0
"""How often the host asks whether the page is still there."""
ALIVE_TIMEOUT_S = 30.0
"""Script timeout of one such question. chromedriver does not apply it to a page whose thread is
busy (the call then waits for Selenium's HTTP timeout); either way the host asks again, and its
own deadline on the queue decides whether a test hung."""
ALIVE_ATTEMPTS = 3
"""A question that fails for another reason than a gone page is asked again, this often."""
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
        self._ended = threading.Event()
        self._end_lock = threading.Lock()
        self._watcher: threading.Thread | None = None
        self._page: ChromePage | None = None
        with tempfile.TemporaryDirectory(prefix="browser-rt-chrome-session-") as scratch:
            files = {"project.zip": Path(scratch) / "project.zip"}
            files.update({Path(wheel).name: Path(wheel) for wheel in spec["wheels"]})
            # Built while a page booted early may still be booting.
            archive(files["project.zip"], [Path(f) for f in spec["folders"]], item.config)
            self._inbox = chrome_channel.open_inbox(self._put_line, self._console.extend, self._end)
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
                self._end(f"{type(exc).__name__}: {_first_lines(exc)}")
        if started:
            self._watcher = threading.Thread(
                target=self._watch, name="browser-rt-chrome-watcher", daemon=True
            )
            self._watcher.start()

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
        channel = SESSION_PREFIX + self._inbox.path
        page.run_js(snippets.install_channel(channel), PREPARE_TIMEOUT_S)
        page.run_js(snippets.start_session(channel), PREPARE_TIMEOUT_S)
        self._inbox.let_start()
        return True

    def _keep_console(self) -> None:
        """The page's console so far (why preparing failed), if the page still answers."""
        if self._page is not None:
            with contextlib.suppress(Exception):
                lines = self._page.run_js(snippets.console_lines(), DEVTOOLS_TIMEOUT_S)
                self._console.extend(str(line) for line in lines or [])

    def _watch(self) -> None:
        """Ask the page now and then whether it is there, until the session ends or `close`."""
        assert self._page is not None
        failures = 0
        while not self._closing.wait(ALIVE_EVERY_S) and not self._ended.is_set():
            try:
                self._page.run_js("return true;", ALIVE_TIMEOUT_S)
            except (TimeoutException, ReadTimeoutError):
                continue  # the page is busy in a test; the host's own deadline decides
            except Exception as exc:
                if self._closing.is_set():
                    return
                failures += 1
                if failures >= ALIVE_ATTEMPTS or any(word in str(exc) for word in PAGE_GONE):
                    self._end(self._lost_page(exc))
                    return
                continue
            failures = 0

    def _put_line(self, text: str) -> None:
        """What the session pushed at once: each line a message if it is a JSON object with a
        type, else dropped."""
        for line in text.split("\n"):
            with contextlib.suppress(ValueError):
                message = json.loads(line)
                if isinstance(message, dict) and isinstance(message.get("type"), str):
                    self._queue.put(message)

    def _end(self, reason: str) -> None:
        """The session is over (the page said why, or it is gone): once, after every line."""
        with self._end_lock:
            if not self._ended.is_set():
                self._ended.set()
                self._queue.put(SessionEnded(_first_lines_of(reason)))

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
        chrome_channel.close_inbox(self._inbox)
        if self._page is not None:
            self._page.close_tab()
        if self._watcher is not None:
            self._watcher.join(timeout=ALIVE_TIMEOUT_S)
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
